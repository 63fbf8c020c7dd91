"""Validate stage: the execution input becomes a checked request, or every problem at once."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench import fuzz
from deployer.errors import RequestInvalid
from deployer.request.deployment import validate_request

DERIVED = re.compile(r"^churn-predictor-[0-9a-f]{10}$")


def test_valid_request_returns_the_request_and_a_derived_config_name(aws, make_request):
    request = make_request()

    result = aws.validate(request, execution="exec-42")

    assert set(result) == {
        *("Request", "EndpointName", "EndpointConfigName", "Order", "Trigger", "Intent", "Guarded"),
        *("Deadline", "Components"),
    }
    assert result["Guarded"] is False  # no Guardrails key: no guardrail step to run
    assert result["Components"] is None  # no InferenceComponents key: none to look at
    assert result["Trigger"] == {"Source": "direct"}
    # a direct request names no model package: no rejection can supersede it
    assert result["Intent"] == {
        "Package": None,
        "Rejects": None,
        "Serving": False,
        "RollBack": True,
    }
    # the deadline counts from the execution's start: the configured 3600 s by default
    assert result["Deadline"] == "2026-01-01T01:00:00Z"
    # a direct request is ordered by its execution's start time, its name breaking ties
    assert result["Order"] == {"At": "2026-01-01T00:00:00Z", "Version": 0, "Tiebreak": "exec-42"}
    assert result["Request"] == request
    assert result["EndpointName"] == "churn-predictor"
    assert DERIVED.match(result["EndpointConfigName"]), result["EndpointConfigName"]
    # Validation talks to no AWS service: nothing exists afterwards.
    assert aws.sagemaker.list_models()["Models"] == []
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []


@pytest.mark.parametrize(
    ("fields", "deadline"),
    [
        ({"DeadlineSeconds": 900}, "2026-01-01T00:15:00Z"),  # the request's own
        # a blue/green policy that may run 2 hours lengthens it (+600 s for its rollback)
        (
            {
                "DeploymentConfig": {
                    "BlueGreenUpdatePolicy": {
                        "TrafficRoutingConfiguration": {
                            "Type": "ALL_AT_ONCE",
                            "WaitIntervalInSeconds": 0,
                        },
                        "MaximumExecutionTimeoutInSeconds": 7200,
                    }
                }
            },
            "2026-01-01T02:10:00Z",
        ),
    ],
)
def test_the_deadline_is_the_requests_own_or_the_policys(aws, make_request, fields, deadline):
    result = aws.validate(make_request(**fields))

    assert result["Deadline"] == deadline


def test_a_bad_deadline_is_refused_naming_the_field_the_rule_and_the_value(aws, make_request):
    with pytest.raises(RequestInvalid) as raised:
        aws.validate(make_request(DeadlineSeconds=59))

    [violation] = raised.value.violations
    assert (violation.path, violation.rule) == ("DeadlineSeconds", "deadline")
    assert str(violation) == (
        "DeadlineSeconds: must be a whole number of seconds from 600 to 86400, got a number 59"
    )
    assert aws.sagemaker.list_models()["Models"] == []


def test_derived_config_name_follows_the_config_content_only(aws, make_request):
    first = aws.validate(make_request())["EndpointConfigName"]
    replay = aws.validate(make_request())["EndpointConfigName"]
    retagged = aws.validate(make_request(Tags=[{"Key": "team", "Value": "growth"}]))
    resized = aws.validate(make_request(instance_count=2))["EndpointConfigName"]

    assert replay == first
    assert retagged["EndpointConfigName"] == first  # tags do not change what a config does
    assert resized != first
    assert DERIVED.match(resized)


def test_explicit_config_name_is_kept(aws, make_request):
    result = aws.validate(make_request(EndpointConfigName="churn-config-v7"))

    assert result["EndpointConfigName"] == "churn-config-v7"


def test_invalid_request_lists_every_problem_with_its_field_path(aws):
    raw = {
        "EndpointName": "churn_predictor",
        "ProductionVariant": [],
        "Models": [{"ModelName": "churn-xgboost-v3"}],
    }

    with pytest.raises(RequestInvalid) as caught:
        aws.validate(raw)

    message = str(caught.value)
    assert message.startswith("4 problems in the deployment request:\n")
    expected = [
        "- ProductionVariant: unknown field; did you mean ProductionVariants?",
        "- EndpointName: must match the pattern",
        '"churn_predictor"',
        "- ProductionVariants: required field is missing",
        "- Models[0]: needs PrimaryContainer or Containers",
    ]
    for fragment in expected:
        assert fragment in message
    assert len(caught.value.problems) == 4
    assert all(f"- {problem}" in message for problem in caught.value.problems)


def test_invalid_variants_are_reported_by_index_and_field(aws, make_request):
    request = make_request()
    request["ProductionVariants"] = [
        {"VariantName": "bad_name", "InstanceType": "ml.m5.large", "InitialInstanceCount": "two"},
        {"VariantName": "second", "ModelName": "churn-xgboost-v1"},
    ]
    request["Tags"] = [{"Key": "team"}]

    with pytest.raises(RequestInvalid) as caught:
        aws.validate(request)

    fields = [problem.split(":", 1)[0] for problem in caught.value.problems]
    assert fields == [
        "ProductionVariants[0].VariantName",
        "ProductionVariants[0].ModelName",
        "ProductionVariants[0].InitialInstanceCount",
        "ProductionVariants[1]",
        "Tags[0].Value",
    ]
    assert "ProductionVariants[0].ModelName: required field is missing" in str(caught.value)
    assert 'must be an integer, got a string "two"' in str(caught.value)
    assert "ProductionVariants[1]: needs InstanceType and InitialInstanceCount" in str(caught.value)


def test_input_that_is_not_json_is_rejected(aws):
    with pytest.raises(
        RequestInvalid, match=r"1 problem in the deployment request:\n- \(request\)"
    ):
        aws.validate("{not json")


def test_log_lines_carry_the_execution_as_correlation_id(aws, make_request, stdout):
    aws.validate(make_request(), execution="deploy-churn-42")

    logs = stdout.logs()
    assert logs, "the handler logged nothing"
    assert {line["correlation_id"] for line in logs} == {"deploy-churn-42"}
    accepted = [line for line in logs if line["message"] == "request accepted"]
    assert len(accepted) == 1
    assert accepted[0]["level"] == "INFO"
    assert accepted[0]["endpoint_name"] == "churn-predictor"
    assert DERIVED.match(accepted[0]["endpoint_config_name"])
    assert accepted[0]["function_name"] == "smdeploy-validate"


def test_rejection_is_logged_with_its_problems_and_correlation_id(aws, stdout):
    with pytest.raises(RequestInvalid):
        aws.validate({"EndpointName": "x"}, execution="deploy-bad-1")

    rejected = [line for line in stdout.logs() if line["message"] == "request rejected"]
    assert len(rejected) == 1
    assert rejected[0]["level"] == "WARNING"
    assert rejected[0]["correlation_id"] == "deploy-bad-1"
    assert rejected[0]["problems"] == ["ProductionVariants: required field is missing"]
    assert rejected[0]["rules"] == ["required"]


def test_an_emf_metrics_line_counts_the_accepted_request(aws, make_request, stdout):
    aws.validate(make_request())

    blobs = [b for b in stdout.metrics() if "RequestsAccepted" in b["metric_names"]]
    assert len(blobs) == 1
    blob = blobs[0]
    assert blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "smdeploy"
    assert blob["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "RequestsAccepted", "Unit": "Count"}
    ]
    assert blob["RequestsAccepted"] == [1.0]
    assert blob["service"] == "smdeploy"


def test_an_emf_metrics_line_counts_the_rejection_by_error_type(aws, stdout):
    with pytest.raises(RequestInvalid):
        aws.validate({"EndpointName": "x"})

    blobs = [b for b in stdout.metrics() if "RequestsRejected" in b["metric_names"]]
    assert len(blobs) == 1
    assert "Errors" in blobs[0]["metric_names"]
    assert blobs[0]["ErrorType"] == "RequestInvalid"
    assert blobs[0]["Errors"] == [1.0]


# Any value of every JSON type that Lambda can receive (JSON text has no NaN or Infinity).
FINITE = [
    v
    for values in fuzz.VALUES.values()
    for v in values
    if not (isinstance(v, float) and not math.isfinite(v))
]
GUARDRAIL_CHANGES = st.lists(
    st.tuples(
        st.sampled_from(sorted(fuzz.FIELDS, key=str)),
        st.sampled_from([*FINITE, fuzz.REMOVED]),
    ),
    min_size=1,
    max_size=4,
)


# one function-scoped emulated account for all the examples: Validate creates nothing in it
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=GUARDRAIL_CHANGES)
@example(changes=[(("ProductionVariants", 1, "VariantName"), fuzz.REMOVED)])
@example(changes=[(("Guardrails", "RollbackAlarms", 0, "Metric"), ["x"])])
@example(changes=[(("Guardrails", "SmokeTest"), "x"), (("ProductionVariants",), {})])
def test_the_validate_handler_answers_request_invalid_listing_every_guardrails_problem(
    aws, changes
):
    raw = json.loads(json.dumps(fuzz.changed(fuzz.BASE, changes), allow_nan=False))
    expected = validate_request(raw)

    if expected.valid:
        assert aws.validate(raw)["Request"] == raw
    else:
        with pytest.raises(RequestInvalid) as caught:
            aws.validate(raw)
        assert caught.value.problems == expected.problems
        assert f"{len(expected.problems)} problem" in str(caught.value)
        for path in fuzz.wrong_types(raw, [path for path, _ in changes]):
            assert any(p.startswith(f"{path}: ") for p in caught.value.problems), path
    assert aws.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert aws.sagemaker.list_models()["Models"] == []
