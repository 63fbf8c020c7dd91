"""The Guardrails key, checked like the rest of the request (table-driven), and the
guardrails' decisions as pure functions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench import fuzz
from deployer.decide import guardrails
from deployer.errors import ProfileInvalid
from deployer.request.deployment import validate_request
from deployer.request.guardrails import Guardrails, ScalingSetting, SmokeTestSetting, alarm_name
from deployer.request.profiles import parse_profiles

# fuzz.BASE without its guardrails: the endpoint and its two variants, one source for both
BASE: dict[str, Any] = {
    key: copy.deepcopy(fuzz.BASE[key]) for key in ("EndpointName", "ProductionVariants")
}
SCALING = {"MinCapacity": 1, "MaxCapacity": 4, "TargetValue": 100}


def with_guardrails(value: Any) -> dict[str, Any]:
    request = copy.deepcopy(BASE)
    request["Guardrails"] = value
    return request


VALID = [
    ("autoscaling-of-one-variant", {"AutoScaling": {**SCALING, "Variants": ["primary"]}}),
    (
        "custom-metric",
        {
            "AutoScaling": {
                **SCALING,
                "Variants": ["primary"],
                "CustomizedMetricSpecification": {
                    "MetricName": "CPUUtilization",
                    "Namespace": "/aws/sagemaker/Endpoints",
                    "Statistic": "Average",
                },
                "ScaleInCooldown": 600,
                "ScaleOutCooldown": 0,
            }
        },
    ),
    (
        "alarms",
        {
            "RollbackAlarms": [
                {"Metric": "Invocation5XXErrors", "Threshold": 5, "Variants": ["primary"]},
                {"Metric": "ModelLatency", "Statistic": "p99.9", "Threshold": 250000},
                {"Metric": "ModelErrorRate", "Threshold": 0.05, "PeriodSeconds": 300},
            ]
        },
    ),
    ("smoke-test-text-body", {"SmokeTest": {"ContentType": "text/csv", "Body": "1,2,3"}}),
    (
        "smoke-test-json",
        {"SmokeTest": {"Body": {"x": 1}, "ExpectStatus": 200, "ExpectJsonPath": "$.a[0].b"}},
    ),
    ("nothing", {}),
]


@pytest.mark.parametrize(("name", "value"), VALID, ids=[v[0] for v in VALID])
def test_valid_guardrails(name: str, value: Any) -> None:
    validation = validate_request(with_guardrails(value))
    assert validation.problems == []
    assert validation.request is not None
    # SageMaker never sees the key, and it does not change the config's derived name
    assert "Guardrails" not in validation.request.endpoint_config_params()
    assert "Guardrails" not in validation.request.update_endpoint_params("fraud-scorer")
    bare = validate_request(copy.deepcopy(BASE)).request
    assert bare is not None
    assert validation.request.endpoint_config_name == bare.endpoint_config_name


INVALID = [
    ("not-an-object", [], ["Guardrails: must be an object, got a list []"]),
    (
        "unknown-key",
        {"Autoscaling": {}},
        ["Guardrails.Autoscaling: unknown field; did you mean AutoScaling?"],
    ),
    (
        "scaling-required",
        {"AutoScaling": {"Variants": ["primary"]}},
        [
            "Guardrails.AutoScaling.MinCapacity: required field is missing",
            "Guardrails.AutoScaling.MaxCapacity: required field is missing",
            "Guardrails.AutoScaling.TargetValue: required field is missing",
        ],
    ),
    (
        "max-below-min",
        {"AutoScaling": {**SCALING, "MinCapacity": 5, "Variants": ["primary"]}},
        ["Guardrails.AutoScaling.MaxCapacity: must be at least MinCapacity (5), got 4"],
    ),
    (
        "zero-target",
        {"AutoScaling": {**SCALING, "TargetValue": 0, "Variants": ["primary"]}},
        ["Guardrails.AutoScaling.TargetValue: must be greater than 0, got 0"],
    ),
    (
        "min-zero-and-string-max",
        {"AutoScaling": {**SCALING, "MinCapacity": 0, "MaxCapacity": "4", "Variants": ["primary"]}},
        [
            "Guardrails.AutoScaling.MinCapacity: must be at least 1, got 0",
            'Guardrails.AutoScaling.MaxCapacity: must be a whole number, got a string "4"',
        ],
    ),
    (
        "unknown-metric-type",
        {"AutoScaling": {**SCALING, "PredefinedMetricType": "CPU", "Variants": ["primary"]}},
        ["Guardrails.AutoScaling.PredefinedMetricType: must be one of SageMakerVariant"],
    ),
    (
        "both-metrics",
        {
            "AutoScaling": {
                **SCALING,
                "Variants": ["primary"],
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance",
                "CustomizedMetricSpecification": {"MetricName": "m", "Namespace": "n"},
            }
        },
        [
            "Guardrails.AutoScaling.CustomizedMetricSpecification: give PredefinedMetricType or",
            "Guardrails.AutoScaling.CustomizedMetricSpecification.Statistic: required field is",
        ],
    ),
    (
        "unknown-variant",
        {"AutoScaling": {**SCALING, "Variants": ["primery"]}},
        [
            "Guardrails.AutoScaling.Variants[0]: names no production variant of the request "
            '(primary, canary), got "primery"'
        ],
    ),
    (
        "alarm-required",
        {"RollbackAlarms": [{"Statistic": "Sum"}]},
        [
            "Guardrails.RollbackAlarms[0].Metric: required field is missing",
            "Guardrails.RollbackAlarms[0].Threshold: required field is missing",
        ],
    ),
    (
        "alarm-values",
        {
            "RollbackAlarms": [
                {
                    "Metric": "Latency",
                    "Threshold": -1,
                    "Statistic": "median",
                    "PeriodSeconds": 45,
                    "EvaluationPeriods": 0,
                }
            ]
        },
        [
            "Guardrails.RollbackAlarms[0].Metric: must be one of Invocation5XXErrors",
            "Guardrails.RollbackAlarms[0].Threshold: must be at least 0, got -1",
            "Guardrails.RollbackAlarms[0].Statistic: must be one of SampleCount",
            "Guardrails.RollbackAlarms[0].PeriodSeconds: must be 10, 30 or a multiple of 60",
            "Guardrails.RollbackAlarms[0].EvaluationPeriods: must be from 1 to 100, got 0",
        ],
    ),
    (
        "error-rate-statistic",
        {"RollbackAlarms": [{"Metric": "ModelErrorRate", "Threshold": 0.1, "Statistic": "Sum"}]},
        ["Guardrails.RollbackAlarms[0].Statistic: ModelErrorRate is InvocationModelErrors"],
    ),
    (
        "too-many-alarms",
        {
            "RollbackAlarms": [
                {"Metric": m, "Threshold": 1}
                for m in ("Invocation5XXErrors", "Invocation4XXErrors", "ModelLatency")
            ]
            + [
                {"Metric": m, "Threshold": 1}
                for m in ("OverheadLatency", "InvocationModelErrors", "ModelErrorRate")
            ]
        },
        [
            "Guardrails.RollbackAlarms: makes 12 alarms (one per alarm and variant) beside the 0 "
            "the DeploymentConfig names: 12 in all, and AutoRollbackConfiguration takes at most 10"
        ],
    ),
    (
        "smoke-test",
        {"SmokeTest": {"ContentType": "", "ExpectStatus": 700, "ExpectJsonPath": "predictions"}},
        [
            "Guardrails.SmokeTest.Body: required field is missing",
            "Guardrails.SmokeTest.ContentType: must be a MIME type (1 to 1024 characters), got a "
            'string ""',
            "Guardrails.SmokeTest.ExpectStatus: must be from 100 to 599, got 700",
            "Guardrails.SmokeTest.ExpectJsonPath: must be a simple JSON path such as "
            '$.predictions[0].score, got a string "predictions"',
        ],
    ),
]


@pytest.mark.parametrize(("name", "value", "expected"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_guardrails(name: str, value: Any, expected: list[str]) -> None:
    problems = validate_request(with_guardrails(value)).problems
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problems


def test_a_serverless_endpoint_has_no_instance_count_to_scale() -> None:
    request = with_guardrails({"AutoScaling": SCALING})
    request["ProductionVariants"] = [
        {
            "VariantName": "small",
            "ModelName": "fraud-v1",
            "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
        }
    ]
    assert validate_request(request).problems == [
        "Guardrails.AutoScaling: every production variant is serverless: Application Auto "
        "Scaling scales the instance count of instance-based variants only"
    ]
    request["Guardrails"]["AutoScaling"]["Variants"] = ["small"]
    assert validate_request(request).problems == [
        'Guardrails.AutoScaling.Variants[0]: "small" is serverless: Application Auto Scaling '
        "scales the instance count of instance-based variants only"
    ]


def test_a_profile_is_checked_by_the_same_validator_with_its_group_named() -> None:
    profile = {k: v for k, v in copy.deepcopy(BASE).items()}
    for variant in profile["ProductionVariants"]:
        variant.pop("ModelName")
    profile["Guardrails"] = {"AutoScaling": {**SCALING, "MaxCapacity": 0, "Variants": ["x"]}}
    with pytest.raises(ProfileInvalid) as refused:
        parse_profiles({"fraud": profile})
    assert refused.value.problems == [
        "fraud.Guardrails.AutoScaling.MaxCapacity: must be at least 1, got 0",
        "fraud.Guardrails.AutoScaling.MaxCapacity: must be at least MinCapacity (1), got 0",
        "fraud.Guardrails.AutoScaling.Variants[0]: names no production variant of the request "
        '(primary, canary), got "x"',
    ]
    profile["Guardrails"] = {"AutoScaling": {**SCALING, "Variants": ["primary"]}}
    assert parse_profiles({"fraud": profile})["fraud"].fields["Guardrails"]["AutoScaling"]


# --- decisions ---------------------------------------------------------------------------

M5, C5 = "ml.m5.large", "ml.c5.xlarge"


@pytest.mark.parametrize(
    ("registered", "serving", "target", "expected"),
    [
        (["a"], {"a": M5}, {"a": M5}, []),  # only the model changes: allowed
        (["a"], {"a": M5}, {"a": C5}, ["a"]),  # instance type changes
        (["a", "b"], {"a": M5, "b": M5}, {"a": M5}, ["b"]),  # b removed
        ([], {"a": M5}, {"a": C5}, []),  # nothing registered
        (["a"], {"a": M5}, {"a": M5, "b": C5}, []),  # a variant added
    ],
)
def test_what_to_deregister_before_an_update(
    registered: list[str],
    serving: dict[str, str | None],
    target: dict[str, str | None],
    expected: list[str],
) -> None:
    assert guardrails.to_deregister(registered, serving, target) == expected


@pytest.mark.parametrize(
    ("fields", "registered", "deregistered", "expected"),
    [
        ({}, ["a"], [], True),  # a stays autoscaled: keep its count
        ({}, ["a"], ["a"], False),  # nothing stays autoscaled
        ({}, [], [], False),
        ({"RetainAllVariantProperties": False}, ["a"], [], False),  # the request decides
    ],
)
def test_when_instance_counts_are_retained(
    fields: dict[str, Any], registered: list[str], deregistered: list[str], expected: bool
) -> None:
    retained = guardrails.retained_properties(fields, registered, deregistered)
    assert bool(retained) is expected
    if expected:
        assert retained == {
            "RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"}],
        }


SETTING = ScalingSetting(MinCapacity=1, MaxCapacity=4, TargetValue=100)
POLICY = SETTING.policy_configuration()


@pytest.mark.parametrize(
    ("setting", "registered", "policies", "after_success", "register", "put", "deregister"),
    [
        (SETTING, {}, {}, True, {"a": (1, 4)}, ["a"], []),
        (SETTING, {"a": (1, 4)}, {"a": POLICY}, True, {}, [], []),  # unchanged: nothing
        (SETTING, {"a": (1, 2)}, {"a": POLICY}, True, {"a": (1, 4)}, ["a"], []),
        (None, {"a": (1, 4)}, {"a": POLICY}, True, {}, [], ["a"]),  # setting removed
        (None, {"a": (1, 4)}, {"a": POLICY}, False, {}, [], []),  # after a failure: left
        (SETTING, {"gone": (1, 4)}, {}, True, {"a": (1, 4)}, ["a"], ["gone"]),
    ],
)
def test_the_scaling_plan_after_an_outcome(
    setting: ScalingSetting | None,
    registered: dict[str, tuple[int, int]],
    policies: dict[str, dict[str, Any]],
    after_success: bool,
    register: dict[str, tuple[int, int]],
    put: list[str],
    deregister: list[str],
) -> None:
    plan = guardrails.scaling_plan(
        setting, {"a": M5, "s": None}, registered, policies, after_success
    )
    assert (plan.to_register, plan.policies, plan.deregister) == (register, put, deregister)


def test_alarms_are_named_by_prefix_and_added_after_the_requests_own() -> None:
    guard = Guardrails.model_validate(
        {"RollbackAlarms": [{"Metric": "ModelErrorRate", "Threshold": 0.05}]}
    )
    [made] = guardrails.alarm_requests("fraud", ["primary"], guard)
    assert made["AlarmName"] == "smdeploy-fraud-primary-ModelErrorRate"
    assert [m["Id"] for m in made["Metrics"]] == ["errors", "invocations", "rate"]
    fields = {"DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "x"}]}}}
    merged = guardrails.with_rollback_alarms(fields, [made["AlarmName"], "x"])
    assert merged["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": "x"},
        {"AlarmName": "smdeploy-fraud-primary-ModelErrorRate"},
    ]
    assert fields["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] == [{"AlarmName": "x"}]


@pytest.mark.parametrize(
    ("test", "status", "body", "expected"),
    [
        ({"Body": "x"}, 200, "anything", None),
        ({"Body": "x"}, 500, "boom", "answered status 500, expected 200"),
        ({"Body": "x", "ExpectStatus": 424}, 424, "", None),
        ({"Body": "x", "ExpectJsonPath": "$.p[0]"}, 200, '{"p": [1]}', None),
        ({"Body": "x", "ExpectJsonPath": "$.p[1]"}, 200, '{"p": [1]}', "answered JSON without"),
        ({"Body": "x", "ExpectJsonPath": "$.p"}, 200, "1,2", "answered a body that is not JSON"),
    ],
)
def test_the_smoke_tests_verdict(
    test: dict[str, Any], status: int, body: str, expected: str | None
) -> None:
    verdict = guardrails.smoke_failure(SmokeTestSetting(**test), status, body)
    assert verdict == expected or (expected is not None and verdict.startswith(expected))


def _alarm(name: str, endpoint: str | None) -> dict[str, str]:
    description = (
        f"{guardrails.alarm_description_prefix(endpoint)}primary): ModelLatency above 1"
        if endpoint
        else "made by hand"
    )
    return {"AlarmName": name, "AlarmDescription": description}


def test_stale_alarms_are_this_endpoints_own_that_the_request_no_longer_names():
    found = [
        _alarm("smdeploy-churn-primary-ModelLatency", "churn"),
        _alarm("smdeploy-churn-primary-Invocation5XXErrors", "churn"),
        _alarm("smdeploy-churn-shadow-ModelLatency", "Churn"),  # endpoint names: without case
        _alarm("smdeploy-Churn-primary-ModelLatency", "Churn"),  # made when spelled Churn
        _alarm("smdeploy-churn-eu-primary-ModelLatency", "churn-eu"),  # another endpoint's
        _alarm("smdeploy-churn-primary-custom", None),  # not the deployer's
        _alarm("smdeploy-other-primary-ModelLatency", "churn"),  # not named as churn's
    ]

    stale = guardrails.stale_alarms("churn", found, ["smdeploy-churn-primary-ModelLatency"])

    # alarm names compare exactly, as CloudWatch's do: the one spelled Churn is another alarm
    assert stale == [
        "smdeploy-Churn-primary-ModelLatency",
        "smdeploy-churn-primary-Invocation5XXErrors",
        "smdeploy-churn-shadow-ModelLatency",
    ]


@pytest.mark.parametrize(
    ("endpoint", "prefix"),
    [
        ("churn", "smdeploy-"),  # the first letter's case may differ: the prefix stops there
        ("Churn-EU", "smdeploy-"),
        ("2024-churn", "smdeploy-2024-"),  # digits and hyphens have no case
        ("123", "smdeploy-123"),
    ],
)
def test_the_alarm_search_prefix_finds_every_spelling_of_the_endpoint(endpoint, prefix):
    assert guardrails.alarm_search_prefix(endpoint) == prefix
    for spelling in (endpoint, endpoint.lower(), endpoint.upper(), endpoint.swapcase()):
        assert alarm_name(spelling, "primary", "ModelLatency").startswith(prefix)
