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
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deployer.errors import ProfileInvalid
from smdeploy import __version__, remote
from smdeploy.executions import Progress, watch
from smdeploy.guardrail_options import (
    AlarmDuringUpdate,
    FailInvoke,
    InvokeResponse,
    ScaledTo,
    guardrail_faults,
)
from smdeploy.validation import Validation, load_validator

if TYPE_CHECKING:  # the runtime (moto) is imported by the commands that run it
    from smdeploy.runtime.local import Outcome

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
        stamp = f"  [dim]{_clock(line.seconds)}[/]  "
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


# The simulation options, shared by ``local`` and ``emulator``.
CreationSeconds = Annotated[
    float,
    typer.Option(min=0, help="Simulated seconds an endpoint spends Creating or Updating."),
]
ConfigVisibilityLag = Annotated[
    int,
    typer.Option(
        min=0,
        help="The first N CreateEndpoint/UpdateEndpoint calls after each new config fail "
        "with SageMaker's not-yet-visible ValidationException.",
    ),
]
FailEndpoint = Annotated[
    str | None,
    typer.Option(metavar="REASON", help="The endpoint ends Failed with this FailureReason."),
]
RollbackUpdate = Annotated[
    str | None,
    typer.Option(
        metavar="REASON",
        help="An update ends InService on the OLD config with this FailureReason.",
    ),
]
DuplicateEvents = Annotated[
    bool,
    typer.Option(
        "--duplicate-events",
        help="Every Model Package State Change event is delivered twice (SageMaker may).",
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(help="Seed for the retry jitter and --jitter, for reproducible runs."),
]


def _throttle(values: list[str]) -> list[str]:
    from smdeploy.runtime.faults import FaultsInvalid, parse_throttle

    try:
        parse_throttle(values)
    except FaultsInvalid as error:
        raise typer.BadParameter(str(error)) from None
    return values


def _crash_after(value: str | None) -> str | None:
    from smdeploy.runtime.faults import CRASH_OPERATIONS

    if value is not None and value not in CRASH_OPERATIONS:
        raise typer.BadParameter(f"must be one of {', '.join(CRASH_OPERATIONS)}, got {value!r}")
    return value


Throttle = Annotated[
    list[str],
    typer.Option(
        metavar="OPERATION=COUNT",
        callback=_throttle,
        help="The first COUNT calls of the SageMaker OPERATION answer ThrottlingException "
        "(repeatable), e.g. DescribeEndpoint=3.",
    ),
]
CrashAfter = Annotated[
    str | None,
    typer.Option(
        metavar="OPERATION",
        callback=_crash_after,
        help="The Lambda invocation that calls OPERATION (CreateModel, CreateEndpointConfig, "
        "CreateEndpoint or UpdateEndpoint) dies once SageMaker has performed it "
        "(Runtime.ExitError).",
    ),
]
FaultTimes = Annotated[
    int | None,
    typer.Option(
        min=1,
        metavar="N",
        help="Each injected fault (--fail-endpoint, --rollback-update, --crash-after, "
        "--config-visibility-lag, --duplicate-events) happens only its first N times.",
    ),
]
Jitter = Annotated[
    float,
    typer.Option(
        min=0,
        metavar="SECONDS",
        help="A random real delay of 0 to SECONDS before each Lambda invocation (seeded by "
        "--seed), so that concurrent deployments interleave differently.",
    ),
]
ConfigRetention = Annotated[
    int | None,
    typer.Option(
        min=0,
        metavar="N",
        help="Endpoint configs kept per endpoint after a success (the deployer's "
        "SMDEPLOY_CONFIG_RETENTION; 0 or unset: keep all).",
    ),
]
DeadlineSeconds = Annotated[
    int | None,
    typer.Option(min=1, help="Deployment deadline in seconds (default 3600)."),
]
ProfilesFile = Annotated[
    Path | None,
    typer.Option(
        "--profiles",
        metavar="FILE",
        help="Deployment profiles (JSON: model package group -> profile); their groups' "
        "approvals deploy.",
    ),
]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        help="An AWS-compatible endpoint (e.g. smdeploy emulator's) instead of AWS.",
    ),
]


def read_profiles(path: Path | None) -> dict[str, Any] | None:
    """The profiles file's object, or None without a file; exit 2 when it is unreadable."""
    if path is None:
        return None
    try:
        profiles = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        err.print(f"[red]error:[/] cannot read the profiles {path}: {error}")
        raise typer.Exit(EXIT_MISUSE) from None
    if not isinstance(profiles, dict):
        err.print(f"[red]error:[/] {path}: must be an object of model package group -> profile")
        raise typer.Exit(EXIT_MISUSE)
    return profiles


