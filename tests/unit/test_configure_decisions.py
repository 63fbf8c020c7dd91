"""deployer.decide.configure: the Configure stage's decisions, pure functions of the request and
of SageMaker's descriptions, table-driven (no AWS)."""

from __future__ import annotations

import pytest

from deployer import interface
from deployer.decide import configure

CONTAINER = {
    "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
    "ModelDataUrl": "s3://m/a",
}
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def model(name="m1", **changes):
    return {"ModelName": name, "PrimaryContainer": CONTAINER, "ExecutionRoleArn": ROLE} | changes


def described_model(name="m1", **changes):
    """DescribeModel's answer: what the request said, and what SageMaker adds."""
    return model(name, **changes) | {
        "ModelArn": f"arn:aws:sagemaker:us-east-1:123456789012:model/{name}",
        "CreationTime": "2026-01-01T00:00:00Z",
        "EnableNetworkIsolation": False,
    }


def variant(name="primary", model_name="m1"):
    return {
        "VariantName": name,
        "ModelName": model_name,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
        "InitialVariantWeight": 1.0,
    }


def assert_differences(found: list[str], fragments: list[str]) -> None:
    """No difference found where no fragment is expected (reused); else each fragment named."""
    assert bool(found) == bool(fragments), found
    for fragment in fragments:
        assert fragment in "; ".join(found), found


MODELS = [
    # (id, requested, described, fragments of the differences; none: reused)
    ("same", model(), described_model(), []),
    ("tags-not-compared", model(Tags=[{"Key": "a", "Value": "b"}]), described_model(), []),
    (
        "other-data",
        model(),
        described_model(PrimaryContainer=CONTAINER | {"ModelDataUrl": "s3://m/b"}),
        ["PrimaryContainer.ModelDataUrl", "s3://m/a", "s3://m/b"],
    ),
    (
        "other-role",
        model(),
        described_model(ExecutionRoleArn=ROLE + "-2"),
        ["ExecutionRoleArn"],
    ),
]


@pytest.mark.parametrize(
    ("requested", "existing", "fragments"), [m[1:] for m in MODELS], ids=[m[0] for m in MODELS]
)
def test_a_model_is_reused_only_with_the_same_definition(requested, existing, fragments):
    assert_differences(configure.model_differences(requested, existing), fragments)


CONFIG = {"EndpointConfigName": "e-1", "ProductionVariants": [variant()]}
DESCRIBED_CONFIG = CONFIG | {
    "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/e-1",
    "CreationTime": "2026-01-01T00:00:00Z",
}

CONFIGS = [
    # (id, params, described, fragments of the differences; none: reused)
    ("same", CONFIG, DESCRIBED_CONFIG, []),
    ("tags-not-content", CONFIG | {"Tags": [{"Key": "a", "Value": "b"}]}, DESCRIBED_CONFIG, []),
    (
        "other-instance",
        {**CONFIG, "ProductionVariants": [variant() | {"InstanceType": "ml.c5.xlarge"}]},
        DESCRIBED_CONFIG,
        ["InstanceType", "ml.c5.xlarge", "ml.m5.large"],
    ),
    (
        "kms-added",
        CONFIG | {"KmsKeyId": "alias/k"},
        DESCRIBED_CONFIG,
        ["KmsKeyId"],
    ),
]


@pytest.mark.parametrize(
    ("params", "existing", "fragments"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS]
)
def test_a_config_is_reused_only_with_the_same_content(params, existing, fragments):
    assert_differences(configure.config_differences(params, existing), fragments)


def test_the_config_content_is_its_create_members_without_name_or_tags():
    fields = CONFIG | {"EndpointName": "e", "Tags": [], "Models": [model()], "KmsKeyId": "k"}

    assert configure.config_content(fields) == {
        "ProductionVariants": [variant()],
        "KmsKeyId": "k",
    }


TWO_KINDS = {
    "ProductionVariants": [variant("a", "m1"), variant("b", "m2"), variant("c", "m1")],
    "ShadowProductionVariants": [variant("s", "m3"), variant("t", "m2")],
}

VARIANT_MODELS = [
    # (id, fields, known, to look up, missing (path, name))
    ("none-known", TWO_KINDS, set(), ["m1", "m2", "m3"], None),
    ("requested-skipped", TWO_KINDS, {"m2"}, ["m1", "m3"], None),
    ("all-known", TWO_KINDS, {"m1", "m2", "m3"}, [], []),
    (
        "one-missing-twice",
        TWO_KINDS,
        {"m1", "m3"},
        ["m2"],
        [
            ("ProductionVariants[1].ModelName", "m2"),
            ("ShadowProductionVariants[1].ModelName", "m2"),
        ],
    ),
    ("no-variants", {}, set(), [], []),
]


@pytest.mark.parametrize(
    ("fields", "known", "lookups", "missing"),
    [v[1:] for v in VARIANT_MODELS],
    ids=[v[0] for v in VARIANT_MODELS],
)
def test_which_variant_models_are_looked_up_and_which_are_missing(fields, known, lookups, missing):
    assert configure.unknown_variant_models(fields, known) == lookups
    if missing is not None:
        assert configure.missing_variant_models(fields, known) == missing


def test_the_missing_message_names_each_variant():
    message = configure.missing_message([("ProductionVariants[0].ModelName", "m9")])

    assert message == (
        "ProductionVariants[0].ModelName: model m9 does not exist and the request's Models "
        "does not create it"
    )


def test_the_mark_replaces_any_given_and_keeps_the_other_tags():
    tags = [{"Key": "team", "Value": "x"}, {"Key": interface.MANAGED_TAG, "Value": "other"}]

    assert configure.marked(tags, "Churn") == [
        {"Key": "team", "Value": "x"},
        {"Key": interface.MANAGED_TAG, "Value": "churn"},
    ]
    assert configure.marked(None, "e") == [{"Key": interface.MANAGED_TAG, "Value": "e"}]


CAPACITIES = [
    (variant(), "1 x ml.m5.large"),
    ({"VariantName": "s", "ServerlessConfig": {"MemorySizeInMB": 2048}}, "serverless 2048 MB"),
]


@pytest.mark.parametrize(("given", "shown"), CAPACITIES)
def test_capacity(given, shown):
    assert configure.capacity(given) == shown
