"""What the people and CI jobs that use the CLI against an installed deployer may call: the
statements of the stack's "CLI users" managed policy (:mod:`cdk.cli_policy`).

Exactly the calls ``smdeploy start``, ``status``, ``watch``, ``plan`` and ``doctor`` make
(``smdeploy/remote.py``, ``executions.py``, ``approvals.py``, ``planning.py``, ``doctor.py``),
each on the resources it names, from the Service Authorization Reference:

- Step Functions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html):
  StartExecution, ListExecutions, DescribeStateMachine on ``stateMachine``; DescribeExecution,
  GetExecutionHistory on ``execution``: the deployer's state machine and its executions.
- SageMaker (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html):
  DescribeModelPackage on ``model-package`` and DescribeModelPackageGroup on
  ``model-package-group`` (the profiled groups); DescribeModel and ListTags on ``model``,
  ``endpoint``, ``endpoint-config`` (names with the deployer's prefix); DescribeEndpoint and
  DescribeEndpointConfig on any endpoint and config of the account (``plan``'s retention
  reads what every endpoint serves, as the Describe function does); ListEndpoints,
  ListEndpointConfigs, ListModels have no resource type ("*").
- EventBridge (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html):
  ListRules and ListRuleNamesByTarget have no resource type ("*"); DescribeRule and
  ListTargetsByRule on ``rule``: the deployer's rules.
- Lambda (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html):
  GetFunctionConfiguration on ``function`` (the deployer's); ListFunctions has no resource
  type (``plan --approval`` finds the deployer's SageMaker role with it).
- IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html):
  GetRole, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies on ``role`` (the
  functions' roles; GetRole on the SageMaker roles too); GetPolicy and GetPolicyVersion on
  ``policy`` (the account's managed policies attached to a function's role).
- DynamoDB DescribeTable on ``table``, SNS GetTopicAttributes on ``topic``
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html).

Pure data: the stack builds the statements from its tokens, the tests from the emulator's ARNs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANY = "*"


@dataclass(frozen=True)
class Deployer:
    """The installed deployer's resources, by ARN (or CloudFormation tokens)."""

    partition: str
    region: str
    account: str
    state_machine_arn: str
    state_machine_name: str
    function_arns: tuple[str, ...]
    function_role_arns: tuple[str, ...]
    model_role_arns: tuple[str, ...]
    rule_arns: tuple[str, ...]
    table_arn: str
    topic_arn: str
    groups: tuple[str, ...]
    name_prefix: str
    sweep_schedule_arn: str


@dataclass(frozen=True)
class Grant:
    """One statement, and (when a resource holds a wildcard) why, for the reviewers."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    why_wildcard: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": list(self.actions),
            "Resource": list(self.resources),
        }


def _spellings(text: str) -> list[str]:
    """SageMaker writes names into ARNs in lower case; IAM compares ARNs case-sensitively."""
    return sorted({text, text.lower()})


def _sagemaker(d: Deployer, resource_type: str, name: str) -> str:
    return f"arn:{d.partition}:sagemaker:{d.region}:{d.account}:{resource_type}/{name}"


def no_resource_type(actions: tuple[str, ...]) -> str:
    return f"{' and '.join(actions)}: no resource-level permissions (no resource type)"


def _anywhere(sid: str, actions: tuple[str, ...]) -> Grant:
    return Grant(sid, actions, (ANY,), no_resource_type(actions))


def grants(d: Deployer) -> list[Grant]:
    """The statements, in the order the CLI's commands need them."""
    executions = (
        f"arn:{d.partition}:states:{d.region}:{d.account}:execution:{d.state_machine_name}:*"
    )
    prefix = d.name_prefix
    found = [
        Grant("StartDeployments", ("states:StartExecution",), (d.state_machine_arn,)),
        Grant(
            "ReadTheStateMachine",
            ("states:DescribeStateMachine", "states:ListExecutions"),
            (d.state_machine_arn,),
        ),
        Grant(
            "FollowExecutions",
            ("states:DescribeExecution", "states:GetExecutionHistory"),
            (executions,),
            "the executions of the deployer's state machine: their names are generated",
        ),
        _anywhere("FindRules", ("events:ListRuleNamesByTarget", "events:ListRules")),
        Grant("ReadTheRules", ("events:DescribeRule", "events:ListTargetsByRule"), d.rule_arns),
        Grant("ReadTheFunctions", ("lambda:GetFunctionConfiguration",), d.function_arns),
        _anywhere("FindTheSageMakerRole", ("lambda:ListFunctions",)),
        Grant("ReadTheSweepSchedule", ("scheduler:GetSchedule",), (d.sweep_schedule_arn,)),
        Grant(
            "ReadTheFunctionRoles",
            (
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
            ),
            d.function_role_arns,
        ),
        Grant("ReadTheSageMakerRoles", ("iam:GetRole",), d.model_role_arns),
        Grant(
            "ReadAttachedPolicies",
            ("iam:GetPolicy", "iam:GetPolicyVersion"),
            (f"arn:{d.partition}:iam::{d.account}:policy/*",),
            "the account's managed policies attached to a function's role (the stack "
            "attaches none; one attached later may grant iam:PassRole), which doctor reads "
            "to tell whether the role may pass the SageMaker role",
        ),
    ]
    if d.groups:
        found += [
            Grant(
                "ReadProfiledGroups",
                ("sagemaker:DescribeModelPackageGroup",),
                tuple(
                    _sagemaker(d, "model-package-group", spelling)
                    for group in d.groups
                    for spelling in _spellings(group)
                ),
            ),
            Grant(
                "ReadProfiledModelPackages",
                ("sagemaker:DescribeModelPackage",),
                tuple(
                    _sagemaker(d, "model-package", f"{spelling}/*")
                    for group in d.groups
                    for spelling in _spellings(group)
                ),
                "every version (model-package/<group>/<version>) of the groups that have a "
                "deployment profile; the registry numbers the versions",
            ),
        ]
    prefixed = tuple(
        _sagemaker(d, kind, f"{spelling}*")
        for kind in ("endpoint", "endpoint-config", "model")
        for spelling in _spellings(prefix)
    )
    found += [
        Grant(
            "PlanReadsPrefixed",
            ("sagemaker:DescribeModel", "sagemaker:ListTags"),
            prefixed,
            f"the endpoints, endpoint configs and models whose names start with the "
            f"deployer's prefix {prefix!r}: names come from each request",
        ),
        Grant(
            "PlanReadsServedConfigs",
            ("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"),
            (_sagemaker(d, "endpoint", "*"), _sagemaker(d, "endpoint-config", "*")),
            "plan's retention reads what every endpoint of the account serves (read-only), "
            "as the Describe function's clean-up does",
        ),
        _anywhere(
            "PlanListings",
            ("sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModels"),
        ),
        Grant("ReadTheTable", ("dynamodb:DescribeTable",), (d.table_arn,)),
        Grant("ReadTheTopic", ("sns:GetTopicAttributes",), (d.topic_arn,)),
    ]
    return found


def document(d: Deployer) -> dict[str, Any]:
    """The policy document (IAM's JSON)."""
    return {"Version": "2012-10-17", "Statement": [g.to_json() for g in grants(d)]}
