"""What ``smdeploy plan`` says changes between the config served and the one requested
(``deployer.decide.configure.config_changes``) and the update policy that would apply: pure
functions of the two descriptions, table-driven."""

from __future__ import annotations

import pytest

from deployer.decide.configure import config_changes as differences
from smdeploy.plan_decision import update_policy


def instance(name, model="m1", itype="ml.m5.large", count=1, weight=1.0):
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": itype,
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
    }


def serverless(name, memory=2048, concurrency=5):
    return {
        "VariantName": name,
        "ModelName": "m1",
        "ServerlessConfig": {"MemorySizeInMB": memory, "MaxConcurrency": concurrency},
    }


SERVED = {
    "EndpointConfigName": "e-0000000000",
    "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/e-0000000000",
    "ProductionVariants": [instance("a", weight=2.0), instance("b")],
    "CreationTime": "2026-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        pytest.param(
            {"ProductionVariants": [instance("a", weight=2.0), instance("b")]}, [], id="same"
        ),
        pytest.param(
            {"ProductionVariants": [instance("a", weight=2.0, count=3), instance("b")]},
            ["ProductionVariants[a].InitialInstanceCount: exists as 1, request says 3"],
            id="count",
        ),
        pytest.param(
            {"ProductionVariants": [instance("b"), instance("a", weight=2.0)]},
            [],
            id="reordered-variants-are-the-same",
        ),
        pytest.param(
            {"ProductionVariants": [instance("a"), instance("b")]},
            [
                "ProductionVariants[a]: traffic share 66.7% -> 50.0%",
                "ProductionVariants[b]: traffic share 33.3% -> 50.0%",
            ],
            id="weights",
        ),
        pytest.param(
            {"ProductionVariants": [instance("a", weight=2.0)]},
            [
                "ProductionVariants[a]: traffic share 66.7% -> 100.0%",
                "ProductionVariants[b]: removed (1 x ml.m5.large, 33.3% of the traffic)",
            ],
            id="removed",
        ),
        pytest.param(
            {"ProductionVariants": [instance("a", weight=2.0), instance("b"), instance("c")]},
            [
                "ProductionVariants[a]: traffic share 66.7% -> 50.0%",
                "ProductionVariants[b]: traffic share 33.3% -> 25.0%",
                "ProductionVariants[c]: added (1 x ml.m5.large)",
                "ProductionVariants[c]: traffic share none -> 25.0%",
            ],
            id="added",
        ),
        pytest.param(
            {
                "ProductionVariants": [instance("a", weight=2.0), instance("b")],
                "KmsKeyId": "alias/models",
            },
            ['KmsKeyId: not set on the existing resource, request says "alias/models"'],
            id="kms-added",
        ),
    ],
)
def test_differences_field_by_field_and_variant_by_variant(wanted, expected):
    assert differences(SERVED, wanted) == expected


def test_serverless_settings_are_compared():
    served = {"ProductionVariants": [serverless("a")]}

    found = differences(served, {"ProductionVariants": [serverless("a", memory=4096)]})

    assert found == [
        "ProductionVariants[a].ServerlessConfig.MemorySizeInMB: exists as 2048, request says 4096"
    ]


def test_a_field_the_request_leaves_out_is_removed():
    served = {**SERVED, "DataCaptureConfig": {"EnableCapture": True}}

    found = differences(served, {"ProductionVariants": SERVED["ProductionVariants"]})

    assert found == [
        'DataCaptureConfig: removed (serving {"EnableCapture": true}, request leaves it out)'
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {}, "none given: SageMaker's default blue/green update, all at once", id="none"
        ),
        pytest.param(
            {"RetainDeploymentConfig": True},
            "the endpoint's current DeploymentConfig (RetainDeploymentConfig)",
            id="retain",
        ),
        pytest.param(
            {
                "DeploymentConfig": {
                    "BlueGreenUpdatePolicy": {
                        "TrafficRoutingConfiguration": {
                            "Type": "CANARY",
                            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                            "WaitIntervalInSeconds": 300,
                        }
                    },
                    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]},
                }
            },
            "blue/green CANARY 1 INSTANCE_COUNT, 300 s between steps; auto-rollback on errors",
            id="canary",
        ),
        pytest.param(
            {
                "DeploymentConfig": {
                    "RollingUpdatePolicy": {
                        "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 20}
                    }
                }
            },
            "rolling, batches of 20 CAPACITY_PERCENT",
            id="rolling",
        ),
    ],
)
def test_the_update_policy_that_would_apply(fields, expected):
    assert update_policy(fields, exists=True) == expected


def test_a_create_has_no_update_policy():
    assert update_policy({"DeploymentConfig": {}}, exists=False) is None
