"""``smdeploy start``'s choice, against the embedded account: follow the request's execution
when it is running or succeeded; start a new attempt when it failed, timed out or was aborted.
"""

from __future__ import annotations

import time

import pytest
from e2e_helpers import load_example

from bench.races.actions import endpoint_created
from smdeploy import remote

pytestmark = pytest.mark.e2e


def until_deploying(account) -> None:
    """Until the execution has created the endpoint (moto cannot stop an execution whose
    interpreter has not started yet); a bound on waiting, never an assertion on time."""
    for _ in range(3000):
        if endpoint_created(account):
            return
        time.sleep(0.01)
    raise AssertionError("the execution never created the endpoint")


def ended(account, started: remote.Started) -> str:
    return account.follow(started.execution_arn).status


def test_a_failed_request_starts_attempt_2_then_3(account):
    bad = load_example("invalid-request.json")
    sfn, machine = account.stepfunctions, account.state_machine_arn

    first = remote.start(sfn, machine, bad)
    first_status = ended(account, first)
    second = remote.start(sfn, machine, bad)
    second_status = ended(account, second)
    third = remote.start(sfn, machine, bad)
    ended(account, third)

    assert (first.attempt, first.existing, first.previous) == (1, False, None)
    assert first_status == second_status == "FAILED"
    assert second.name == f"{first.name}-2"
    assert (second.existing, second.previous) == (False, remote.Previous(first.name, "FAILED"))
    assert third.name == f"{first.name}-3"
    assert third.previous == remote.Previous(second.name, "FAILED")
    assert len(account.execution_arns()) == 3


def test_a_succeeded_request_is_followed_not_deployed_again(account, request_v1):
    sfn, machine = account.stepfunctions, account.state_machine_arn
    first = remote.start(sfn, machine, request_v1)
    assert ended(account, first) == "SUCCEEDED"

    again = remote.start(sfn, machine, request_v1)

    assert (again.execution_arn, again.existing, again.previous) == (
        first.execution_arn,
        True,
        None,
    )
    assert account.execution_arns() == [first.execution_arn]


def test_a_running_request_is_followed_not_started_twice(account, request_v1):
    sfn, machine = account.stepfunctions, account.state_machine_arn

    first = remote.start(sfn, machine, request_v1)
    again = remote.start(sfn, machine, request_v1)
    ended(account, first)

    assert (again.execution_arn, again.existing) == (first.execution_arn, True)
    assert account.execution_arns() == [first.execution_arn]


def test_an_aborted_request_starts_a_new_attempt_that_deploys(make_account, request_v1):
    account = make_account(creation_seconds=3600, deadline_seconds=7200)
    sfn, machine = account.stepfunctions, account.state_machine_arn
    first = remote.start(sfn, machine, request_v1)
    until_deploying(account)
    sfn.stop_execution(executionArn=first.execution_arn, error="Stopped", cause="by a test")
    assert ended(account, first) == "ABORTED"

    second = remote.start(sfn, machine, request_v1)
    status = ended(account, second)

    assert second.name == f"{first.name}-2"
    assert second.previous == remote.Previous(first.name, "ABORTED")
    assert status == "SUCCEEDED"
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
