"""The event-driven wait: who is parked on an endpoint, and when to wake them. Pure.

After Deploy, an execution parks on a task token (``.waitForTaskToken``): the Wait function
stores the token in the deployer's table against the endpoint and the config being deployed
(:class:`Waiter`, in the endpoint's :class:`Waits` item), then calls DescribeEndpoint once, so
that an endpoint that settled before the token was stored is not missed. SageMaker emits
"SageMaker Endpoint State Change" events on EventBridge
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html);
a rule sends those of the deployer's endpoints to the same function, which calls
DescribeEndpoint once (the event has no FailureReason, and the ``IN_SERVICE`` event that ends
a rolled-back update names the old config) and completes every waiter :func:`decide` settles.
Delivery is best effort and events may repeat: a duplicate finds no waiter, a late one finds
the endpoint as DescribeEndpoint says it is, and a lost one costs at most one park timeout,
after which the execution re-parks (one DescribeEndpoint). "SageMaker Endpoint Deployment
State Change" events (canary baking, traffic shifting, ...) only add to the recorded
:class:`Step` progress.

The decision reuses :func:`deployer.decide.outcome.assess`, the deployer's one success rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict

from deployer import interface
from deployer.basemodel import Model
from deployer.decide.outcome import assess, elapsed_seconds
from deployer.decide.plan import TRANSITIONAL
from deployer.errors import DeployerError, EndpointFailed, EndpointUpdateRolledBack
from deployer.payloads.pieces import Action, Step
from deployer.payloads.results import Wakeup

SOURCE = interface.ENDPOINT_SOURCE
ENDPOINT_STATE_CHANGE = interface.ENDPOINT_STATE_CHANGE
DEPLOYMENT_STATE_CHANGE = interface.ENDPOINT_DEPLOYMENT_STATE_CHANGE
# How many progress steps an endpoint's item keeps (newest last).
STEPS_REMEMBERED = 30
# Event statuses come in UPPER_SNAKE form (IN_SERVICE); DescribeEndpoint's in CamelCase.


def api_status(status: str) -> str:
    """``IN_SERVICE`` -> ``InService``; a status already in the API's casing is kept."""
    if "_" not in status and not status.isupper():
        return status
    return "".join(part.capitalize() for part in status.split("_"))


def is_final(status: str) -> bool:
    """Whether an endpoint status (either casing) ends a change: anything not transitional
    (InService, Failed, UpdateRollbackFailed, OutOfService, Deleting, and DELETED, which
    only events have)."""
    return api_status(status) not in TRANSITIONAL


class Waiter(Model):
    """One parked execution: the token to complete, and what it waits for."""

    model_config = ConfigDict(frozen=True)

    Execution: str  # the execution name
    Token: str
    EndpointConfigName: str  # the config it deployed
    Action: Action
    StartedAt: datetime  # when its deadline started
    DeadlineSeconds: int


class Waits(Model):
    """The second item the table holds per endpoint: its parked executions, its progress."""

    Endpoint: str  # the lower-cased endpoint name
    Version: int = 0
    # by execution name
    Waiters: dict[str, Waiter] = {}  # noqa: RUF012 (pydantic copies it for each instance)
    Steps: list[Step] = []  # noqa: RUF012 (pydantic copies it for each instance)


def register(waits: Waits, waiter: Waiter) -> Waits:
    """``waiter`` parked (a re-park of the same execution replaces its expired token)."""
    return waits.model_copy(update={"Waiters": {**waits.Waiters, waiter.Execution: waiter}})


def unregister(waits: Waits, executions: set[str]) -> Waits:
    kept = {name: w for name, w in waits.Waiters.items() if name not in executions}
    return waits.model_copy(update={"Waiters": kept})


def note(waits: Waits, steps: list[Step]) -> Waits:
    """Add progress steps; one already recorded (a repeated event) is not added twice."""
    known = set(waits.Steps)
    merged = waits.Steps + [s for s in steps if s not in known]
    return waits.model_copy(update={"Steps": merged[-STEPS_REMEMBERED:]})


