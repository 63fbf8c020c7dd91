"""How long a deployment may take and a parked one waits before it looks itself, and what a
transient error after the deadline becomes (deployer.decide.deadline)."""

from datetime import UTC, datetime, timedelta

import pytest

from deployer import interface
from deployer.decide.deadline import (
    DEFAULT_PARK_SECONDS,
    bounded_by_deadline,
    deadline_at,
    deadline_seconds_from,
    deployment_deadline,
    give_up,
    lease_wait,
    park_seconds,
)
from deployer.errors import (
    DeploymentTimedOut,
    GuardrailThrottled,
    LeaseContention,
    SageMakerThrottled,
)


@pytest.mark.parametrize(
    ("interval", "elapsed", "deadline", "expected"),
    [
        (None, 0, 3600, DEFAULT_PARK_SECONDS),  # the safety net: 30 minutes
        (None, 0, 900, 900),  # never past the deadline
        (None, 1800, 3600, 1800),
        (None, 3000, 3600, 600),
        (None, 3599, 3600, 1),
        (None, 3600, 3600, 1),  # at least a second (Describe raised at the deadline already)
        ("300", 0, 3600, 300),  # SMDEPLOY_PARK_SECONDS
        ("300", 3500, 3600, 100),
    ],
)
def test_park_seconds(monkeypatch, interval, elapsed, deadline, expected):
    if interval is None:
        monkeypatch.delenv(interface.ENV_PARK_SECONDS, raising=False)
    else:
        monkeypatch.setenv(interface.ENV_PARK_SECONDS, interval)

    assert park_seconds(elapsed, deadline) == expected


def test_the_update_policy_may_lengthen_the_deadline(monkeypatch):
    monkeypatch.setenv(interface.ENV_DEADLINE, "3600")

    assert deployment_deadline(None) == 3600
    assert deployment_deadline(28800) == 28800 + 600


# --- the deadline: from the execution's start, the request's or the configured -----------

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("policy", "requested", "expected"),
    [
        (None, None, 3600),  # the configured deadline
        (None, 900, 900),  # the request's (or profile's) DeadlineSeconds
        (28800, None, 28800 + 600),  # a long update policy lengthens it
        (28800, 900, 28800 + 600),
        (600, 7200, 7200),
    ],
)
def test_deadline_at(monkeypatch, policy, requested, expected):
    monkeypatch.setenv(interface.ENV_DEADLINE, "3600")

    assert deadline_at(START, policy, requested) == at(expected)


@pytest.mark.parametrize(
    ("deadline", "policy", "expected"),
    [
        (at(900), None, 900),  # Validate's, whatever is configured
        (at(0), None, 0),
        (at(899.2), None, 900),  # rounded up: a park it times never ends before the deadline
        (START - timedelta(seconds=5), None, 0),
        (None, None, 3600),  # an execution started before Validate fixed one
        (None, 28800, 29400),
    ],
)
def test_deadline_seconds_from(monkeypatch, deadline, policy, expected):
    monkeypatch.setenv(interface.ENV_DEADLINE, "3600")

    assert deadline_seconds_from(START, deadline, policy) == expected


@pytest.mark.parametrize(
    ("error", "deadline", "now", "gives_up"),
    [
        (SageMakerThrottled("CreateModel: Rate exceeded"), at(3600), at(10), False),
        (SageMakerThrottled("CreateModel: Rate exceeded"), at(3600), at(3599), False),
        (SageMakerThrottled("CreateModel: Rate exceeded"), at(3600), at(3600), True),
        (GuardrailThrottled("PutMetricAlarm: throttled"), at(3600), at(4000), True),
        (LeaseContention("the record changed"), at(600), at(601), True),
        (SageMakerThrottled("no deadline handed over"), None, at(99999), False),
    ],
)
def test_give_up(error, deadline, now, gives_up):
    verdict = give_up(error, deadline, now)

    assert (verdict is not None) is gives_up
    if verdict is not None:  # the deadline's error, naming the transient one as its cause
        assert isinstance(verdict, DeploymentTimedOut)
        assert type(error).__name__ in str(verdict)
        assert str(error) in str(verdict)


@pytest.mark.parametrize(
    ("wait", "now", "deadline", "expected"),
    [
        (30, at(0), None, 30),
        (30, at(0), at(3600), 30),
        (30, at(3590), at(3600), 10),  # never past the deadline
        (30, at(3599.5), at(3600), 1),
        (30, at(3600), at(3600), None),  # the deadline passed while waiting
        (30, at(4000), at(3600), None),
    ],
)
def test_lease_wait(wait, now, deadline, expected):
    assert lease_wait(wait, now, deadline) == expected


def _throttled(event, context):
    raise SageMakerThrottled("CreateEndpointConfig: SageMaker throttled the call")


@pytest.mark.parametrize(
    ("event", "raised"),
    [
        ({"Deadline": "2999-01-01T00:00:00+00:00"}, SageMakerThrottled),  # retried
        ({"Deadline": "2000-01-01T00:00:00+00:00"}, DeploymentTimedOut),
        # the state machine's clock (EnteredTime) runs ahead of the Lambda's: the later counts
        (
            {"Deadline": "2999-01-01T00:00:00+00:00", "EnteredTime": "2999-01-02T00:00:00Z"},
            DeploymentTimedOut,
        ),
        ({}, SageMakerThrottled),  # no deadline handed over: the ASL's attempts bound it
        ({"Deadline": "not a time"}, SageMakerThrottled),
    ],
)
def test_bounded_by_deadline(event, raised):
    with pytest.raises(raised) as caught:
        bounded_by_deadline(_throttled)(event, None)
    if raised is DeploymentTimedOut:
        assert isinstance(caught.value.__cause__, SageMakerThrottled)
