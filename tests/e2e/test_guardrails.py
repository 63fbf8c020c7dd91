"""End to end: the guardrails (autoscaling around updates, rollback alarms, the smoke test)
through the real ASL and handlers, asserting the emulated account afterwards."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from e2e_helpers import failures, states_entered

from tests.support.alarms import put_sagemaker_alarm

pytestmark = pytest.mark.e2e

ENDPOINT = "fraud-scorer"
ROLE = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
RESOURCE = f"endpoint/{ENDPOINT}/variant/primary"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING = {
    "MinCapacity": 2,
    "MaxCapacity": 6,
    "TargetValue": 200,
    "ScaleInCooldown": 600,
    "ScaleOutCooldown": 60,
}
ALARMS = [
    {"Metric": "Invocation5XXErrors", "Threshold": 5},
    {"Metric": "ModelLatency", "Statistic": "p99", "Threshold": 500000},
]
SMOKE = {
    "ContentType": "application/json",
    "Body": {"x": [1, 2]},
    "ExpectJsonPath": "$.predictions",
}


def guarded(
    version: int,
    instance_type: str = "ml.m5.large",
    guardrails: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A one-variant request for version ``version`` of the model, with guardrails."""
    model = f"fraud-v{version}"
    request: dict[str, Any] = {
        "EndpointName": ENDPOINT,
        "Models": [
            {
                "ModelName": model,
                "ExecutionRoleArn": ROLE,
                "PrimaryContainer": {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": f"s3://example-models/fraud/v{version}/model.tar.gz",
                },
            }
        ],
        "ProductionVariants": [
            {
                "VariantName": "primary",
                "ModelName": model,
                "InstanceType": instance_type,
                "InitialInstanceCount": 2,
            }
        ],
        "Guardrails": copy.deepcopy(
            guardrails if guardrails is not None else {"AutoScaling": SCALING}
        ),
    }
    request.update(extra)
    return request


