"""The CLI users' managed policy covers every call the CLI makes, and grants nothing else.

The commands a platform team's people and CI jobs run (``plan``, ``start``, ``status``,
``watch``, ``doctor``, and ``plan --approval``) run against the emulator, each recorded call
by call (tests/support/record_calls.py: botocore's own event hooks). Each call becomes the
IAM action and resource it is authorized against (the Service Authorization Reference's
tables, as cdk/cli_access.py cites them), and the policy the stack would make for this
installation (:func:`cdk.cli_access.document`, with the emulator's ARNs for the stack's
tokens) must allow it (:mod:`smdeploy.iam_policy`). Every action the policy grants must have
been used by some command: the policy holds nothing the CLI does not call.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import register_package

from cdk.cli_access import Deployer, document
from smdeploy.iam_policy import ALLOWED, decide
from smdeploy.runtime.install import SWEEP_SCHEDULE
from tests.support import processes
from tests.support.processes import CREDENTIALS, ROOT, Running

pytestmark = [pytest.mark.e2e]

PREFIX = "smdeploy-"
RECORDER = ROOT / "tests" / "support" / "record_calls.py"


def prefixed(value: Any) -> Any:
    """The example files with the deployer's name prefix on every name the stack scopes."""
    if isinstance(value, dict):
        return {
            k: (v if v.startswith(PREFIX) else PREFIX + v)
            if k in ("EndpointName", "ModelName") and isinstance(v, str)
            else prefixed(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [prefixed(v) for v in value]
    return value


def record(calls: Path, *args: str, expect: int = 0) -> str:
    done = processes.run(
        [sys.executable, str(RECORDER), str(calls), *args],
        env=processes.environment(**CREDENTIALS),
        expect=expect,
    )
    return done.stdout


def _arn(service: str, resource: str, region: str = "us-east-1") -> str:
    return f"arn:aws:{service}:{region}:123456789012:{resource}"


def _sagemaker(kind: str) -> Callable[[dict[str, Any]], str]:
    key = {"endpoint": "EndpointName", "endpoint-config": "EndpointConfigName"}.get(kind)
    return lambda p: _arn("sagemaker", f"{kind}/{p[key or 'ModelName'].lower()}")


ANYWHERE: Callable[[dict[str, Any]], str] = lambda p: "*"  # noqa: E731 (no resource type)
# Each call the CLI makes: the resource its action is authorized against (from its parameters).
RESOURCE: dict[str, Callable[[dict[str, Any]], str]] = {
    "states:StartExecution": lambda p: p["stateMachineArn"],
    "states:DescribeStateMachine": lambda p: p["stateMachineArn"],
    "states:ListExecutions": lambda p: p["stateMachineArn"],
    "states:DescribeExecution": lambda p: p["executionArn"],
    "states:GetExecutionHistory": lambda p: p["executionArn"],
    "events:ListRules": ANYWHERE,
    "events:ListRuleNamesByTarget": ANYWHERE,
    "events:DescribeRule": lambda p: _arn("events", f"rule/{p['Name']}"),
    "events:ListTargetsByRule": lambda p: _arn("events", f"rule/{p['Rule']}"),
    "lambda:GetFunctionConfiguration": lambda p: p["FunctionName"],
    "lambda:ListFunctions": ANYWHERE,
    "scheduler:GetSchedule": lambda p: _arn(
        "scheduler", f"schedule/{p.get('GroupName') or 'default'}/{p['Name']}"
    ),
    "iam:GetRole": lambda p: _arn("iam", f"role/{p['RoleName']}", region=""),
    "iam:ListRolePolicies": lambda p: _arn("iam", f"role/{p['RoleName']}", region=""),
    "iam:GetRolePolicy": lambda p: _arn("iam", f"role/{p['RoleName']}", region=""),
    "iam:ListAttachedRolePolicies": lambda p: _arn("iam", f"role/{p['RoleName']}", region=""),
    "iam:GetPolicy": lambda p: p["PolicyArn"],
    "iam:GetPolicyVersion": lambda p: p["PolicyArn"],
    "sagemaker:DescribeModelPackage": lambda p: p["ModelPackageName"],
    "sagemaker:DescribeModelPackageGroup": lambda p: _arn(
        "sagemaker", f"model-package-group/{p['ModelPackageGroupName'].lower()}"
    ),
    "sagemaker:DescribeEndpoint": _sagemaker("endpoint"),
    "sagemaker:DescribeEndpointConfig": _sagemaker("endpoint-config"),
    "sagemaker:DescribeModel": _sagemaker("model"),
    "sagemaker:ListTags": lambda p: p["ResourceArn"],
    "sagemaker:ListEndpoints": ANYWHERE,
    "sagemaker:ListEndpointConfigs": ANYWHERE,
    "sagemaker:ListModels": ANYWHERE,
    "dynamodb:DescribeTable": lambda p: _arn("dynamodb", f"table/{p['TableName']}"),
    "sns:GetTopicAttributes": lambda p: p["TopicArn"],
}


def installed(running: Running) -> Deployer:
    """The emulator's installation, as the stack's tokens would name it."""
    functions = [
        f
        for page in running.client("lambda").get_paginator("list_functions").paginate()
        for f in page["Functions"]
        if f["FunctionName"].startswith("smdeploy-")
    ]
    rules = running.client("events").list_rules()["Rules"]
    table = running.client("dynamodb").describe_table(TableName=running.info["TableName"])
    return Deployer(
        partition="aws",
        region=running.info["Region"],
        account=running.info["Account"],
        state_machine_arn=running.info["StateMachineArn"],
        state_machine_name=running.info["StateMachineArn"].rsplit(":", 1)[-1],
        function_arns=tuple(f["FunctionArn"] for f in functions),
        function_role_arns=tuple(sorted({f["Role"] for f in functions})),
        model_role_arns=(running.info["ModelRoleArn"],),
        rule_arns=tuple(r["Arn"] for r in rules),
        table_arn=table["Table"]["TableArn"],
        topic_arn=running.info["TopicArn"],
        groups=tuple(running.info["ModelPackageGroups"]),
        name_prefix=PREFIX,
        sweep_schedule_arn=running.client("scheduler").get_schedule(Name=SWEEP_SCHEDULE)["Arn"],
    )


def test_the_policy_allows_every_call_of_the_cli_and_nothing_more(tmp_path: Path) -> None:
    profiles = prefixed(json.loads((ROOT / "examples" / "profiles.json").read_text()))
    (tmp_path / "profiles.json").write_text(json.dumps(profiles))
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(prefixed(json.loads((ROOT / "examples/request.json").read_text())))
    )
    calls = tmp_path / "calls.jsonl"
    with processes.emulator(tmp_path, "--profiles", str(tmp_path / "profiles.json")) as running:
        url = ("--endpoint-url", running.url)
        machine = ("--state-machine-arn", running.info["StateMachineArn"])
        poll = ("--poll-seconds", "0.2")
        record(calls, "plan", str(request), "--config-retention", "2", *url)
        execution = record(calls, "start", str(request), *machine, *url, "--wait", *poll).strip()
        record(calls, "status", execution, *url)
        record(calls, "start", str(request), *machine, *url)  # submitted before: found
        record(calls, "plan", str(request), "--config-retention", "2", *url)

        package = register_package(running)
        profiles_file = str(tmp_path / "profiles.json")
        record(calls, "plan", "--approval", package, "--profiles", profiles_file, *url)
        running.client("sagemaker").update_model_package(
            ModelPackageArn=package, ModelApprovalStatus="Approved"
        )
        record(calls, "watch", "--model-package-arn", package, *url, *poll)
        # the stack's function roles hold inline policies (CDK's default policies), the
        # emulator's an attached one: doctor reads both kinds
        running.client("iam").put_role_policy(
            RoleName="smdeploy-deployer",
            PolicyName="records",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "dynamodb:GetItem",
                            "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/"
                            f"{running.info['TableName']}",
                        }
                    ],
                }
            ),
        )
        record(calls, "doctor", *url)
        deployer = installed(running)

    policy = document(deployer)
    made = [json.loads(line) for line in calls.read_text().splitlines()]
    used: set[str] = set()
    refused: list[str] = []
    for call in made:
        action = f"{call['Service']}:{call['Operation']}"
        assert action in RESOURCE, f"{action}: a call the CLI makes with no row in RESOURCE"
        resource = RESOURCE[action](call["Params"])
        used.add(action)
        if decide([policy], action, resource) != ALLOWED:
            refused.append(f"{action} on {resource}")
    assert refused == []
    granted = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert granted == used
