"""The emulator's timeline of an update, policy by policy, as SageMaker documents them
(smdeploy/runtime/emulator/sagemaker/utils.py: update_timeline)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from smdeploy.runtime.emulator.sagemaker.utils import update_timeline

C = 300.0  # seconds to provision new instances
TWO = [{"VariantName": "primary", "InitialInstanceCount": 2}]
THREE = [{"VariantName": "primary", "InitialInstanceCount": 3}]


def blue_green(routing: dict[str, Any], termination: int = 120) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination,
        }
    }


CANARY = blue_green(
    {
        "Type": "CANARY",
        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 300,
    }
)
LINEAR_HALF = blue_green(
    {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        "WaitIntervalInSeconds": 300,
    }
)
LINEAR_ONE = blue_green(
    {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
)
ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
}

# a canary, or a linear policy of two steps: the fleet, a shift, 300 s baking, the last shift
TWO_SHIFTS = [
    (0, "Creating"),
    (C, "ActivatingTraffic"),
    (C, "Baking"),
    (C + 300, "ActivatingTraffic"),
    (C + 300, "Baking"),
]

CASES = [
    # (policy, variants, the steps as (at, status), the whole duration)
    (None, TWO, [(0, "Creating"), (C, "ActivatingTraffic"), (C, "Baking")], C),
    (
        blue_green({"Type": "ALL_AT_ONCE"}, termination=600),
        TWO,
        [(0, "Creating"), (C, "ActivatingTraffic"), (C, "Baking")],
        C + 600,
    ),
    (
        CANARY,
        TWO,
        TWO_SHIFTS,
        C + 300 + 120,
    ),
    (
        LINEAR_HALF,
        TWO,
        TWO_SHIFTS,
        C + 300 + 120,
    ),
    (LINEAR_ONE, THREE, None, C + 60 + 60 + 120),  # three shifts of one instance
    (
        ROLLING,
        TWO,
        [
            (0, "Creating"),
            (C, "ActivatingTraffic"),
            (C, "Baking"),
            (C + 60, "Creating"),
            (2 * C + 60, "ActivatingTraffic"),
            (2 * C + 60, "Baking"),
        ],
        2 * (C + 60),
    ),
]


@pytest.mark.parametrize(("policy", "variants", "expected", "duration"), CASES)
def test_each_policy_has_its_documented_steps_and_duration(policy, variants, expected, duration):
    steps, seconds = update_timeline(policy, variants, C)

    if expected is not None:
        assert [(s.at, s.status) for s in steps] == expected
    assert seconds == duration


@pytest.mark.parametrize(("policy", "variants", "expected", "duration"), CASES)
def test_each_baking_lasts_until_the_next_step_and_the_last_until_the_end(
    policy, variants, expected, duration
):
    steps, seconds = update_timeline(policy, variants, C)

    assert [s.at for s in steps] == sorted(s.at for s in steps)
    for i, step in enumerate(steps):
        if step.status == "Baking":
            baked = float(re.search(r"for (\d+(?:\.\d+)?) seconds", step.message).group(1))
            ends = steps[i + 1].at if i + 1 < len(steps) else seconds
            assert step.at + baked == ends, step


def test_a_canary_says_which_traffic_each_shift_moves():
    steps, _ = update_timeline(CANARY, TWO, C)

    shifts = [s.message for s in steps if s.status == "ActivatingTraffic"]
    assert shifts == [
        "shifting the canary's traffic to the new fleet",
        "shifting the rest of the traffic to the new fleet",
    ]
    bakes = [s.message for s in steps if s.status == "Baking"]
    assert bakes == [
        "Baking for 300 seconds (WaitIntervalInSeconds)",
        "Baking for 120 seconds (TerminationWaitInSeconds)",
    ]
