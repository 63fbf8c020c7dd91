"""The outcome of every execution, told twice: one event on EventBridge, one SNS message.

The event (source ``smdeploy``, detail-type ``Endpoint Deployment Succeeded``,
``Endpoint Deployment Failed`` or ``Endpoint Deployment Superseded``) is for routing with
rules; the SNS message carries the same
detail as JSON for queues, functions and chat integrations, and a readable text for email
subscribers (SNS ``MessageStructure=json``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from deployer import contract
from deployer.errors import NotificationFailed
from deployer.gateway import AwsCallFailed, other_call
from deployer.model import Model
from deployer.observability import tracer
from deployer.triggers import trigger_of

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sns import SNSClient

# A cause can be long (every problem of a request): keep the event and the message small.
MAX_CAUSE_CHARS = 4000
MAX_SUBJECT_CHARS = 100  # SNS's limit


Status = Literal["Succeeded", "Failed", "Superseded"]


class OutcomeDetail(Model):
    """The detail of the outcome event and the body of the SNS message."""

    Status: Status
    ExecutionArn: str
    ExecutionName: str
    Trigger: str
    EndpointName: str | None = None
    EndpointArn: str | None = None
    EndpointConfigName: str | None = None
    EndpointStatus: str | None = None
    ModelPackageGroupName: str | None = None
    ModelPackageArn: str | None = None
    RejectedModelPackageArn: str | None = None
    ManifestUri: str | None = None
    Action: str | None = None
    Message: str | None = None
    StartedAt: datetime
    FinishedAt: datetime
    DurationSeconds: float
    Error: str | None = None
    Cause: str | None = None
    # Superseded: the newer deployment that made this one unnecessary
    SupersededBy: str | None = None


DETAIL_TYPES = {
    "Succeeded": contract.OUTCOME_SUCCEEDED,
    "Failed": contract.OUTCOME_FAILED,
    "Superseded": contract.OUTCOME_SUPERSEDED,
}


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_CAUSE_CHARS:
        return text
    return text[:MAX_CAUSE_CHARS] + f"... ({len(text) - MAX_CAUSE_CHARS} more characters)"


def outcome_detail(
    *,
    status: Status,
    execution_arn: str,
    execution_name: str,
    started_at: datetime,
    finished_at: datetime,
    execution_input: Any,
    state: dict[str, Any],
) -> OutcomeDetail:
    """Build the detail from what the execution knows when it ends.

    ``state`` is the state machine's data at the end: the success output, or whatever the
    stages had gathered plus ``Failure`` {Error, Cause}. The trigger is read from the
    execution's input, so even a request refused at Validate says where it came from.
    """
    trigger = trigger_of(execution_input).model_dump()
    trigger.update({k: v for k, v in (state.get("Trigger") or {}).items() if v is not None})
    failure = state.get("Failure") or {}
    endpoint = state.get("Endpoint") or {}
    deployment = state.get("Deployment") or {}
    config = state.get("Config") or {}
    direct = execution_input if isinstance(execution_input, dict) else {}

    def first(*values: Any) -> Any:
        return next((v for v in values if v is not None), None)

    return OutcomeDetail(
        Status=status,
        ExecutionArn=execution_arn,
        ExecutionName=execution_name,
        Trigger=trigger["Source"],
        EndpointName=first(
            state.get("EndpointName"),
            endpoint.get("EndpointName"),
            deployment.get("EndpointName"),
            direct.get("EndpointName") if trigger["Source"] == "direct" else None,
        ),
        EndpointArn=first(state.get("EndpointArn"), endpoint.get("EndpointArn")),
        EndpointConfigName=first(state.get("EndpointConfigName"), config.get("EndpointConfigName")),
        EndpointStatus=first(state.get("EndpointStatus"), endpoint.get("EndpointStatus")),
        ModelPackageGroupName=trigger.get("ModelPackageGroupName"),
        ModelPackageArn=trigger.get("ModelPackageArn"),
        RejectedModelPackageArn=trigger.get("RejectedModelPackageArn"),
        ManifestUri=trigger.get("ManifestUri"),
        Action=first(state.get("Action"), deployment.get("Action")),
        Message=first(state.get("Message"), deployment.get("Reason")),
        StartedAt=started_at,
        FinishedAt=finished_at,
        DurationSeconds=round((finished_at - started_at).total_seconds(), 3),
        Error=failure.get("Error"),
        Cause=_clip(failure.get("Cause")),
        SupersededBy=(state.get("SupersededBy") or {}).get("Execution"),
    )


def _subject(detail: OutcomeDetail) -> str:
    what = detail.EndpointName or detail.ManifestUri or detail.ExecutionName
    verb = {
        "Succeeded": "deployed",
        "Failed": "deployment failed",
        "Superseded": "deployment superseded by a newer one",
    }[detail.Status]
    if detail.Action == "SKIPPED":
        verb = "nothing to deploy"
    subject = f"smdeploy: {what} {verb}"
    if detail.Error:
        subject += f" ({detail.Error})"
    # SNS subjects: ASCII, no line breaks, at most 100 characters
    subject = subject.encode("ascii", "replace").decode().replace("\n", " ")
    return subject[:MAX_SUBJECT_CHARS]


def _text(detail: OutcomeDetail) -> str:
    lines = [_subject(detail), ""]
    for key, value in detail.model_dump(mode="json", exclude_none=True).items():
        if key != "Cause":
            lines.append(f"{key}: {value}")
    if detail.Cause:
        lines += ["", "Cause:", detail.Cause]
    return "\n".join(lines)


@tracer.capture_method
def publish(
    detail: OutcomeDetail,
    *,
    events: EventBridgeClient,
    sns: SNSClient,
    bus: str,
    topic_arn: str | None,
) -> None:
    """One EventBridge event and (when a topic is configured) one SNS message."""
    body = detail.model_dump_json(exclude_none=False)
    detail_type = DETAIL_TYPES[detail.Status]
    resources = [detail.ExecutionArn] + ([detail.EndpointArn] if detail.EndpointArn else [])
    try:
        answer = other_call(
            lambda: events.put_events(
                Entries=[
                    {
                        "Source": contract.OUTCOME_SOURCE,
                        "DetailType": detail_type,
                        "Detail": body,
                        "Resources": resources,
                        "EventBusName": bus,
                    }
                ]
            )
        )
    except AwsCallFailed as error:
        raise NotificationFailed(f"PutEvents on bus {bus}: {error}") from error
    if answer.get("FailedEntryCount"):
        entry = answer["Entries"][0]
        raise NotificationFailed(
            f"PutEvents on bus {bus}: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}"
        )
    if not topic_arn:
        return
    attributes: dict[str, Any] = {
        "Status": {"DataType": "String", "StringValue": detail.Status},
        "Trigger": {"DataType": "String", "StringValue": detail.Trigger},
    }
    if detail.EndpointName:
        attributes["EndpointName"] = {"DataType": "String", "StringValue": detail.EndpointName}
    try:
        other_call(
            lambda: sns.publish(
                TopicArn=topic_arn,
                Subject=_subject(detail),
                MessageStructure="json",
                Message=json.dumps({"default": body, "email": _text(detail)}),
                MessageAttributes=attributes,
            )
        )
    except AwsCallFailed as error:
        raise NotificationFailed(f"Publish to {topic_arn}: {error}") from error
