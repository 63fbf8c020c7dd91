"""How long a parked deployment waits before it looks itself (deployer.timing)."""

import pytest

from deployer import contract
from deployer.timing import DEFAULT_PARK_SECONDS, deployment_deadline, park_seconds


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
        monkeypatch.delenv(contract.ENV_PARK_SECONDS, raising=False)
    else:
        monkeypatch.setenv(contract.ENV_PARK_SECONDS, interval)

    assert park_seconds(elapsed, deadline) == expected


def test_the_update_policy_may_lengthen_the_deadline(monkeypatch):
    monkeypatch.setenv(contract.ENV_DEADLINE, "3600")

    assert deployment_deadline(None) == 3600
    assert deployment_deadline(28800) == 28800 + 600