def scalable_targets(account: Any) -> list[dict[str, Any]]:
    client = account.client("application-autoscaling")
    return list(client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"])


def policies(account: Any) -> list[dict[str, Any]]:
    client = account.client("application-autoscaling")
    return list(client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"])


def instance_count(account: Any) -> int:
    endpoint = account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    return int(endpoint["ProductionVariants"][0]["CurrentInstanceCount"])


def serving(account: Any) -> str:
    endpoint = account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointStatus"] == "InService"
    return str(endpoint["EndpointConfigName"])


# --- autoscaling ----------------------------------------------------------------------------


def test_a_success_registers_the_variant_with_the_profiles_policy(account):
    outcome = account.deploy(guarded(1))

    assert outcome.status == "SUCCEEDED", outcome.cause
    [target] = scalable_targets(account)
    assert (target["ResourceId"], target["ScalableDimension"]) == (RESOURCE, DIMENSION)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    [policy] = policies(account)
    assert policy["ResourceId"] == RESOURCE
    assert policy["PolicyType"] == "TargetTrackingScaling"
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 200
    assert config["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert (config["ScaleInCooldown"], config["ScaleOutCooldown"]) == (600, 60)
    entered = states_entered(outcome.history)
    assert entered.index("PrepareGuardrails") < entered.index("Deploy")
    assert entered[-6:] == [
        "SmokeTest",
        "SmokeTestPassed?",
        "ScaleVariants",
        "Release",
        "DeploymentSucceeded",
        "NotifySucceeded",
    ]


def test_an_unchanged_setting_changes_nothing(account):
    assert account.deploy(guarded(1)).status == "SUCCEEDED"
    before = (scalable_targets(account), policies(account))

    again = account.deploy(guarded(1))

    assert again.status == "SUCCEEDED", again.cause
    assert again.output is not None and again.output["Action"] == "NONE"
    assert (scalable_targets(account), policies(account)) == before


def test_an_instance_type_change_of_an_autoscaled_variant_succeeds_and_stays_registered(account):
    assert account.deploy(guarded(1)).status == "SUCCEEDED"

    outcome = account.deploy(guarded(2, instance_type="ml.c5.xlarge"))

    assert outcome.status == "SUCCEEDED", outcome.cause
    config = account.sagemaker.describe_endpoint_config(EndpointConfigName=serving(account))
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"
    [target] = scalable_targets(account)
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (RESOURCE, 2, 6)
    assert [p["ResourceId"] for p in policies(account)] == [RESOURCE]


def test_without_deregistering_first_the_emulator_refuses_the_update_as_sagemaker_does(account):
    """The guardrail is needed: an UpdateEndpoint that changes an autoscaled variant's
    instance type fails."""
    assert account.deploy(guarded(1)).status == "SUCCEEDED"
    sm = account.sagemaker
    sm.create_model(
        ModelName="fraud-v2",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1"},
    )
    sm.create_endpoint_config(
        EndpointConfigName="fraud-bigger",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "fraud-v2",
                "InstanceType": "ml.c5.xlarge",
                "InitialInstanceCount": 2,
            }
        ],
    )
    with pytest.raises(sm.exceptions.ClientError) as refused:
        sm.update_endpoint(EndpointName=ENDPOINT, EndpointConfigName="fraud-bigger")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "registered as an Application Auto Scaling scalable target" in str(refused.value)


def test_an_update_while_scaled_out_keeps_the_count(make_account):
    account = make_account(scaled_to=5)
    assert account.deploy(guarded(1)).status == "SUCCEEDED"
    assert instance_count(account) == 5

    outcome = account.deploy(guarded(2))

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert instance_count(account) == 5  # not the config's InitialInstanceCount of 2
    assert len(scalable_targets(account)) == 1


def test_removing_the_setting_deregisters(account):
    assert account.deploy(guarded(1)).status == "SUCCEEDED"

    outcome = account.deploy(guarded(2, guardrails={}))

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert scalable_targets(account) == []
    assert policies(account) == []


# --- rollback alarms ------------------------------------------------------------------------


def test_alarms_are_made_before_the_update_and_named_in_its_rollback_configuration(account):
    guard = {"AutoScaling": SCALING, "RollbackAlarms": ALARMS}
    assert account.deploy(guarded(1, guardrails=guard)).status == "SUCCEEDED"

    cloudwatch = account.client("cloudwatch")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    names = [f"smdeploy-{ENDPOINT}-primary-Invocation5XXErrors"]
    names.append(f"smdeploy-{ENDPOINT}-primary-ModelLatency")
    assert sorted(alarms) == sorted(names)
    errors = alarms[names[0]]
    assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == (
        "Invocation5XXErrors",
        "Sum",
        5.0,
    )
    assert {d["Name"]: d["Value"] for d in errors["Dimensions"]} == {
        "EndpointName": ENDPOINT,
        "VariantName": "primary",
    }
    assert alarms[names[1]]["ExtendedStatistic"] == "p99"
    endpoint = account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    rollback = endpoint["LastDeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert [a["AlarmName"] for a in rollback] == names


def alarm_names(account: Any) -> list[str]:
    found = account.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return sorted(alarm["AlarmName"] for alarm in found)


def test_alarms_no_longer_named_are_deleted_after_a_success_and_no_one_elses(account):
    latency = f"smdeploy-{ENDPOINT}-primary-ModelLatency"
    errors = f"smdeploy-{ENDPOINT}-primary-Invocation5XXErrors"
    assert account.deploy(guarded(1, guardrails={"RollbackAlarms": ALARMS})).status == "SUCCEEDED"
    cloudwatch = account.client("cloudwatch")
    # an endpoint whose name begins with this one's, and an alarm a person made by that name
    others = {
        "smdeploy-fraud-scorer-eu-primary-ModelLatency": "smdeploy rollback alarm of "
        "fraud-scorer-eu (primary): ModelLatency above 500000",
        f"smdeploy-{ENDPOINT}-primary-custom": "made by hand",
    }
    for name, description in others.items():
        put_sagemaker_alarm(
            cloudwatch, name, "ModelLatency", statistic="Average", description=description
        )

    fewer = account.deploy(guarded(2, guardrails={"RollbackAlarms": ALARMS[:1]}))

    assert fewer.status == "SUCCEEDED", fewer.cause
    assert alarm_names(account) == sorted([errors, *others])
    scaled = [
        json.loads(e["lambdaFunctionSucceededEventDetails"]["output"])
        for e in fewer.history
        if e["type"] == "LambdaFunctionSucceeded"
        and "AlarmsDeleted" in e["lambdaFunctionSucceededEventDetails"]["output"]
    ]
    assert scaled[-1]["AlarmsDeleted"] == [latency]
    assert f"rollback alarms deleted: {latency}" in scaled[-1]["Message"]

    none = account.deploy(guarded(3, guardrails={}))

    assert none.status == "SUCCEEDED", none.cause
    assert alarm_names(account) == sorted(others)


def test_a_failed_update_deletes_no_alarm(make_account):
    account = make_account(rollback_update="the new model failed its health check")
    assert account.deploy(guarded(1, guardrails={"RollbackAlarms": ALARMS})).status == "SUCCEEDED"
    before = alarm_names(account)

    outcome = account.deploy(guarded(2, guardrails={"RollbackAlarms": ALARMS[:1]}))

    assert outcome.status == "FAILED"
    assert outcome.error == "EndpointUpdateRolledBack"
    assert alarm_names(account) == before


def test_a_canary_whose_generated_alarm_fires_is_rolled_back_and_reported(make_account):
    account = make_account(alarm_during_update="")
    guard = {"AutoScaling": SCALING, "RollbackAlarms": ALARMS}
    first = account.deploy(guarded(1, guardrails=guard))
    assert first.status == "SUCCEEDED", first.cause
    canary = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 300,
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            },
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }

    outcome = account.deploy(
        guarded(2, instance_type="ml.c5.xlarge", guardrails=guard, DeploymentConfig=canary)
    )

    assert outcome.status == "FAILED"
    assert outcome.error == "EndpointUpdateRolledBack"
    alarm = f"smdeploy-{ENDPOINT}-primary-Invocation5XXErrors"
    assert alarm in (outcome.cause or "")
    assert serving(account) == first.EndpointConfigName
    # the old variant keeps scaling: registered again after the rollback
    [target] = scalable_targets(account)
    assert target["ResourceId"] == RESOURCE
    assert "RescaleAfterFailure" in states_entered(outcome.history)


