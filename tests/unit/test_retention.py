"""Clean-up decides from data alone: which configs are kept, which of the deployer's configs
and models are deleted (mark and sweep over every endpoint's references)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from deployer.aws.lease_table import Ledger
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide.lease_record import Claim, Order, Record
from deployer.errors import LeaseContention
from deployer.payloads.results import Pruned
from deployer.perform.retention import (
    Seen,
    Sweep,
    endpoint_configs,
    kept_by_deployments,
    models_to_delete,
    prune,
    sweep,
    to_delete,
    to_keep,
    variant_models,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def config(name: str, age_days: int) -> dict:
    return {"EndpointConfigName": name, "CreationTime": T0 - timedelta(days=age_days)}


OWNED = [config(f"churn-c{n}", age_days=n) for n in range(6)]  # c0 is the newest


@pytest.mark.parametrize(
    ("target", "served", "keep", "protected", "expected"),
    [
        # the target counts towards N, then the configs that served, newest first
        ("churn-c0", ["churn-c1", "churn-c2", "churn-c3"], 2, [], {"churn-c0", "churn-c1"}),
        ("churn-c0", ["churn-c1", "churn-c2"], 3, [], {"churn-c0", "churn-c1", "churn-c2"}),
        # a redeployed config that served before is not counted twice
        ("churn-c2", ["churn-c2", "churn-c1"], 2, [], {"churn-c2", "churn-c1"}),
        # protected configs are kept whatever N, in any case, and None is ignored
        (
            "churn-c0",
            ["churn-c1"],
            1,
            ["CHURN-C5", None, "churn-c4"],
            {"churn-c0", "churn-c5", "churn-c4"},
        ),
        # N below 1 still keeps the target
        ("Churn-C0", [], 0, [], {"churn-c0"}),
    ],
)
def test_what_retention_keeps(target, served, keep, protected, expected):
    assert to_keep(target, served, keep, protected) == expected


def test_every_owned_config_not_kept_is_deleted_newest_first():
    assert to_delete(OWNED, {"churn-c0", "churn-c3"}) == [
        "churn-c1",
        "churn-c2",
        "churn-c4",
        "churn-c5",
    ]


def test_a_config_that_never_served_is_not_kept_by_age():
    # c1 is newer than the served c2, but a failed deployment left it: it goes
    kept = to_keep("churn-c0", ["churn-c2"], 2, [])

    assert to_delete(OWNED, kept) == ["churn-c1", "churn-c3", "churn-c4", "churn-c5"]


def test_kept_names_match_without_regard_to_case():
    assert to_delete([config("Churn-C1", 1)], {"churn-c1"}) == []


@pytest.mark.parametrize(
    ("owned", "in_use", "expected"),
    [
        (["m1", "m2", "m3"], {"m2"}, ["m1", "m3"]),
        (["M1", "m2"], {"m1", "m2"}, []),
        ([], {"m1"}, []),
        (["m1", "m1"], set(), ["m1"]),
    ],
)
def test_models_no_remaining_config_uses_are_deleted(owned, in_use, expected):
    assert models_to_delete(owned, in_use) == expected


def test_a_configs_models_include_its_shadow_variants():
    config = {
        "ProductionVariants": [{"ModelName": "a"}, {"ModelName": "b"}, {"VariantName": "x"}],
        "ShadowProductionVariants": [{"ModelName": "c"}],
    }

    assert variant_models(config) == {"a", "b", "c"}


def test_a_configs_models_include_its_instance_pools_overrides():
    config = {
        "ProductionVariants": [
            {
                "ModelName": "a",
                "InstancePools": [
                    {"InstanceType": "ml.g5.xlarge", "ModelNameOverride": "a-g5", "Priority": 1},
                    {"InstanceType": "ml.m5.large", "Priority": 2},
                ],
            }
        ],
        "ShadowProductionVariants": [
            {"InstancePools": [{"InstanceType": "ml.m5.large", "ModelNameOverride": "s-m5"}]}
        ],
    }

    assert variant_models(config) == {"a", "a-g5", "s-m5"}


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ({"EndpointConfigName": "A-c1"}, {"a-c1"}),
        # during an update: the config it serves and the one being rolled out
        (
            {
                "EndpointConfigName": "a-c1",
                "PendingDeploymentSummary": {"EndpointConfigName": "a-c2"},
            },
            {"a-c1", "a-c2"},
        ),
        # creating: only the pending one may be named
        ({"PendingDeploymentSummary": {"EndpointConfigName": "a-c1"}}, {"a-c1"}),
        ({"EndpointConfigName": None, "PendingDeploymentSummary": None}, set()),
    ],
)
def test_what_an_endpoint_references(description, expected):
    assert endpoint_configs(description) == expected


def owned(*names: str) -> tuple[dict, ...]:
    """The deployer's configs of endpoint a, the first named the newest."""
    return tuple(config(name, age_days=n) for n, name in enumerate(names))


