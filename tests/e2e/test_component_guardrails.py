"""End to end: ``Guardrails`` on an endpoint for inference components, through the real state
machine. The autoscaling tests assert what the emulated account holds afterwards: the
components' scalable targets, the deployer's policies on them, the alarm that scales a
component out from zero, and the copy counts. The smoke tests assert the execution's outcome
and what the Verify step reported."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import load_example, states_entered

from smdeploy.runtime.local import LocalDeployment

pytestmark = pytest.mark.e2e

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
BASES = ["llama-3-8b", "mistral-7b"]
GUARDED = (
    Path(__file__).resolve().parents[1]
    / "fixtures/requests/valid/inference-components-guardrails.json"
)  # the example's adapter, llama-3-8b-support, has no copies


def autoscaled(low: int, **more: Any) -> dict[str, Any]:
    request = load_example("inference-components-request.json")
    request["Guardrails"] = {
        "AutoScaling": {"MinCapacity": low, "MaxCapacity": 4, "TargetValue": 5, **more}
    }
    return request


def targets(account: LocalDeployment) -> dict[str, tuple[int, int]]:
    found = account.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION
    )["ScalableTargets"]
    return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found}


def policies(account: LocalDeployment) -> dict[str, dict[str, Any]]:
    found = account.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace=NAMESPACE
    )["ScalingPolicies"]
    return {p["PolicyName"]: p for p in found}


def alarms(account: LocalDeployment) -> dict[str, dict[str, Any]]:
    found = account.client("cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def step_result(outcome: Any, state: str, key: str) -> dict[str, Any]:
    """What the Task state ``state`` put at ``$.<key>``, from the execution's history."""
    [exited] = [
        e["stateExitedEventDetails"]
        for e in outcome.history
        if e.get("stateExitedEventDetails", {}).get("name") == state
    ]
    found: dict[str, Any] = json.loads(exited["output"])[key]
    return found


def scaled(outcome: Any) -> dict[str, Any]:
    return step_result(outcome, "ScaleVariants", "Scaling")


def copies(account: LocalDeployment, name: str) -> tuple[int, int]:
    runtime = account.sagemaker.describe_inference_component(InferenceComponentName=name)[
        "RuntimeConfig"
    ]
    return runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]


def test_scale_to_zero_registers_each_base_with_tracking_and_a_scale_out_from_zero(account):
    outcome = account.deploy(autoscaled(0))

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert "ScaleVariants" in states_entered(outcome.history)
    assert targets(account) == {f"inference-component/{name}": (0, 4) for name in BASES}
    found = policies(account)
    for name in BASES:
        tracking = found[f"smdeploy-{name}-target-tracking"]
        assert tracking["PolicyType"] == "TargetTrackingScaling"
        configuration = tracking["TargetTrackingScalingPolicyConfiguration"]
        assert configuration["TargetValue"] == 5
        assert configuration["PredefinedMetricSpecification"] == {
            "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
        }
        step = found[f"smdeploy-{name}-scale-out-from-zero"]
        assert step["ResourceId"] == f"inference-component/{name}"
        assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
            {"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}
        ]
        alarm = alarms(account)[f"smdeploy-{name}-NoCapacityInvocationFailures"]
        assert alarm["AlarmActions"] == [step["PolicyARN"]]
        assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": name}]
    assert "scale-out from zero put on llama-3-8b, mistral-7b" in scaled(outcome)["Message"]


def test_an_update_keeps_the_copy_count_the_autoscaler_set_and_changes_no_scaling(account):
    assert account.deploy(autoscaled(0)).status == "SUCCEEDED"
    before = (targets(account), policies(account), alarms(account))
    # no traffic: the autoscaler scales mistral in to zero copies
    account.sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="mistral-7b", DesiredRuntimeConfig={"CopyCount": 0}
    )
    changed = autoscaled(0)
    startup = changed["InferenceComponents"][0]["Specification"]["StartupParameters"]
    startup["ContainerStartupHealthCheckTimeoutInSeconds"] = 900

    outcome = account.deploy(changed, label="v2")

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert copies(account, "mistral-7b") == (0, 0)
    assert copies(account, "llama-3-8b") == (1, 1)
    assert (targets(account), policies(account), alarms(account)) == before
    assert scaled(outcome)["Registered"] == []


