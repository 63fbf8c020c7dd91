"""IAM, as a security reviewer reads it: every statement of every policy in the template.

The walk (:func:`statements`) and the rules (:func:`violations`) are plain functions, tested
on bad policies first, so a passing stack test means the rule was really applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from infra_helpers import FRAUD_ROLE, Synthesized

PREFIX = "smdeploy-"
SAGEMAKER_ROLE = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
# SageMaker actions that change something (the read-only ones are Describe*/List*).
MUTATING = re.compile(r"sagemaker:(Create|Update|Delete|Add|Put|Start|Stop|Invoke|Register)")
# The only actions that may be granted on "*": none of them has a resource type.
NO_RESOURCE_TYPE = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "sagemaker:ListEndpoints",
    "sagemaker:ListEndpointConfigs",
    "sagemaker:ListModels",
    "sagemaker:ListInferenceComponents",
    # model-package is only an optional resource type of ListModelPackages, and the ARN a
    # listing is authorized against is undocumented (see cdk/permissions.py).
    "sagemaker:ListModelPackages",
    # Application Auto Scaling's Describe actions have no resource type
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    # the CLI users' policy: finding the deployer's rules, and its role (plan --approval)
    "events:ListRules",
    "events:ListRuleNamesByTarget",
    "lambda:ListFunctions",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def render(value: Any) -> str:
    """A resource as text: pseudo parameters and references in angle brackets."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(p) for p in parts)
    raise AssertionError(f"unexpected intrinsic in a policy resource: {value}")


def statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, statement) for every identity-policy statement of the template."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in _as_list(properties["PolicyDocument"]["Statement"]):
                yield logical_id, statement
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                for statement in _as_list(policy["PolicyDocument"]["Statement"]):
                    yield f"{logical_id}/{policy['PolicyName']}", statement


def violations(template: dict[str, Any]) -> list[str]:
    """Every breach of the stack's least-privilege rules, described."""
    found: list[str] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role" and resource["Properties"].get("ManagedPolicyArns"):
            found.append(f"{logical_id}: has managed policies")
        # a managed policy of the stack's own is for people (the CLI users'), never a role's
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and any(
            resource["Properties"].get(key) for key in ("Roles", "Users", "Groups")
        ):
            found.append(f"{logical_id}: a managed policy attached in the stack")
    if "arn:aws:iam::aws:policy" in json.dumps(template) or ":iam::aws:policy/" in json.dumps(
        template
    ):
        found.append("an AWS-managed policy ARN appears in the template")
    for where, statement in statements(template):
        if statement["Effect"] != "Allow":
            continue
        actions = _as_list(statement["Action"])
        resources = [render(r) for r in _as_list(statement.get("Resource", []))]
        if "*" in resources:
            for action in actions:
                if action not in NO_RESOURCE_TYPE:
                    found.append(f"{where}: {action} on *, but it supports resource-level scoping")
        for action in actions:
            if "*" in action:
                found.append(f"{where}: wildcard action {action}")
            if MUTATING.match(action):
                for resource in resources:
                    if not re.search(
                        rf":(endpoint|endpoint-config|model|inference-component)/{re.escape(PREFIX)}\*$",
                        resource,
                    ):
                        found.append(f"{where}: {action} on {resource}, outside {PREFIX}*")
            if action == "iam:PassRole":
                condition = statement.get("Condition", {}).get("StringEquals", {})
                if condition.get("iam:PassedToService") != "sagemaker.amazonaws.com":
                    found.append(f"{where}: iam:PassRole without iam:PassedToService sagemaker")
                if any("*" in r for r in resources):
                    found.append(f"{where}: iam:PassRole on a wildcard {resources}")
    return found


# --- The rules, on bad policies -----------------------------------------------------------


def _template(*statement: dict[str, Any], **role: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {}, **role},
            },
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyDocument": {"Statement": list(statement)}},
            },
        }
    }


def _managed_policy(**attached: Any) -> dict[str, Any]:
    document = {"Statement": [_allow("states:StartExecution", "arn:aws:states:::x")]}
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": document, **attached},
    }


def _allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


