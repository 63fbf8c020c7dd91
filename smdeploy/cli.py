"""The ``smdeploy`` command line: one thin function per command.

Exit codes: 0 every deployment succeeded (or the request is valid, or ``plan`` found nothing
to do); 1 a deployment failed (or the request is invalid); 2 misuse (unknown option, missing
or unreadable file, AWS refused the call); 3 ``plan`` found changes to make. Progress goes to
stderr; stdout carries only results (a table or the problems, or with ``--json`` exactly one
JSON document). How things are shown lives in :mod:`smdeploy.present`; files are read by
:mod:`smdeploy.files` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from deployer.errors import DeployerError, ProfileInvalid
from smdeploy import __version__, files, present, remote
from smdeploy.executions import watch as follow_execution
from smdeploy.guardrail_options import (
    AlarmDuringUpdate,
    FailInvoke,
    InvokeResponse,
    ScaledTo,
    guardrail_faults,
)
from smdeploy.helptext import Command
from smdeploy.params import number, whole
from smdeploy.validation import load_validator

if TYPE_CHECKING:
    from smdeploy.runtime.local import Outcome

EXIT_OK, EXIT_FAILED, EXIT_MISUSE, EXIT_CHANGES = 0, 1, 2, 3

app = typer.Typer(
    name="smdeploy",
    help="Deploy Amazon SageMaker real-time endpoints through a Step Functions state machine; "
    "run it all offline against an embedded emulator of AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        present.stdout().write(f"smdeploy {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """smdeploy: event-driven, serverless deployer of SageMaker real-time endpoints."""


def _fail(message: str, code: int = EXIT_MISUSE) -> NoReturn:
    present.error(present.stderr(), message)
    raise typer.Exit(code)


def _refused(refused: files.FileRefused) -> NoReturn:
    for line in refused.lines:
        present.error(present.stderr(), line)
    raise typer.Exit(refused.exit_code)


def read_request(path: Path) -> Any:
    """The request in ``path``, or exit (2: unreadable, 1: not JSON as smdeploy reads it)."""
    try:
        return files.read_json(path, "request")
    except files.FileRefused as refused:
        _refused(refused)


def read_profiles(path: Path | None) -> dict[str, Any] | None:
    """The profiles file's object, or None without a file; exit 2 when it is not usable."""
    if path is None:
        return None
    try:
        profiles = files.read_json(path, "profiles")
    except files.FileRefused as refused:
        refused.exit_code = EXIT_MISUSE
        _refused(refused)
    if not isinstance(profiles, dict):
        _fail(f"{path}: the profiles must be an object of model package group -> profile")
    return profiles


# The simulation options, shared by ``local`` and ``emulator``.
CreationSeconds = Annotated[
    float,
    typer.Option(
        parser=number(0),
        metavar="SECONDS",
        help="Simulated seconds an endpoint spends Creating or Updating (at least 0).",
    ),
]
ConfigVisibilityLag = Annotated[
    int,
    typer.Option(
        parser=whole(0),
        metavar="N",
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
    typer.Option(
        parser=whole(),
        metavar="N",
        help="Seed for the retry jitter and --jitter, for reproducible runs.",
    ),
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
        "DescribeEndpointConfig, CreateEndpoint or UpdateEndpoint) dies once SageMaker has "
        "performed it (Runtime.ExitError); the state machine retries the task.",
    ),
]
FaultTimes = Annotated[
    int | None,
    typer.Option(
        min=1,
        metavar="N",
        help="Each injected fault (--fail-endpoint, --rollback-update, --crash-after, "
        "--config-visibility-lag, --duplicate-events, --alarm-during-update, --fail-invoke) "
        "happens only its first N times.",
    ),
]
EventDelay = Annotated[
    float,
    typer.Option(
        min=0,
        metavar="SECONDS",
        help="Simulated seconds between a SageMaker endpoint change and its event's delivery.",
    ),
]
DropEndpointEvents = Annotated[
    bool,
    typer.Option(
        "--drop-endpoint-events",
        help="Lose every SageMaker endpoint event: the park timeout's DescribeEndpoint decides.",
    ),
]
DropShare = Annotated[
    float | None,
    typer.Option(
        min=0,
        max=1,
        metavar="SHARE",
        help="Lose this share (0 to 1) of the SageMaker endpoint events, chosen by --seed.",
    ),
]