def test_a_minimum_of_one_removes_the_scale_out_from_zero(account):
    assert account.deploy(autoscaled(0)).status == "SUCCEEDED"

    outcome = account.deploy(autoscaled(1), label="min 1")

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert targets(account) == {f"inference-component/{name}": (1, 4) for name in BASES}
    assert sorted(policies(account)) == [f"smdeploy-{name}-target-tracking" for name in BASES]
    assert not [name for name in alarms(account) if "NoCapacity" in name]


def test_a_component_left_out_of_the_setting_is_deregistered_and_its_alarm_deleted(account):
    assert account.deploy(autoscaled(0)).status == "SUCCEEDED"

    outcome = account.deploy(autoscaled(0, InferenceComponents=["mistral-7b"]), label="mistral")

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert targets(account) == {"inference-component/mistral-7b": (0, 4)}
    assert sorted(alarms(account)) == ["smdeploy-mistral-7b-NoCapacityInvocationFailures"]
    assert scaled(outcome)["Deregistered"] == ["llama-3-8b"]


def test_someone_elses_scaling_of_a_component_outside_the_setting_is_left_alone(account):
    scaling = account.client("application-autoscaling")
    request = autoscaled(0, InferenceComponents=["mistral-7b"])
    assert account.deploy(copy.deepcopy(request)).status == "SUCCEEDED"
    scaling.register_scalable_target(
        ServiceNamespace=NAMESPACE,
        ResourceId="inference-component/llama-3-8b",
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=8,
    )

    outcome = account.deploy(request, label="again")

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert targets(account) == {
        "inference-component/mistral-7b": (0, 4),
        "inference-component/llama-3-8b": (1, 8),
    }


SMOKE = {"ContentType": "application/json", "Body": {"inputs": "Hello"}}


def smoke_tested(outcome: Any) -> dict[str, Any]:
    return step_result(outcome, "SmokeTest", "SmokeTest")


def smoked(request: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(request)
    changed.setdefault("Guardrails", {})["SmokeTest"] = SMOKE
    return changed


def test_the_smoke_test_invokes_each_component_by_its_name(account):
    request = smoked(load_example("inference-components-request.json"))

    outcome = account.deploy(request)

    assert outcome.status == "SUCCEEDED", outcome.cause
    reported = smoke_tested(outcome)
    assert reported["Passed"] is True
    assert reported["Message"] == (
        "smoke test passed: llama-3-8b, mistral-7b, llama-3-8b-support answered as expected"
    )


def test_a_failed_smoke_test_fails_the_deployment_naming_each_component(make_account):
    account = make_account(fail_invoke="CUDA out of memory")
    request = smoked(load_example("inference-components-request.json"))

    outcome = account.deploy(request)

    assert (outcome.status, outcome.error) == ("FAILED", "SmokeTestFailed")
    cause = outcome.cause or ""
    for name in ("llama-3-8b", "mistral-7b", "llama-3-8b-support"):
        assert f"inference component {name} answered status" in cause
    assert "CUDA out of memory" in cause
    assert "keep the specification they were deployed with" in cause


def test_a_component_at_zero_copies_and_its_adapter_are_not_invoked(account):
    request = smoked(autoscaled(0))
    assert account.deploy(request).status == "SUCCEEDED"
    # no traffic: the autoscaler scales llama in to zero copies (its adapter runs on them)
    account.sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="llama-3-8b", DesiredRuntimeConfig={"CopyCount": 0}
    )

    outcome = account.deploy(request, label="again")

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert smoke_tested(outcome)["Message"] == (
        "smoke test passed: mistral-7b answered as expected; at zero copies, not invoked: "
        "llama-3-8b, llama-3-8b-support"
    )
    assert copies(account, "llama-3-8b") == (0, 0)


def guarded() -> dict[str, Any]:
    """The example with every guardrail, mistral rolled out one copy at a time (the alarms
    roll back a rolling update)."""
    loaded: dict[str, Any] = json.loads(GUARDED.read_text())
    return loaded


