"""The autoscaling of inference components' copies, decided from data
(deployer.decide.component_scaling.component_plan), table-tested: what the setting asks for,
against what Application Auto Scaling holds."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.decide.component_scaling import (
    FROM_ZERO,
    ComponentTarget,
    component_plan,
    from_zero_alarm,
    resource_id,
)
from deployer.request.guardrails import ScalingSetting

BASES = ["llm-a", "llm-b"]


def setting(low: int = 0, high: int = 4, **more: Any) -> ScalingSetting:
    return ScalingSetting.model_validate(
        {"MinCapacity": low, "MaxCapacity": high, "TargetValue": 5, **more}
    )


def tracking(target: float = 5) -> dict[str, Any]:
    return setting(TargetValue=target).policy_configuration(
        "SageMakerInferenceComponentInvocationsPerCopy"
    )


def target(
    low: int, high: int, track: float | None = 5, from_zero: bool = False
) -> ComponentTarget:
    return ComponentTarget(
        MinCapacity=low,
        MaxCapacity=high,
        Tracking=tracking(track) if track is not None else None,
        FromZero=from_zero,
    )


CASES = [
    # (setting, found, succeeded) -> (register, tracking, from zero, drop from zero, deregister)
    pytest.param(
        setting(),
        {},
        True,
        ({"llm-a": (0, 4), "llm-b": (0, 4)}, BASES, BASES, [], []),
        id="first deployment, scale to zero: every base registered from 0, with both policies",
    ),
    pytest.param(
        setting(),
        {"llm-a": target(0, 4, from_zero=True), "llm-b": target(0, 4, from_zero=True)},
        True,
        ({}, [], [], [], []),
        id="the same setting again changes nothing",
    ),
    pytest.param(
        setting(1, 4),
        {"llm-a": target(0, 4, from_zero=True), "llm-b": target(0, 4, from_zero=True)},
        True,
        ({"llm-a": (1, 4), "llm-b": (1, 4)}, BASES, [], BASES, []),
        id="minimum raised to 1: registered again, the scale-out from zero removed",
    ),
    pytest.param(
        setting(0, 4, TargetValue=9),
        {"llm-a": target(0, 4, from_zero=True), "llm-b": target(0, 4, from_zero=True)},
        True,
        ({}, BASES, [], [], []),
        id="only the target value changed: the policies put again, nothing registered",
    ),
    pytest.param(
        setting(InferenceComponents=["llm-b"]),
        {"llm-a": target(0, 4, from_zero=True), "llm-b": target(0, 4, from_zero=True)},
        True,
        ({}, [], [], [], ["llm-a"]),
        id="a component the setting no longer covers, scaled by the deployer: deregistered",
    ),
    pytest.param(
        setting(InferenceComponents=["llm-b"]),
        {"llm-a": target(0, 4, from_zero=True), "llm-b": target(0, 4, from_zero=True)},
        False,
        ({}, [], [], [], []),
        id="after a failure nothing is deregistered",
    ),
    pytest.param(
        setting(InferenceComponents=["llm-b"]),
        {"llm-a": target(1, 8, track=None), "llm-b": target(0, 4, from_zero=True)},
        True,
        ({}, [], [], [], []),
        id="someone's own scaling of an uncovered component (no deployer policy) is left alone",
    ),
    pytest.param(
        None,
        {"llm-a": target(0, 4, from_zero=True)},
        True,
        ({}, [], [], [], ["llm-a"]),
        id="the setting removed: what the deployer scaled is deregistered",
    ),
]


@pytest.mark.parametrize(("wanted", "found", "succeeded", "expected"), CASES)
def test_the_plan_brings_the_components_to_the_setting(wanted, found, succeeded, expected):
    plan = component_plan(wanted, BASES, found, succeeded)

    assert (
        plan.Register,
        plan.Tracking,
        plan.FromZero,
        plan.DropFromZero,
        plan.Deregister,
    ) == expected


def test_the_alarm_from_zero_runs_the_step_policy_on_an_invocation_that_found_no_copy():
    alarm = from_zero_alarm("llm-a", "arn:policy")

    assert alarm["AlarmActions"] == ["arn:policy"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        "AWS/SageMaker",
        "NoCapacityInvocationFailures",
    )
    assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "llm-a"}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert FROM_ZERO["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    assert resource_id("llm-a") == "inference-component/llm-a"
