"""Derived endpoint config names, and which request fields go to which SageMaker call."""

import copy
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from unit_builders import ENDPOINT, request, variant

from deployer.request import shapes
from deployer.request.deployment import DERIVED_HASH_LENGTH, derive_config_name, parse_request

CONFIG_MAX, CONFIG_PATTERN = shapes.name_rule("EndpointConfigName")
ENDPOINT_MAX, ENDPOINT_PATTERN = shapes.name_rule("EndpointName")


def config_name(raw):
    return parse_request(raw).endpoint_config_name


# --- derived names -----------------------------------------------------------------------


def test_derived_name_is_the_endpoint_name_and_a_content_hash():
    name = config_name(request())

    stem, digest = name.rsplit("-", 1)
    assert stem == ENDPOINT
    assert len(digest) == DERIVED_HASH_LENGTH
    assert all(c in "0123456789abcdef" for c in digest)
    assert name == derive_config_name(ENDPOINT, request())


def test_derived_name_is_the_same_for_the_same_request():
    raw = request(Tags=[{"Key": "team", "Value": "growth"}])

    assert config_name(raw) == config_name(copy.deepcopy(raw))


def test_derived_name_ignores_key_order():
    raw = request()
    reordered = {
        "ProductionVariants": [dict(reversed(list(variant().items())))],
        "EndpointName": ENDPOINT,
    }

    assert config_name(reordered) == config_name(raw)


def test_derived_name_survives_the_payload_round_trip():
    # Each stage re-parses the payload the state machine carries and must find the same name.
    parsed = parse_request(request(Tags=[{"Key": "team", "Value": "growth"}]))

    assert parse_request(parsed.to_payload()).endpoint_config_name == parsed.endpoint_config_name


SAME_CONFIG = [
    ("tags-added", {"Tags": [{"Key": "team", "Value": "growth"}]}),
    ("tags-changed", {"Tags": [{"Key": "team", "Value": "retention"}]}),
    (
        "deployment-config-added",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "ALL_AT_ONCE",
                        "WaitIntervalInSeconds": 0,
                    }
                }
            }
        },
    ),
    ("retain-deployment-config", {"RetainDeploymentConfig": True}),
]


@pytest.mark.parametrize(("name", "change"), SAME_CONFIG, ids=[case[0] for case in SAME_CONFIG])
def test_derived_name_is_unchanged_by_what_is_not_the_config(name, change):
    base = request(Tags=[{"Key": "team", "Value": "growth"}])

    assert config_name({**base, **change}) == config_name(base)


NEW_CONFIG = [
    ("instance-type", {"ProductionVariants": [variant(InstanceType="ml.c5.xlarge")]}),
    ("instance-count", {"ProductionVariants": [variant(InitialInstanceCount=2)]}),
    ("model-name", {"ProductionVariants": [variant(model="churn-xgboost-v2")]}),
    ("variant-name", {"ProductionVariants": [variant("primary")]}),
    ("weight-added", {"ProductionVariants": [variant(InitialVariantWeight=0.5)]}),
    ("variant-added", {"ProductionVariants": [variant(), variant("challenger")]}),
    ("kms-key", {"KmsKeyId": "alias/smdeploy"}),
    (
        "data-capture",
        {
            "DataCaptureConfig": {
                "InitialSamplingPercentage": 10,
                "DestinationS3Uri": "s3://example-capture/churn",
                "CaptureOptions": [{"CaptureMode": "Input"}],
            }
        },
    ),
]


@pytest.mark.parametrize(("name", "change"), NEW_CONFIG, ids=[case[0] for case in NEW_CONFIG])
def test_derived_name_changes_with_the_config(name, change):
    before = config_name(request())
    after = config_name(request(**change))

    assert after != before
    assert after.startswith(f"{ENDPOINT}-")


def test_explicit_config_name_is_used_verbatim():
    parsed = parse_request(request(EndpointConfigName="churn-config-7"))

    assert parsed.endpoint_config_name == "churn-config-7"
    assert parsed.config_name_derived is False


@pytest.mark.parametrize(
    ("name", "endpoint", "stem"),
    [
        ("63-chars", "a" * 63, "a" * (CONFIG_MAX - DERIVED_HASH_LENGTH - 1)),
        ("hyphen-at-the-cut", "a" * 51 + "-" + "b" * 11, "a" * 51),
        ("hyphens-before-the-cut", "a" * 49 + "----" + "b" * 10, "a" * 49),
    ],
    ids=["63-chars", "hyphen-at-the-cut", "hyphens-before-the-cut"],
)
def test_long_endpoint_names_are_cut_to_fit(name, endpoint, stem):
    derived = config_name(request(EndpointName=endpoint))

    assert derived.rsplit("-", 1)[0] == stem
    assert len(derived) <= CONFIG_MAX
    assert CONFIG_PATTERN.fullmatch(derived)


def _anchored(pattern):
    return rf"\A(?:{pattern.pattern})\Z"


ALNUM = string.ascii_letters + string.digits
# Long names too (40 to 63 characters), where the stem is cut and may end in hyphens at the cut.
LONG_ENDPOINT_NAMES = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(ALNUM),
    st.text(alphabet=ALNUM + "-", min_size=38, max_size=ENDPOINT_MAX - 2),
    st.sampled_from(ALNUM),
)
ENDPOINT_NAMES = st.one_of(
    st.from_regex(_anchored(ENDPOINT_PATTERN), fullmatch=True).filter(
        lambda name: len(name) <= ENDPOINT_MAX
    ),
    LONG_ENDPOINT_NAMES,
)