def test_rollback_alarms_are_made_per_component_and_roll_its_update_back(make_account):
    account = make_account(alarm_during_update="smdeploy-mistral-7b-Invocation5XXErrors")
    assert account.deploy(guarded()).status == "SUCCEEDED"
    made = alarms(account)
    latency = made["smdeploy-llama-3-8b-GPUMemoryUtilizationNormalized"]
    assert (latency["Namespace"], latency["Statistic"]) == (
        "/aws/sagemaker/InferenceComponents",
        "Maximum",
    )
    errors = made["smdeploy-mistral-7b-Invocation5XXErrors"]
    assert (errors["Namespace"], errors["Dimensions"]) == (
        "AWS/SageMaker",
        [{"Name": "InferenceComponentName", "Value": "mistral-7b"}],
    )
    assert "smdeploy-llama-3-8b-ModelErrorRate" not in made  # that alarm names mistral only
    v2 = guarded()
    v2["InferenceComponents"][1]["RuntimeConfig"] = {"CopyCount": 3}
    v2["InferenceComponents"][1]["Specification"]["StartupParameters"] = {
        "ModelDataDownloadTimeoutInSeconds": 900
    }

    outcome = account.deploy(v2, label="v2")

    assert (outcome.status, outcome.error) == ("FAILED", "ComponentFailed")
    assert "smdeploy-mistral-7b-Invocation5XXErrors" in (outcome.cause or "")
    mistral = account.sagemaker.describe_inference_component(InferenceComponentName="mistral-7b")
    assert "StartupParameters" not in mistral["Specification"]
    named = [
        a["AlarmName"]
        for a in mistral["LastDeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    ]
    assert named == [
        "mistral-7b-errors",
        "smdeploy-mistral-7b-Invocation5XXErrors",
        "smdeploy-mistral-7b-ModelErrorRate",
        "smdeploy-mistral-7b-GPUMemoryUtilizationNormalized",
    ]


def test_alarms_the_request_no_longer_asks_for_are_deleted_after_a_success(account):
    assert account.deploy(guarded()).status == "SUCCEEDED"
    fewer = guarded()
    fewer["Guardrails"]["RollbackAlarms"] = [{"Metric": "Invocation5XXErrors", "Threshold": 5}]

    outcome = account.deploy(fewer, label="fewer")

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert sorted(name for name in alarms(account) if "NoCapacity" not in name) == [
        "smdeploy-llama-3-8b-Invocation5XXErrors",
        "smdeploy-mistral-7b-Invocation5XXErrors",
    ]
    assert sorted(scaled(outcome)["AlarmsDeleted"]) == [
        "smdeploy-llama-3-8b-GPUMemoryUtilizationNormalized",
        "smdeploy-mistral-7b-GPUMemoryUtilizationNormalized",
        "smdeploy-mistral-7b-ModelErrorRate",
    ]


def test_an_invocation_at_zero_copies_sets_the_alarm_off_and_the_component_scales_out(account):
    assert account.deploy(autoscaled(0)).status == "SUCCEEDED"
    scheduler = account.emulator.scheduler
    # no traffic: the autoscaler scales llama in to zero copies
    account.sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="llama-3-8b", DesiredRuntimeConfig={"CopyCount": 0}
    )
    scheduler.advance_by(600)
    assert copies(account, "llama-3-8b") == (0, 0)
    runtime = account.client("sagemaker-runtime")

    def invoke() -> Any:
        return runtime.invoke_endpoint(
            EndpointName="assistant-llms",
            InferenceComponentName="llama-3-8b",
            ContentType="application/json",
            Body=b'{"inputs": "Hello"}',
        )

    with pytest.raises(runtime.exceptions.ValidationError, match="no capacity"):
        invoke()
    scheduler.advance_by(60)  # the alarm's period ends: ALARM, and its step policy runs
    alarm = alarms(account)["smdeploy-llama-3-8b-NoCapacityInvocationFailures"]
    assert alarm["StateValue"] == "ALARM"
    scheduler.advance_by(600)  # the copy starts

    assert copies(account, "llama-3-8b") == (1, 1)
    assert invoke()["Body"].read()
    statistics = account.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="NoCapacityInvocationFailures",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "llama-3-8b"}],
        StartTime=alarm["StateUpdatedTimestamp"] - timedelta(hours=1),
        EndTime=alarm["StateUpdatedTimestamp"] + timedelta(hours=1),
        Period=3600,
        Statistics=["Sum"],
    )
    assert [point["Sum"] for point in statistics["Datapoints"]] == [1.0]
    # no more failures: the next periods find no datapoint (TreatMissingData missing)
    assert (
        alarms(account)["smdeploy-llama-3-8b-NoCapacityInvocationFailures"]["StateValue"]
        == "INSUFFICIENT_DATA"
    )
