"""The sweep of lost endpoint events in the template (cdk/sweep.py): the schedule, its role,
and the Sweep function's environment and rights."""

from __future__ import annotations

import json

from infra_helpers import Synthesized

from deployer import interface


def policy_statements(synth: Synthesized, role: str) -> list[dict]:
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_schedule_invokes_the_sweep_function_every_minute_with_its_scheduled_time(
    synth: Synthesized,
) -> None:
    [(logical_id, schedule)] = synth.of_type("AWS::Scheduler::Schedule").items()
    properties = schedule["Properties"]

    assert logical_id == "SweepSchedule"
    assert properties["ScheduleExpression"] == "rate(1 minute)"
    assert properties["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert properties["State"] == "ENABLED"
    target = properties["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["SweepFunction", "Arn"]}
    assert target["RoleArn"] == {"Fn::GetAtt": ["SweepScheduleRole", "Arn"]}
    assert json.loads(target["Input"]) == {"ScheduledTime": "<aws.scheduler.scheduled-time>"}
    # a sweep not delivered within its minute is superseded by the next one
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 60, "MaximumRetryAttempts": 3}


def test_the_schedule_s_role_may_only_invoke_the_sweep_function(synth: Synthesized) -> None:
    role = synth.properties("SweepScheduleRole")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}

    assert policy_statements(synth, "SweepScheduleRole") == [
        {
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": ["SweepFunction", "Arn"]},
            "Sid": "InvokeSweep",
        }
    ]


def test_the_sweep_lists_endpoints_reads_the_table_and_invokes_only_the_wait_function(
    synth: Synthesized,
) -> None:
    by_sid = {s.get("Sid"): s for s in policy_statements(synth, "SweepFunctionRole")}

    assert by_sid["ListChangedEndpoints"]["Action"] == "sagemaker:ListEndpoints"
    assert by_sid["ListChangedEndpoints"]["Resource"] == "*"  # no resource type exists
    assert by_sid["ReadParkedDeployments"]["Action"] == "dynamodb:GetItem"
    assert by_sid["WakeParkedDeployments"] == {
        "Action": "lambda:InvokeFunction",
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": ["WaitFunction", "Arn"]},
        "Sid": "WakeParkedDeployments",
    }
    actions = {
        action
        for statement in by_sid.values()
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert not {a for a in actions if a.startswith(("states:", "sagemaker:Describe"))}


def test_the_sweep_function_is_told_the_wait_function_the_table_and_the_prefix(
    synth: Synthesized,
) -> None:
    function = synth.properties("SweepFunction")
    variables = function["Environment"]["Variables"]

    assert function["Handler"] == interface.SWEEP.handler
    assert variables[interface.ENV_WAIT_FUNCTION] == {"Fn::GetAtt": ["WaitFunction", "Arn"]}
    assert variables[interface.ENV_TABLE] == {"Ref": "EndpointsTable"}
    assert variables[interface.ENV_NAME_PREFIX] == "smdeploy-"
