"""smdeploy.plan_decision.decide: the plan's report from a request and a hand-built Snapshot of
the account, table-driven (no AWS): what would be created, reused, blocked, updated and swept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from deployer import interface
from deployer.perform.retention import Seen
from smdeploy.plan_decision import PlanReport, Snapshot, decide

ENDPOINT = "churn"
CONFIG = "churn-1111111111"
OLD = "churn-0000000000"
CONTAINER = {
    "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
    "ModelDataUrl": "s3://m/a",
}
MODEL = {"ModelName": "m2", "PrimaryContainer": CONTAINER, "ExecutionRoleArn": "arn:role"}
MARK = {"Key": interface.MANAGED_TAG, "Value": ENDPOINT}
TEAM = {"Key": "team", "Value": "growth"}


def variant(model: str = "m2", itype: str = "ml.m5.large") -> dict[str, Any]:
    return {
        "VariantName": "primary",
        "ModelName": model,
        "InstanceType": itype,
        "InitialInstanceCount": 1,
        "InitialVariantWeight": 1.0,
    }


@dataclass(frozen=True)
class Request:
    """What a valid request gives the plan (smdeploy.validation.Request)."""

    fields: dict[str, Any] = field(
        default_factory=lambda: {
            "EndpointName": ENDPOINT,
            "Models": [MODEL],
            "ProductionVariants": [variant()],
            "Tags": [TEAM],
        }
    )
    endpoint_name: str = ENDPOINT
    endpoint_config_name: str = CONFIG
    config_name_derived: bool = True
    inference_components: tuple[dict[str, Any], ...] = ()


def config(name: str, model: str = "m2", itype: str = "ml.m5.large") -> dict[str, Any]:
    """DescribeEndpointConfig's answer."""
    return {
        "EndpointConfigName": name,
        "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{name}",
        "CreationTime": "2026-01-01T00:00:00Z",
        "ProductionVariants": [variant(model, itype)],
    }


def endpoint(status: str = "InService", serving: str = OLD) -> dict[str, Any]:
    """DescribeEndpoint's answer."""
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "EndpointStatus": status,
        "EndpointConfigName": serving,
    }


NEW_MODEL = {"m2": None}
SAME_MODEL = {"m2": MODEL | {"ModelArn": "arn:model/m2"}}
DEPLOYED = Snapshot(
    models=SAME_MODEL,
    config=config(CONFIG),
    endpoint=endpoint(serving=CONFIG),
    tags=(MARK, TEAM),
    served=config(CONFIG),
)

CASES = [
    # (id, snapshot, what the report says)
    (
        "nothing-yet",
        Snapshot(models=NEW_MODEL),
        {"action": "CREATE", "endpoint_config": "create", "models_create": ["m2"], "changes": True},
    ),
    (
        "model-conflict",
        Snapshot(models={"m2": SAME_MODEL["m2"] | {"ExecutionRoleArn": "arn:other"}}),
        {"blocked.error": "ModelConflict", "action": None, "changes": False},
    ),
    (
        "config-conflict",
        Snapshot(models=NEW_MODEL, config=config(CONFIG, itype="ml.c5.xlarge")),
        {"blocked.error": "EndpointConfigConflict", "models_create": ["m2"], "changes": False},
    ),
    (
        "deployed",
        DEPLOYED,
        {"action": "NONE", "endpoint_config": "reuse", "models_reuse": ["m2"], "changes": False},
    ),
    ("tags-out-of-date", Snapshot(**{**DEPLOYED.__dict__, "tags": (MARK,)}), {"action": "RETAG"}),
    (
        "serving-another",
        Snapshot(
            models=NEW_MODEL, endpoint=endpoint(), tags=(MARK,), served=config(OLD, model="m1")
        ),
        {
            "action": "UPDATE",
            "serving": {"EndpointConfigName": OLD, "EndpointStatus": "InService"},
            "differences": [
                'ProductionVariants[primary].ModelName: exists as "m1", request says "m2"',
                "Tags: the new config gets team=growth; the endpoint keeps its own tags",
            ],
            "policy": "none given: SageMaker's default blue/green update, all at once",
        },
    ),
    (
        "failed-not-ours",
        Snapshot(models=NEW_MODEL, endpoint=endpoint("Failed"), served=config(OLD)),
        {"blocked.error": "EndpointNotUpdatable", "blocked.retryable": False},
    ),
    (
        "read-failed-after-config",
        Snapshot(models=NEW_MODEL, failure=("SageMakerThrottled", "slow down")),
        {
            "endpoint_config": "create",
            "blocked.error": "SageMakerThrottled",
            "blocked.retryable": True,
        },
    ),
    (
        "read-failed-on-models",
        Snapshot(failure=("SageMakerThrottled", "slow down"), config_read=False),
        {"endpoint_config": None, "models_create": [], "blocked.message": "slow down"},
    ),
]


def said(report: PlanReport, key: str) -> Any:
    if key.startswith("blocked."):
        return (report.blocked or {}).get(key.partition(".")[2])
    return getattr(report, key)


@pytest.mark.parametrize(
    ("snapshot", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_report_is_decided_from_the_snapshot_alone(snapshot, expected):
    report = decide(Request(), snapshot)

    assert {key: said(report, key) for key in expected} == expected


def owned(name: str, created: str) -> dict[str, Any]:
    return {"EndpointConfigName": name, "EndpointConfigArn": f"arn:{name}", "CreationTime": created}


def test_retention_sweeps_the_deployers_configs_beyond_those_kept_and_their_models():
    older, oldest = "churn-aaaaaaaaaa", "churn-bbbbbbbbbb"
    seen = Seen(
        referenced=frozenset({OLD}),
        uses={OLD: frozenset({"m1"}), older: frozenset({"m0"}), oldest: frozenset({"m0"})},
        owned_configs=(
            owned(OLD, "2026-01-03"),
            owned(older, "2026-01-02"),
            owned(oldest, "2026-01-01"),
        ),
        owned_models=("m0", "m1"),
    )
    snapshot = Snapshot(
        models=NEW_MODEL, endpoint=endpoint(), tags=(MARK,), served=config(OLD, "m1"), seen=seen
    )

    kept_two = decide(Request(), snapshot, keep=2)
    kept_three = decide(Request(), snapshot, keep=3)
    without_reading = decide(Request(), Snapshot(**{**snapshot.__dict__, "seen": None}), keep=2)

    assert (kept_two.delete, kept_two.delete_models) == ([older, oldest], ["m0"])
    assert (kept_three.delete, kept_three.delete_models) == ([oldest], [])
    assert (without_reading.delete, without_reading.delete_models) == ([], [])
