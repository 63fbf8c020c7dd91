"""The sweep of lost endpoint events, end to end: EventBridge Scheduler (emulated on the
simulated clock) starts the Sweep function once a minute; it lists the endpoints that changed
and hands those with parked deployments to the Wait function, which wakes them.

With every endpoint event lost, each deployment's outcome is known within a minute of its
endpoint settling, with at most 3 DescribeEndpoint calls; and the sweep's SageMaker calls per
minute do not grow with the number of parked deployments (one ListEndpoints page, no
DescribeEndpoint of its own).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from e2e_helpers import start

from smdeploy.runtime.install import SWEEP_SCHEDULE
from smdeploy.runtime.local import ACCOUNT, REGION, LocalDeployment, Outcome


def endpoint_request(request: dict[str, Any], index: int) -> dict[str, Any]:
    named = copy.deepcopy(request)
    named["EndpointName"] = f"churn-predictor-{index}"
    return named


def parked_together(account: LocalDeployment, request: dict[str, Any], n: int) -> list[Outcome]:
    """``n`` deployments of ``n`` endpoints, started at the same simulated moment, each
    followed to its end."""
    marks = account._marks()
    with account.emulator.scheduler.held():
        arns = [start(account, endpoint_request(request, i)) for i in range(n)]
    return [account.follow(arn, marks=marks) for arn in arns]


def sweeps(account: LocalDeployment) -> int:
    return sum(1 for rule, _, _ in account.emulator.invocations if rule == SWEEP_SCHEDULE)


@pytest.mark.parametrize("n", [1, 10])
def test_with_every_event_lost_each_outcome_is_known_within_a_minute(make_account, request_v1, n):
    account = make_account(creation_seconds=125, drop_endpoint_events=1.0)

    outcomes = parked_together(account, request_v1, n)

    assert [o.status for o in outcomes] == ["SUCCEEDED"] * n, [o.cause for o in outcomes]
    lags = account.emulator.stats.detection_lags
    assert len(lags) == n
    assert all(0 < lag <= 60 for lag in lags), lags
    # to plan, when it parked, when the sweep woke it: none of the sweep's own
    assert account.emulator.stats.describe_calls <= 3 * n
    for outcome in outcomes:
        woken = [e for e in outcome.history if e["type"] == "TaskSucceeded"]
        assert json.loads(woken[0]["taskSucceededEventDetails"]["output"])["Woken"] is True
        assert not [e for e in outcome.history if e["type"] == "TaskTimedOut"]


def sweep_calls_per_minute(n: int, make_account: Any, request: dict[str, Any]) -> dict[str, int]:
    account = make_account(creation_seconds=600, drop_endpoint_events=1.0)
    outcomes = parked_together(account, request, n)
    assert all(o.status == "SUCCEEDED" for o in outcomes)
    calls = account.emulator.store(ACCOUNT, REGION).calls
    count = sweeps(account)
    assert count >= 10  # ten minutes of Creating, a sweep each minute
    # the sweep's calls: ListEndpoints only (nothing else of the deployer lists endpoints
    # here); the deployments' DescribeEndpoint calls, per deployment
    return {
        "ListEndpoints per sweep": calls.get("ListEndpoints", 0) // count,
        "ListEndpoints left over": calls.get("ListEndpoints", 0) % count,
        "DescribeEndpoint per deployment at most": -(-calls["DescribeEndpoint"] // n),
    }


@pytest.mark.parametrize("n", [1, 10])
def test_the_sweep_s_sagemaker_calls_per_minute_do_not_grow_with_the_parked(
    make_account, request_v1, n
):
    # the same for 1 and for 10 parked deployments
    assert sweep_calls_per_minute(n, make_account, request_v1) == {
        "ListEndpoints per sweep": 1,
        "ListEndpoints left over": 0,
        "DescribeEndpoint per deployment at most": 3,
    }


def test_a_schedule_whose_target_is_not_a_function_is_logged_and_never_fires(make_account):
    account = make_account()
    queue = account.client("sqs").create_queue(QueueName="ticks")["QueueUrl"]
    queue_arn = account.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    role = account.client("iam").get_role(RoleName="smdeploy-sweep-schedule")["Role"]["Arn"]
    account.client("scheduler").create_schedule(
        Name="to-a-queue",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": queue_arn, "RoleArn": role},
    )

    before = sweeps(account)
    account.emulator.scheduler.advance_by(180)  # three minutes: the sweep fires, the queue's not

    assert any("to-a-queue: its target" in line for line in account.emulator.logs)
    assert sweeps(account) > before
    assert not [i for i in account.emulator.invocations if i[0] == "to-a-queue"]