def _refuse_profiles(error: ProfileInvalid) -> NoReturn:
    err.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
    raise typer.Exit(EXIT_MISUSE)


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
    profiles: ProfilesFile = None,
    creation_seconds: CreationSeconds = 300.0,
    config_visibility_lag: ConfigVisibilityLag = 0,
    fail_endpoint: FailEndpoint = None,
    rollback_update: RollbackUpdate = None,
    throttle: Throttle = [],  # noqa: B006 (typer's way to default a repeatable option)
    crash_after: CrashAfter = None,
    fault_times: FaultTimes = None,
    jitter: Jitter = 0.0,
    seed: Seed = None,
    deadline_seconds: DeadlineSeconds = None,
    config_retention: ConfigRetention = None,
    scaled_to: ScaledTo = None,
    alarm_during_update: AlarmDuringUpdate = None,
    invoke_response: InvokeResponse = None,
    fail_invoke: FailInvoke = None,
) -> None:
    """Deploy each REQUEST through the real state machine in one fresh, embedded emulator.

    A later request for the same endpoint takes the update path. Exit 0 when every
    deployment succeeded, 1 when any failed, 2 on misuse.
    """
    from smdeploy.runtime.faults import Faults, parse_throttle
    from smdeploy.runtime.local import LocalDeployment

    bodies = [(str(path), read_request(path)) for path in requests]
    faults = Faults(
        creation_seconds=creation_seconds,
        config_visibility_lag=config_visibility_lag,
        fail_endpoint=fail_endpoint,
        rollback_update=rollback_update,
        throttle=parse_throttle(throttle),
        crash_after=crash_after,
        times=fault_times,
        invocation_jitter=jitter,
        **guardrail_faults(scaled_to, alarm_during_update, invoke_response, fail_invoke),
    )
    outcomes: list[Outcome] = []
    deployment = LocalDeployment(
        faults=faults,
        seed=seed,
        deadline_seconds=deadline_seconds,
        profiles=read_profiles(profiles),
        config_retention=config_retention,
    )
    try:
        with deployment as account:
            for label, body in bodies:
                err.print(f"[bold]Deploying {escape(label)}[/]")
                outcomes.append(account.deploy(body, label=label, on_progress=ProgressPrinter(err)))
    except ProfileInvalid as error:
        _refuse_profiles(error)
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
def emulator(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")
    ] = 4566,
    profiles: ProfilesFile = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print what a client needs as one JSON object (one line) on stdout."
        ),
    ] = False,
    creation_seconds: CreationSeconds = 300.0,
    config_visibility_lag: ConfigVisibilityLag = 0,
    fail_endpoint: FailEndpoint = None,
    rollback_update: RollbackUpdate = None,
    duplicate_events: DuplicateEvents = False,
    throttle: Throttle = [],  # noqa: B006 (typer's way to default a repeatable option)
    crash_after: CrashAfter = None,
    fault_times: FaultTimes = None,
    jitter: Jitter = 0.0,
    seed: Seed = None,
    deadline_seconds: DeadlineSeconds = None,
    config_retention: ConfigRetention = None,
    scaled_to: ScaledTo = None,
    alarm_during_update: AlarmDuringUpdate = None,
    invoke_response: InvokeResponse = None,
    fail_invoke: FailInvoke = None,
) -> None:
    """Serve the embedded AWS on http://127.0.0.1:PORT with the deployer installed.

    Point any AWS client at it (--endpoint-url): approving a model package of a group with a
    profile deploys it, a manifest copied to the bucket deploys it, a direct execution
    deploys its request. Ctrl-C or SIGTERM stops it (exit 0); 2 on misuse.
    """
    from smdeploy.runtime.faults import Faults, parse_throttle
    from smdeploy.runtime.server import EmulatorServer, PortInUse
    from smdeploy.serve import serve

    faults = Faults(
        creation_seconds=creation_seconds,
        config_visibility_lag=config_visibility_lag,
        fail_endpoint=fail_endpoint,
        rollback_update=rollback_update,
        duplicate_package_events=duplicate_events,
        throttle=parse_throttle(throttle),
        crash_after=crash_after,
        times=fault_times,
        invocation_jitter=jitter,
        **guardrail_faults(scaled_to, alarm_during_update, invoke_response, fail_invoke),
    )
    server = EmulatorServer(
        port=port,
        profiles=read_profiles(profiles),
        faults=faults,
        seed=seed,
        deadline_seconds=deadline_seconds,
        config_retention=config_retention,
    )
    try:
        serve(server, out, err, as_json)
    except ProfileInvalid as error:
        _refuse_profiles(error)
    except PortInUse as error:
        err.print(f"[red]error:[/] {error}; choose another with --port")
        raise typer.Exit(EXIT_MISUSE) from None
    raise typer.Exit(EXIT_OK)


def _aws_call_failed(error: Exception, endpoint_url: str | None) -> NoReturn:
    if isinstance(error, ClientError):
        err.print(f"[red]error:[/] {escape(remote.error_text(error))}", soft_wrap=True)
    elif isinstance(error, NoCredentialsError):
        hint = " (any will do for smdeploy emulator)" if endpoint_url else ""
        err.print(f"[red]error:[/] no AWS credentials found{hint}")
    elif isinstance(error, EndpointConnectionError):
        err.print(f"[red]error:[/] cannot reach {error.kwargs.get('endpoint_url')}")
    else:
        err.print(f"[red]error:[/] {escape(str(error))}")
    raise typer.Exit(EXIT_MISUSE)


