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


# IAM's limit on all inline policies of a role: 10,240 characters, whitespace aside
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). The Validate
# role's other statements take about 2,000; its model packages' ARNs get this much.
MODEL_PACKAGE_ARNS_BUDGET = 6000
# The longest ARN prefix a model package can have: partition, Region and account included.
_LONGEST_ARN_PREFIX = len("arn:aws-us-gov:sagemaker:ap-southeast-7:123456789012:model-package/")


def model_package_arns(stack: Stack, groups: Iterable[str]) -> list[str]:
    """ARNs of every version of the model packages in ``groups``; of every model package
    when one ARN per group would not fit in :data:`MODEL_PACKAGE_ARNS_BUDGET` (about 90
    groups). DescribeModelPackage is a read, and Validate describes only the packages of
    groups that have a profile (it finds the profile first)."""
    prefixes = [spelling for group in groups for spelling in _spellings(f"{group}/")]
    size = sum(_LONGEST_ARN_PREFIX + len(prefix) + 4 for prefix in prefixes)  # '*', '",'
    if size > MODEL_PACKAGE_ARNS_BUDGET:
        prefixes = [""]
    return [
        stack.format_arn(
            service="sagemaker",
            resource="model-package",
            resource_name=f"{prefix}*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        for prefix in prefixes
    ]


@dataclass(frozen=True)
class Grant:
    """A policy statement, and why its resources hold a wildcard (for the reviewers)."""

    statement: iam.PolicyStatement
    why_wildcard: str


def prefixed(what: str, prefix: str) -> str:
    return (
        f"{what} whose names start with the configured prefix {prefix!r}: the deployer "
        f"creates them with names taken from each request, so the prefix is their scope"
    )


def grant(sid: str, actions: list[str], resources: list[str], why: str) -> Grant:
    return Grant(iam.PolicyStatement(sid=sid, actions=actions, resources=resources), why)


def sagemaker_statements(stage: str, config: DeployerConfig, stack: Stack) -> list[Grant]:
    """The SageMaker and IAM statements of one stage's role (none for Notify)."""
    prefix = config.name_prefix
    endpoints = sagemaker_arns(stack, "endpoint", prefix)
    configs = sagemaker_arns(stack, "endpoint-config", prefix)
    models = sagemaker_arns(stack, "model", prefix)
    on_prefixed = prefixed("SageMaker endpoints, endpoint configs and models", prefix)
    grants: list[Grant] = []
    if stage == "Validate":
        grants.append(
            grant(
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
        grants.append(
            grant(
                "ReadDeployedInferenceComponents",
                ["sagemaker:DescribeInferenceComponent"],
                sagemaker_arns(stack, "inference-component", prefix),
                prefixed("SageMaker inference components", prefix)
                + "; a rejection reads what the IC its profile targets serves",
            )
        )
        if config.approval_groups:
            grants.append(
                grant(
                    "ReadProfiledModelPackages",
                    ["sagemaker:DescribeModelPackage"],
                    model_package_arns(stack, config.approval_groups),
                    "every version (model-package/<group>/<version>) of the model package "
                    "groups that have a deployment profile; the registry numbers the versions "
                    "(with too many groups for IAM's role policy size, every package: a read, "
                    "made only for groups that have a profile)",
                )
            )
        if config.rollback_groups:
            grants.append(
                grant(
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
            grant(
                "CreateModels",
                ["sagemaker:DescribeModel", "sagemaker:CreateModel", "sagemaker:AddTags"],
                models,
                prefixed("SageMaker models", prefix),
            ),
            grant(
                "CreateEndpointConfigs",
                [
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:AddTags",
                ],
                configs,
                prefixed("SageMaker endpoint configs", prefix),
            ),
            Grant(pass_role_statement(config), ""),
        ]
    elif stage == "Deploy":
        if config.kms_key_arns:
            grants.append(Grant(kms_statement(config, stack), ""))
        grants += [
            grant(
                "ReadEndpointConfigs",
                ["sagemaker:DescribeEndpointConfig"],
                configs,
                prefixed("SageMaker endpoint configs", prefix),
            ),
            grant(
                "CreateAndUpdateEndpoints",
                ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                endpoints + configs,
                on_prefixed,
            ),
            grant(
                "DescribeTagAndReplaceEndpoints",
                [
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:ListTags",
                    "sagemaker:AddTags",
                    "sagemaker:DeleteTags",
                    "sagemaker:DeleteEndpoint",
                ],
                endpoints,
                prefixed("SageMaker endpoints", prefix)
                + "; DeleteEndpoint only ever deletes a Failed endpoint the deployer created",
            ),
        ]
    elif stage == "Components":
        grants += component_statements(config, stack)
    elif stage in ("Wait", "Describe"):
        grants.append(
            grant(
                "DescribeEndpoints",
                ["sagemaker:DescribeEndpoint"],
                endpoints,
                prefixed("SageMaker endpoints", prefix),
            )
        )
        if stage == "Describe" and config.config_retention > 0:
            grants += [
                grant(
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
                grant(
                    "ReadEveryEndpointsReferences",
                    ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"],
                    sagemaker_arns(stack, "endpoint", "")
                    + sagemaker_arns(stack, "endpoint-config", ""),
                    "clean-up deletes nothing that any endpoint of the account references, "
                    "whatever its name: it reads (describes only) every endpoint and the "
                    "configs they reference",
                ),
                grant(
                    "ListInferenceComponents",
                    ["sagemaker:ListInferenceComponents"],
                    ["*"],
                    "sagemaker:ListInferenceComponents (clean-up) supports no resource-level "
                    "permissions; it is a read-only list",
                ),
                grant(
                    "ReadEveryInferenceComponentsModel",
                    ["sagemaker:DescribeInferenceComponent"],
                    sagemaker_arns(stack, "inference-component", ""),
                    "clean-up deletes no model an inference component of the account names, "
                    "whatever its name: it describes (reads only) every IC it lists",
                ),
                grant(
                    "DeleteOldEndpointConfigs",
                    ["sagemaker:ListTags", "sagemaker:DeleteEndpointConfig"],
                    configs,
                    prefixed("SageMaker endpoint configs", prefix),
                ),
                grant(
                    "DeleteLeftoverModels",
                    ["sagemaker:DescribeModel", "sagemaker:ListTags", "sagemaker:DeleteModel"],
                    models,
                    prefixed("SageMaker models", prefix),
                ),
            ]
    return grants


def component_statements(config: DeployerConfig, stack: Stack) -> list[Grant]:
    """The Components function: the inference component calls, on ICs named with the prefix
    (an IC's ARN is ``inference-component/<name>``) and, for CreateInferenceComponent, the
    prefixed endpoints that host them; and the Application Auto Scaling read that tells
    whether an autoscaler owns an IC's copy count."""
    prefix = config.name_prefix
    components = sagemaker_arns(stack, "inference-component", prefix)
    return [
        grant(
            "DeployInferenceComponents",
            [
                "sagemaker:DescribeInferenceComponent",
                "sagemaker:CreateInferenceComponent",
                "sagemaker:UpdateInferenceComponent",
                "sagemaker:UpdateInferenceComponentRuntimeConfig",
                "sagemaker:DeleteInferenceComponent",
                "sagemaker:AddTags",
            ],
            components,
            prefixed("SageMaker inference components", prefix)
            + "; DeleteInferenceComponent only ever deletes a Failed IC the request names",
        ),
        grant(
            "CreateInferenceComponentsOnEndpoints",
            ["sagemaker:CreateInferenceComponent"],
            sagemaker_arns(stack, "endpoint", prefix),
            prefixed("SageMaker endpoints", prefix),
        ),
        grant(
            "ReadInferenceComponentScaling",
            ["application-autoscaling:DescribeScalableTargets"],
            ["*"],
            "application-autoscaling:DescribeScalableTargets supports no resource-level "
            "permissions; a read-only description of the IC's scalable target",
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
