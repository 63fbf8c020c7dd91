"""doctor's checks when AWS refuses a call: a refusal for want of permission names the call
and the CLI users' policy; a missing state machine names the stack's output."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from smdeploy.doctor import examine, function_arns
from smdeploy.doctor_checklist import POLICY_OUTPUT

MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:smdeploy-deployer"


def refusing(code: str) -> tuple[Any, Stubber]:
    sfn = boto3.client(
        "stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(sfn)
    stubber.add_client_error(
        "describe_state_machine",
        service_error_code=code,
        service_message="refused",
        http_status_code=400,
        expected_params={"stateMachineArn": MACHINE},
    )
    return sfn, stubber


def test_a_call_refused_for_want_of_permission_names_the_call_and_the_policy() -> None:
    sfn, stubber = refusing("AccessDeniedException")
    with stubber:
        report = examine(lambda service: sfn, MACHINE)
    [check] = report.checks
    assert not report.healthy and not check.ok
    assert check.detail == "states:DescribeStateMachine: AccessDeniedException: refused"
    assert check.fix is not None and POLICY_OUTPUT in check.fix
    assert "states:DescribeStateMachine" in check.fix


def test_a_state_machine_that_does_not_exist_names_the_stacks_output() -> None:
    sfn, stubber = refusing("StateMachineDoesNotExist")
    with stubber:
        report = examine(lambda service: sfn, MACHINE)
    [check] = report.checks
    assert check.fix is not None and "StateMachineArn output" in check.fix


def test_the_functions_of_a_definition_each_once_in_order() -> None:
    definition = """{"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:a", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
              "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:b"},
              "Next": "C"},
        "C": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:a", "End": true}}}"""
    assert function_arns(definition) == [
        "arn:aws:lambda:us-east-1:1:function:a",
        "arn:aws:lambda:us-east-1:1:function:b",
    ]
