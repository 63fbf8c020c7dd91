"""The ``smdeploy`` command line.

Exit codes: 0 every deployment succeeded (or the request is valid); 1 a deployment failed (or
the request is invalid); 2 misuse (unknown option, missing or unreadable file). Progress goes
to stderr; stdout carries only results (a table or the problems, or with ``--json`` exactly
one JSON document).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smdeploy import __version__
from smdeploy.validation import Validation, load_validator

if TYPE_CHECKING:  # the runtime (moto) is imported by the commands that run it
    from smdeploy.runtime.local import Outcome, Progress

EXIT_OK, EXIT_FAILED, EXIT_MISUSE = 0, 1, 2

app = typer.Typer(
    name="smdeploy",
    help="Deploy Amazon SageMaker real-time endpoints through a Step Functions state machine; "
    "run it all offline against an embedded emulator of AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
# A table piped to a file or a CI log is not cut to 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _version(value: bool) -> None:
    if value:
        out.print(f"smdeploy {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """smdeploy: event-driven, serverless deployer of SageMaker real-time endpoints."""


def read_request(path: Path) -> Any:
    """The request in ``path``: parsed JSON, or the raw text when it is not JSON (so that
    the Validate stage reports it, as it would for any execution input)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        err.print(f"[red]error:[/] cannot read {path}: {error}")
        raise typer.Exit(EXIT_MISUSE) from None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


