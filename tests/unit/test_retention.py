"""Clean-up decides from data alone: which configs are kept, which of the deployer's configs
and models are deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deployer.retention import models_to_delete, to_delete, to_keep, variant_models

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
