"""The offline commands: deploy requests in an embedded emulator (``local``), check one
(``validate``), serve the emulator (``emulator``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deployer.errors import ProfileInvalid
from smdeploy import present
from smdeploy.cli.app import app
from smdeploy.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SUPERSEDED,
    ProfilesFile,
    check_request,
    fail,
    json_flag,
    read_profiles,
    read_request,
    show_check,
)
from smdeploy.cli.simulation import Simulation, simulation_options
from smdeploy.helptext import Command
from smdeploy.params import whole

if TYPE_CHECKING:
    from smdeploy.runtime.local import Outcome

LocalJson = Annotated[bool, json_flag("local")]
ValidateJson = Annotated[bool, json_flag("validate")]
EmulatorJson = Annotated[bool, json_flag("emulator")]


@app.command(cls=Command, short_help="Deploy requests through the real state machine, offline.")
@simulation_options(leave_out=frozenset({"duplicate_events"}))
def local(
    requests: Annotated[
        list[Path],
        typer.Argument(
            help="Deployment request files (JSON), deployed in order.",
            metavar="REQUEST.json",
            show_default=False,
        ),
    ],
    as_json: LocalJson = False,
    profiles: ProfilesFile = None,
    *,
    simulation: Simulation,
) -> None:
    """Deploy each REQUEST through the real state machine in one fresh, embedded emulator.

    A later request for the same endpoint takes the update path. It fails when any
    deployment failed, or a file is not JSON; superseded when none failed but one was.
    """
    bodies = [(str(path), read_request(path)) for path in requests]
    profiles_read = read_profiles(profiles)
    # the runtime (moto) is imported once the files are known to be usable
    from smdeploy.runtime.local import LocalDeployment

    err, out = present.stderr(), present.stdout()
    outcomes: list[Outcome] = []
    deployment = LocalDeployment(
        faults=simulation.faults(),
        seed=simulation.seed,
        deadline_seconds=simulation.deadline_seconds,
        profiles=profiles_read,
        config_retention=simulation.config_retention,
    )
    try:
        with deployment as account:
            for label, body in bodies:
                present.heading(err, f"Deploying {label}")
                printer = present.ProgressPrinter(err)
                outcomes.append(account.deploy(body, label=label, on_progress=printer))
    except ProfileInvalid as error:
        fail(str(error))
    if as_json:
        present.json_document(out, [o.to_json() for o in outcomes])
    else:
        present.summary(out, outcomes)
    raise typer.Exit(local_exit_code(outcomes))


def local_exit_code(outcomes: list[Outcome]) -> int:
    """0 when every deployment succeeded, 1 when any failed, else 4 when any was superseded
    (its execution succeeded, but a newer deployment took over)."""
    if any(o.status != "SUCCEEDED" for o in outcomes):
        return EXIT_FAILED
    return EXIT_SUPERSEDED if any(o.superseded for o in outcomes) else EXIT_OK


@app.command(cls=Command, short_help="Check a request against every rule, offline.")
def validate(
    request: Annotated[
        Path,
        typer.Argument(
            metavar="REQUEST.json",
            help="The deployment request to check (JSON).",
            show_default=False,
        ),
    ],
    as_json: ValidateJson = False,
) -> None:
    """Check REQUEST against every rule of the SageMaker APIs, offline; nothing is created.

    The same check as the Validate stage of a deployment. A valid request's variants and
    their traffic shares are printed; an invalid one's every problem, one a line, the field's
    path first.
    """
    valid = show_check(request, check_request(request), as_json)
    raise typer.Exit(EXIT_OK if valid else EXIT_FAILED)


@app.command(cls=Command, short_help="Serve the embedded AWS, the deployer installed.")
@simulation_options()
def emulator(
    port: Annotated[
        int,
        typer.Option(
            parser=whole(0, 65535), metavar="PORT", help="Port on 127.0.0.1 (0: any free port)."
        ),
    ] = 4566,
    profiles: ProfilesFile = None,
    as_json: EmulatorJson = False,
    *,
    simulation: Simulation,
) -> None:
    """Serve the embedded AWS on http://127.0.0.1:PORT with the deployer installed.

    Point any AWS client at it (--endpoint-url): approving a model package of a group with a
    profile deploys it, a manifest copied to the bucket deploys it, a direct execution
    deploys its request. Ctrl-C or SIGTERM stops it (a success).
    """
    from smdeploy.runtime.server import EmulatorServer, PortInUse
    from smdeploy.serve import serve

    server = EmulatorServer(
        port=port,
        profiles=read_profiles(profiles),
        faults=simulation.faults(),
        seed=simulation.seed,
        deadline_seconds=simulation.deadline_seconds,
        config_retention=simulation.config_retention,
    )
    try:
        serve(server, present.stdout(), present.stderr(), as_json)
    except ProfileInvalid as error:
        fail(str(error))
    except PortInUse as error:
        fail(f"{error}; choose another with --port")
    raise typer.Exit(EXIT_OK)
