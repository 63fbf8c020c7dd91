"""What ``watch`` and ``local`` print of a park woken by SageMaker's events: the steps SageMaker
reported, each at its own time, then that it was woken; the outcome is the Describe state's
line alone (said once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deployer.payloads.results import Wakeup
from smdeploy.executions import progress_lines

STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_woken_park_shows_its_steps_then_that_it_was_woken_not_the_outcome():
    woken = Wakeup(
        EndpointStatus="InService",
        EndpointConfigName="churn-v2",
        Message="churn settled: churn is InService on churn-v2",
        Description={"EndpointName": "churn", "EndpointStatus": "InService"},
        Steps=[
            {"At": STARTED + timedelta(seconds=120), "Variant": "primary", "Status": "Baking"},
        ],
    )
    event = {
        "type": "TaskSucceeded",
        "taskSucceededEventDetails": {"output": woken.model_dump_json()},
    }

    lines = progress_lines(event, "ParkUntilSettled", 300.0, STARTED)

    assert [(line.seconds, line.kind) for line in lines] == [(120.0, "step"), (300.0, "result")]
    assert "Baking" in lines[0].detail
    assert lines[1].detail == "woken: churn settled"
    assert not any("InService on churn-v2" in line.detail for line in lines)