AWS_CALL_ERRORS = (ClientError, NoCredentialsError, EndpointConnectionError)


@app.command()
def start(
    request_file: Annotated[
        Path, typer.Argument(metavar="REQUEST.json", help="The deployment request (JSON).")
    ],
    state_machine_arn: Annotated[
        str,
        typer.Option("--state-machine-arn", metavar="ARN", help="The deployer's state machine."),
    ],
    endpoint_url: EndpointUrl = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the execution to its end; exit 0 or 1 with it."),
    ] = False,
    poll_seconds: Annotated[
        float, typer.Option(min=0.1, help="Seconds between looks at the execution (--wait).")
    ] = 2.0,
) -> None:
    """Start a deployment of REQUEST by the deployer's state machine (on AWS, or on any
    AWS-compatible endpoint).

    The execution's name is derived from the request's content, so submitting the same
    request again finds its execution (running or succeeded) instead of deploying twice;
    when that execution FAILED, TIMED_OUT or was ABORTED, a new attempt starts, named
    <name>-2, <name>-3, ... Prints the
    execution ARN on stdout. Exit 0 when started (with --wait: when it succeeded), 1 when
    it failed (--wait), 2 on misuse or when AWS refused the call.
    """
    request = read_request(request_file)
    if isinstance(request, str):
        err.print(f"[red]error:[/] {request_file} is not JSON (Step Functions takes JSON input)")
        raise typer.Exit(EXIT_MISUSE)
    try:
        sfn = remote.stepfunctions(state_machine_arn, endpoint_url)
        started = remote.start(sfn, state_machine_arn, request)
    except remote.BadArn:
        err.print(f"[red]error:[/] not a state machine ARN: {escape(state_machine_arn)}")
        raise typer.Exit(EXIT_MISUSE) from None
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    if started.existing:
        err.print(
            f"This request was submitted before: following its execution {started.name} "
            "instead of deploying it again."
        )
    elif started.previous is not None:
        err.print(
            f"This request's execution {started.previous.name} ended "
            f"{started.previous.status}: started attempt {started.attempt}, execution "
            f"{started.name}"
        )
    else:
        err.print(f"Started execution {started.name}")
    sys.stdout.write(started.execution_arn + "\n")
    sys.stdout.flush()
    if not wait:
        raise typer.Exit(EXIT_OK)
    try:
        watch(sfn, started.execution_arn, ProgressPrinter(err), poll_seconds)
        final = remote.report(sfn, started.execution_arn)
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    if final["status"] == "SUCCEEDED":
        if final.get("Skip"):
            err.print(f"[green]SUCCEEDED[/]: nothing deployed: {escape(str(final['Skip']))}")
        else:
            err.print(
                f"[green]SUCCEEDED[/]: {final['EndpointName']} is {final['EndpointStatus']} on "
                f"{final['EndpointConfigName']}"
            )
        raise typer.Exit(EXIT_OK)
    err.print(
        f"[red]{final['status']}[/]: {escape(str(final['error']))}: {escape(str(final['cause']))}",
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_FAILED)


@app.command()
def status(
    execution_arn: Annotated[str, typer.Argument(metavar="EXECUTION_ARN")],
    endpoint_url: EndpointUrl = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")
    ] = False,
) -> None:
    """Report where a deployer execution stands: its status, the stage it is in (or ended
    in), the endpoint and its status, start and stop, error and cause.

    Exit 0 when reported (whatever the execution's status), 2 on misuse or when AWS refused
    the call (no such execution, no credentials, endpoint unreachable).
    """
    try:
        sfn = remote.stepfunctions(execution_arn, endpoint_url)
        found = remote.report(sfn, execution_arn)
    except remote.BadArn:
        err.print(f"[red]error:[/] not an execution ARN: {escape(execution_arn)}")
        raise typer.Exit(EXIT_MISUSE) from None
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    if as_json:
        sys.stdout.write(json.dumps(found) + "\n")
        raise typer.Exit(EXIT_OK)
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in found.items():
        if value is not None:
            shown = json.dumps(value) if isinstance(value, dict) else str(value)
            table.add_row(key, escape(shown))
    out.print(table)
    raise typer.Exit(EXIT_OK)


@app.command()
def demo() -> None:
    """Register and approve a model package: the approval deploys it (create); then its
    next version (update). All offline, through the front door; verify both."""
    from smdeploy.demo import run_demo

    raise typer.Exit(run_demo(err, out))


def main() -> None:
    """Console-script entry point: usage errors exit 2 (click's convention)."""
    app()


if __name__ == "__main__":
    main()
