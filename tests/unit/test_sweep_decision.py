"""The sweep's decision (deployer.decide.sweep), table-driven: which endpoints of a
ListEndpoints listing changed since the last sweep, and the event each is handed over as."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deployer.decide.sweep import (
    MARGIN_SECONDS,
    changed,
    event_status,
    scheduled_time,
    state_change_event,
    window_start,
)
from deployer.decide.wake import api_status, read_event

SCHEDULED = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
SINCE = window_start(SCHEDULED)
EVENTS = Path(__file__).parents[1] / "fixtures" / "events"
STATE_CHANGE = json.loads((EVENTS / "endpoint-state-change.json").read_text())


def summary(name: str, status: str, seconds_before: float) -> dict[str, Any]:
    """A ListEndpoints summary, modified ``seconds_before`` the sweep's scheduled time."""
    modified = SCHEDULED - timedelta(seconds=seconds_before)
    return {
        "EndpointName": name,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name.lower()}",
        "CreationTime": modified - timedelta(minutes=5),
        "LastModifiedTime": modified,
        "EndpointStatus": status,
    }


def test_the_window_starts_a_little_before_the_previous_sweep():
    assert timedelta(seconds=60 + MARGIN_SECONDS) == SCHEDULED - SINCE
    assert 0 < MARGIN_SECONDS < 60


@pytest.mark.parametrize(
    ("name", "status", "seconds_before", "prefix", "handed"),
    [
        ("churn", "InService", 10, "", True),  # settled since the previous sweep
        ("churn", "Failed", 10, "", True),
        ("churn", "UpdateRollbackFailed", 10, "", True),
        ("churn", "OutOfService", 10, "", True),
        ("churn", "InService", 80, "", True),  # within the margin: handed again, harmless
        ("churn", "InService", 90, "", False),  # at the window's start: the previous had it
        ("churn", "InService", 600, "", False),  # settled long ago
        ("churn", "Creating", 10, "", False),  # still changing: nothing to wake
        ("churn", "Updating", 10, "", False),
        ("churn", "SystemUpdating", 10, "", False),
        ("churn", "RollingBack", 10, "", False),
        ("churn", "InService", -5, "", True),  # changed after the scheduled time (ran late)
        ("ml-churn", "InService", 10, "ml-", True),  # within the deployer's name prefix
        ("ML-Churn", "InService", 10, "ml-", True),  # names compare without regard to case
        ("other", "InService", 10, "ml-", False),  # not the deployer's
    ],
)
def test_which_endpoints_are_handed_to_the_wait_function(
    name, status, seconds_before, prefix, handed
):
    listing = [summary(name, status, seconds_before)]

    assert bool(changed(listing, SINCE, prefix)) is handed


def test_an_endpoint_listed_twice_is_handed_once_and_the_order_is_kept():
    listing = [
        summary("b", "InService", 5),
        summary("a", "Failed", 20),
        summary("B", "InService", 5),
        {"EndpointName": "broken"},  # not a summary the decision can read: left alone
    ]

    assert [s["EndpointName"] for s in changed(listing, SINCE, "")] == ["b", "a"]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"ScheduledTime": "2026-12-07T01:00:00Z"}, SCHEDULED),
        ({"ScheduledTime": "2026-12-07T01:00:00"}, SCHEDULED),  # no zone: UTC
        ({"ScheduledTime": "not a time"}, None),  # the invocation's own time
        ({}, None),  # invoked by hand
    ],
)
def test_the_scheduled_time_comes_from_the_scheduler_s_input(event, expected):
    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)

    assert scheduled_time(event, now) == (expected or now)


@pytest.mark.parametrize(
    "status", ["InService", "Failed", "UpdateRollbackFailed", "OutOfService", "Deleting"]
)
def test_a_status_is_spelled_as_the_events_spell_it_and_back(status):
    assert api_status(event_status(status)) == status


def test_the_event_handed_over_reads_as_the_lost_event_would():
    listed = summary("MyEndpoint", "InService", 10)

    event = state_change_event(listed, SCHEDULED)
    notice = read_event(event)
    sample = read_event(STATE_CHANGE)  # SageMaker's documented sample event

    assert set(event) == set(STATE_CHANGE)
    assert set(event["detail"]) <= set(STATE_CHANGE["detail"])
    assert (notice.EndpointName, notice.Final) == (sample.EndpointName, sample.Final)
    [step] = notice.Steps
    assert step.EndpointStatus == "InService"
    assert step.At == listed["LastModifiedTime"]
    assert event["region"] == "us-east-1" and event["account"] == "123456789012"