PREFIXED_ENDPOINT = {
    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"},
                      ":", {"Ref": "AWS::AccountId"}, ":endpoint/smdeploy-*"]]
}  # fmt: skip
PASS_TO_SAGEMAKER = {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


@pytest.mark.parametrize(
    ("name", "template", "expected"),
    [
        ("scoped create", _template(_allow("sagemaker:CreateEndpoint", PREFIXED_ENDPOINT)), []),
        (
            "create on *",
            _template(_allow(["sagemaker:CreateEndpoint"], "*")),
            [
                "Policy: sagemaker:CreateEndpoint on *, but it supports resource-level scoping",
                "Policy: sagemaker:CreateEndpoint on *, outside smdeploy-*",
            ],
        ),
        (
            "update on another prefix",
            _template(_allow("sagemaker:UpdateEndpoint", "arn:aws:sagemaker:r:1:endpoint/*")),
            [
                "Policy: sagemaker:UpdateEndpoint on arn:aws:sagemaker:r:1:endpoint/*, "
                "outside smdeploy-*"
            ],
        ),
        (
            "delete on a wildcard action",
            _template(_allow("sagemaker:Delete*", PREFIXED_ENDPOINT)),
            ["Policy: wildcard action sagemaker:Delete*"],
        ),
        (
            "pass role without condition",
            _template(_allow("iam:PassRole", SAGEMAKER_ROLE)),
            ["Policy: iam:PassRole without iam:PassedToService sagemaker"],
        ),
        (
            "pass role on *",
            _template(_allow("iam:PassRole", "*", Condition=PASS_TO_SAGEMAKER)),
            [
                "Policy: iam:PassRole on *, but it supports resource-level scoping",
                "Policy: iam:PassRole on a wildcard ['*']",
            ],
        ),
        (
            "pass role done right",
            _template(_allow("iam:PassRole", SAGEMAKER_ROLE, Condition=PASS_TO_SAGEMAKER)),
            [],
        ),
        (
            "managed policy",
            _template(ManagedPolicyArns=["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]),
            ["Role: has managed policies", "an AWS-managed policy ARN appears in the template"],
        ),
        (
            "a managed policy of the stack attached to a role",
            {"Resources": {"Cli": _managed_policy(Roles=[{"Ref": "Role"}])}},
            ["Cli: a managed policy attached in the stack"],
        ),
        ("a managed policy for people to attach", {"Resources": {"Cli": _managed_policy()}}, []),
        ("x-ray on *", _template(_allow(["xray:PutTraceSegments"], "*")), []),
        (
            "s3 read on *",
            _template(_allow("s3:GetObject", "*")),
            ["Policy: s3:GetObject on *, but it supports resource-level scoping"],
        ),
    ],
)
def test_the_rules_catch_what_they_should(
    name: str, template: dict[str, Any], expected: list[str]
) -> None:
    assert violations(template) == expected


# --- The stack ----------------------------------------------------------------------------


def test_the_stack_breaks_none_of_the_rules(synth: Synthesized) -> None:
    assert list(statements(synth.template))  # the walk found the policies
    assert violations(synth.template) == []


def granted(synth: Synthesized, role: str) -> dict[str, set[str]]:
    """Action -> the resources it is granted on, for one role."""
    out: dict[str, set[str]] = {}
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in _as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            for action in _as_list(statement["Action"]):
                out.setdefault(action, set()).update(
                    render(r) for r in _as_list(statement["Resource"])
                )
    return out


def sagemaker_arn(kind: str, name: str) -> str:
    return f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:{kind}/{name}"


ENDPOINTS = sagemaker_arn("endpoint", f"{PREFIX}*")
CONFIGS = sagemaker_arn("endpoint-config", f"{PREFIX}*")
MODELS = sagemaker_arn("model", f"{PREFIX}*")
EVERY_ENDPOINT = sagemaker_arn("endpoint", "*")
EVERY_CONFIG = sagemaker_arn("endpoint-config", "*")
COMPONENTS = sagemaker_arn("inference-component", f"{PREFIX}*")
EVERY_COMPONENT = sagemaker_arn("inference-component", "*")
TARGETS = (
    "arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*"
)
ALARMS_ARN = "arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:"
OWN_ALARMS = f"{ALARMS_ARN}smdeploy-{PREFIX}*"
TRACKING_ALARMS = f"{ALARMS_ARN}TargetTracking-endpoint/{PREFIX}*"
COMPONENT_TRACKING_ALARMS = f"{ALARMS_ARN}TargetTracking-inference-component/{PREFIX}*"
XRAY = {"xray:PutTraceSegments": {"*"}, "xray:PutTelemetryRecords": {"*"}}
# the deployer's table: its records read and conditionally written, nothing else
TABLE = {"dynamodb:GetItem": {"<EndpointsTable.Arn>"}, "dynamodb:PutItem": {"<EndpointsTable.Arn>"}}
# whether a lease's holder still runs: the deployer's own executions only
OWN_EXECUTIONS = {
    "states:DescribeExecution": {
        "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<StateMachine.Name>:*"
    }
}


PROFILES = (
    "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/smdeploy/smdeploy/profiles"
)


def own_logs(stage: str) -> dict[str, set[str]]:
    logs = {f"<{stage}FunctionLogs.Arn>"}
    return {"logs:CreateLogStream": logs, "logs:PutLogEvents": logs}


EXPECTED: dict[str, dict[str, set[str]]] = {
    "Validate": {
        "sagemaker:DescribeEndpoint": {ENDPOINTS, CONFIGS, MODELS},
        "sagemaker:DescribeEndpointConfig": {ENDPOINTS, CONFIGS, MODELS},
        "sagemaker:DescribeModel": {ENDPOINTS, CONFIGS, MODELS},
        "sagemaker:DescribeModelPackage": {
            sagemaker_arn("model-package", "churn-predictor/*"),
            sagemaker_arn("model-package", "fraud-detector/*"),
        },
        "sagemaker:ListModelPackages": {"*"},
        # a rejection reads what the IC its profile targets serves
        "sagemaker:DescribeInferenceComponent": {COMPONENTS},
        "s3:GetObject": {"<ManifestBucket.Arn>/manifests/*"},
        "s3:GetObjectVersion": {"<ManifestBucket.Arn>/manifests/*"},
        "ssm:GetParameter": {PROFILES, f"{PROFILES}/*"},
        "ssm:GetParametersByPath": {PROFILES, f"{PROFILES}/*"},
    },
    "Configure": {
        "sagemaker:CreateModel": {MODELS},
        "sagemaker:DescribeModel": {MODELS},
        "sagemaker:CreateEndpointConfig": {CONFIGS},
        "sagemaker:DescribeEndpointConfig": {CONFIGS},
        "sagemaker:AddTags": {MODELS, CONFIGS},
        "iam:PassRole": {SAGEMAKER_ROLE, FRAUD_ROLE},
    },
    "Lease": {**TABLE, **OWN_EXECUTIONS},
    "Deploy": {
        "sagemaker:DescribeEndpointConfig": {CONFIGS},
        "sagemaker:CreateEndpoint": {ENDPOINTS, CONFIGS},
        "sagemaker:UpdateEndpoint": {ENDPOINTS, CONFIGS},
        "sagemaker:DescribeEndpoint": {ENDPOINTS},
        "sagemaker:ListTags": {ENDPOINTS},
        "sagemaker:AddTags": {ENDPOINTS},
        "sagemaker:DeleteTags": {ENDPOINTS},
        "sagemaker:DeleteEndpoint": {ENDPOINTS},
        "application-autoscaling:DeregisterScalableTarget": {TARGETS},
        **TABLE,
        **OWN_EXECUTIONS,
    },
    "Guardrails": {
        "sagemaker:DescribeEndpoint": {ENDPOINTS, CONFIGS},
        "sagemaker:DescribeEndpointConfig": {ENDPOINTS, CONFIGS},
        "sagemaker:UpdateEndpoint": {ENDPOINTS, CONFIGS},
        "sagemaker:UpdateEndpointWeightsAndCapacities": {ENDPOINTS, CONFIGS},
        "sagemaker:InvokeEndpoint": {ENDPOINTS},
        # what Application Auto Scaling checks on the caller for an inference component
        "sagemaker:DescribeInferenceComponent": {COMPONENTS},
        "sagemaker:UpdateInferenceComponentRuntimeConfig": {COMPONENTS},
        "application-autoscaling:RegisterScalableTarget": {TARGETS},
        "application-autoscaling:DeregisterScalableTarget": {TARGETS},
        "application-autoscaling:PutScalingPolicy": {TARGETS},
        "application-autoscaling:DeleteScalingPolicy": {TARGETS},
        "application-autoscaling:DescribeScalableTargets": {"*"},
        "application-autoscaling:DescribeScalingPolicies": {"*"},
        "cloudwatch:PutMetricAlarm": {OWN_ALARMS, TRACKING_ALARMS, COMPONENT_TRACKING_ALARMS},
        "cloudwatch:DescribeAlarms": {OWN_ALARMS, TRACKING_ALARMS, COMPONENT_TRACKING_ALARMS},
        "cloudwatch:DeleteAlarms": {OWN_ALARMS, TRACKING_ALARMS, COMPONENT_TRACKING_ALARMS},
        "iam:CreateServiceLinkedRole": {
            "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/"
            "sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
        },
    },
    "Describe": {
        # clean-up reads every endpoint and every config they reference, whatever its name
        "sagemaker:DescribeEndpoint": {ENDPOINTS, EVERY_ENDPOINT, EVERY_CONFIG},
        "sagemaker:ListEndpoints": {"*"},
        "sagemaker:ListEndpointConfigs": {"*"},
        "sagemaker:ListModels": {"*"},
        "sagemaker:DescribeEndpointConfig": {EVERY_ENDPOINT, EVERY_CONFIG},
        "sagemaker:DeleteEndpointConfig": {CONFIGS},
        "sagemaker:DescribeModel": {MODELS},
        "sagemaker:DeleteModel": {MODELS},
        "sagemaker:ListTags": {CONFIGS, MODELS},
        # and keeps every model an inference component of the account names
        "sagemaker:ListInferenceComponents": {"*"},
        "sagemaker:DescribeInferenceComponent": {EVERY_COMPONENT},
        # reads only: clean-up under the lease, keeping what every endpoint's record names
        "dynamodb:GetItem": {"<EndpointsTable.Arn>"},
        "dynamodb:Scan": {"<EndpointsTable.Arn>"},
    },
    "Components": {
        "sagemaker:DescribeInferenceComponent": {COMPONENTS},
        "sagemaker:CreateInferenceComponent": {COMPONENTS, ENDPOINTS},
        "sagemaker:UpdateInferenceComponent": {COMPONENTS},
        "sagemaker:UpdateInferenceComponentRuntimeConfig": {COMPONENTS},
        "sagemaker:DeleteInferenceComponent": {COMPONENTS},
        "sagemaker:AddTags": {COMPONENTS},
        "application-autoscaling:DescribeScalableTargets": {"*"},
    },
    "Notify": {
        "events:PutEvents": {"arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:"
                             "event-bus/default"},
        "sns:Publish": {"<OutcomeTopic>"},
        "kms:GenerateDataKey": {"<OutcomeTopicKey.Arn>"},
        "kms:Decrypt": {"<OutcomeTopicKey.Arn>"},
    },
}  # fmt: skip


@pytest.mark.parametrize("stage", list(EXPECTED))
def test_each_function_may_do_exactly_what_its_stage_calls(synth: Synthesized, stage: str) -> None:
    assert granted(synth, f"{stage}FunctionRole") == {
        **XRAY,
        **own_logs(stage),
        **EXPECTED[stage],
    }


def test_only_configure_may_pass_a_role_and_only_to_sagemaker(synth: Synthesized) -> None:
    passing = [(where, s) for where, s in statements(synth.template) if "iam:PassRole" in
               _as_list(s["Action"])]  # fmt: skip
    assert [where for where, _ in passing] == [
        next(k for k in synth.of_type("AWS::IAM::Policy") if "Configure" in k)
    ]
    ((_, statement),) = passing
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_autoscaling_writes_are_limited_to_sagemaker_variants_and_components(
    synth: Synthesized,
) -> None:
    writes = [
        s
        for _, s in statements(synth.template)
        if any(
            a.startswith("application-autoscaling:")
            and not a.startswith("application-autoscaling:Describe")
            for a in _as_list(s["Action"])
        )
    ]
    # the Guardrails function's (variants, inference components), and Deploy's deregistration
    assert len(writes) == 3
    dimensions = []
    for statement in writes:
        condition = statement["Condition"]["StringEquals"]
        assert set(statement["Condition"]) == {"StringEquals"}
        assert condition["application-autoscaling:service-namespace"] == "sagemaker"
        dimensions.append(condition["application-autoscaling:scalable-dimension"])
    assert sorted(dimensions) == [
        "sagemaker:inference-component:DesiredCopyCount",
        "sagemaker:variant:DesiredInstanceCount",
        "sagemaker:variant:DesiredInstanceCount",
    ]
    [linked] = [
        s for _, s in statements(synth.template)
        if "iam:CreateServiceLinkedRole" in _as_list(s["Action"])
    ]  # fmt: skip
    assert linked["Condition"] == {
        "StringLike": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
    }


def test_every_role_is_assumed_by_one_service_and_has_no_managed_policy(
    synth: Synthesized,
) -> None:
    roles = synth.of_type("AWS::IAM::Role")
    # nine functions, the state machine, the rules; the Sweep function and its schedule
    assert len(roles) == 13
    for logical_id, role in roles.items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        assert list(statement["Principal"]) == ["Service"], logical_id
