"""What each deployer function may do in SageMaker and IAM, scoped to the configured names.

Resource-level scoping follows the Service Authorization Reference for SageMaker:

- CreateModel, DescribeModel: ``model*``. CreateModel has no resource type or condition key
  for the model package a container names, so IAM cannot limit which package a model is
  made from; the Validate stage does (only packages of groups with a profile become
  requests, and only the Validate role may read those packages). Its dependent actions are
  iam:PassRole (the model's execution role) and sagemaker:AddTags (Tags on create).
- CreateEndpointConfig, DescribeEndpointConfig, DeleteEndpointConfig: ``endpoint-config*``.
- DeleteEndpoint, DeleteModel, AddTags, DeleteTags, ListTags: the resource they name
  (``endpoint*``, ``model*``, ``endpoint-config*``).
- CreateEndpoint, UpdateEndpoint: ``endpoint*`` and ``endpoint-config*`` (both are required:
  the call names the config it deploys). DescribeEndpoint: ``endpoint*``.
- DescribeModelPackage: ``model-package*``; a versioned package's ARN is
  ``model-package/<group>/<version>``, so a group's packages are ``model-package/<group>/*``.
- ListEndpointConfigs, ListModels: no resource type at all. ListModelPackages:
  ``model-package`` is only an optional resource type, and which ARN a listing of a group
  is authorized against is not documented; they are granted on "*" (read-only listings)
  and acknowledged.

SageMaker writes resource names into ARNs in lower case (``endpoint/my-endpoint``), and IAM
compares ARNs case-sensitively, so a prefix with capitals is granted in both spellings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from cdk.config import DeployerConfig
from deployer import interface

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"


def _spellings(text: str) -> list[str]:
    return sorted({text, text.lower()})


def sagemaker_arns(stack: Stack, resource_type: str, prefix: str) -> list[str]:
    """ARNs of the SageMaker resources of one type whose names start with ``prefix``."""
    return [
        stack.format_arn(
            service="sagemaker",
            resource=resource_type,
            resource_name=f"{spelling}*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        for spelling in _spellings(prefix)
    ]


def model_package_arns(stack: Stack, groups: Iterable[str]) -> list[str]:
    """ARNs of every version of the model packages in ``groups``."""
    return [
        stack.format_arn(
            service="sagemaker",
            resource="model-package",
            resource_name=f"{spelling}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        for group in groups
        for spelling in _spellings(group)
    ]


@dataclass(frozen=True)
class Grant:
    """A policy statement, and why its resources hold a wildcard (for the reviewers)."""

    statement: iam.PolicyStatement
    why_wildcard: str


def _prefixed(what: str, prefix: str) -> str:
    return (
        f"{what} whose names start with the configured prefix {prefix!r}: the deployer "
        f"creates them with names taken from each request, so the prefix is their scope"
    )


def _grant(sid: str, actions: list[str], resources: list[str], why: str) -> Grant:
    return Grant(iam.PolicyStatement(sid=sid, actions=actions, resources=resources), why)


def sagemaker_statements(stage: str, config: DeployerConfig, stack: Stack) -> list[Grant]:
    """The SageMaker and IAM statements of one stage's role (none for Notify)."""
    prefix = config.name_prefix
    endpoints = sagemaker_arns(stack, "endpoint", prefix)
    configs = sagemaker_arns(stack, "endpoint-config", prefix)
    models = sagemaker_arns(stack, "model", prefix)
    on_prefixed = _prefixed("SageMaker endpoints, endpoint configs and models", prefix)
    grants: list[Grant] = []
    if stage == "Validate":
        grants.append(
            _grant(
                "ReadDeployedResources",
                [
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:DescribeModel",
                ],
                endpoints + configs + models,
                on_prefixed,
            )
        )
        if config.approval_groups:
            grants.append(
                _grant(
                    "ReadProfiledModelPackages",
                    ["sagemaker:DescribeModelPackage"],
                    model_package_arns(stack, config.approval_groups),
                    "every version (model-package/<group>/<version>) of the model package "
                    "groups that have a deployment profile; the registry numbers the versions",
                )
            )
        if config.rollback_groups:
            grants.append(
                _grant(
                    "ListModelPackagesForRollback",
                    ["sagemaker:ListModelPackages"],
                    ["*"],
                    "sagemaker:ListModelPackages (finding the version to roll back to) has "
                    "model-package only as an optional resource type, and the ARN a listing "
                    "is authorized against is not documented; it is a read-only list",
                )
            )
    elif stage == "Configure":
        grants += [
            _grant(
                "CreateModels",
                ["sagemaker:DescribeModel", "sagemaker:CreateModel", "sagemaker:AddTags"],
                models,
                _prefixed("SageMaker models", prefix),
            ),
            _grant(
                "CreateEndpointConfigs",
                [
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:AddTags",
                ],
                configs,
                _prefixed("SageMaker endpoint configs", prefix),
            ),
            Grant(pass_role_statement(config), ""),
        ]
    elif stage == "Deploy":
        if config.kms_key_arns:
            grants.append(Grant(kms_statement(config, stack), ""))
        grants += [
            _grant(
                "ReadEndpointConfigs",
                ["sagemaker:DescribeEndpointConfig"],
                configs,
                _prefixed("SageMaker endpoint configs", prefix),
            ),
            _grant(
                "CreateAndUpdateEndpoints",
                ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                endpoints + configs,
                on_prefixed,
            ),
            _grant(
                "DescribeTagAndReplaceEndpoints",
                [
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:ListTags",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                    "sagemaker:DeleteEndpoint",
                ],
                endpoints,
                _prefixed("SageMaker endpoints", prefix)
                + "; DeleteEndpoint only ever deletes a Failed endpoint the deployer created",
            ),
        ]
    elif stage in ("Wait", "Describe"):
        grants.append(
            _grant(
                "DescribeEndpoints",
                ["sagemaker:DescribeEndpoint"],
                endpoints,
                _prefixed("SageMaker endpoints", prefix),
            )
        )
        if stage == "Describe" and config.config_retention > 0:
            grants += [
                _grant(
                    "ListEndpointsConfigsAndModels",
                    [
                        "sagemaker:ListEndpoints",
                        "sagemaker:ListEndpointConfigs",
                        "sagemaker:ListModels",
                    ],
                    ["*"],
                    "sagemaker:ListEndpoints, ListEndpointConfigs and ListModels (clean-up) "
                    "support no resource-level permissions; they are read-only lists",
                ),
                _grant(
                    "ReadEveryEndpointsReferences",
                    ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"],
                    sagemaker_arns(stack, "endpoint", "")
                    + sagemaker_arns(stack, "endpoint-config", ""),
                    "clean-up deletes nothing that any endpoint of the account references, "
                    "whatever its name: it reads (describes only) every endpoint and the "
                    "configs they reference",
                ),
                _grant(
                    "DeleteOldEndpointConfigs",
                    ["sagemaker:ListTags", "sagemaker:DeleteEndpointConfig"],
                    configs,
                    _prefixed("SageMaker endpoint configs", prefix),
                ),
                _grant(
                    "DeleteLeftoverModels",
                    ["sagemaker:DescribeModel", "sagemaker:ListTags", "sagemaker:DeleteModel"],
                    models,
                    _prefixed("SageMaker models", prefix),
                ),
            ]
    return grants


