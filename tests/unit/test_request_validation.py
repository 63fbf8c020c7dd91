"""parse_request: what a valid request gives back, and every rule a request can break.

Each invalid case names the path its problem line must start with and the fragments (the
rule, the offending value) that line must carry.
"""

import json

import pytest
from unit_builders import ENDPOINT, padded, payload_size, request, variant

from deployer.errors import RequestInvalid
from deployer.request.deployment import MAX_PAYLOAD_BYTES, DeploymentRequest, parse_request

ROLE_ARN = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
MODEL_PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/3"


def without(body, key):
    return {k: v for k, v in body.items() if k != key}


def problem_at(error, path):
    """The one problem line about ``path`` (a line starting with ``path:``)."""
    lines = [p for p in error.problems if p.startswith(f"{path}:")]
    assert len(lines) == 1, f"expected one problem at {path}, got {error.problems}"
    return lines[0]


# --- valid requests ----------------------------------------------------------------------

PRIMARY_CONTAINER_MODEL = {
    "ModelName": "churn-xgboost-v1",
    "ExecutionRoleArn": ROLE_ARN,
    "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://example-models/churn/model.tar.gz"},
}
REGISTRY_MODEL = {
    "ModelName": "churn-registry-v3",
    "ExecutionRoleArn": ROLE_ARN,
    "Containers": [{"ModelPackageName": MODEL_PACKAGE_ARN}],
}
BLUE_GREEN = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
        "TerminationWaitInSeconds": 0,
    }
}

VALID = [
    ("one-variant", request()),
    (
        "two-weighted-variants",
        request(
            ProductionVariants=[
                variant("primary", InitialVariantWeight=2),
                variant("challenger", InitialVariantWeight=1.0, InitialInstanceCount=2),
            ]
        ),
    ),
    ("model-primary-container", request(Models=[PRIMARY_CONTAINER_MODEL])),
    (
        "model-from-registry",
        request(
            Models=[REGISTRY_MODEL],
            ProductionVariants=[variant(model="churn-registry-v3")],
        ),
    ),
    ("explicit-config-name", request(EndpointConfigName="churn-config-2024-06")),
    ("deployment-config", request(DeploymentConfig=BLUE_GREEN)),
    ("tags", request(Tags=[{"Key": "team", "Value": "growth"}])),
]


@pytest.mark.parametrize(("name", "raw"), VALID, ids=[case[0] for case in VALID])
def test_valid_request_is_returned_as_given(name, raw):
    parsed = parse_request(raw)

    assert isinstance(parsed, DeploymentRequest)
    assert parsed.endpoint_name == ENDPOINT
    assert parsed.fields == raw
    assert parsed.fields["ProductionVariants"] == raw["ProductionVariants"]
    assert parsed.models == raw.get("Models", [])
    if "EndpointConfigName" in raw:
        assert parsed.endpoint_config_name == raw["EndpointConfigName"]
        assert parsed.config_name_derived is False
    else:
        assert parsed.endpoint_config_name.startswith(f"{ENDPOINT}-")
        assert parsed.config_name_derived is True


@pytest.mark.parametrize(
    ("name", "encode"),
    [("str", json.dumps), ("bytes", lambda body: json.dumps(body).encode())],
    ids=["str", "bytes"],
)
def test_json_text_is_parsed_like_the_object(name, encode):
    raw = request(Models=[PRIMARY_CONTAINER_MODEL])

    parsed = parse_request(encode(raw))

    assert parsed.fields == raw
    assert parsed.endpoint_config_name == parse_request(raw).endpoint_config_name


def test_request_of_exactly_the_payload_limit_is_accepted():
    raw = padded(request(), size=MAX_PAYLOAD_BYTES)
    assert payload_size(raw) == MAX_PAYLOAD_BYTES

    assert parse_request(raw).endpoint_name == ENDPOINT


# --- invalid requests --------------------------------------------------------------------


def oversized():
    raw = padded(request(), size=MAX_PAYLOAD_BYTES + 1)
    return raw, str(payload_size(raw))


OVERSIZED, OVERSIZED_BYTES = oversized()

