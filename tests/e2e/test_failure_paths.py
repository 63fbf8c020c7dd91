"""End to end: every path ends well (issue 18, item 6). Through the real ASL and handlers,
asserting the emulated account afterwards: the scalable targets as they were found on paths
that do not deploy, no guardrail step when none is configured (and the clean-up when they
are switched off), no waiter left in the table, the restore loop's own deadline, a config
deleted before Deploy reported as missing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import states_entered
from test_guardrails import (
    ALARMS,
    SCALING,
    SMOKE,
    alarm_names,
    guarded,
    policies,
    scalable_targets,
    serving,
)

from deployer import interface
from smdeploy.runtime.install import TABLE_NAME
from smdeploy.runtime.local import LocalDeployment

pytestmark = pytest.mark.e2e

GUARDRAIL_STEPS = {"PrepareGuardrails", "UseGuardedRequest", "SmokeTest", "ScaleVariants"}
AFTER_FAILURE = {"RescaleAfterFailure"}


def waits_item(account: LocalDeployment, endpoint: str) -> dict[str, Any] | None:
    """The endpoint's second item in the deployer's table (its parked executions)."""
    item = (
        account.client("dynamodb")
        .get_item(
            TableName=TABLE_NAME, Key={interface.TABLE_KEY: {"S": f"{endpoint.lower()}#wait"}}
        )
        .get("Item")
    )
    return json.loads(item["Record"]["S"]) if item else None


def record(account: LocalDeployment, endpoint: str) -> dict[str, Any]:
    item = account.client("dynamodb").get_item(
        TableName=TABLE_NAME, Key={interface.TABLE_KEY: {"S": endpoint.lower()}}
    )["Item"]
    found: dict[str, Any] = json.loads(item["Record"]["S"])
    return found


def scaling_policies(account: LocalDeployment) -> list[tuple[str, str, Any]]:
    """The policies as they scale: their target and configuration (a policy put back is a new
    policy, with a new ARN)."""
    return [
        (p["ResourceId"], p["PolicyName"], p["TargetTrackingScalingPolicyConfiguration"])
        for p in policies(account)
    ]


def targets(account: LocalDeployment) -> list[tuple[str, int, int]]:
    return [
        (t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in scalable_targets(account)
    ]


# --- no guardrail step when none is configured ----------------------------------------------


def test_a_deployment_without_guardrails_runs_no_guardrail_step(account, request_v1):
    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    entered = states_entered(outcome.history)
    assert GUARDRAIL_STEPS.isdisjoint(entered), entered
    assert record(account, request_v1["EndpointName"])["Guarded"] is False


def test_switching_guardrails_off_cleans_them_up_once_then_skips_them(account):
    assert account.deploy(guarded(1)).status == "SUCCEEDED"
    assert len(targets(account)) == 1

    off = account.deploy(guarded(2, guardrails={}))

    assert off.status == "SUCCEEDED", off.cause
    assert "ScaleVariants" in states_entered(off.history)  # the clean-up ran
    assert scalable_targets(account) == []
    assert policies(account) == []
    assert record(account, guarded(1)["EndpointName"])["Guarded"] is False

    after = account.deploy(guarded(3, guardrails={}))

    assert after.status == "SUCCEEDED", after.cause
    assert GUARDRAIL_STEPS.isdisjoint(states_entered(after.history))


def test_a_failure_of_a_deployment_without_guardrails_runs_no_guardrail_step(
    make_account, request_v1, request_v2
):
    account = make_account(rollback_update="the new model failed its health check")
    assert account.deploy(request_v1).status == "SUCCEEDED"

    outcome = account.deploy(request_v2)

    assert outcome.error == "EndpointUpdateRolledBack"
    entered = states_entered(outcome.history)
    assert (GUARDRAIL_STEPS | AFTER_FAILURE).isdisjoint(entered), entered
    assert entered[-3:] == ["ReleaseAfterFailure", "NotifyFailed", "DeploymentFailed"]


# --- autoscaling left as found on every path that does not deploy ----------------------------


def test_a_failed_instance_type_change_puts_the_targets_back_as_they_were(make_account):
    account = make_account(rollback_update="the new model failed its health check")
    first = account.deploy(guarded(1))
    assert first.status == "SUCCEEDED", first.cause
    before = (targets(account), scaling_policies(account))
    # the new request switches autoscaling off: "as found" is the old setting, not the new
    outcome = account.deploy(
        guarded(2, instance_type="ml.c5.xlarge", guardrails={"SmokeTest": SMOKE})
    )

    assert outcome.error == "EndpointUpdateRolledBack"
    assert serving(account) == first.EndpointConfigName
    assert (targets(account), scaling_policies(account)) == before
    rescaled = [
        json.loads(e["stateExitedEventDetails"]["output"])["Rescaled"]
        for e in outcome.history
        if e.get("stateExitedEventDetails", {}).get("name") == "RescaleAfterFailure"
    ]
    assert rescaled[0]["Registered"] == ["primary"]
    assert rescaled[0]["Policies"] == ["primary"]


def test_a_failed_update_with_other_capacities_leaves_the_old_ones(make_account):
    account = make_account(rollback_update="the new model failed its health check")
    assert account.deploy(guarded(1)).status == "SUCCEEDED"
    wider = dict(SCALING, MinCapacity=3, MaxCapacity=9)

    outcome = account.deploy(
        guarded(2, instance_type="ml.c5.xlarge", guardrails={"AutoScaling": wider})
    )

    assert outcome.error == "EndpointUpdateRolledBack"
    [(_, low, high)] = targets(account)
    assert (low, high) == (SCALING["MinCapacity"], SCALING["MaxCapacity"])


# --- alarm names matched as CloudWatch matches them ------------------------------------------


def test_alarms_made_under_another_spelling_of_the_endpoint_are_cleaned_up(account):
    # SageMaker: Fraud-Scorer and fraud-scorer are one endpoint; CloudWatch: two alarm names
    first = guarded(1, guardrails={"RollbackAlarms": ALARMS[:1]})
    first["EndpointName"] = "Fraud-Scorer"
    assert account.deploy(first).status == "SUCCEEDED"
    assert alarm_names(account) == ["smdeploy-Fraud-Scorer-primary-Invocation5XXErrors"]

    outcome = account.deploy(guarded(2, guardrails={"RollbackAlarms": ALARMS[:1]}))

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert alarm_names(account) == ["smdeploy-fraud-scorer-primary-Invocation5XXErrors"]


# --- the restore loop's own deadline --------------------------------------------------------


def test_a_restore_that_never_ends_fails_at_its_deadline_releases_and_notifies(make_account):
    # the deployments run under a long policy (their deadline is longer than the changes'
    # 2,000 s); the putting back names none: the configured deadline (900 s) bounds it
    account = make_account(
        fail_invoke="model not loaded", deadline_seconds=900, creation_seconds=2000
    )
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }
    first = account.deploy(guarded(1, guardrails={"AutoScaling": SCALING}, DeploymentConfig=policy))
    assert first.status == "SUCCEEDED", first.cause

    outcome = account.deploy(
        guarded(2, guardrails={"AutoScaling": SCALING, "SmokeTest": SMOKE}, DeploymentConfig=policy)
    )

    assert outcome.status == "FAILED"
    assert outcome.error == "SmokeTestFailed"
    assert "still Updating after" in (outcome.cause or "")
    assert "the deadline is 900 s" in (outcome.cause or "")
    entered = states_entered(outcome.history)
    assert 1 < entered.count("CheckRestore") < 40
    assert entered[-4:] == [
        "RescaleAfterFailure",
        "ReleaseAfterFailure",
        "NotifyFailed",
        "DeploymentFailed",
    ]
    holder = record(account, guarded(1)["EndpointName"])["Holder"]
    assert holder is None


# --- no waiter left behind ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "changes", "status"),
    [
        ({"drop_endpoint_events": 1.0}, {}, "SUCCEEDED"),  # events lost: the sweep decides
        ({}, {}, "SUCCEEDED"),
        ({"rollback_update": "health check"}, {"InstanceType": "ml.c5.xlarge"}, "FAILED"),
        (
            {"drop_endpoint_events": 1.0, "rollback_update": "health check"},
            {"InstanceType": "ml.c5.xlarge"},
            "FAILED",
        ),
    ],
)
def test_a_finished_deployment_leaves_no_waiter_behind(
    make_account, request_v1, request_v2, faults, changes, status
):
    account = make_account(creation_seconds=300, **faults)
    assert account.deploy(request_v1).status == "SUCCEEDED"
    request_v2["ProductionVariants"][0].update(changes)

    outcome = account.deploy(request_v2)

    assert outcome.status == status, outcome.cause
    found = waits_item(account, request_v2["EndpointName"])
    assert found is None or found["Waiters"] == {}


def test_a_deployment_out_of_time_while_parked_leaves_no_waiter(make_account, request_v1):
    # the deadline ends a parked deployment whose events are all lost: it leaves no waiter
    account = make_account(creation_seconds=5000, deadline_seconds=900, drop_endpoint_events=1.0)

    outcome = account.deploy(request_v1)

    assert outcome.error == "DeploymentTimedOut"
    found = waits_item(account, request_v1["EndpointName"])
    assert found is None or found["Waiters"] == {}