# --- the smoke test -------------------------------------------------------------------------


def test_a_smoke_test_that_passes(account):
    outcome = account.deploy(guarded(1, guardrails={"SmokeTest": SMOKE}))

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert "SmokeTest" in states_entered(outcome.history)


def test_a_smoke_test_that_fails_on_create(make_account):
    account = make_account(fail_invoke="model not loaded")

    outcome = account.deploy(guarded(1, guardrails={"SmokeTest": SMOKE}))

    assert outcome.status == "FAILED"
    assert outcome.error == "SmokeTestFailed"
    assert "model not loaded" in (outcome.cause or "")
    assert "Nothing to put back" in (outcome.cause or "")


def test_a_smoke_test_that_fails_on_update_puts_the_old_config_back(make_account):
    account = make_account(fail_invoke="model not loaded")
    guard = {"AutoScaling": SCALING, "SmokeTest": SMOKE}
    first = account.deploy(guarded(1, guardrails={"AutoScaling": SCALING}))
    assert first.status == "SUCCEEDED", first.cause

    outcome = account.deploy(guarded(2, instance_type="ml.c5.xlarge", guardrails=guard))

    assert outcome.status == "FAILED"
    assert outcome.error == "SmokeTestFailed"
    cause = outcome.cause or ""
    assert "model not loaded" in cause
    assert f"put back on {first.EndpointConfigName}" in cause
    assert serving(account) == first.EndpointConfigName
    entered = states_entered(outcome.history)
    assert "WaitForRestore" in entered and "CheckRestore" in entered
    [target] = scalable_targets(account)  # the old variant scales again
    assert target["ResourceId"] == RESOURCE
    assert "SmokeTestFailed" in failures(outcome.history)