INVALID = [
    # (id, raw, path the problem line starts with, fragments the line must contain)
    ("missing-endpoint-name", without(request(), "EndpointName"), "EndpointName", ["required"]),
    (
        "missing-production-variants",
        without(request(), "ProductionVariants"),
        "ProductionVariants",
        ["required"],
    ),
    (
        "empty-production-variants",
        request(ProductionVariants=[]),
        "ProductionVariants",
        ["1 to 10", "got 0"],
    ),
    (
        "eleven-variants",
        request(ProductionVariants=[variant(f"v{i}") for i in range(11)]),
        "ProductionVariants",
        ["1 to 10", "got 11"],
    ),
    (
        "production-variants-not-a-list",
        request(ProductionVariants={"VariantName": "AllTraffic"}),
        "ProductionVariants",
        ["must be a list", "an object"],
    ),
    (
        "endpoint-name-underscore",
        request(EndpointName="churn_predictor"),
        "EndpointName",
        ["pattern", '"churn_predictor"'],
    ),
    (
        "endpoint-name-bang",
        request(EndpointName="churn!"),
        "EndpointName",
        ["pattern", '"churn!"'],
    ),
    (
        "endpoint-name-64-chars",
        request(EndpointName="e" * 64),
        "EndpointName",
        ["at most 63", "got 64", "e" * 64],
    ),
    (
        "endpoint-name-leading-hyphen",
        request(EndpointName="-churn"),
        "EndpointName",
        ["pattern", '"-churn"'],
    ),
    (
        "endpoint-name-empty",
        request(EndpointName=""),
        "EndpointName",
        ["must not be empty"],
    ),
    (
        "endpoint-name-not-a-string",
        request(EndpointName=42),
        "EndpointName",
        ["must be a string", "42"],
    ),
    (
        "config-name-breaks-pattern",
        request(EndpointConfigName="churn_config"),
        "EndpointConfigName",
        ["pattern", '"churn_config"'],
    ),
    (
        "variant-name-breaks-pattern",
        request(ProductionVariants=[variant("all_traffic")]),
        "ProductionVariants[0].VariantName",
        ["pattern", '"all_traffic"'],
    ),
    (
        # a variant without ModelName makes an endpoint for inference components, whose
        # config needs the role the components are deployed with
        "variant-without-model-name",
        request(ProductionVariants=[without(variant(), "ModelName")]),
        "ExecutionRoleArn",
        ["required", "inference components", "or give every variant the ModelName"],
    ),
    (
        "one-variant-of-two-without-model-name",
        request(ProductionVariants=[variant("a"), without(variant("b"), "ModelName")]),
        "ProductionVariants[1].ModelName",
        ["required", "ProductionVariants[0] names its model, so every variant must"],
    ),
    (
        "second-variant-model-name-breaks-pattern",
        request(ProductionVariants=[variant("a"), variant("b", model="model.v2")]),
        "ProductionVariants[1].ModelName",
        ["pattern", '"model.v2"'],
    ),
    (
        "variant-without-variant-name",
        request(ProductionVariants=[without(variant(), "VariantName")]),
        "ProductionVariants[0].VariantName",
        ["required"],
    ),
    (
        "instance-count-is-a-string",
        request(ProductionVariants=[variant(InitialInstanceCount="2")]),
        "ProductionVariants[0].InitialInstanceCount",
        ["must be an integer", 'a string "2"'],
    ),
    (
        "instance-count-zero",
        request(ProductionVariants=[variant(InitialInstanceCount=0)]),
        "ProductionVariants[0].InitialInstanceCount",
        ["at least 1", "got 0"],
    ),
    (
        "variant-is-not-an-object",
        request(ProductionVariants=["AllTraffic"]),
        "ProductionVariants[0]",
        ["must be an object", 'a string "AllTraffic"'],
    ),
    (
        "misspelt-variant-member",
        request(ProductionVariants=[variant(InstanceTyp="ml.m5.large")]),
        "ProductionVariants[0].InstanceTyp",
        ["unknown field", "did you mean InstanceType?"],
    ),
    (
        "unknown-top-level-field",
        {"EndpointName": ENDPOINT, "ProductionVariant": [variant()]},
        "ProductionVariant",
        ["unknown field", "did you mean ProductionVariants?"],
    ),
    (
        "model-without-container",
        request(Models=[{"ModelName": "churn-xgboost-v1", "ExecutionRoleArn": ROLE_ARN}]),
        "Models[0]",
        ["PrimaryContainer", "Containers"],
    ),
    (
        "model-without-model-name",
        request(Models=[without(PRIMARY_CONTAINER_MODEL, "ModelName")]),
        "Models[0].ModelName",
        ["required"],
    ),
    (
        "model-name-breaks-pattern",
        request(Models=[{**PRIMARY_CONTAINER_MODEL, "ModelName": "churn_v1"}]),
        "Models[0].ModelName",
        ["pattern", '"churn_v1"'],
    ),
    (
        "models-not-a-list",
        request(Models=PRIMARY_CONTAINER_MODEL),
        "Models",
        ["must be a list", "an object"],
    ),
    (
        "model-not-an-object",
        request(Models=["churn-xgboost-v1"]),
        "Models[0]",
        ["must be an object", 'a string "churn-xgboost-v1"'],
    ),
    (
        "input-is-a-list",
        [request()],
        "(request)",
        ["must be a JSON object", "a list", ENDPOINT],
    ),
    (
        "input-is-non-json-text",
        "deploy churn-predictor please",
        "(request)",
        ["not valid JSON"],
    ),
    ("input-is-a-number", 42, "(request)", ["must be a JSON object", "a number 42"]),
    (
        "input-is-json-text-of-a-list",
        "[1, 2]",
        "(request)",
        ["must be a JSON object", "a list [1, 2]"],
    ),
    (
        "input-over-256-kib",
        OVERSIZED,
        "(request)",
        [OVERSIZED_BYTES, str(MAX_PAYLOAD_BYTES), "256 KiB"],
    ),
]


