"""deployer.decide.differences.differences: what a request gives versus what SageMaker describes."""

import pytest

from deployer.decide.differences import differences

CASES = [
    # (id, wanted, actual, expected sentences)
    ("equal", {"A": 1, "B": "x"}, {"A": 1, "B": "x"}, []),
    (
        "extra-keys-in-actual-ignored",
        {"ModelName": "m"},
        {"ModelName": "m", "ModelArn": "arn:aws:sagemaker:us-east-1:1:model/m", "CreationTime": 1},
        [],
    ),
    (
        "nested-subset",
        {"PrimaryContainer": {"Image": "img:1"}},
        {"PrimaryContainer": {"Image": "img:1", "Mode": "SingleModel", "Environment": {}}},
        [],
    ),
    (
        "changed-scalar",
        {"ExecutionRoleArn": "arn:aws:iam::1:role/new"},
        {"ExecutionRoleArn": "arn:aws:iam::1:role/old"},
        [
            'ExecutionRoleArn: exists as "arn:aws:iam::1:role/old", '
            'request says "arn:aws:iam::1:role/new"'
        ],
    ),
    (
        "nested-changed-scalar",
        {"PrimaryContainer": {"Image": "img:2"}},
        {"PrimaryContainer": {"Image": "img:1"}},
        ['PrimaryContainer.Image: exists as "img:1", request says "img:2"'],
    ),
    (
        "missing-key",
        {"KmsKeyId": "alias/k"},
        {},
        ['KmsKeyId: not set on the existing resource, request says "alias/k"'],
    ),
    (
        "list-length-mismatch",
        {"ProductionVariants": [{"VariantName": "a"}, {"VariantName": "b"}]},
        {"ProductionVariants": [{"VariantName": "a"}]},
        [
            'ProductionVariants: exists as [{"VariantName": "a"}], '
            'request says [{"VariantName": "a"}, {"VariantName": "b"}]'
        ],
    ),
    (
        "nested-list-path",
        {
            "ProductionVariants": [
                {"VariantName": "a", "InstanceType": "ml.m5.large"},
                {"VariantName": "b", "InstanceType": "ml.c5.xlarge"},
            ]
        },
        {
            "ProductionVariants": [
                {"VariantName": "a", "InstanceType": "ml.m5.large", "CurrentWeight": 1.0},
                {"VariantName": "b", "InstanceType": "ml.m5.large", "CurrentWeight": 1.0},
            ]
        },
        [
            'ProductionVariants[1].InstanceType: exists as "ml.m5.large", '
            'request says "ml.c5.xlarge"'
        ],
    ),
    (
        "every-difference-reported",
        {"A": 1, "B": [1, 2], "C": {"D": "x"}},
        {"A": 2, "B": [1, 3], "C": {"D": "y"}},
        [
            "A: exists as 2, request says 1",
            "B[1]: exists as 3, request says 2",
            'C.D: exists as "y", request says "x"',
        ],
    ),
    ("int-equals-float", {"InitialVariantWeight": 1}, {"InitialVariantWeight": 1.0}, []),
    ("float-equals-int", {"InitialVariantWeight": 2.0}, {"InitialVariantWeight": 2}, []),
    (
        "bool-is-not-int",
        {"EnableNetworkIsolation": True},
        {"EnableNetworkIsolation": 1},
        ["EnableNetworkIsolation: exists as 1, request says true"],
    ),
    (
        "int-is-not-bool",
        {"InitialInstanceCount": 0},
        {"InitialInstanceCount": False},
        ["InitialInstanceCount: exists as false, request says 0"],
    ),
    ("bool-equal", {"EnableNetworkIsolation": False}, {"EnableNetworkIsolation": False}, []),
    (
        "number-is-not-string",
        {"InitialInstanceCount": 1},
        {"InitialInstanceCount": "1"},
        ['InitialInstanceCount: exists as "1", request says 1'],
    ),
    (
        "dict-versus-scalar",
        {"PrimaryContainer": {"Image": "img:1"}},
        {"PrimaryContainer": "img:1"},
        ['PrimaryContainer: exists as "img:1", request says {"Image": "img:1"}'],
    ),
    (
        "root-not-a-dict",
        {"A": 1},
        None,
        ['(root): exists as null, request says {"A": 1}'],
    ),
]


@pytest.mark.parametrize(
    ("name", "wanted", "actual", "expected"), CASES, ids=[case[0] for case in CASES]
)
def test_differences(name, wanted, actual, expected):
    assert differences(wanted, actual) == expected


def test_path_prefix_is_kept():
    assert differences({"Image": "img:2"}, {"Image": "img:1"}, "Containers[0]") == [
        'Containers[0].Image: exists as "img:1", request says "img:2"'
    ]
