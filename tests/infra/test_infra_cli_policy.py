"""The CLI users' managed policy: exactly what start, status, watch, plan and doctor call, on
the stack's own resources (tests/e2e/test_cli_policy.py runs those commands and checks that the
policy allows every call they make)."""

from __future__ import annotations

from typing import Any

from infra_helpers import FRAUD_ROLE, Synthesized
from test_infra_iam import SAGEMAKER_ROLE, render

from deployer import interface

ACCOUNT_ARN = "arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"
# the functions doctor reads: the state machine's, Start (watch reads it too) and Sweep
STAGES = sorted(spec.stage for spec in interface.EVERY_FUNCTION)


def sagemaker(resource: str) -> str:
    return ACCOUNT_ARN.format(service="sagemaker", resource=resource)


EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "StartDeployments": (["states:StartExecution"], ["<StateMachine>"]),
    "ReadTheStateMachine": (
        ["states:DescribeStateMachine", "states:ListExecutions"],
        ["<StateMachine>"],
    ),
    "FollowExecutions": (
        ["states:DescribeExecution", "states:GetExecutionHistory"],
        [ACCOUNT_ARN.format(service="states", resource="execution:<StateMachine.Name>:*")],
    ),
    "FindRules": (["events:ListRuleNamesByTarget", "events:ListRules"], ["*"]),
    "ReadTheRules": (
        ["events:DescribeRule", "events:ListTargetsByRule"],
        [
            "<ApprovalRule.Arn>",
            "<EndpointEventsRule.Arn>",
            "<ManifestRule.Arn>",
            "<RejectionRule.Arn>",
        ],
    ),
    "ReadTheFunctions": (
        ["lambda:GetFunctionConfiguration"],
        [f"<{stage}Function.Arn>" for stage in STAGES],
    ),
    "FindTheSageMakerRole": (["lambda:ListFunctions"], ["*"]),
    "ReadTheSweepSchedule": (["scheduler:GetSchedule"], ["<SweepSchedule.Arn>"]),
    "ReadTheFunctionRoles": (
        [
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
        ],
        [f"<{stage}FunctionRole.Arn>" for stage in STAGES],
    ),
    "ReadTheSageMakerRoles": (["iam:GetRole"], [FRAUD_ROLE, SAGEMAKER_ROLE]),
    "ReadAttachedPolicies": (
        ["iam:GetPolicy", "iam:GetPolicyVersion"],
        ["arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/*"],
    ),
    "ReadProfiledGroups": (
        ["sagemaker:DescribeModelPackageGroup"],
        [
            sagemaker("model-package-group/churn-predictor"),
            sagemaker("model-package-group/fraud-detector"),
        ],
    ),
    "ReadProfiledModelPackages": (
        ["sagemaker:DescribeModelPackage"],
        [
            sagemaker("model-package/churn-predictor/*"),
            sagemaker("model-package/fraud-detector/*"),
        ],
    ),
    "PlanReadsPrefixed": (
        ["sagemaker:DescribeModel", "sagemaker:ListTags"],
        [
            sagemaker("endpoint-config/smdeploy-*"),
            sagemaker("endpoint/smdeploy-*"),
            sagemaker("model/smdeploy-*"),
        ],
    ),
    "PlanReadsServedConfigs": (
        ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"],
        [sagemaker("endpoint-config/*"), sagemaker("endpoint/*")],
    ),
    "PlanListings": (
        ["sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModels"],
        ["*"],
    ),
    "ReadTheTable": (["dynamodb:DescribeTable"], ["<EndpointsTable.Arn>"]),
    "ReadTheTopic": (["sns:GetTopicAttributes"], ["<OutcomeTopic>"]),
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_policy_grants_exactly_the_cli_calls_on_the_stacks_resources(
    synth: Synthesized,
) -> None:
    [logical_id] = synth.of_type("AWS::IAM::ManagedPolicy")
    assert logical_id == "CliUsersPolicy"
    properties = synth.properties(logical_id)
    found = {
        statement["Sid"]: (
            _listed(statement["Action"]),
            [render(r) for r in _listed(statement["Resource"])],
        )
        for statement in properties["PolicyDocument"]["Statement"]
    }
    assert found == EXPECTED
    assert {s["Effect"] for s in properties["PolicyDocument"]["Statement"]} == {"Allow"}
    assert not any("Condition" in s for s in properties["PolicyDocument"]["Statement"])
    # for people and CI jobs to attach: the stack attaches it to none of its roles
    assert not any(properties.get(key) for key in ("Roles", "Users", "Groups"))


def test_the_only_write_is_starting_the_deployers_executions(synth: Synthesized) -> None:
    reads = ("Describe", "Get", "List")
    writes = {
        action
        for actions, _ in EXPECTED.values()
        for action in actions
        if not action.split(":", 1)[1].startswith(reads)
    }
    assert writes == {"states:StartExecution"}


def test_the_stack_outputs_the_policys_arn(synth: Synthesized) -> None:
    output = synth.template["Outputs"]["CliPolicyArn"]
    assert output["Value"] == {"Ref": "CliUsersPolicy"}
