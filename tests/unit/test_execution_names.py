"""``smdeploy start``'s execution names: derived from the request, one per attempt."""

from __future__ import annotations

import re

import pytest

from smdeploy.remote import NAME_LIMIT, execution_name

REQUEST = {"EndpointName": "churn-predictor", "ProductionVariants": []}
LONG = {"EndpointName": "e" * 63, "ProductionVariants": []}


def test_the_first_attempt_keeps_the_derived_name():
    assert re.fullmatch(r"churn-predictor-[0-9a-f]{24}", execution_name(REQUEST))
    assert execution_name(REQUEST, 1) == execution_name(REQUEST)


@pytest.mark.parametrize("attempt", [2, 3, 10, 999])
def test_a_later_attempt_is_the_derived_name_and_its_number(attempt):
    assert execution_name(REQUEST, attempt) == f"{execution_name(REQUEST)}-{attempt}"


@pytest.mark.parametrize("attempt", [1, 2, 99, 12345])
def test_every_attempt_of_a_long_name_fits_the_80_character_limit(attempt):
    name = execution_name(LONG, attempt)

    assert len(name) <= NAME_LIMIT
    assert re.fullmatch(r"[0-9A-Za-z_-]+", name)
    digest = execution_name(LONG).rsplit("-", 1)[1]
    suffix = f"-{attempt}" if attempt > 1 else ""
    assert name.endswith(f"-{digest}{suffix}")


def test_attempts_of_different_requests_differ():
    other = dict(REQUEST, Tags=[{"Key": "team", "Value": "growth"}])

    assert execution_name(REQUEST, 2) != execution_name(other, 2)