VARIANTS = st.lists(
    st.builds(
        lambda count, weight: {"InitialInstanceCount": count, "InitialVariantWeight": weight},
        st.integers(min_value=1, max_value=1000),
        st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=10,
).filter(lambda variants: any(v["InitialVariantWeight"] > 0 for v in variants))  # some traffic


@given(endpoint=ENDPOINT_NAMES, variants=VARIANTS)
@example(endpoint="a" * 52 + "-" + "b" * 10, variants=[{"InitialInstanceCount": 1}])
@example(endpoint="x" + "-" * 61 + "y", variants=[{"InitialInstanceCount": 3}])
def test_derived_name_always_fits_the_config_name_rule(endpoint, variants):
    raw = {
        "EndpointName": endpoint,
        "ProductionVariants": [variant(f"v{i}", **extra) for i, extra in enumerate(variants)],
    }

    assert ENDPOINT_PATTERN.fullmatch(endpoint)  # the strategy gives valid names only

    parsed = parse_request(raw)
    name = parsed.endpoint_config_name

    assert len(name) <= CONFIG_MAX
    assert CONFIG_PATTERN.fullmatch(name), name
    assert name.startswith(endpoint[: CONFIG_MAX - DERIVED_HASH_LENGTH - 1].rstrip("-"))
    assert name == derive_config_name(endpoint, copy.deepcopy(raw))


# --- parameters of each SageMaker call -----------------------------------------------------

DEPLOYMENT_CONFIG = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-5xx"}]},
}
TAGS = [{"Key": "team", "Value": "growth"}]
DATA_CAPTURE = {
    "InitialSamplingPercentage": 10,
    "DestinationS3Uri": "s3://example-capture/churn",
    "CaptureOptions": [{"CaptureMode": "InputAndOutput"}],
}
MODELS = [
    {
        "ModelName": "churn-xgboost-v1",
        "PrimaryContainer": {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1"},
    }
]
FULL = request(
    ProductionVariants=[variant("primary"), variant("challenger", InitialVariantWeight=0.25)],
    DataCaptureConfig=DATA_CAPTURE,
    KmsKeyId="alias/smdeploy",
    Tags=TAGS,
    DeploymentConfig=DEPLOYMENT_CONFIG,
    RetainAllVariantProperties=False,
    RetainDeploymentConfig=False,
    Models=MODELS,
)

ROUTING = [
    # (field, in CreateEndpointConfig, in CreateEndpoint, in UpdateEndpoint)
    ("ProductionVariants", True, False, False),
    ("DataCaptureConfig", True, False, False),
    ("KmsKeyId", True, False, False),
    ("Tags", True, True, False),
    ("DeploymentConfig", False, True, True),
    ("RetainAllVariantProperties", False, False, True),
    ("RetainDeploymentConfig", False, False, True),
    ("Models", False, False, False),
]


@pytest.fixture(scope="module")
def full_request():
    return parse_request(copy.deepcopy(FULL))


@pytest.mark.parametrize(
    ("field", "in_config", "in_create", "in_update"), ROUTING, ids=[row[0] for row in ROUTING]
)
def test_each_field_goes_to_the_calls_that_take_it(
    full_request, field, in_config, in_create, in_update
):
    calls = {
        "CreateEndpointConfig": (full_request.endpoint_config_params(), in_config),
        "CreateEndpoint": (full_request.create_endpoint_params(), in_create),
        "UpdateEndpoint": (full_request.update_endpoint_params(ENDPOINT), in_update),
    }
    for operation, (params, expected) in calls.items():
        if expected:
            assert params[field] == FULL[field], operation
        else:
            assert field not in params, operation


def test_endpoint_config_params(full_request):
    assert full_request.endpoint_config_params() == {
        "EndpointConfigName": full_request.endpoint_config_name,
        "ProductionVariants": FULL["ProductionVariants"],
        "DataCaptureConfig": DATA_CAPTURE,
        "KmsKeyId": "alias/smdeploy",
        "Tags": TAGS,
    }


def test_create_endpoint_params(full_request):
    assert full_request.create_endpoint_params() == {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": full_request.endpoint_config_name,
        "DeploymentConfig": DEPLOYMENT_CONFIG,
        "Tags": TAGS,
    }


def test_update_endpoint_params_use_the_name_as_sagemaker_spells_it(full_request):
    assert full_request.update_endpoint_params("Churn-Predictor") == {
        "EndpointName": "Churn-Predictor",
        "EndpointConfigName": full_request.endpoint_config_name,
        "DeploymentConfig": DEPLOYMENT_CONFIG,
        "RetainAllVariantProperties": False,
        "RetainDeploymentConfig": False,
    }


@pytest.mark.parametrize(
    ("operation", "params_of"),
    [
        (shapes.CONFIG_OPERATION, lambda r: r.endpoint_config_params()),
        (shapes.CREATE_OPERATION, lambda r: r.create_endpoint_params()),
        (shapes.UPDATE_OPERATION, lambda r: r.update_endpoint_params(ENDPOINT)),
    ],
    ids=["CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint"],
)
def test_params_pass_botocore_validation(full_request, operation, params_of):
    params = params_of(full_request)

    assert set(params) <= set(shapes.members(operation))
    assert shapes.botocore_violations(operation, params) == []


def test_explicit_config_name_is_what_every_call_uses():
    parsed = parse_request(request(EndpointConfigName="churn-config-7", Tags=TAGS))

    assert parsed.endpoint_config_params()["EndpointConfigName"] == "churn-config-7"
    assert parsed.create_endpoint_params()["EndpointConfigName"] == "churn-config-7"
    assert parsed.update_endpoint_params(ENDPOINT)["EndpointConfigName"] == "churn-config-7"
