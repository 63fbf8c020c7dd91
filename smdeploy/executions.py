"""Reading a deployer execution through the Step Functions API: its history as it grows, and
what each event means for a person watching (the stage, what it found, the endpoint status).

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
        output = json.loads(event["lambdaFunctionSucceededEventDetails"].get("output") or "{}")
        if not isinstance(output, dict):
            return None
        if "ConfigCreated" in output:
            verb = "created" if output["ConfigCreated"] else "exists with this content; reused"
            models = ", ".join(output.get("ModelsCreated", []))
            made = f"; models created: {models}" if models else ""
            return Progress(
                seconds, "result", state, f"{output['EndpointConfigName']} {verb}{made}"
            )
        if "Skip" in output:
            return Progress(seconds, "result", state, _origin(output) + str(output["Skip"]))
        for key in ("Message", "Reason"):
            if key in output:
                status = output.get("EndpointStatus")
                return Progress(seconds, "result", state, str(output[key]), status)
        if "EndpointConfigName" in output:
            found = f"valid; config {output['EndpointConfigName']}"
            return Progress(seconds, "result", state, _origin(output) + found)
    if kind == "ExecutionFailed":
        details = event.get("executionFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return Progress(seconds, "end", "FAILED", message)
    if kind == "ExecutionSucceeded":
        return Progress(seconds, "end", "SUCCEEDED", "")
    if kind in ("ExecutionAborted", "ExecutionTimedOut"):
        return Progress(seconds, "end", kind.removeprefix("Execution").upper(), "")
    return None


def progress_lines(
    event: dict[str, Any], state: str, seconds: float, started: datetime
) -> list[Progress]:
    """Every line one history event is worth: :func:`progress_of`'s, and for the park task
    (woken by SageMaker's events) what woke it and the deployment steps SageMaker reported
    meanwhile (canary baking, traffic shifting, ...), each at its own time."""
    kind = event["type"]
    if kind == "TaskSucceeded":
        output = json.loads(event["taskSucceededEventDetails"].get("output") or "{}")
        if not isinstance(output, dict) or not output.get("Woken"):
            return []
        lines = [
            Progress(_since(step.get("At"), started, seconds), "step", state, step_text(step))
            for step in output.get("Steps") or []
        ]
        status = output.get("EndpointStatus")
        lines.append(Progress(seconds, "result", state, str(output.get("Message", "")), status))
        return lines
    if kind == "TaskTimedOut":
        return [Progress(seconds, "result", state, "no event came in time: looking again")]
    if kind == "TaskFailed":
        details = event.get("taskFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return [Progress(seconds, "error", state, message)]
    line = progress_of(event, state, seconds)
    return [line] if line is not None else []


def _since(moment: Any, started: datetime, fallback: float) -> float:
    try:
        when = datetime.fromisoformat(str(moment))
        return max(0.0, float((when - started).total_seconds()))
    except (TypeError, ValueError):
        return fallback


def step_text(step: dict[str, Any]) -> str:
    """One recorded step (deployer.wake.Step, as JSON) as a person reads it."""
    if step.get("Variant"):
        text = f"{step['Variant']}: {step.get('Status') or ''}"
        return f"{text} ({step['Message']})" if step.get("Message") else text
    return f"endpoint {step.get('EndpointStatus')}"


def _origin(output: dict[str, Any]) -> str:
    """What started the execution, when it was not a direct request: "approval of ARN: "."""
    trigger = output.get("Trigger")
    if not isinstance(trigger, dict) or trigger.get("Source") in (None, "direct"):
        return ""
    what = trigger.get("ModelPackageArn") or trigger.get("ManifestUri") or ""
    return f"{trigger['Source']} of {what}: " if what else f"{trigger['Source']}: "


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