class Kind(StrEnum):
    WAIT = "WAIT"  # not settled: stay parked
    WAKE = "WAKE"  # settled: SendTaskSuccess, the Describe state reads the outcome
    FAIL = "FAIL"  # failed: SendTaskFailure with the deployer's error name


class Verdict(Model):
    Kind: Kind
    Output: Wakeup | None = None  # WAKE: the park task's output
    Error: str | None = None
    Cause: str | None = None


def decide(description: dict[str, Any] | None, waiter: Waiter, now: datetime) -> Verdict:
    """What one DescribeEndpoint means to one parked execution.

    Success (InService on its config, no FailureReason) wakes it; so does an ``InService``
    on another config (rolled back, or a newer deployment took over: the Describe state tells
    which, against the lease's record). Failed, UpdateRollbackFailed, gone, or the deadline
    passed: fail it with the error the Describe state would raise. Still changing: wait.
    """
    if description is None:
        error = EndpointFailed(f"endpoint of {waiter.Execution} disappeared during the deployment")
        return Verdict(Kind=Kind.FAIL, Error=type(error).__name__, Cause=str(error))
    try:
        assessment = assess(
            description,
            target_config=waiter.EndpointConfigName,
            action=waiter.Action,
            elapsed=elapsed_seconds(waiter.StartedAt, now),
            deadline_seconds=waiter.DeadlineSeconds,
        )
    except EndpointUpdateRolledBack:
        return Verdict(Kind=Kind.WAKE, Output=_woken(description, "not on its config"))
    except DeployerError as error:
        return Verdict(Kind=Kind.FAIL, Error=type(error).__name__, Cause=str(error))
    if assessment.Done:
        return Verdict(Kind=Kind.WAKE, Output=_woken(description, assessment.Message))
    return Verdict(Kind=Kind.WAIT)


def _woken(description: dict[str, Any], why: str) -> Wakeup:
    return Wakeup(
        EndpointStatus=description["EndpointStatus"],
        EndpointConfigName=description.get("EndpointConfigName"),
        Message=f"{description['EndpointName']} settled: {why}",
        Description=description,
    )


def _moment(value: Any) -> datetime | None:
    """An event time: epoch milliseconds (number or digits) or ISO 8601."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


class Notice(Model):
    """What an event says, in the deployer's terms."""

    EndpointName: str
    Final: bool  # a final status: DescribeEndpoint, then wake whom it settles
    Steps: list[Step]


def read_event(event: dict[str, Any]) -> Notice:
    """A SageMaker endpoint event (either type, either status casing) as a :class:`Notice`.

    Raises ValueError naming the field when the event is not one."""
    kind = event.get("detail-type")
    known = (ENDPOINT_STATE_CHANGE, DEPLOYMENT_STATE_CHANGE)
    if event.get("source") != SOURCE or kind not in known:
        raise ValueError(
            f"detail-type: expected {ENDPOINT_STATE_CHANGE!r} or {DEPLOYMENT_STATE_CHANGE!r} "
            f"from {SOURCE}, got {kind!r} from {event.get('source')!r}"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("EndpointName"), str):
        raise ValueError("detail.EndpointName: required (a string)")
    status = detail.get("EndpointStatus")
    at = (
        _moment(detail.get("LastModifiedTime"))
        or _moment(event.get("time"))
        or datetime.fromtimestamp(0, tz=UTC)
    )
    steps: list[Step] = []
    if kind == DEPLOYMENT_STATE_CHANGE:
        pending = detail.get("PendingDeploymentSummary") or {}
        for variant in pending.get("ProductionVariants") or detail.get("ProductionVariants") or []:
            for entry in variant.get("VariantStatus") or []:
                steps.append(
                    Step(
                        At=_moment(entry.get("StartTime")) or at,
                        Variant=variant.get("VariantName"),
                        Status=entry.get("Status"),
                        Message=entry.get("StatusMessage") or "",
                    )
                )
        return Notice(EndpointName=detail["EndpointName"], Final=False, Steps=steps)
    if not isinstance(status, str):
        raise ValueError("detail.EndpointStatus: required in an Endpoint State Change")
    steps.append(Step(At=at, EndpointStatus=api_status(status)))
    return Notice(EndpointName=detail["EndpointName"], Final=is_final(status), Steps=steps)
