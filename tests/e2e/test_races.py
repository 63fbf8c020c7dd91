"""Deployments that meet, through the real state machine, each scenario repeated with seeded
random invocation delays (bench/races/ runs them; ``make bench`` prints the table).

The target of issue 9 for every run: the endpoint serves the newest intent, no execution
FAILED beyond the scenario's own injected fault, no false alarm, no config left beyond the
retention, no orphaned model, and (issue 18) no config or model deleted while an endpoint
references it; a crash is retried (no re-run needed, an approval's included), and throttling at
scale fails no deployment.
"""

from __future__ import annotations

import re

import pytest

from bench.races import deployments, measure, scenarios

pytestmark = [pytest.mark.e2e, pytest.mark.long]

SEEDS = (1, 2, 3)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


CASES = [
    pytest.param(
        scenario,
        seed,
        id=f"{_slug(scenario.name)}-seed{seed}",
    )
    for scenario in scenarios.SCENARIOS
    for seed in SEEDS
]


@pytest.mark.parametrize(("scenario", "seed"), CASES)
def test_every_run_ends_on_the_newest_intent_with_no_false_failure(scenario, seed):
    run = measure.run(scenario, seed)

    assert run.correct, run
    assert run.unexpected_failed == 0, run.errors
    assert run.false_alarms == 0, run.errors
    assert not run.left_over, run
    assert run.orphans == 0, run
    assert run.deleted_referenced == 0, run
    assert run.failed == scenario.expected_failed, run.errors


def test_throttling_at_scale_fails_no_deployment_and_every_endpoint_ends_on_its_newest():
    # 10 endpoints x 10 deployments started at once, the first 8 calls of every SageMaker
    # operation throttled; bench/races/ repeats it for more seeds
    run = measure.run(scenarios.THROTTLED_AT_SCALE, seed=1)

    assert run.executions == deployments.SCALE_ENDPOINTS * deployments.SCALE_DEPLOYMENTS
    assert run.correct, run
    assert run.failed == 0, run.errors
    assert run.failed_transient == 0
    assert run.orphans == 0, run
