"""deployer.request.shapes: botocore's findings phrased as "<path>: <rule>, got <value>"
sentences."""

import pytest

from deployer.request import shapes

VARIANT = {"VariantName": "AllTraffic", "ModelName": "churn-xgboost-v1"}

BOTOCORE = [
    # (id, operation, params, prefix, expected problems)
    (
        "valid",
        "CreateEndpoint",
        {"EndpointName": "churn", "EndpointConfigName": "churn-1"},
        "",
        [],
    ),
    (
        "missing-required",
        "CreateEndpoint",
        {"EndpointName": "churn"},
        "",
        ["EndpointConfigName: required field is missing"],
    ),
    (
        "missing-required-with-prefix",
        "CreateModel",
        {"PrimaryContainer": {"Image": "example/image:1"}},
        "Models[2]",
        ["Models[2].ModelName: required field is missing"],
    ),
    (
        "missing-required-in-a-list-member",
        "CreateEndpointConfig",
        {"EndpointConfigName": "churn-1", "ProductionVariants": [{"ModelName": "m"}]},
        "",
        ["ProductionVariants[0].VariantName: required field is missing"],
    ),
    (
        "unknown-with-suggestion",
        "CreateEndpoint",
        {"EndpointName": "churn", "EndpointConfigName": "churn-1", "Tag": []},
        "",
        ["Tag: unknown field; did you mean Tags?"],
    ),
    (
        "unknown-without-suggestion",
        "CreateEndpoint",
        {"EndpointName": "churn", "EndpointConfigName": "churn-1", "Colour": "red"},
        "",
        ["Colour: unknown field"],
    ),
    (
        "unknown-nested-with-prefix",
        "CreateModel",
        {"ModelName": "m", "PrimaryContainer": {"Imag": "example/image:1"}},
        "Models[0]",
        ["Models[0].PrimaryContainer.Imag: unknown field; did you mean Image?"],
    ),
    (
        "wrong-type-int",
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "churn-1",
            "ProductionVariants": [{**VARIANT, "InitialInstanceCount": "2"}],
        },
        "",
        ["ProductionVariants[0].InitialInstanceCount: must be of type int, got '2'"],
    ),
    (
        "wrong-type-bool-with-prefix",
        "CreateModel",
        {"ModelName": "m", "EnableNetworkIsolation": "yes"},
        "Models[0]",
        ["Models[0].EnableNetworkIsolation: must be of type bool, got 'yes'"],
    ),
    (
        "wrong-type-list",
        "CreateModel",
        {"ModelName": "m", "Containers": "example/image:1"},
        "",
        ["Containers: must be of type list or tuple, got 'example/image:1'"],
    ),
    (
        "below-minimum-value",
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "churn-1",
            "ProductionVariants": [{**VARIANT, "InitialInstanceCount": 0}],
        },
        "",
        ["ProductionVariants[0].InitialInstanceCount: must be at least 1, got 0"],
    ),
    (
        "below-minimum-length-list",
        "CreateEndpointConfig",
        {"EndpointConfigName": "churn-1", "ProductionVariants": []},
        "",
        ["ProductionVariants: must have length at least 1, got 0"],
    ),
    (
        "below-minimum-length-string-with-prefix",
        "CreateModel",
        {"ModelName": "m", "Containers": [{"ModelPackageName": ""}]},
        "Models[0]",
        ["Models[0].Containers[0].ModelPackageName: must have length at least 1, got 0"],
    ),
    (
        "several-at-once",
        "CreateEndpoint",
        {"EndpointName": 7, "Tagz": []},
        "",
        [
            "EndpointConfigName: required field is missing",
            "Tagz: unknown field; did you mean Tags?",
            "EndpointName: must be of type str, got 7",
        ],
    ),
]


def problems(operation, params, prefix=""):
    return [str(v) for v in shapes.botocore_violations(operation, params, prefix)]


@pytest.mark.parametrize(
    ("name", "operation", "params", "prefix", "expected"),
    BOTOCORE,
    ids=[case[0] for case in BOTOCORE],
)
def test_botocore_problems_are_phrased_by_path(name, operation, params, prefix, expected):
    assert sorted(problems(operation, params, prefix)) == sorted(expected)


def test_botocore_does_not_check_max_pattern_or_enum():
    # The floor only: these break documented rules, and botocore lets them through.
    params = {
        "EndpointConfigName": "bad_name!" * 10,
        "ProductionVariants": [{**VARIANT, "InstanceType": "ml.bogus"}] * 11,
    }

    assert problems("CreateEndpointConfig", params) == []


@pytest.mark.parametrize(
    "shape_name", ["EndpointName", "EndpointConfigName", "VariantName", "ModelName"]
)
def test_name_rules_come_from_the_service_model(shape_name):
    max_len, pattern = shapes.name_rule(shape_name)

    assert max_len == 63
    assert pattern.fullmatch("churn-predictor-2")
    assert not pattern.fullmatch("churn_predictor")


@pytest.mark.parametrize(
    ("name", "known", "expected"),
    [
        ("ProductionVariant", ("ProductionVariants", "Tags"), "; did you mean ProductionVariants?"),
        ("tags", ("ProductionVariants", "Tags"), "; did you mean Tags?"),
        ("Colour", ("ProductionVariants", "Tags"), ""),
    ],
    ids=["plural", "case", "nothing-close"],
)
def test_suggest(name, known, expected):
    assert shapes.suggest(name, known) == expected
