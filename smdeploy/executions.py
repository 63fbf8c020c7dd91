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
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deployer.payloads.execution import result_of
from deployer.payloads.pieces import Payload, Trigger
from deployer.payloads.results import (
    Accepted,
    Admitted,
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

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


@dataclass(frozen=True)
class Progress:
    """A line of progress: a stage started, what it found, an error, or the end.

    ``kind`` is one of "stage", "result", "error", "end"; ``stage`` names the ASL state;
    ``endpoint_status`` is the EndpointStatus a stage reported, when it reported one;
    ``seconds`` counts from the execution's start, on the execution's own clock.
    """

    seconds: float
    kind: str
    stage: str
    detail: str
    endpoint_status: str | None = None


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


def history(sfn: SFNClient, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution's history, oldest first."""
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [dict(event) for page in pages for event in page["events"]]


def follow(
    sfn: SFNClient, execution_arn: str, live: bool, poll_seconds: float
) -> Iterator[dict[str, Any]]:
    """Yield the execution's history events until it ends: as they happen when ``live``,
    else all at the end (reading the history competes with an in-process execution)."""
    seen = 0
    while True:
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        if live or status != "RUNNING":
            events = history(sfn, execution_arn)
            yield from events[seen:]
            seen = len(events)
        if status != "RUNNING":
            return
        time.sleep(poll_seconds)


def progress_of(event: dict[str, Any], state: str, seconds: float) -> Progress | None:
    """What one history event means to a person watching (None: nothing worth a line)."""
    kind = event["type"]
    if kind == "TaskStateEntered":
        return Progress(seconds, "stage", state, "")
    if kind == "LambdaFunctionFailed":
        details = event.get("lambdaFunctionFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return Progress(seconds, "error", state, message)
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
    elif isinstance(result, Admitted | Prepared | RestoreProgress | Scaled):
        text = result.Message
    else:  # Released, Published: nothing to say
        text = None
    return None if text is None else Progress(seconds, "result", state, text, status)


def progress_lines(
    event: dict[str, Any], state: str, seconds: float, started: datetime
) -> list[Progress]:
    """Every line one history event is worth: :func:`progress_of`'s, and for the park task
    (woken by SageMaker's events) what woke it and the deployment steps SageMaker reported
    meanwhile (canary baking, traffic shifting, ...), each at its own time."""
    kind = event["type"]
    if kind == "TaskSucceeded":
        woken = result_of(state, output_of(event))
        if not isinstance(woken, Wakeup):
            return []
        lines = [
            Progress(_since(step.At, started, seconds), "step", state, step.describe())
            for step in woken.Steps
        ]
        lines.append(Progress(seconds, "result", state, woken.Message, woken.EndpointStatus))
        return lines
    if kind == "TaskTimedOut":
        return [Progress(seconds, "result", state, "no event came in time: looking again")]
    if kind == "TaskFailed":
        details = event.get("taskFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return [Progress(seconds, "error", state, message)]
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
    for event in follow(
        sfn, execution_arn, live=on_progress is not None, poll_seconds=poll_seconds
    ):
        events.append(event)
        if "stateEnteredEventDetails" in event:
            state = event["stateEnteredEventDetails"]["name"]
        if on_progress is not None:
            since = (event["timestamp"] - events[0]["timestamp"]).total_seconds()
            for line in progress_lines(event, state, since, events[0]["timestamp"]):
                on_progress(line)
    return events
