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
from typing import TYPE_CHECKING, Any

from deployer import interface
from deployer.aws.sagemaker import AwsCallFailed, other_call
from deployer.basemodel import Model
from deployer.errors import NotificationFailed
from deployer.observability import tracer
from deployer.payloads.events import NotifyEvent, Status
from deployer.payloads.execution import ExecutionState, SupersededOutcome
from deployer.payloads.pieces import ServingInstance, trigger_of
from deployer.payloads.results import ComponentsProgress, ComponentState

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sns import SNSClient

# A cause can be long (every problem of a request): keep the event and the message small.
MAX_CAUSE_CHARS = 4000
MAX_SUBJECT_CHARS = 100  # SNS's limit


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
    ManifestVersionId: str | None = None
    Action: str | None = None
    Message: str | None = None
    StartedAt: datetime
    FinishedAt: datetime
    DurationSeconds: float
    Error: str | None = None
    Cause: str | None = None
    # Superseded: the newer deployment that made this one unnecessary
    SupersededBy: str | None = None
    # the instances that serve, where DescribeEndpoint told (deployer.decide.outcome)
    ServingInstances: list[ServingInstance] = []  # noqa: RUF012 (pydantic copies it)
    # the request's inference components at the Components stage's last look (None: the
    # request has none, or the deployment ended before they were looked at)
    InferenceComponents: list[ComponentState] | None = None


# What the output of a success (Deployed, NothingDeployed, SupersededOutcome) tells the detail,
# where it has it.
_TOLD_BY_AN_OUTPUT = (
    "EndpointName",
    "EndpointArn",
    "EndpointConfigName",
    "EndpointStatus",
    "Message",
)

DETAIL_TYPES = {
    "Succeeded": interface.OUTCOME_SUCCEEDED,
    "Failed": interface.OUTCOME_FAILED,
    "Superseded": interface.OUTCOME_SUPERSEDED,
}


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_CAUSE_CHARS:
        return text
    return text[:MAX_CAUSE_CHARS] + f"... ({len(text) - MAX_CAUSE_CHARS} more characters)"


def outcome_detail(ending: NotifyEvent) -> OutcomeDetail:
    """Build the detail from what the execution knows when it ends.

    ``ending.State`` is the state machine's data at the end: the output of a success, or
    whatever the stages had gathered plus its ``Failure``. The trigger is read from the
    execution's input, so even a request refused at Validate says where it came from.
    """
    state, execution_input = ending.State, ending.Input
    started_at, finished_at = ending.StartTime, ending.EnteredTime
    trigger = trigger_of(execution_input).model_dump()
    if state.Trigger is not None:
        trigger.update(state.Trigger.model_dump(exclude_none=True))
    detail = OutcomeDetail(
        Status=ending.Status,
        ExecutionArn=ending.ExecutionArn,
        ExecutionName=ending.Execution,
        Trigger=trigger["Source"],
        ModelPackageGroupName=trigger.get("ModelPackageGroupName"),
        ModelPackageArn=trigger.get("ModelPackageArn"),
        RejectedModelPackageArn=trigger.get("RejectedModelPackageArn"),
        ManifestUri=trigger.get("ManifestUri"),
        ManifestVersionId=trigger.get("ManifestVersionId"),
        StartedAt=started_at,
        FinishedAt=finished_at,
        DurationSeconds=round((finished_at - started_at).total_seconds(), 3),
    )
    if not isinstance(state, ExecutionState):  # a success's output: it says it all
        superseded = state.SupersededBy if isinstance(state, SupersededOutcome) else None
        told = {key: getattr(state, key, None) for key in _TOLD_BY_AN_OUTPUT}
        return detail.model_copy(
            update={
                **told,
                "Action": str(state.Action),
                "SupersededBy": superseded.Execution if superseded else None,
                "ServingInstances": list(getattr(state, "ServingInstances", [])),
                "InferenceComponents": _components(getattr(state, "InferenceComponents", None)),
            }
        )
    # a failure: what the stages had found before it
    endpoint, deployment, config = state.Endpoint, state.Deployment, state.Config
    direct = execution_input if isinstance(execution_input, dict) else {}
    name = state.EndpointName or (endpoint.EndpointName if endpoint else None)
    name = name or (deployment.EndpointName if deployment else None)
    if (
        name is None
        and trigger["Source"] == "direct"
        and isinstance(direct.get("EndpointName"), str)
    ):
        name = direct["EndpointName"]
    failure = state.Failure
    return detail.model_copy(
        update={
            "EndpointName": name,
            "EndpointArn": endpoint.EndpointArn if endpoint else None,
            "EndpointConfigName": state.EndpointConfigName
            or (config.EndpointConfigName if config else None),
            "EndpointStatus": endpoint.EndpointStatus if endpoint else None,
            "Action": deployment.Action.value if deployment else None,
            "Message": deployment.Reason if deployment else None,
            "Error": failure.Error if failure else None,
            "Cause": _clip(failure.Cause) if failure else None,
            "ServingInstances": list(endpoint.ServingInstances) if endpoint else [],
            "InferenceComponents": _components(state.Components),
        }
    )


def _components(progress: ComponentsProgress | None) -> list[ComponentState] | None:
    """The ICs as the last look saw them (none looked at yet: None)."""
    if progress is None or not progress.Looks:
        return None
    return list(progress.Components)


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
                        "Source": interface.OUTCOME_SOURCE,
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
