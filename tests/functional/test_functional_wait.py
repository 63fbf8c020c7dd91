"""The Wait function against moto and the emulator: what it stores, when it describes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployer import interface
from deployer.handlers import wait
from deployer.payloads.events import ParkEvent
from deployer.payloads.results import Parked
from smdeploy.runtime.install import TABLE_NAME
from tests.functional.lambda_context import context_for

Aws = Any  # the functional tier's emulated account (conftest.Aws)


def waits(aws: Aws) -> dict[str, Any]:
    item = aws.dynamodb.get_item(
        TableName=TABLE_NAME, Key={interface.TABLE_KEY: {"S": "churn-predictor#wait"}}
    )["Item"]
    return dict(json.loads(item["Record"]["S"]))


def park(aws: Aws, deployment: dict[str, Any], token: str = "token-1") -> dict[str, Any]:
    event = ParkEvent.model_validate(
        {
            "Execution": "exec-1",
            "TaskToken": token,
            "Deployment": deployment,
            "StartedAt": deployment["StartedAt"],
            "EnteredTime": aws.entered(),
        }
    )
    answer = wait.handler(event.to_json(), context_for("wait"))
    assert Parked.model_validate(answer).to_json() == answer
    return answer


def endpoint_event(aws: Aws, detail_type: str, status: str, **detail: Any) -> dict[str, Any]:
    # read straight from the emulated store: the test's own look is no DescribeEndpoint call
    found = aws.emulator.store("123456789012", "us-east-1").get_endpoint("churn-predictor")
    endpoint = {"EndpointArn": found.arn, "EndpointConfigName": found.config_name}
    return {
        "version": "0",
        "id": "7b2ac0a1-0000-4000-8000-000000000001",
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": aws.entered(),
        "region": "us-east-1",
        "resources": [endpoint["EndpointArn"]],
        "detail": {
            "EndpointName": "churn-predictor",
            "EndpointArn": endpoint["EndpointArn"],
            "EndpointConfigName": endpoint["EndpointConfigName"],
            "EndpointStatus": status,
            "LastModifiedTime": aws.clock.now() * 1000,
            **detail,
        },
    }


def test_a_park_stores_its_token_and_looks_once(aws, make_request):
    _, deployment = aws.configure_and_deploy(make_request())
    before = aws.emulator.stats.describe_calls

    result = park(aws, deployment)

    assert result == {"Parked": True, "Verdict": "WAIT"}
    assert aws.emulator.stats.describe_calls == before + 1
    [(name, waiter)] = waits(aws)["Waiters"].items()
    assert (name, waiter["Token"]) == ("exec-1", "token-1")
    assert waiter["EndpointConfigName"] == deployment["EndpointConfigName"]


def test_progress_is_recorded_without_a_describe_and_a_final_event_describes_once(
    aws, make_request
):
    _, deployment = aws.configure_and_deploy(make_request())
    park(aws, deployment)
    before = aws.emulator.stats.describe_calls
    step = {
        "PendingDeploymentSummary": {
            "EndpointConfigName": deployment["EndpointConfigName"],
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "VariantStatus": [{"Status": "Creating", "StatusMessage": "new fleet"}],
                }
            ],
        }
    }

    progress = wait.handler(
        endpoint_event(aws, interface.ENDPOINT_DEPLOYMENT_STATE_CHANGE, "CREATING", **step),
        context_for("wait"),
    )
    also = wait.handler(
        endpoint_event(aws, interface.ENDPOINT_STATE_CHANGE, "CREATING"), context_for("wait")
    )

    assert (progress, also) == ({"Woken": [], "Final": False}, {"Woken": [], "Final": False})
    assert aws.emulator.stats.describe_calls == before  # not final: no DescribeEndpoint
    recorded = waits(aws)
    assert [(s.get("Variant"), s.get("Status")) for s in recorded["Steps"]] == [
        ("AllTraffic", "Creating"),
        (None, None),
    ]
    assert recorded["Steps"][1]["EndpointStatus"] == "Creating"
    assert list(recorded["Waiters"]) == ["exec-1"]

    aws.settle()
    woken = wait.handler(
        endpoint_event(aws, interface.ENDPOINT_STATE_CHANGE, "IN_SERVICE"), context_for("wait")
    )

    assert woken == {"Woken": ["exec-1"], "Final": True}
    assert aws.emulator.stats.describe_calls == before + 1
    assert waits(aws)["Waiters"] == {}  # its token completed (or spent): never woken twice
    again = wait.handler(
        endpoint_event(aws, interface.ENDPOINT_STATE_CHANGE, "IN_SERVICE"), context_for("wait")
    )
    assert again == {"Woken": [], "Final": True}
    assert aws.emulator.stats.describe_calls == before + 1  # no one waits: no describe


@pytest.mark.parametrize("outcome", ["Succeeded", "Failed", "Superseded"])
def test_the_release_drops_a_waiter_its_lost_events_left_behind(aws, make_request, outcome):
    # parked, then every event lost: the park timed out and the Describe state decided
    _, deployment = aws.configure_and_deploy(make_request())
    park(aws, deployment)
    assert list(waits(aws)["Waiters"]) == ["exec-1"]

    aws.lease("Release", "churn-predictor", "exec-1", Outcome=outcome)

    assert waits(aws)["Waiters"] == {}
    assert aws.record("churn-predictor")["Holder"] is None
