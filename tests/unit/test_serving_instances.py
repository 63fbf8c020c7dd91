"""deployer.decide.outcome.serving_instances: the instances that serve, as DescribeEndpoint's
ProductionVariantSummary tells (CurrentInstanceCount; InstancePools, per instance type)."""

from __future__ import annotations

import pytest

from deployer.decide.outcome import serving_instances

POOLED = {
    "VariantName": "AllTraffic",
    "CurrentInstanceCount": 3,
    "InstancePools": [
        {"InstanceType": "ml.g6.2xlarge", "CurrentInstanceCount": 1},
        {"InstanceType": "ml.g6e.2xlarge", "CurrentInstanceCount": 2},
        {"InstanceType": "ml.g5.2xlarge", "CurrentInstanceCount": 0},
    ],
}


@pytest.mark.parametrize(
    ("summaries", "variants", "expected"),
    [
        pytest.param(
            [POOLED],
            [],
            [("AllTraffic", "ml.g6.2xlarge", 1), ("AllTraffic", "ml.g6e.2xlarge", 2)],
            id="pools-that-serve-each-with-its-type",
        ),
        pytest.param(
            [{"VariantName": "primary", "CurrentInstanceCount": 2}],
            [],
            [("primary", None, 2)],
            id="a-plain-variant-has-no-type-in-the-description",
        ),
        pytest.param(
            [{"VariantName": "primary", "CurrentInstanceCount": 2}],
            [{"VariantName": "primary", "InstanceType": "ml.m5.large"}],
            [("primary", "ml.m5.large", 2)],
            id="its-configs-type-when-given",
        ),
        pytest.param(
            [{"VariantName": "small", "CurrentServerlessConfig": {"MemorySizeInMB": 2048}}],
            [],
            [],
            id="serverless-has-no-instances",
        ),
        pytest.param([], [], [], id="no-variants-yet"),
    ],
)
def test_serving_instances(summaries, variants, expected):
    found = serving_instances({"ProductionVariants": summaries}, variants)

    assert [(s.VariantName, s.InstanceType, s.CurrentInstanceCount) for s in found] == expected