@pytest.mark.parametrize(
    ("name", "raw", "path", "fragments"), INVALID, ids=[case[0] for case in INVALID]
)
def test_invalid_request_names_field_rule_and_value(name, raw, path, fragments):
    with pytest.raises(RequestInvalid) as caught:
        parse_request(raw)

    line = problem_at(caught.value, path)
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} missing from {line!r}"
    # The exception's message lists the same line, so the state machine's Cause shows it.
    assert f"- {line}" in str(caught.value)


def test_single_problem_message_is_counted_in_the_singular():
    with pytest.raises(RequestInvalid) as caught:
        parse_request(request(EndpointName="churn_predictor"))

    assert len(caught.value.problems) == 1
    assert str(caught.value).startswith("1 problem in the deployment request:\n- EndpointName:")


def test_every_problem_is_reported_at_once():
    raw = {
        "EndpointName": "churn_predictor",
        "Tag": [{"Key": "team", "Value": "growth"}],
        "ProductionVariants": [
            without(variant("primary"), "ModelName"),
            variant("bad_variant", InitialInstanceCount="2"),
        ],
        "Models": [{"ModelName": "churn-xgboost-v1"}],
    }

    with pytest.raises(RequestInvalid) as caught:
        parse_request(raw)

    error = caught.value
    expected = {
        "Tag": "did you mean Tags?",
        "EndpointName": '"churn_predictor"',
        "ProductionVariants[0].ModelName": "required",
        "ProductionVariants[1].VariantName": '"bad_variant"',
        "ProductionVariants[1].InitialInstanceCount": 'a string "2"',
        "Models[0]": "PrimaryContainer",
    }
    for path, fragment in expected.items():
        assert fragment in problem_at(error, path)
    assert len(error.problems) == len(expected)
    assert str(error).startswith(f"{len(expected)} problems in the deployment request:")


def test_a_field_is_reported_once_even_when_two_checks_catch_it():
    # The structural check and botocore's validator both see a non-list ProductionVariants.
    with pytest.raises(RequestInvalid) as caught:
        parse_request(request(ProductionVariants="AllTraffic"))

    assert [p for p in caught.value.problems if p.startswith("ProductionVariants:")] == [
        'ProductionVariants: must be a list, got a string "AllTraffic"'
    ]


# --- rules found missing by review ----------------------------------------------------------


def test_shadow_variant_without_model_name_is_rejected():
    raw = request(ShadowProductionVariants=[{"VariantName": "shadow", "InitialInstanceCount": 1}])

    with pytest.raises(RequestInvalid) as caught:
        parse_request(raw)

    assert "required" in problem_at(caught.value, "ShadowProductionVariants[0].ModelName")


def test_payload_size_is_measured_in_utf8_bytes():
    raw = padded(request(), "é", 50_000)
    assert payload_size(raw) < MAX_PAYLOAD_BYTES < len(json.dumps(raw).encode())

    assert parse_request(raw).endpoint_name == ENDPOINT


def test_a_request_with_very_many_problems_keeps_its_cause_within_step_functions_limits():
    tags = [{"Key": f"aws:{i}", "Value": "bad!"} for i in range(50)]
    models = [{"ModelName": f"m_{i}"} for i in range(300)]

    with pytest.raises(RequestInvalid) as caught:
        parse_request(request(Tags=tags, Models=models))

    error = caught.value
    count = len(error.problems)
    # one too many tags, then each tag's key and value; each model's container and name
    assert count == 1 + 2 * 50 + 2 * 300
    assert len(error.violations) == count
    head, *lines, tail = str(error).split("\n")
    assert head == f"{count} problems in the deployment request:"
    # the first problems, in order, as many as fit in the budget, then how many more
    assert lines == [f"- {problem}" for problem in error.problems[: len(lines)]]
    sizes = [len(problem) + 3 for problem in error.problems]
    budget = RequestInvalid.MESSAGE_BUDGET
    assert sum(sizes[: len(lines)]) <= budget < sum(sizes[: len(lines) + 1])
    assert tail == f"- ... and {count - len(lines)} more (smdeploy validate lists them all)"
