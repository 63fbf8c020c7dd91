"""The emulator's EventBridge Scheduler (smdeploy.runtime.emulator.schedules): rate
expressions and the context attributes of a target's input, table-driven."""

from __future__ import annotations

import json

import pytest

from smdeploy.runtime.emulator.schedules import rate_seconds, with_context


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 days)", 172800),
        (" rate(1 minute) ", 60),
        ("cron(0/1 * * * ? *)", None),  # not emulated: never fires
        ("at(2026-12-07T01:00:00)", None),
        ("rate(1 week)", None),  # not a unit EventBridge Scheduler has
    ],
)
def test_a_rate_expression_is_its_interval(expression: str, seconds: int | None) -> None:
    assert rate_seconds(expression) == seconds


def test_the_context_attributes_are_filled_in_as_the_scheduler_fills_them() -> None:
    text = json.dumps(
        {
            "ScheduledTime": "<aws.scheduler.scheduled-time>",
            "Schedule": "<aws.scheduler.schedule-arn>",
            "Attempt": "<aws.scheduler.attempt-number>",
            "Execution": "<aws.scheduler.execution-id>",
        }
    )

    filled = json.loads(with_context(text, "arn:schedule", 1_796_000_400.7, attempt=2))

    assert filled["ScheduledTime"] == "2026-11-30T01:00:00Z"  # whole seconds, UTC, Z
    assert filled["Schedule"] == "arn:schedule"
    assert filled["Attempt"] == "2"
    assert len(filled["Execution"]) == 16
