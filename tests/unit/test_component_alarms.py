"""The rollback alarms of inference components, decided from data
(deployer.decide.component_alarms): what each setting makes, where its names go, and which
alarms a clean-up deletes."""

from __future__ import annotations

from typing import Any

from deployer.decide.component_alarms import (
    alarm_requests,
    description_prefix,
    stale_alarms,
    with_component_alarms,
)
from deployer.request.guardrails import Guardrails


def guard(*alarms: dict[str, Any]) -> Guardrails:
    return Guardrails.model_validate({"RollbackAlarms": list(alarms)})


def test_each_alarm_is_made_for_each_component_it_covers_in_its_namespace():
    made = alarm_requests(
        ["a", "b"],
        guard(
            {"Metric": "Invocation5XXErrors", "Threshold": 5},
            {"Metric": "GPUUtilizationNormalized", "Threshold": 90, "InferenceComponents": ["b"]},
            {"Metric": "ModelLatency", "Threshold": 9, "Statistic": "p90"},
        ),
    )

    shown = [
        (c, p["AlarmName"], p["Namespace"], p.get("Statistic") or p.get("ExtendedStatistic"))
        for c, p in made
    ]
    assert shown == [
        ("a", "smdeploy-a-Invocation5XXErrors", "AWS/SageMaker", "Sum"),
        ("b", "smdeploy-b-Invocation5XXErrors", "AWS/SageMaker", "Sum"),
        (
            "b",
            "smdeploy-b-GPUUtilizationNormalized",
            "/aws/sagemaker/InferenceComponents",
            "Average",
        ),
        ("a", "smdeploy-a-ModelLatency", "AWS/SageMaker", "p90"),
        ("b", "smdeploy-b-ModelLatency", "AWS/SageMaker", "p90"),
    ]
    assert all(p["Dimensions"] == [{"Name": "InferenceComponentName", "Value": c}] for c, p in made)


def test_the_error_rate_is_metric_math_on_the_components_sums():
    [(component, params)] = alarm_requests(
        ["a"], guard({"Metric": "ModelErrorRate", "Threshold": 0.1})
    )

    inputs = [m["MetricStat"]["Metric"] for m in params["Metrics"] if "MetricStat" in m]
    assert component == "a"
    assert [(m["MetricName"], m["Dimensions"]) for m in inputs] == [
        ("InvocationModelErrors", [{"Name": "InferenceComponentName", "Value": "a"}]),
        ("Invocations", [{"Name": "InferenceComponentName", "Value": "a"}]),
    ]


def test_names_go_after_the_components_own_alarms_once_each():
    fields = {
        "InferenceComponents": [
            {
                "InferenceComponentName": "a",
                "DeploymentConfig": {
                    "RollingUpdatePolicy": {},
                    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "own"}]},
                },
            },
            {"InferenceComponentName": "b"},
        ]
    }

    changed = with_component_alarms(fields, {"a": ["own", "smdeploy-a-X"]})

    alarms = changed["InferenceComponents"][0]["DeploymentConfig"]["AutoRollbackConfiguration"]
    assert alarms["Alarms"] == [{"AlarmName": "own"}, {"AlarmName": "smdeploy-a-X"}]
    assert changed["InferenceComponents"][1] == {"InferenceComponentName": "b"}
    own = fields["InferenceComponents"][0]["DeploymentConfig"]["AutoRollbackConfiguration"]
    assert own["Alarms"] == [{"AlarmName": "own"}]  # the request itself is not changed


def test_only_the_deployers_alarms_of_the_component_not_kept_are_stale():
    found = [
        {"AlarmName": "smdeploy-a-X", "AlarmDescription": f"{description_prefix('a')}X): above 1"},
        {"AlarmName": "smdeploy-a-Y", "AlarmDescription": f"{description_prefix('a')}Y): above 1"},
        {"AlarmName": "smdeploy-a-own", "AlarmDescription": "someone's own"},
        {"AlarmName": "smdeploy-a-b-X", "AlarmDescription": f"{description_prefix('a-b')}X)"},
    ]

    assert stale_alarms("a", found, kept=["smdeploy-a-Y"]) == ["smdeploy-a-X"]
