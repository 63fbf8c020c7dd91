"""The simulation options, checked before anything runs, and the budget of each fault."""

from __future__ import annotations

import pytest

from smdeploy.runtime.faults import FaultBudget, Faults, FaultsInvalid, parse_throttle


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], {}),
        (["DescribeEndpoint=3"], {"DescribeEndpoint": 3}),
        (["CreateModel=1", "UpdateEndpoint=0"], {"CreateModel": 1, "UpdateEndpoint": 0}),
        (["DescribeEndpoint=1", "DescribeEndpoint=4"], {"DescribeEndpoint": 4}),
    ],
)
def test_throttle_values_parse(values, expected):
    assert parse_throttle(values) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "DescribeEndpoint",
            "must be OPERATION=COUNT (e.g. DescribeEndpoint=3), got 'DescribeEndpoint'",
        ),
        (
            "DescribeEndpoint=x",
            "must be OPERATION=COUNT (e.g. DescribeEndpoint=3), got 'DescribeEndpoint=x'",
        ),
        ("DescribeEndpoint=-1", "got 'DescribeEndpoint=-1'"),
        ("DescribeEndpoints=2", "the operation must be one the emulator counts"),
        ("describeendpoint=2", "got 'describeendpoint'"),
    ],
)
def test_bad_throttle_values_are_refused_naming_the_value(value, message):
    with pytest.raises(FaultsInvalid) as caught:
        parse_throttle([value])

    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"crash_after": "DeleteEndpoint"}, "crash-after: must be one of CreateModel, "),
        ({"crash_after": "DeleteEndpoint"}, "got 'DeleteEndpoint'"),
        ({"times": 0}, "fault-times: must be at least 1, got 0"),
        ({"invocation_jitter": -1.0}, "jitter: must be 0 or more seconds, got -1.0"),
        ({"throttle": {"Nope": 1}}, "throttle: the operation must be one the emulator counts"),
        ({"component_seconds": -1.0}, "component-seconds: must be 0 or more seconds, got -1.0"),
        ({"fail_component": " "}, "fail-component: must be a reason (the FailureReason)"),
        ({"rollback_component": ""}, "rollback-component: must be a reason"),
    ],
)
def test_bad_faults_are_refused_with_the_option_the_rule_and_the_value(fields, message):
    with pytest.raises(FaultsInvalid) as caught:
        Faults(**fields)

    assert message in str(caught.value)


def test_a_budget_without_times_never_runs_out():
    budget = FaultBudget(None)

    assert all(budget.take("fail_endpoint") for _ in range(100))


def test_a_budget_gives_each_fault_its_first_n_occurrences():
    budget = FaultBudget(2)

    taken = [budget.take("crash_after") for _ in range(4)]

    assert taken == [True, True, False, False]
    assert [budget.take("fail_endpoint"), budget.take("fail_endpoint")] == [True, True]
    assert budget.injected == {"crash_after": 2, "fail_endpoint": 2}
