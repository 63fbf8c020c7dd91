"""Notify stage: one EventBridge event and one SNS message per execution, as subscribers see
them (an SQS queue behind a rule on the default bus, another subscribed to the topic)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from deployer import interface
from deployer.aws import clients
from deployer.errors import NotificationFailed
from deployer.handlers import notify
from deployer.payloads.events import NotifyEvent, Status
from deployer.payloads.execution import Deployed, ExecutionState
from deployer.payloads.pieces import Action, Caught, Payload, Trigger
from smdeploy.runtime.emulator import LambdaContext

ARN = "arn:aws:states:us-east-1:123456789012:execution:smdeploy-deployer:run-1"


class Subscribers:
    def __init__(self) -> None:
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.sns = boto3.client("sns", region_name="us-east-1")
        self.events = boto3.client("events", region_name="us-east-1")
        self.topic_arn = self.sns.create_topic(Name="smdeploy-outcomes")["TopicArn"]
        self.from_topic = self._queue("from-topic")
        self.from_bus = self._queue("from-bus")
        self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=self._arn(self.from_topic),
            Attributes={"RawMessageDelivery": "false"},
        )
        self.events.put_rule(
            Name="smdeploy-outcomes",
            EventPattern=json.dumps({"source": [interface.OUTCOME_SOURCE]}),
        )
        self.events.put_targets(
            Rule="smdeploy-outcomes", Targets=[{"Id": "q", "Arn": self._arn(self.from_bus)}]
        )

    def _queue(self, name: str) -> str:
        url: str = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return url

    def _arn(self, url: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn: str = attributes["Attributes"]["QueueArn"]
        return arn

    def drain(self, url: str) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


@pytest.fixture
def subscribers(aws, monkeypatch):
    found = Subscribers()
    monkeypatch.setenv(interface.ENV_TOPIC_ARN, found.topic_arn)
    monkeypatch.setenv(interface.ENV_EVENT_BUS, "default")
    clients.use_client("events", found.events)
    clients.use_client("sns", found.sns)
    yield found
    clients.use_client("events", None)
    clients.use_client("sns", None)


def run_notify(aws, status: Status, state: Payload, execution_input: Any) -> dict[str, Any]:
    event = NotifyEvent(
        Execution="run-1",
        ExecutionArn=ARN,
        Status=status,
        StartTime=datetime(2026, 1, 1, tzinfo=UTC),
        EnteredTime=datetime(2026, 1, 1, 0, 5, 12, 500000, tzinfo=UTC),
        Input=execution_input,
        State=state,
    )
    context = LambdaContext("smdeploy-notify", ARN.replace("states", "lambda"), 256, 60)
    return notify.handler(event.to_json(), context)


def deployed(name: str = "churn-predictor") -> Deployed:
    """The output of the state DeploymentSucceeded."""
    return Deployed(
        EndpointName=name,
        EndpointArn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}",
        EndpointConfigName=f"{name}-0123456789",
        EndpointConfigArn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{name}-0",
        EndpointStatus="InService",
        Action=Action.CREATE,
        Message="CreateEndpoint: ...",
        ModelsCreated=[],
        Trigger=Trigger(Source="direct"),
    )


def test_a_success_is_published_once_on_the_bus_and_once_on_the_topic(aws, subscribers):
    state = deployed()

    run_notify(aws, "Succeeded", state, {"EndpointName": "churn-predictor"})

    [event] = subscribers.drain(subscribers.from_bus)
    [message] = subscribers.drain(subscribers.from_topic)
    assert event["source"] == "smdeploy"
    assert event["detail-type"] == "Endpoint Deployment Succeeded"
    assert ARN in event["resources"]
    detail = event["detail"]
    assert (detail["Status"], detail["EndpointName"], detail["Action"]) == (
        "Succeeded",
        "churn-predictor",
        "CREATE",
    )
    assert detail["DurationSeconds"] == 312.5
    assert (detail["Error"], detail["Cause"]) == (None, None)
    # the topic carries the same detail (as JSON) for queues; email gets readable text
    assert json.loads(message["Message"]) == detail
    assert message["Subject"] == "smdeploy: churn-predictor deployed"
    assert message["MessageAttributes"]["Status"]["Value"] == "Succeeded"


def test_a_failure_is_published_with_its_error_and_cause(aws, subscribers):
    state = ExecutionState(Failure=Caught(Error="RequestInvalid", Cause="1 problem in the request"))

    run_notify(aws, "Failed", state, {"EndpointName": "churn-predictor", "Oops": 1})

    [event] = subscribers.drain(subscribers.from_bus)
    [message] = subscribers.drain(subscribers.from_topic)
    assert event["detail-type"] == "Endpoint Deployment Failed"
    assert (event["detail"]["Error"], event["detail"]["Cause"]) == (
        "RequestInvalid",
        "1 problem in the request",
    )
    assert message["Subject"] == "smdeploy: churn-predictor deployment failed (RequestInvalid)"


def test_a_missing_topic_is_a_retryable_notification_failure(aws, subscribers, monkeypatch):
    monkeypatch.setenv(interface.ENV_TOPIC_ARN, subscribers.topic_arn + "-gone")

    with pytest.raises(NotificationFailed, match=r"Publish to .*-gone"):
        run_notify(aws, "Succeeded", deployed("e"), {})
