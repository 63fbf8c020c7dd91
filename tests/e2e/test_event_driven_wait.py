"""The event-driven wait, end to end through the real ASL, rule and functions.

Deployments park on a task token; SageMaker's "SageMaker Endpoint State Change" events,
emitted by the emulated SageMaker and delivered through the installed rule's pattern to the
Wait function, wake them; when events are lost, the sweep (EventBridge Scheduler, once a
minute) wakes them through the same function, and the park's timeout is the last safety net.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import (
    config_made_by_hand,
    disable_sweep,
    start,
    states_entered,
    wait_until_entered,
)

from deployer import interface
from smdeploy.runtime.install import TABLE_NAME, WAKE_RULE, function_name
from smdeploy.runtime.local import LocalDeployment

WAIT_FUNCTION = next(function_name(s) for s in interface.FUNCTIONS if s.stage == "Wait")


def wakes(account: LocalDeployment) -> list[tuple[str, str, str | None]]:
    """What the endpoint-events rule delivered to the Wait function."""
    return [i for i in account.emulator.invocations if i[0] == WAKE_RULE]


def waiters(account: LocalDeployment, endpoint: str) -> dict[str, Any]:
    item = account.client("dynamodb").get_item(
        TableName=TABLE_NAME, Key={interface.TABLE_KEY: {"S": f"{endpoint.lower()}#wait"}}
    )["Item"]
    record: dict[str, Any] = json.loads(item["Record"]["S"])
    return record


def park_outputs(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        json.loads(e["taskSucceededEventDetails"]["output"])
        for e in history
        if e["type"] == "TaskSucceeded"
    ]


def test_an_update_is_woken_by_its_event_with_the_canary_steps_it_went_through(
    make_account, request_v1, request_v2
):
    account = make_account(creation_seconds=600)
    account.deploy(request_v1)
    request_v2["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] = {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        "WaitIntervalInSeconds": 300,
    }

    outcome = account.deploy(request_v2)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert outcome.output is not None and outcome.output["Action"] == "UPDATE"
    stats = outcome.stats
    assert stats is not None
    assert stats.describe_calls == 3  # to plan, when it parked, when the event woke it
    assert stats.detection_lag_seconds == 0
    # the create (300 s), then the update: the new fleet (300 s), the canary baking
    # (WaitIntervalInSeconds 300) and the last baking (TerminationWaitInSeconds 120)
    assert stats.simulated_seconds == pytest.approx(300 + 300 + 300 + 120)
    assert "ParkAgain" not in states_entered(outcome.history)
    [woken] = park_outputs(outcome.history)
    assert woken["Woken"] is True
    assert woken["EndpointConfigName"] == outcome.EndpointConfigName
    steps = [(s.get("Variant"), s.get("Status")) for s in woken["Steps"]]
    assert ("primary", "Baking") in steps
    assert [s["Status"] for s in woken["Steps"] if s.get("Variant") == "primary"] == [
        "Creating",
        "ActivatingTraffic",
        "Baking",
        "ActivatingTraffic",
        "Baking",
    ]
    assert waiters(account, "churn-predictor")["Waiters"] == {}


def test_an_endpoint_that_settles_before_the_token_is_stored_is_not_missed(
    make_account, request_v1
):
    # the endpoint is InService at once: its event is due before the deployment parks
    account = make_account(creation_seconds=0)

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert outcome.stats is not None
    assert outcome.stats.describe_calls == 2  # to plan; the park's one look settled it
    assert outcome.stats.simulated_seconds == 0
    # the event came after: it found no one waiting, and changed nothing
    assert all(error is None for _, _, error in wakes(account))
    assert waiters(account, "churn-predictor")["Waiters"] == {}


def test_duplicate_and_late_events_change_nothing(account, request_v1):
    outcome = account.deploy(request_v1)
    assert outcome.status == "SUCCEEDED"
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    before = len(wakes(account))
    detail = {
        "EndpointName": "churn-predictor",
        "EndpointArn": endpoint["EndpointArn"],
        "EndpointConfigName": endpoint["EndpointConfigName"],
        "EndpointStatus": "IN_SERVICE",
    }
    entry = {
        "Source": "aws.sagemaker",
        "DetailType": "SageMaker Endpoint State Change",
        "Detail": json.dumps(detail),
        "Resources": [endpoint["EndpointArn"]],
    }

    account.client("events").put_events(Entries=[entry, entry])

    assert [error for _, _, error in wakes(account)[before:]] == [None, None]
    described = account.stepfunctions.describe_execution(executionArn=outcome.execution_arn)
    assert described["status"] == "SUCCEEDED"
    after = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert after["EndpointStatus"] == "InService"
    assert waiters(account, "churn-predictor")["Waiters"] == {}


def test_an_in_service_event_after_a_rolled_back_update_fails_it_with_sagemakers_reason(
    make_account, request_v1, request_v2
):
    account = make_account(rollback_update="alarm churn-5xx tripped")
    account.deploy(request_v1)

    outcome = account.deploy(request_v2)

    assert outcome.status == "FAILED"
    assert outcome.error == "EndpointUpdateRolledBack"
    assert outcome.cause is not None and "alarm churn-5xx tripped" in outcome.cause
    assert outcome.stats is not None
    assert outcome.stats.describe_calls == 3
    assert outcome.stats.detection_lag_seconds == 0


def test_with_every_event_lost_the_sweep_decides_within_a_minute(make_account, request_v1):
    account = make_account(creation_seconds=300, drop_endpoint_events=1.0)

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert wakes(account) == []
    assert account.emulator.stats.endpoint_events_dropped >= 2  # CREATING, IN_SERVICE
    stats = outcome.stats
    assert stats is not None
    # the endpoint settled just after the fifth minute; the sixth minute's sweep listed it
    assert 0 < stats.detection_lag_seconds <= 60
    assert stats.simulated_seconds == pytest.approx(360, abs=0.1)
    assert stats.describe_calls == 3  # to plan, when it parked, when the sweep woke it
    assert [e for e in outcome.history if e["type"] == "TaskTimedOut"] == []
    [woken] = park_outputs(outcome.history)
    assert woken["Woken"] is True
    assert waiters(account, "churn-predictor")["Waiters"] == {}


def test_with_every_event_lost_and_no_sweep_the_park_timeout_decides(make_account, request_v1):
    account = make_account(creation_seconds=300, drop_endpoint_events=1.0)
    disable_sweep(account.client("scheduler"))

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert wakes(account) == []
    assert account.emulator.stats.endpoint_events_dropped >= 2  # CREATING, IN_SERVICE
    stats = outcome.stats
    assert stats is not None
    # parked for the whole safety-net interval, then the Describe state looked itself
    assert stats.simulated_seconds == pytest.approx(1800)
    assert stats.detection_lag_seconds == pytest.approx(1500)
    assert stats.describe_calls == 3
    timed_out = [e for e in outcome.history if e["type"] == "TaskTimedOut"]
    assert len(timed_out) == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_some_events_lost_every_deployment_still_succeeds(make_account, request_v1, seed):
    account = make_account(seed=seed, creation_seconds=400, drop_endpoint_events=0.5)

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert outcome.stats is not None
    assert outcome.stats.detection_lag_seconds is not None
    assert outcome.stats.detection_lag_seconds <= 1800


def test_the_event_delay_delays_the_wake_and_nothing_else(make_account, request_v1):
    account = make_account(creation_seconds=300, event_delay=7)

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED"
    assert outcome.stats is not None
    assert outcome.stats.detection_lag_seconds == pytest.approx(7)
    assert outcome.stats.simulated_seconds == pytest.approx(307)


def test_the_deadline_ends_a_parked_deployment_at_the_deadline(make_account, request_v1):
    account = make_account(creation_seconds=5000, deadline_seconds=900)

    outcome = account.deploy(request_v1)

    assert outcome.error == "DeploymentTimedOut"
    assert outcome.stats is not None
    assert outcome.stats.simulated_seconds == pytest.approx(900)
    entered = states_entered(outcome.history)
    assert entered.count("ParkUntilSettled") == 1
    assert "ParkAgain" not in entered


PARK_TWICE = {
    "StartAt": "Park",
    "States": {
        "Park": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": "",
                "Payload": {
                    "TaskToken.$": "$$.Task.Token",
                    "Execution.$": "$$.Execution.Name",
                    "Deployment.$": "$.Deployment",
                    "StartedAt.$": "$$.Execution.StartTime",
                    "EnteredTime.$": "$$.State.EnteredTime",
                },
            },
            "TimeoutSeconds": 3600,
            "End": True,
        }
    },
}


def test_two_executions_parked_on_one_endpoint_are_both_woken_by_one_event(account, request_v1):
    first = account.deploy(request_v1)
    config = first.EndpointConfigName
    sm = account.sagemaker
    # someone updates the endpoint; two executions park on it (the deployer's park task)
    config_made_by_hand(account, "churn-predictor-manual")
    definition = json.loads(json.dumps(PARK_TWICE))
    arn = account.client("lambda").get_function(FunctionName=WAIT_FUNCTION)["Configuration"]
    definition["States"]["Park"]["Parameters"]["FunctionName"] = arn["FunctionArn"]
    sfn = account.stepfunctions
    machine = sfn.create_state_machine(
        name="parks",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/smdeploy-deployer",
    )["stateMachineArn"]
    sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-predictor-manual")
    deployment = {
        "Action": "UPDATE",
        "EndpointName": "churn-predictor",
        "EndpointConfigName": "churn-predictor-manual",
        "PreviousEndpointConfigName": config,
    }
    described = account.emulator.stats.describe_calls
    arns = [
        sfn.start_execution(
            stateMachineArn=machine, name=f"park-{i}", input=json.dumps({"Deployment": deployment})
        )["executionArn"]
        for i in (1, 2)
    ]

    outcomes = [account.follow(arn) for arn in arns]

    assert [o.status for o in outcomes] == ["SUCCEEDED", "SUCCEEDED"]
    for outcome in outcomes:
        assert outcome.output is not None and outcome.output["Woken"] is True
        assert outcome.output["EndpointConfigName"] == "churn-predictor-manual"
    # each park looks once; then one IN_SERVICE event, one DescribeEndpoint for both
    assert account.emulator.stats.describe_calls - described == 3
    assert waiters(account, "churn-predictor")["Waiters"] == {}


def test_a_deployment_stopped_while_parked_holds_up_no_one(make_account, request_v1, request_v2):
    account = make_account(creation_seconds=1200)
    sfn = account.stepfunctions
    with account.emulator.scheduler.held():
        first = start(account, request_v1)
        wait_until_entered(account, first, "ParkUntilSettled")
        stopped = sfn.stop_execution(
            executionArn=first, error="Abandoned", cause="stopped by the test"
        )

    second = account.deploy(request_v2)

    assert sfn.describe_execution(executionArn=first)["status"] == "ABORTED"
    # StopExecution answered when it stopped it; its history ends as on AWS: ExecutionAborted,
    # with no failure of the state it was in
    assert stopped["stopDate"] >= sfn.describe_execution(executionArn=first)["startDate"]
    events = sfn.get_execution_history(executionArn=first, reverseOrder=True)["events"]
    assert events[0]["type"] == "ExecutionAborted"
    assert events[0]["executionAbortedEventDetails"] == {
        "error": "Abandoned",
        "cause": "stopped by the test",
    }
    since_parked = events[1 : [e["type"] for e in events].index("TaskStateEntered")]
    # the park's task got as far as the stop let it, and no further: not failed, not woken
    assert {e["type"] for e in since_parked} <= {"TaskScheduled", "TaskStarted", "TaskSubmitted"}
    assert second.status == "SUCCEEDED", second.cause
    assert second.stats is not None and second.stats.detection_lag_seconds == 0