# Application Auto Scaling's service-linked role for SageMaker variants, created on the first
# RegisterScalableTarget (https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html)
AUTOSCALING_PRINCIPAL = "sagemaker.application-autoscaling.amazonaws.com"
AUTOSCALING_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def alarm_arns(stack: Stack, name_start: str) -> list[str]:
    """ARNs of the CloudWatch alarms whose names start with ``name_start``."""
    return [
        stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=f"{name_start}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
    ]


def guardrail_statements(stage: str, config: DeployerConfig, stack: Stack) -> list[Grant]:
    """What the Guardrails function may do (and, for Deploy, what DeleteEndpoint of an
    autoscaled endpoint needs): Application Auto Scaling of SageMaker variants, CloudWatch
    alarms by the deployer's prefix, InvokeEndpoint of the deployer's endpoints.

    A scalable target's ARN holds a generated id, not the endpoint's name, so Application
    Auto Scaling's writes are scoped by its condition keys (the SageMaker namespace and the
    variant's instance-count dimension), and what they act on by the SageMaker permissions
    Application Auto Scaling checks on the caller (DescribeEndpoint and
    UpdateEndpointWeightsAndCapacities on the prefixed endpoints).
    """
    prefix = config.name_prefix
    endpoints = sagemaker_arns(stack, "endpoint", prefix)
    configs = sagemaker_arns(stack, "endpoint-config", prefix)
    targets = [
        stack.format_arn(
            service="application-autoscaling",
            resource="scalable-target",
            resource_name="*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
    ]
    variants_only = {
        "StringEquals": {
            "application-autoscaling:service-namespace": "sagemaker",
            "application-autoscaling:scalable-dimension": VARIANT_DIMENSION,
        }
    }
    why_targets = (
        "Application Auto Scaling names scalable targets by a generated id; the statement is "
        "limited to SageMaker variants' instance counts by its condition keys"
    )
    if stage == "Deploy":
        # DeleteEndpoint (REPLACE of a Failed endpoint) deregisters its variants' targets
        # (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html)
        return [
            Grant(
                iam.PolicyStatement(
                    sid="DeregisterTargetsOfDeletedEndpoints",
                    actions=["application-autoscaling:DeregisterScalableTarget"],
                    resources=targets,
                    conditions=variants_only,
                ),
                why_targets,
            )
        ]
    if stage != "Guardrails":
        return []
    on_prefixed = _prefixed("SageMaker endpoints and endpoint configs", prefix)
    return [
        _grant(
            "ReadAndRestoreEndpoints",
            [
                "sagemaker:DescribeEndpoint",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:UpdateEndpoint",
                "sagemaker:UpdateEndpointWeightsAndCapacities",
            ],
            endpoints + configs,
            on_prefixed
            + "; UpdateEndpoint only puts an endpoint back on the config it served before a "
            "failed smoke test",
        ),
        _grant(
            "SmokeTestEndpoints",
            ["sagemaker:InvokeEndpoint"],
            endpoints,
            _prefixed("SageMaker endpoints", prefix),
        ),
        Grant(
            iam.PolicyStatement(
                sid="AutoscaleVariants",
                actions=[
                    "application-autoscaling:RegisterScalableTarget",
                    "application-autoscaling:DeregisterScalableTarget",
                    "application-autoscaling:PutScalingPolicy",
                    "application-autoscaling:DeleteScalingPolicy",
                ],
                resources=targets,
                conditions=variants_only,
            ),
            why_targets,
        ),
        _grant(
            "ReadScaling",
            [
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
            ],
            ["*"],
            "Application Auto Scaling's Describe actions support no resource-level "
            "permissions; they are read-only",
        ),
        _grant(
            "RollbackAlarms",
            ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"],
            alarm_arns(stack, f"{interface.GUARDRAIL_PREFIX}{prefix}"),
            f"the CloudWatch alarms the deployer makes: their names start with "
            f"{interface.GUARDRAIL_PREFIX} and the deployer's name prefix {prefix!r}",
        ),
        _grant(
            "TargetTrackingAlarms",
            [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ],
            alarm_arns(stack, f"TargetTracking-endpoint/{prefix}"),
            f"the alarms of a target-tracking policy, which Application Auto Scaling names "
            f"TargetTracking-<resource id>: here endpoint/ and the deployer's name prefix "
            f"{prefix!r}",
        ),
        Grant(
            iam.PolicyStatement(
                sid="AutoscalingServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    stack.format_arn(
                        service="iam",
                        region="",
                        resource="role",
                        resource_name=f"aws-service-role/{AUTOSCALING_PRINCIPAL}/"
                        f"{AUTOSCALING_ROLE}",
                        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                    )
                ],
                conditions={"StringLike": {"iam:AWSServiceName": AUTOSCALING_PRINCIPAL}},
            ),
            "",
        ),
    ]


def pass_role_statement(config: DeployerConfig) -> iam.PolicyStatement:
    """iam:PassRole on the configured execution roles, and only to SageMaker."""
    return iam.PolicyStatement(
        sid="PassExecutionRoleToSageMaker",
        actions=["iam:PassRole"],
        resources=config.model_roles,
        conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_PRINCIPAL}},
    )


def kms_statement(config: DeployerConfig, stack: Stack) -> iam.PolicyStatement:
    """kms:CreateGrant on the configured keys, through SageMaker only.

    CreateEndpoint (and UpdateEndpoint) need it when the endpoint config names a KmsKeyId:
    SageMaker creates grants for the instances' volumes with the caller's permissions
    (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html). The key
    policies must allow it too (docs/guides/aws-account.md, "KMS keys").
    """
    return iam.PolicyStatement(
        sid="LetSageMakerUseTheConfiguredKeys",
        actions=["kms:CreateGrant"],
        resources=list(config.kms_key_arns),
        conditions={"StringEquals": {"kms:ViaService": f"sagemaker.{stack.region}.amazonaws.com"}},
    )
