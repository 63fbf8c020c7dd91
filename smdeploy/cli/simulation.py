"""The simulation options of ``smdeploy local`` and ``smdeploy emulator``, declared once: what
the emulated account does to deployments (timings, injected faults, the guardrails'
autoscaling, rollback alarms and InvokeEndpoint), and the one function that turns them into
:class:`~smdeploy.runtime.faults.Faults` (:meth:`Simulation.faults`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smdeploy.cli.common import no_aws_profile
from smdeploy.params import number, whole

if TYPE_CHECKING:
    from smdeploy.runtime.faults import Faults

CreationSeconds = Annotated[
    float,
    typer.Option(
        parser=number(0),
        metavar="SECONDS",
        help=(
            "Simulated seconds to provision instances: an endpoint's creation, and an "
            "update's new fleet or each of its rolling batches, to which the update's policy "
            "adds its bakings (at least 0)."
        ),
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


def _crash_after(value: str | None) -> str | None:
    from smdeploy.runtime.faults import CRASH_OPERATIONS

    if value is not None and value not in CRASH_OPERATIONS:
        raise typer.BadParameter(f"must be one of {', '.join(CRASH_OPERATIONS)}, got {value!r}")
    return value


Throttle = Annotated[
    list[str],
    typer.Option(
        metavar="OPERATION=COUNT",
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
        "DescribeEndpointConfig, CreateEndpoint, UpdateEndpoint, CreateInferenceComponent or "
        "UpdateInferenceComponent) dies once SageMaker has performed it (Runtime.ExitError); "
        "the state machine retries the task.",
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
        help="Lose every SageMaker endpoint event: the once-a-minute sweep wakes the deployment.",
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
# the value of --alarm-during-update that means "the first alarm the update names"
FIRST_ALARM = "first"

ScaledTo = Annotated[
    int | None,
    typer.Option(
        min=1,
        metavar="N",
        help="A variant newly registered as a scalable target is scaled to N instances "
        "(within its min and max), as Application Auto Scaling would under load.",
    ),
]
AlarmDuringUpdate = Annotated[
    str | None,
    typer.Option(
        metavar="ALARM|first",
        help="During the next update whose AutoRollbackConfiguration names alarms, this alarm "
        "(or the first named) goes into ALARM: SageMaker rolls the update back.",
    ),
]
InvokeResponse = Annotated[
    str | None,
    typer.Option(
        metavar="BODY",
        help='What InvokeEndpoint answers (default {"predictions": [0.5]}).',
    ),
]
FailInvoke = Annotated[
    str | None,
    typer.Option(
        metavar="MESSAGE",
        help="InvokeEndpoint fails with a ModelError (the model's status 500, this message).",
    ),
]


@dataclass(frozen=True)
class Simulation:
    """The simulation options as given (each command's own defaults are these)."""

    creation_seconds: float = 300.0
    config_visibility_lag: int = 0
    fail_endpoint: str | None = None
    rollback_update: str | None = None
    duplicate_events: bool = False
    throttle: dict[str, int] = field(default_factory=dict)  # --throttle, parsed
    crash_after: str | None = None
    fault_times: int | None = None
    jitter: float = 0.0
    event_delay: float = 0.0
    drop_endpoint_events: bool = False
    drop_share: float | None = None
    seed: int | None = None
    deadline_seconds: int | None = None
    config_retention: int | None = None
    scaled_to: int | None = None
    alarm_during_update: str | None = None
    invoke_response: str | None = None
    fail_invoke: str | None = None

    def faults(self) -> Faults:
        """The one place the options become the emulator's faults."""
        from smdeploy.runtime.faults import Faults

        return Faults(
            creation_seconds=self.creation_seconds,
            config_visibility_lag=self.config_visibility_lag,
            fail_endpoint=self.fail_endpoint,
            rollback_update=self.rollback_update,
            duplicate_package_events=self.duplicate_events,
            throttle=dict(self.throttle),
            crash_after=self.crash_after,
            times=self.fault_times,
            invocation_jitter=self.jitter,
            event_delay=self.event_delay,
            drop_endpoint_events=1.0 if self.drop_endpoint_events else (self.drop_share or 0.0),
            scaled_to=self.scaled_to,
            alarm_during_update=(
                "" if self.alarm_during_update == FIRST_ALARM else self.alarm_during_update
            ),
            invoke_response=self.invoke_response,
            fail_invoke=self.fail_invoke,
        )


# Each option's declaration, in the order the help lists them (the field of the same name).
OPTIONS: dict[str, Any] = {
    "creation_seconds": CreationSeconds,
    "config_visibility_lag": ConfigVisibilityLag,
    "fail_endpoint": FailEndpoint,
    "rollback_update": RollbackUpdate,
    "duplicate_events": DuplicateEvents,
    "throttle": Throttle,
    "crash_after": CrashAfter,
    "fault_times": FaultTimes,
    "jitter": Jitter,
    "event_delay": EventDelay,
    "drop_endpoint_events": DropEndpointEvents,
    "drop_share": DropShare,
    "seed": Seed,
    "deadline_seconds": DeadlineSeconds,
    "config_retention": ConfigRetention,
    "scaled_to": ScaledTo,
    "alarm_during_update": AlarmDuringUpdate,
    "invoke_response": InvokeResponse,
    "fail_invoke": FailInvoke,
}


def _throttle(context: typer.Context, values: list[str]) -> dict[str, int]:
    """--throttle's one check: its values as operation -> count, or a usage error."""
    from smdeploy.runtime.faults import FaultsInvalid, parse_throttle

    try:
        return parse_throttle(values)
    except FaultsInvalid as error:
        raise typer.BadParameter(str(error), ctx=context, param_hint="'--throttle'") from None


def simulation_options(
    leave_out: frozenset[str] = frozenset(),
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the simulation options (but those in ``leave_out``), after its own:
    the command takes them as one ``simulation: Simulation`` parameter."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True)
        kept = [p for p in own.parameters.values() if p.name != "simulation"]
        defaults = {f.name: f.default for f in fields(Simulation)}
        defaults["throttle"] = []  # as given on the command line: none
        added = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name], annotation=option
            )
            for name, option in OPTIONS.items()
            if name not in leave_out
        ]

        @functools.wraps(command)
        def run(simulation_context: typer.Context, **values: Any) -> None:
            chosen = {p.name: values.pop(p.name) for p in added}
            chosen["throttle"] = _throttle(simulation_context, chosen.get("throttle", []))
            no_aws_profile()  # the embedded emulator's commands call no AWS account
            command(**values, simulation=Simulation(**chosen))

        context = inspect.Parameter(
            "simulation_context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
        )
        parameters = [context, *kept, *added]
        run.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
        return run

    return decorate