# Endpoint a updated from a-c1 (model m1) to a-c2 and a-c3 (model m3); endpoint b was deployed
# with a's model m1 (its own config b-c1) and, in some cases, with a's config a-c1 itself.
SWEEPS = [
    pytest.param(
        Seen(
            referenced=frozenset({"a-c3", "a-c2"}),
            uses={"a-c1": frozenset({"m1"}), "a-c2": frozenset({"m3"}), "a-c3": frozenset({"m3"})},
            owned_configs=owned("a-c3", "a-c2", "a-c1"),
            owned_models=("m1", "m3"),
        ),
        Sweep(EndpointConfigs=("a-c1",), Models=("m1",)),
        id="nothing else references them: the old config and its model go",
    ),
    pytest.param(
        Seen(
            referenced=frozenset({"a-c3", "a-c2", "b-c1"}),
            uses={
                "a-c1": frozenset({"m1"}),
                "a-c2": frozenset({"m3"}),
                "a-c3": frozenset({"m3"}),
                "b-c1": frozenset({"M1"}),
            },
            owned_configs=owned("a-c3", "a-c2", "a-c1"),
            owned_models=("m1", "m3"),
        ),
        Sweep(EndpointConfigs=("a-c1",)),
        id="a model another endpoint's config uses is kept (in any case)",
    ),
    pytest.param(
        Seen(
            referenced=frozenset({"a-c3", "a-c2", "a-c1"}),
            uses={"a-c1": frozenset({"m1"}), "a-c2": frozenset({"m3"}), "a-c3": frozenset({"m3"})},
            owned_configs=owned("a-c3", "a-c2", "a-c1"),
            owned_models=("m1", "m3"),
        ),
        Sweep(),
        id="a config another endpoint serves is kept, and its model with it",
    ),
    pytest.param(
        Seen(
            referenced=frozenset({"a-c3"}),
            uses={
                "a-c1": frozenset({"m1"}),
                "a-c2": frozenset({"m2"}),
                "a-c3": frozenset({"m3"}),
                "a-manual": frozenset({"m2"}),
            },
            owned_configs=owned("a-c3", "a-c2", "a-c1"),
            owned_models=("m1", "m2", "m3"),
        ),
        Sweep(EndpointConfigs=("a-c2", "a-c1"), Models=("m1",)),
        id="a config that stays, though not the deployer's, keeps its models",
    ),
    pytest.param(
        Seen(
            referenced=frozenset({"a-c3"}),
            uses={
                "a-c1": frozenset({"m1", "m2"}),
                "a-c2": frozenset({"m2"}),
                "a-c3": frozenset({"m3"}),
            },
            owned_configs=owned("a-c3", "a-c2", "a-c1"),
            owned_models=("m1", "m2", "m3"),
        ),
        Sweep(EndpointConfigs=("a-c2", "a-c1"), Models=("m1", "m2")),
        id="a model used only by configs that go, goes with them",
    ),
    pytest.param(
        Seen(
            referenced=frozenset({"a-c2"}),
            uses={"a-c1": frozenset({"m1"}), "a-c2": frozenset({"m2"}), "x-c1": frozenset()},
            owned_configs=owned("a-c2"),
            owned_models=("m2",),
        ),
        Sweep(),
        id="only the deployer's configs and models are ever candidates",
    ),
    pytest.param(
        Seen(
            referenced=frozenset({"a-c2", "a-c9"}),
            uses={"a-c1": frozenset({"m1"}), "a-c2": frozenset({"m2"}), "a-c9": frozenset()},
            owned_configs=owned("a-c2", "a-c1"),
            owned_models=("m1", "m2"),
        ),
        Sweep(EndpointConfigs=("a-c1",), Models=("m1",)),
        id="a referenced config that no longer exists keeps nothing",
    ),
]