class ProgressPrinter:
    """Human progress on stderr: each stage, what it found, and each change of endpoint status.

    The Wait/Describe loop prints only when the endpoint's status changes.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._last = ""
        self._last_error = ""

    def __call__(self, line: Progress) -> None:
        stamp = f"  [dim]{_clock(line.simulated_seconds)}[/]  "
        if line.kind == "stage":
            if line.stage != "DescribeEndpoint":
                self.console.print(f"{stamp}[bold]{line.stage}[/]")
            return
        if line.kind == "result" and line.stage == "DescribeEndpoint":
            if line.endpoint_status == self._last:
                return
            self._last = line.endpoint_status or ""
        if line.kind == "end":
            colour = "green" if line.stage == "SUCCEEDED" else "red"
            # the failure's cause was printed already when a stage reported it
            detail = "" if line.detail == self._last_error else escape(line.detail)
            self.console.print(f"{stamp}[{colour}]{line.stage}[/] {detail}", soft_wrap=True)
            self._last = self._last_error = ""
            return
        colour = "yellow" if line.kind == "error" else "default"
        if line.kind == "error":
            self._last_error = line.detail
        self.console.print(f"{stamp}  [{colour}]{escape(line.detail)}[/]", soft_wrap=True)


def summary_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="Deployments (simulated time)", title_justify="left")
    for column in (
        "request",
        "status",
        "endpoint",
        "config",
        "endpoint status",
        "error",
        "sim s",
        "wall s",
    ):
        table.add_column(column)
    for o in outcomes:
        colour = "green" if o.status == "SUCCEEDED" else "red"
        table.add_row(
            o.request,
            f"[{colour}]{o.status}[/]",
            o.EndpointName or "-",
            o.EndpointConfigName or "-",
            o.EndpointStatus or "-",
            o.error or "-",
            f"{o.stats.simulated_seconds:.0f}" if o.stats else "-",
            f"{o.stats.wall_seconds:.2f}" if o.stats else "-",
        )
    return table


@app.command()
def local(
    requests: Annotated[
        list[Path],
        typer.Argument(
            help="Deployment request files (JSON), deployed in order.", metavar="REQUEST.json..."
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON array of results on stdout.")
    ] = False,
    creation_seconds: Annotated[
        float,
        typer.Option(min=0, help="Simulated seconds an endpoint spends Creating or Updating."),
    ] = 300.0,
    config_visibility_lag: Annotated[
        int,
        typer.Option(
            min=0,
            help="The first N CreateEndpoint/UpdateEndpoint calls after each new config fail "
            "with SageMaker's not-yet-visible ValidationException.",
        ),
    ] = 0,
    fail_endpoint: Annotated[
        str | None,
        typer.Option(metavar="REASON", help="The endpoint ends Failed with this FailureReason."),
    ] = None,
    rollback_update: Annotated[
        str | None,
        typer.Option(
            metavar="REASON",
            help="An update ends InService on the OLD config with this FailureReason.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for the retry jitter, for reproducible runs.")
    ] = None,
    deadline_seconds: Annotated[
        int | None,
        typer.Option(min=1, help="Deployment deadline in seconds (default 3600)."),
    ] = None,
) -> None:
    """Deploy each REQUEST through the real state machine in one fresh, embedded emulator.

    A later request for the same endpoint takes the update path. Exit 0 when every
    deployment succeeded, 1 when any failed, 2 on misuse.
    """
    bodies = [(str(path), read_request(path)) for path in requests]
    from smdeploy.runtime.emulator import Faults
    from smdeploy.runtime.local import LocalDeployment

    faults = Faults(
        creation_seconds=creation_seconds,
        config_visibility_lag=config_visibility_lag,
        fail_endpoint=fail_endpoint,
        rollback_update=rollback_update,
    )
    outcomes: list[Outcome] = []
    with LocalDeployment(faults=faults, seed=seed, deadline_seconds=deadline_seconds) as account:
        for label, body in bodies:
            err.print(f"[bold]Deploying {escape(label)}[/]")
            outcomes.append(account.deploy(body, label=label, on_progress=ProgressPrinter(err)))
    if as_json:
        sys.stdout.write(json.dumps([o.to_json() for o in outcomes], indent=2) + "\n")
    else:
        out.print(summary_table(outcomes))
    raise typer.Exit(EXIT_OK if all(o.status == "SUCCEEDED" for o in outcomes) else EXIT_FAILED)


def _share(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def variants_table(validation: Validation) -> Table:
    """The variants of a valid request, what each runs on, and its share of the traffic."""
    table = Table(title_justify="left", box=None, pad_edge=False)
    for column in ("variant", "model", "capacity", "traffic"):
        table.add_column(column, justify="right" if column == "traffic" else "left")
    fields = validation.request.fields if validation.request else {}
    for kind in ("ProductionVariants", "ShadowProductionVariants"):
        for variant in fields.get(kind, []):
            name = variant["VariantName"]
            if "ServerlessConfig" in variant:
                config = variant["ServerlessConfig"]
                capacity = (
                    f"serverless {config['MemorySizeInMB']} MB, "
                    f"up to {config['MaxConcurrency']} concurrent"
                )
            else:
                capacity = f"{variant.get('InitialInstanceCount')} x {variant.get('InstanceType')}"
            share = _share(validation.traffic[name]) if kind == "ProductionVariants" else "shadow"
            table.add_row(escape(name), escape(variant["ModelName"]), escape(capacity), share)
    return table


@app.command()
def validate(
    request: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="REQUEST.json",
            help="The deployment request to check (JSON).",
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='Print exactly one JSON object: {"valid", "errors": [{"path", "message"}], '
            '"traffic": {variant: share from 0 to 1}}.',
        ),
    ] = False,
) -> None:
    """Check REQUEST against every rule of the SageMaker APIs, offline; nothing is created.

    The same check as the Validate stage of a deployment. Exit 0 when the request is valid
    (its variants and their traffic shares are printed), 1 when it is not (every problem is
    printed, one a line, the field's path first), 2 on misuse.
    """
    try:
        body = request.read_bytes()
    except OSError as error:
        err.print(f"[red]error:[/] cannot read {escape(str(request))}: {escape(str(error))}")
        raise typer.Exit(EXIT_MISUSE) from None
    validation = load_validator()(body)
    if as_json:
        sys.stdout.write(json.dumps(validation.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif validation.request is not None:
        found = validation.request
        derived = " (derived from the content)" if found.config_name_derived else ""
        out.print(f"[green]valid[/]: {escape(str(request))}")
        out.print(f"  endpoint         {escape(found.endpoint_name)}")
        out.print(f"  endpoint config  {escape(found.endpoint_config_name)}{derived}")
        out.print(variants_table(validation))
    else:
        for violation in validation.violations:
            sys.stdout.write(f"{violation.path}: {violation.message}\n")
        count = len(validation.violations)
        noun = "problem" if count == 1 else "problems"
        err.print(f"[red]invalid[/]: {escape(str(request))}: {count} {noun}")
    raise typer.Exit(EXIT_OK if validation.valid else EXIT_FAILED)


@app.command()
def demo() -> None:
    """Register a model package, deploy it, then deploy its next version as an update,
    all offline; verify both deployments."""
    from smdeploy.demo import run_demo

    raise typer.Exit(run_demo(err, out))


def main() -> None:
    """Console-script entry point: usage errors exit 2 (click's convention)."""
    app()


if __name__ == "__main__":
    main()
