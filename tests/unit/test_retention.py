"""Config retention decides from ListEndpointConfigs alone: which old configs to delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deployer.request import derive_config_name
from deployer.retention import to_delete

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def config(name: str, age_days: int) -> dict:
    return {"EndpointConfigName": name, "CreationTime": T0 - timedelta(days=age_days)}


def derived(endpoint: str, n: int) -> str:
    return derive_config_name(endpoint, {"ProductionVariants": [{"n": n}]})


CONFIGS = [config(derived("churn", n), age_days=n) for n in range(6)]  # n=0 is the newest


@pytest.mark.parametrize("keep", [0, -1])
def test_nothing_is_deleted_when_retention_is_off(keep):
    assert to_delete(CONFIGS, "churn", keep, []) == []


def test_the_newest_are_kept_and_the_rest_deleted_oldest_last():
    assert to_delete(CONFIGS, "churn", 2, []) == [derived("churn", n) for n in (2, 3, 4, 5)]


def test_the_serving_and_previous_configs_are_never_deleted_in_any_case():
    protected = [derived("churn", 5).upper(), derived("churn", 3), None]

    assert to_delete(CONFIGS, "churn", 2, protected) == [derived("churn", 2), derived("churn", 4)]


def test_configs_named_by_hand_or_of_other_endpoints_are_left_alone():
    others = [
        config("churn-v1-config", 50),  # named by a person
        config(derived("churn-eu", 1), 50),  # another endpoint whose name starts alike
        config(derived("churn", 9) + "0", 50),  # not exactly a derived name
    ]

    assert to_delete(CONFIGS + others, "churn", 5, []) == [derived("churn", 5)]


def test_long_endpoint_names_match_their_truncated_derived_names():
    endpoint = "e" * 63
    configs = [config(derived(endpoint, n), n) for n in range(3)]

    assert to_delete(configs, endpoint, 1, []) == [derived(endpoint, 1), derived(endpoint, 2)]
