"""Reading a deployer execution through the Step Functions API: its history as it grows, and
what each event means for a person watching (the stage, what it found, the endpoint status).

What each stage's output is comes from :data:`deployer.payloads.execution.RESULTS` (by the ASL
state's name).
Used alike by the embedded runtime (``smdeploy local``, ``smdeploy demo``) and by
``smdeploy start --wait`` / ``smdeploy status`` against AWS or any AWS-compatible endpoint:
only the ``stepfunctions`` client differs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from deployer.payloads.execution import result_of
from deployer.payloads.pieces import Payload, Trigger
from deployer.payloads.results import (
    Accepted,
    Admitted,
    ComponentsProgress,
    ConfigureResult,
    DeployResult,
    Described,
    Prepared,
    RestoreProgress,
    Scaled,
    Skipped,
    SmokeTested,
    Wakeup,
)
from smdeploy import resources

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import PaginatorConfigTypeDef


@dataclass(frozen=True)
class Progress:
    """A line of progress: a stage started, what it found, an error, a retry, or the end.

    ``kind`` is one of "stage", "result", "step", "error", "retry", "end"; ``stage`` names the
    ASL state; ``endpoint_status`` is the EndpointStatus a stage reported, when it reported one;
    ``seconds`` counts from the execution's start, on the execution's own clock. An "error"
    that the state machine retries is a "retry": ``retry`` says which (1: the first), of
    ``max_attempts`` (None: until the deployment's deadline); ``error`` is the error's name.
    """

    seconds: float
    kind: str
    stage: str
    detail: str
    endpoint_status: str | None = None
    error: str | None = None
    retry: int | None = None
    max_attempts: int | None = None

    def retry_text(self) -> str:
        """``retry 1 of 8 after <error>: <cause>`` (a retry's line, in words)."""
        of = f" of {self.max_attempts}" if self.max_attempts else " (until the deadline)"
        return f"retry {self.retry}{of} after {self.detail}"


ProgressCallback = Callable[[Progress], None]


def readable_cause(cause: str | None) -> str | None:
    """The errorMessage of a Lambda error report, else the cause as it is."""
    if not cause:
        return cause
    try:
        report = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(report, dict) and "errorMessage" in report:
        return str(report["errorMessage"])
    return cause


# the most events one GetExecutionHistory call gives (100 when not asked for more)
WHOLE_PAGE = 1000


def history(sfn: SFNClient, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution's history, oldest first."""
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, PaginationConfig={"PageSize": WHOLE_PAGE}
    )
    return [dict(event) for page in pages for event in page["events"]]


# events per GetExecutionHistory page once some were seen: a look at a running execution
# reads the few events since the last look, not a whole page
LOOK_PAGE = 20


def events_after(sfn: SFNClient, execution_arn: str, seen: int) -> list[dict[str, Any]]:
    """The execution's history events after the first ``seen``, oldest first: read newest
    first, page by page, back to the last one seen (an event's id is its place in the
    history, from 1: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html)."""
    config: PaginatorConfigTypeDef = {"PageSize": LOOK_PAGE if seen else WHOLE_PAGE}
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, reverseOrder=True, PaginationConfig=config
    )
    newer: list[dict[str, Any]] = []
    for page in pages:
        for event in page["events"]:
            if event["id"] <= seen:
                return newer[::-1]
            newer.append(dict(event))
    return newer[::-1]


def follow(
    sfn: SFNClient, execution_arn: str, live: bool, poll_seconds: float
) -> Iterator[dict[str, Any]]:
    """Yield the execution's history events until it ends: as they happen when ``live``
    (each look reads only the events since the last), else all at the end (reading the
    history competes with an in-process execution)."""
    seen = 0
    while True:
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        if live or status != "RUNNING":
            events = events_after(sfn, execution_arn, seen)
            yield from events
            seen = events[-1]["id"] if events else seen
        if status != "RUNNING":
            return
        time.sleep(poll_seconds)


def progress_of(event: dict[str, Any], state: str, seconds: float) -> Progress | None:
    """What one history event means to a person watching (None: nothing worth a line)."""
    kind = event["type"]
    if kind == "TaskStateEntered":
        return Progress(seconds, "stage", state, "")
    if kind in FAILURES:
        details = event.get(FAILURES[kind], {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return Progress(seconds, "error", state, message, error=details.get("error"))
    if kind == "LambdaFunctionSucceeded":
        result = result_of(state, output_of(event))
        return None if result is None else _result_line(result, state, seconds)
    if kind == "ExecutionFailed":
        details = event.get("executionFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return Progress(seconds, "end", "FAILED", message)
    if kind == "ExecutionSucceeded":
        details = event.get("executionSucceededEventDetails", {})
        try:
            output = json.loads(details.get("output") or "null")
        except ValueError:
            output = None
        if isinstance(output, dict) and output.get("Action") == "SUPERSEDED":
            # succeeded in Step Functions, but a newer deployment (or a rejection) took over
            # (the stage that found it said by whom and why)
            return Progress(seconds, "end", "SUPERSEDED", "")
        return Progress(seconds, "end", "SUCCEEDED", "")
    if kind in ("ExecutionAborted", "ExecutionTimedOut"):
        return Progress(seconds, "end", kind.removeprefix("Execution").upper(), "")
    return None


# The history events of a Task's failed attempt, and where each keeps its error and cause
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html)
FAILURES = {
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "TaskFailed": "taskFailedEventDetails",
}
# A MaxAttempts this large means "until the deployment's deadline" (the ASL's 3000): the
# deployer's own deadline ends the retries first.
UNTIL_THE_DEADLINE = 100


@dataclass(frozen=True)
class Retrier:
    """One Retry of a state: the errors it matches and how many retries it allows."""

    errors: tuple[str, ...]
    max_attempts: int

    def matches(self, error: str) -> bool:
        """As Step Functions matches a retrier: by name, ``States.ALL``, or
        ``States.TaskFailed`` for any error but ``States.Timeout``
        (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
        if error in self.errors or "States.ALL" in self.errors:
            return True
        return "States.TaskFailed" in self.errors and error != "States.Timeout"


@cache
def retriers() -> dict[str, tuple[Retrier, ...]]:
    """Each state's retriers, in order, from the state machine's definition (MaxAttempts
    defaults to 3)."""
    states = json.loads(resources.DEFINITION.read_text())["States"]
    return {
        name: tuple(
            Retrier(tuple(r["ErrorEquals"]), int(r.get("MaxAttempts", 3)))
            for r in state.get("Retry", [])
        )
        for name, state in states.items()
    }


class RetryCounter:
    """Which failed attempts the state machine retries, counted as Step Functions counts them:
    per retrier, from the state's entry (the first retrier that matches the error decides; once
    its MaxAttempts are spent, the error is the state's failure)."""

    def __init__(self) -> None:
        self._spent: dict[int, int] = {}

    def entered(self) -> None:
        self._spent = {}

    def failed(self, state: str, error: str) -> tuple[int, int | None] | None:
        """(which retry, of how many: None until the deadline), or None: not retried."""
        for index, retrier in enumerate(retriers().get(state, ())):
            if retrier.matches(error):
                spent = self._spent.get(index, 0)
                if spent >= retrier.max_attempts:
                    return None
                self._spent[index] = spent + 1
                limit = retrier.max_attempts
                return spent + 1, (limit if limit < UNTIL_THE_DEADLINE else None)
        return None

    def see(self, line: Progress) -> Progress:
        """``line`` as a retry when it is an error the state machine retries."""
        if line.kind != "error" or line.error is None:
            return line
        retried = self.failed(line.stage, line.error)
        if retried is None:
            return line
        return replace(line, kind="retry", retry=retried[0], max_attempts=retried[1])


def output_of(event: dict[str, Any]) -> Any:
    """The output a Task state's history event carries (a Lambda function's answer, or what
    completed a park's task token); None for any other event."""
    details = event.get("lambdaFunctionSucceededEventDetails") or event.get(
        "taskSucceededEventDetails"
    )
    if not isinstance(details, dict):
        return None
    return json.loads(details.get("output") or "null")


def _result_line(result: Payload, state: str, seconds: float) -> Progress | None:
    """What a stage found, as one line (None: nothing worth saying)."""
    text: str | None
    status = None
    if isinstance(result, ConfigureResult):
        verb = "created" if result.ConfigCreated else "exists with this content; reused"
        models = ", ".join(result.ModelsCreated)
        text = f"{result.EndpointConfigName} {verb}" + (
            f"; models created: {models}" if models else ""
        )
    elif isinstance(result, Skipped):
        text = _origin(result.Trigger) + result.Skip
    elif isinstance(result, Accepted):
        text = _origin(result.Trigger) + f"valid; config {result.EndpointConfigName}"
    elif isinstance(result, DeployResult):
        text = result.Reason
    elif isinstance(result, Described | Wakeup):
        text, status = result.Message, result.EndpointStatus
    elif isinstance(result, SmokeTested):
        text = result.Message or result.Failure
    elif isinstance(result, Admitted | Prepared | RestoreProgress | Scaled | ComponentsProgress):
        text = result.Message
    else:  # Released, Published: nothing to say
        text = None
    return None if text is None else Progress(seconds, "result", state, text, status)


def progress_lines(
    event: dict[str, Any], state: str, seconds: float, started: datetime
) -> list[Progress]:
    """Every line one history event is worth: :func:`progress_of`'s, and for the park task
    (woken by SageMaker's events) the deployment steps SageMaker reported meanwhile (canary
    baking, traffic shifting, ...), each at its own time, and that it was woken."""
    kind = event["type"]
    if kind == "TaskSucceeded":
        woken = result_of(state, output_of(event))
        if not isinstance(woken, Wakeup):
            return []
        lines = [
            Progress(_since(step.At, started, seconds), "step", state, step.describe())
            for step in woken.Steps
        ]
        # what woke it; the outcome is the next state's line (Describe decides from this very
        # description), said once
        name = woken.Description.get("EndpointName", "the endpoint")
        lines.append(Progress(seconds, "result", state, f"woken: {name} settled"))
        return lines
    if kind == "TaskTimedOut":
        return [Progress(seconds, "result", state, "no event came in time: looking again")]
    line = progress_of(event, state, seconds)
    return [line] if line is not None else []


def _since(moment: datetime, started: datetime, fallback: float) -> float:
    try:
        return max(0.0, float((moment - started).total_seconds()))
    except TypeError:  # a naive time: not comparable
        return fallback


def _origin(trigger: Trigger) -> str:
    """What started the execution, when it was not a direct request: "approval of ARN: "."""
    if trigger.Source == "direct":
        return ""
    what = trigger.ModelPackageArn or trigger.ManifestUri or ""
    return f"{trigger.Source} of {what}: " if what else f"{trigger.Source}: "


def watch(
    sfn: SFNClient,
    execution_arn: str,
    on_progress: ProgressCallback | None,
    poll_seconds: float,
) -> list[dict[str, Any]]:
    """Follow the execution to its end, reporting progress; return its whole history."""
    events: list[dict[str, Any]] = []
    state = ""
    retries = RetryCounter()
    for event in follow(
        sfn, execution_arn, live=on_progress is not None, poll_seconds=poll_seconds
    ):
        events.append(event)
        if "stateEnteredEventDetails" in event:
            state = event["stateEnteredEventDetails"]["name"]
            retries.entered()
        if on_progress is not None:
            since = (event["timestamp"] - events[0]["timestamp"]).total_seconds()
            for line in progress_lines(event, state, since, events[0]["timestamp"]):
                on_progress(retries.see(line))
    return events


def retried(events: list[dict[str, Any]]) -> list[Progress]:
    """The retried attempts in an execution's history, as "retry" lines."""
    state, found = "", []
    retries = RetryCounter()
    for event in events:
        if "stateEnteredEventDetails" in event:
            state = event["stateEnteredEventDetails"]["name"]
            retries.entered()
        if event["type"] in FAILURES:
            since = (event["timestamp"] - events[0]["timestamp"]).total_seconds()
            line = progress_of(event, state, since)
            if line is not None and (line := retries.see(line)).kind == "retry":
                found.append(line)
    return found