def _drop_share(drop_all: bool, share: float | None) -> float:
    return 1.0 if drop_all else (share or 0.0)


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
    typer.Option(
        parser=whole(1),
        metavar="SECONDS",
        help="Deployment deadline in seconds (default 3600; at least 1).",
    ),
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
PollSeconds = Annotated[
    float,
    typer.Option(
        parser=number(0.1),
        metavar="SECONDS",
        help="Seconds between looks at the execution (at least 0.1).",
    ),
]


@app.command(cls=Command, short_help="Deploy requests through the real state machine, offline.")
def local(
    requests: Annotated[
        list[Path],
        typer.Argument(
            help="Deployment request files (JSON), deployed in order.",
            metavar="REQUEST.json",
            show_default=False,
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
    event_delay: EventDelay = 0.0,
    drop_endpoint_events: DropEndpointEvents = False,
    drop_share: DropShare = None,
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
    deployment succeeded, 1 when any failed (or a file is not JSON), 2 on misuse.
    """
    bodies = [(str(path), read_request(path)) for path in requests]
    profiles_read = read_profiles(profiles)
    # the runtime (moto) is imported once the files are known to be usable
    from smdeploy.runtime.faults import Faults, parse_throttle
    from smdeploy.runtime.local import LocalDeployment

    faults = Faults(
        creation_seconds=creation_seconds,
        config_visibility_lag=config_visibility_lag,
        fail_endpoint=fail_endpoint,
        rollback_update=rollback_update,
        throttle=parse_throttle(throttle),
        crash_after=crash_after,
        times=fault_times,
        invocation_jitter=jitter,
        event_delay=event_delay,
        drop_endpoint_events=_drop_share(drop_endpoint_events, drop_share),
        **guardrail_faults(scaled_to, alarm_during_update, invoke_response, fail_invoke),
    )
    err, out = present.stderr(), present.stdout()
    outcomes: list[Outcome] = []
    deployment = LocalDeployment(
        faults=faults,
        seed=seed,
        deadline_seconds=deadline_seconds,
        profiles=profiles_read,
        config_retention=config_retention,
    )
    try:
        with deployment as account:
            for label, body in bodies:
                present.heading(err, f"Deploying {label}")
                printer = present.ProgressPrinter(err)
                outcomes.append(account.deploy(body, label=label, on_progress=printer))
    except ProfileInvalid as error:
        _fail(str(error))
    if as_json:
        present.json_document(out, [o.to_json() for o in outcomes])
    else:
        present.summary(out, outcomes)
    raise typer.Exit(EXIT_OK if all(o.status == "SUCCEEDED" for o in outcomes) else EXIT_FAILED)


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
        body: Any = files.read_bytes(request, "request")
    except files.NotJson as refused:
        body = None
        problems = refused.problems
    except files.FileRefused as refused:
        _refused(refused)
    validation = load_validator()(body) if body is not None else None
    out = present.stdout()
    if validation is None:
        if as_json:
            errors = [{"path": p.path, "message": p.message} for p in problems]
            present.json_document(out, {"valid": False, "errors": errors, "traffic": {}})
        else:
            for problem in problems:
                out.write(f"{problem}\n")
            present.verdict(present.stderr(), "invalid", str(request))
        raise typer.Exit(EXIT_FAILED)
    if as_json:
        present.json_document(out, validation.to_json())
    else:
        present.validation(out, present.stderr(), str(request), validation)
    raise typer.Exit(EXIT_OK if validation.valid else EXIT_FAILED)


@app.command(cls=Command, short_help="Serve the embedded AWS, the deployer installed.")
def emulator(
    port: Annotated[
        int,
        typer.Option(
            parser=whole(0, 65535), metavar="PORT", help="Port on 127.0.0.1 (0: any free port)."
        ),
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
    event_delay: EventDelay = 0.0,
    drop_endpoint_events: DropEndpointEvents = False,
    drop_share: DropShare = None,
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
        event_delay=event_delay,
        drop_endpoint_events=_drop_share(drop_endpoint_events, drop_share),
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
        serve(server, present.stdout(), present.stderr(), as_json)
    except ProfileInvalid as error:
        _fail(str(error))
    except PortInUse as error:
        _fail(f"{error}; choose another with --port")
    raise typer.Exit(EXIT_OK)


AWS_CALL_ERRORS = (ClientError, BotoCoreError, DeployerError, remote.NoRegion)


def _aws_call_failed(error: Exception, endpoint_url: str | None) -> NoReturn:
    if isinstance(error, ClientError):
        _fail(remote.error_text(error))
    if isinstance(error, NoCredentialsError):
        hint = " (any will do for smdeploy emulator)" if endpoint_url else ""
        _fail(f"no AWS credentials found{hint}")
    _fail(str(error))


def _follow(sfn: Any, execution_arn: str, poll_seconds: float, endpoint_url: str | None) -> int:
    """Follow an execution to its end on stderr; its exit code (0 succeeded, 1 not)."""
    err = present.stderr()
    try:
        follow_execution(sfn, execution_arn, present.ProgressPrinter(err), poll_seconds)
        final = remote.report(sfn, execution_arn)
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    present.final_line(err, final)
    return EXIT_OK if final["status"] == "SUCCEEDED" else EXIT_FAILED


@app.command(cls=Command, short_help="Start a deployment by the deployer's state machine.")
def start(
    request_file: Annotated[
        Path,
        typer.Argument(
            metavar="REQUEST.json", help="The deployment request (JSON).", show_default=False
        ),
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
    poll_seconds: PollSeconds = 2.0,
) -> None:
    """Start a deployment of REQUEST by the deployer's state machine (on AWS, or on any
    AWS-compatible endpoint).

    The execution's name is derived from the request's content, so submitting the same
    request again finds its execution (running or succeeded) instead of deploying twice;
    when that execution FAILED, TIMED_OUT or was ABORTED, a new attempt starts, named
    <name>-2, <name>-3, ... Prints the
    execution ARN on stdout. Exit 0 when started (with --wait: when it succeeded), 1 when
    it failed (--wait) or the file is not JSON, 2 on misuse or when AWS refused the call.
    """
    request = read_request(request_file)
    err = present.stderr()
    try:
        sfn = remote.stepfunctions(state_machine_arn, endpoint_url)
        started = remote.start(sfn, state_machine_arn, request)
    except remote.BadArn:
        _fail(f"not a state machine ARN: {state_machine_arn}")
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    if not started.existing and started.previous is not None:
        err.print(
            f"This request's execution {started.previous.name} ended "
            f"{started.previous.status}: started attempt {started.attempt}, execution "
            f"{started.name}"
        )
    elif not started.existing:
        err.print(f"Started execution {started.name}")
    elif wait:
        err.print(
            f"This request was submitted before: following its execution {started.name} "
            "instead of deploying it again."
        )
    else:
        err.print(
            f"This request was submitted before: its execution is {started.name}; nothing "
            "was started (smdeploy status ARN, or --wait, shows how it went)."
        )
    present.stdout().write(started.execution_arn + "\n")
    if not wait:
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(_follow(sfn, started.execution_arn, poll_seconds, endpoint_url))


@app.command(cls=Command, short_help="Report where a deployer execution stands.")
def status(
    execution_arn: Annotated[
        str,
        typer.Argument(
            metavar="EXECUTION_ARN",
            help="The deployer execution to report on (as start prints it).",
            show_default=False,
        ),
    ],
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
        _fail(f"not an execution ARN: {execution_arn}")
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    if as_json:
        present.json_document(present.stdout(), found)
    else:
        present.status(present.stdout(), found)
    raise typer.Exit(EXIT_OK)


@app.command(cls=Command, short_help="Say what a deployment would do (reads only).")
def plan(
    request_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="REQUEST.json",
            help="The deployment request to plan (JSON); or --approval.",
            show_default=False,
        ),
    ] = None,
    approval: Annotated[
        str | None,
        typer.Option(
            "--approval",
            metavar="MODEL_PACKAGE_ARN",
            help="Plan what approving this model package would deploy (needs --profiles).",
        ),
    ] = None,
    profiles: Annotated[
        Path | None,
        typer.Option(
            "--profiles", metavar="FILE", help="The deployment profiles (with --approval)."
        ),
    ] = None,
    sagemaker_role_arn: Annotated[
        str | None,
        typer.Option(
            "--sagemaker-role-arn",
            metavar="ARN",
            help="With --approval: the deployer's SageMaker execution role for the package's "
            "model (default: the profile's, else the installed deployer's).",
        ),
    ] = None,
    config_retention: Annotated[
        int,
        typer.Option(
            parser=whole(0),
            metavar="N",
            help="The deployer's config retention, to show what it would delete (0: keeps all).",
        ),
    ] = 0,
    region: Annotated[
        str | None,
        typer.Option(metavar="REGION", help="The endpoint's Region (default: your AWS config's)."),
    ] = None,
    endpoint_url: EndpointUrl = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")
    ] = False,
) -> None:
    """Say what deploying REQUEST (or approving a model package) would do, reading the
    account only: the request's problems, the action (CREATE, UPDATE, NONE...), what changes
    from the config the endpoint serves, the models and config to create, what retention
    would delete.

    Exit 0 when there is nothing to do, 3 when the deployment would change something, 1 when
    the request is invalid or the deployment would fail, 2 on misuse or when AWS refused a
    call. Nothing is ever created, updated, tagged or deleted.
    """
    from smdeploy import planning

    if (request_file is None) == (approval is None):
        _fail("give one REQUEST.json, or --approval MODEL_PACKAGE_ARN (with --profiles FILE)")
    if approval is not None and profiles is None:
        _fail("--approval needs --profiles FILE: the deployment profiles of the deployer")
    try:
        if approval is not None:
            report = planning.plan_approval(
                approval,
                planning.Target(region, endpoint_url, config_retention),
                read_profiles(profiles) or {},
                sagemaker_role_arn,
            )
        else:
            assert request_file is not None
            validation = load_validator()(read_request(request_file))
            if validation.valid:
                sagemaker = remote.client("sagemaker", region, endpoint_url)
                report = planning.plan(validation, sagemaker, config_retention)
            else:
                report = planning.rejected(validation)
    except planning.CannotPlan as error:
        _fail(str(error), error.exit_code)
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    if as_json:
        present.json_document(present.stdout(), report.to_json())
    else:
        present.plan(present.stdout(), report)
    if not report.valid or (report.blocked and not report.blocked["retryable"]):
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(EXIT_CHANGES if report.changes or report.blocked else EXIT_OK)


@app.command(cls=Command, short_help="Follow the deployment an approval started.")
def watch(
    model_package_arn: Annotated[
        str,
        typer.Option(
            "--model-package-arn",
            metavar="ARN",
            help="The approved model package whose deployment to follow.",
        ),
    ],
    state_machine_arn: Annotated[
        str | None,
        typer.Option(
            "--state-machine-arn",
            metavar="ARN",
            help="The deployer's state machine (default: the one the approval rules start).",
        ),
    ] = None,
    endpoint_url: EndpointUrl = None,
    appear_seconds: Annotated[
        float,
        typer.Option(
            parser=number(0),
            metavar="SECONDS",
            help="How long to wait for the approval's execution to appear.",
        ),
    ] = 120.0,
    poll_seconds: PollSeconds = 2.0,
) -> None:
    """Follow the deployment that approving a model package started, as start --wait does.

    For a pipeline that approves a package (AWS CLI, SageMaker Python SDK) and must wait for
    the endpoint: finds the execution the approval's event started (waiting for it to appear,
    at most --appear-seconds), then follows it. Exit 0 when it succeeded, 1 when it failed or
    no execution appeared in time, 2 on misuse or when AWS refused a call.
    """
    from smdeploy import approvals

    err = present.stderr()
    try:
        found = approvals.wait_for_execution(
            model_package_arn,
            state_machine_arn,
            endpoint_url,
            appear_seconds,
            poll_seconds,
            on_pending=lambda status: err.print(
                f"{model_package_arn} is {status}: waiting for its approval and the execution "
                "it starts"
            ),
        )
        sfn = remote.stepfunctions(found, endpoint_url)
    except approvals.NotFound as error:
        _fail(str(error), error.exit_code)
    except AWS_CALL_ERRORS as error:
        _aws_call_failed(error, endpoint_url)
    err.print(f"Following execution {found.rsplit(':', 1)[-1]} (the approval's)")
    present.stdout().write(found + "\n")
    raise typer.Exit(_follow(sfn, found, poll_seconds, endpoint_url))


@app.command(cls=Command, short_help="Approve models offline: create, update, with guardrails.")
def demo() -> None:
    """Register and approve model packages of two groups: each approval deploys its version
    (create, then update), the second group with its profile's guardrails (autoscaling,
    rollback alarms, smoke test). All offline, through the front door; verify each."""
    from smdeploy.demo import run_demo

    err, out = present.stderr(), present.stdout()
    outcomes, failures = run_demo(err)
    present.summary(out, outcomes)
    raise typer.Exit(EXIT_FAILED if failures else EXIT_OK)


def main() -> None:
    """Console-script entry point: usage errors exit 2 (click's convention)."""
    app()


if __name__ == "__main__":
    main()
