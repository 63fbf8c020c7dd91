"""Finding the deployer's state machine from the approval rules (watch, doctor): a rule of
another team's, whose targets the CLI users' policy does not let the caller read, is skipped;
any other refusal is an error."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from deployer import interface
from smdeploy.approvals import approval_state_machines

MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:smdeploy-deployer"
APPROVALS = json.dumps(interface.approval_pattern(["churn-predictor"]))


def rule(name: str) -> dict[str, str]:
    return {
        "Name": name,
        "Arn": f"arn:aws:events:us-east-1:111122223333:rule/{name}",
        "EventPattern": APPROVALS,
        "State": "ENABLED",
    }


def stubbed() -> tuple[object, Stubber]:
    events = boto3.client(
        "events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(events)
    stubber.add_response("list_rules", {"Rules": [rule("theirs"), rule("ours")]}, {})
    return events, stubber


def test_a_rule_whose_targets_the_caller_may_not_read_is_skipped() -> None:
    events, stubber = stubbed()
    stubber.add_client_error(
        "list_targets_by_rule",
        service_error_code="AccessDeniedException",
        http_status_code=400,
        expected_params={"Rule": "theirs"},
    )
    stubber.add_response(
        "list_targets_by_rule",
        {"Targets": [{"Id": "deployer", "Arn": MACHINE}]},
        {"Rule": "ours"},
    )
    with stubber:
        assert approval_state_machines(events) == [MACHINE]
    stubber.assert_no_pending_responses()


def test_any_other_refusal_is_an_error() -> None:
    events, stubber = stubbed()
    stubber.add_client_error(
        "list_targets_by_rule",
        service_error_code="ResourceNotFoundException",
        http_status_code=400,
        expected_params={"Rule": "theirs"},
    )
    with stubber, pytest.raises(ClientError):
        approval_state_machines(events)