@pytest.mark.parametrize(("seen", "expected"), SWEEPS)
def test_mark_and_sweep(seen, expected):
    assert sweep(seen) == expected


def holder(endpoint: str, config: str) -> Claim:
    return Claim(
        Execution=f"arn:aws:states:us-east-1:123456789012:execution:smdeploy:{endpoint}",
        Order=Order(At=T0, Tiebreak=endpoint),
        EndpointConfigName=config,
        Expires=T0.timestamp() + 3600,
    )


@pytest.mark.parametrize(
    ("records", "keep", "expected"),
    [
        # another endpoint's holder and waiting deployments name configs it needs soon
        (
            [Record(Endpoint="b", Holder=holder("b", "B-c2"), Intents=[holder("b", "b-c3")])],
            1,
            {"b-c2", "b-c3"},
        ),
        # another endpoint's retention keeps its newest N that served, for rollback
        ([Record(Endpoint="b", Served=["b-c3", "b-c2", "b-c1"])], 2, {"b-c3", "b-c2"}),
        ([Record(Endpoint="b", Served=["b-c3", "b-c2"])], 0, {"b-c3"}),
        # the endpoint's own record is to_keep's, not counted twice
        (
            [
                Record(Endpoint="a", Holder=holder("a", "a-c9"), Served=["a-c2", "a-c1"]),
                Record(Endpoint="b", Served=["a-c1"]),
            ],
            2,
            {"a-c1"},
        ),
        ([], 3, set()),
    ],
)
def test_what_the_deployers_other_endpoints_keep(records, keep, expected):
    assert kept_by_deployments(records, "A", keep) == expected


def test_the_ledger_reads_every_record_across_pages_but_the_wait_items():
    client = boto3.client("dynamodb", region_name="us-east-1")
    stubber = Stubber(client)

    def item(key: str, record: Record) -> dict:
        return {
            "Endpoint": {"S": key},
            "Version": {"N": "1"},
            "Record": {"S": record.model_dump_json()},
        }

    first, second = Record(Endpoint="a", Served=["a-c1"]), Record(Endpoint="b", Served=["b-c1"])
    stubber.add_response(
        "scan",
        {
            "Items": [item("a", first), item("a#wait", first)],
            "LastEvaluatedKey": {"Endpoint": {"S": "a#wait"}},
        },
        {"TableName": "records"},
    )
    stubber.add_response(
        "scan",
        {"Items": [item("b", second)]},
        {"TableName": "records", "ExclusiveStartKey": {"Endpoint": {"S": "a#wait"}}},
    )

    with stubber:
        assert Ledger("records", client).records() == [first, second]


def test_a_clean_up_that_cannot_read_the_table_deletes_nothing_and_fails_nothing():
    def throttled() -> list[str]:
        raise LeaseContention("Scan: DynamoDB throttled the call (ThrottlingException)")

    def no_sagemaker():
        raise AssertionError("clean-up called SageMaker without knowing what others need")

    pruned = prune(
        SageMakerGateway(no_sagemaker),
        "a",
        keep=2,
        target="a-c2",
        served=["a-c1"],
        protected=[],
        needed_elsewhere=throttled,
    )

    assert pruned == Pruned()
