"""The capacity an Application Auto Scaling step policy asks for at a breach (the metric minus
the alarm's threshold), as the emulator applies it when an alarm runs the policy
(smdeploy.runtime.emulator.alarm_actions.step_capacity), table-tested on the step scaling
policy's documented configuration."""

from __future__ import annotations

import pytest

from smdeploy.runtime.emulator.alarm_actions import step_capacity

FROM_ZERO = {
    "AdjustmentType": "ChangeInCapacity",
    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
}
TWO_STEPS = {
    "AdjustmentType": "ChangeInCapacity",
    "StepAdjustments": [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 3},
    ],
}


@pytest.mark.parametrize(
    ("config", "current", "breach", "expected"),
    [
        pytest.param(FROM_ZERO, 0, 0.0, 1, id="from zero: one copy at the threshold"),
        pytest.param(FROM_ZERO, 0, -1.0, 0, id="below the threshold no step applies"),
        pytest.param(TWO_STEPS, 2, 9.9, 3, id="the first step's interval excludes its upper bound"),
        pytest.param(TWO_STEPS, 2, 10.0, 5, id="the second step from its lower bound on"),
        pytest.param(
            {**FROM_ZERO, "AdjustmentType": "ExactCapacity"}, 4, 1.0, 1, id="exact capacity"
        ),
        pytest.param(
            {
                "AdjustmentType": "PercentChangeInCapacity",
                "MinAdjustmentMagnitude": 2,
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 10}],
            },
            4,
            1.0,
            6,
            id="a percent change of at least the minimum magnitude",
        ),
    ],
)
def test_the_step_whose_interval_holds_the_breach_sets_the_capacity(
    config, current, breach, expected
):
    assert step_capacity(config, current, breach) == expected
