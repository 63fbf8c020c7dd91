"""The Sweep function against moto and the emulator: what it lists, and whom it hands to the
Wait function (a stubbed Lambda client records the invocation; the Wait handler is then given
what it was sent, as Lambda would)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from deployer import interface
from deployer.aws import clients
from deployer.handlers import sweep, wait
from tests.functional.lambda_context import context_for

Aws = Any  # the functional tier's emulated account (conftest.Aws)
WAIT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:smdeploy-wait"


@pytest.fixture
def invoked(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, list[dict[str, Any]]]]:
    """The Sweep's Lambda client, stubbed: each Invoke it makes is recorded."""
    monkeypatch.setenv(interface.ENV_WAIT_FUNCTION, WAIT_ARN)
    monkeypatch.setenv(interface.ENV_NAME_PREFIX, "")
    client = boto3.client("lambda", region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.lambda.Invoke", lambda params, **_: sent.append(dict(params))
    )
    stubber = Stubber(client)
    clients.use_client("lambda", client)
    with stubber:
        yield stubber, sent
    clients.use_client("lambda", None)


def park(aws: Aws, deployment: dict[str, Any]) -> None:
    event = {
        "Execution": "exec-1",
        "TaskToken": "token-1",
        "Deployment": deployment,
        "StartedAt": deployment["StartedAt"],
        "EnteredTime": aws.entered(),
    }
    assert wait.handler(event, context_for("wait"))["Parked"] is True


def run_sweep(aws: Aws) -> dict[str, Any]:
    scheduled = aws.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(sweep.handler({"ScheduledTime": scheduled}, context_for("sweep")))


def test_a_settled_endpoint_with_a_parked_deployment_is_handed_to_the_wait_function(
    aws, make_request, invoked
):
    stubber, sent = invoked
    _, deployment = aws.configure_and_deploy(make_request())
    park(aws, deployment)
    aws.settle()
    store = aws.emulator.store("123456789012", "us-east-1")
    describes, lists = aws.emulator.stats.describe_calls, store.calls.get("ListEndpoints", 0)
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": WAIT_ARN, "InvocationType": "Event", "Payload": ANY},
    )

    answer = run_sweep(aws)

    assert answer["Handed"] == ["churn-predictor"]
    # one ListEndpoints, no DescribeEndpoint of the sweep's own
    assert store.calls["ListEndpoints"] - lists == 1
    assert aws.emulator.stats.describe_calls == describes
    # what the Wait function is sent wakes the parked deployment, as the lost event would have
    [params] = sent
    event = json.loads(params["Payload"])
    assert event["detail-type"] == interface.ENDPOINT_STATE_CHANGE
    assert event["detail"]["EndpointStatus"] == "IN_SERVICE"
    with Stubber(clients.stepfunctions()) as sfn:
        sfn.add_response("send_task_success", {}, {"taskToken": "token-1", "output": ANY})
        assert wait.handler(event, context_for("wait"))["Woken"] == ["exec-1"]


def test_an_endpoint_no_one_is_parked_on_is_not_handed_over(aws, make_request, invoked):
    aws.configure_and_deploy(make_request())
    aws.settle()

    answer = run_sweep(aws)  # the stub has no response: an Invoke would fail the test

    assert answer["Handed"] == []
    assert answer["Listed"] == 1


def test_an_endpoint_still_changing_is_not_handed_over(aws, make_request, invoked):
    _, deployment = aws.configure_and_deploy(make_request())
    park(aws, deployment)  # Creating: parked

    answer = run_sweep(aws)

    assert answer["Handed"] == []


def test_the_listing_asks_sagemaker_for_the_window_and_follows_every_page(invoked):
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    scheduled = "2026-12-07T01:00:00Z"
    with Stubber(sagemaker) as stubbed:
        expected = {"LastModifiedTimeAfter": ANY, "MaxResults": 100}
        stubbed.add_response("list_endpoints", {"Endpoints": [], "NextToken": "t"}, expected)
        stubbed.add_response("list_endpoints", {"Endpoints": []}, {**expected, "NextToken": "t"})
        clients.use_sagemaker(sagemaker)
        try:
            answer = dict(sweep.handler({"ScheduledTime": scheduled}, context_for("sweep")))
        finally:
            clients.use_sagemaker(None)
        stubbed.assert_no_pending_responses()

    # a little before the previous sweep: 60 s and a 30-s margin before the scheduled time
    assert answer["Since"] == "2026-12-07T00:58:30+00:00"
    assert answer["Handed"] == []
