"""What the Guardrails function may do: Application Auto Scaling of SageMaker variants,
CloudWatch alarms by the deployer's prefix, InvokeEndpoint of the deployer's endpoints (and,
for Deploy, what DeleteEndpoint of an autoscaled endpoint needs). The SageMaker and IAM
statements of every stage are :mod:`cdk.permissions`."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from cdk.config import DeployerConfig
from cdk.permissions import Grant, grant, prefixed, sagemaker_arns
from deployer import interface

# Application Auto Scaling's service-linked role for SageMaker variants, created on the first
# RegisterScalableTarget (https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html)
AUTOSCALING_PRINCIPAL = "sagemaker.application-autoscaling.amazonaws.com"
AUTOSCALING_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
COMPONENT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


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


def _dimension(dimension: str) -> dict[str, dict[str, str]]:
    return {
        "StringEquals": {
            "application-autoscaling:service-namespace": "sagemaker",
            "application-autoscaling:scalable-dimension": dimension,
        }
    }


def _autoscaling_writes(sid: str, targets: list[str], dimension: str, why: str) -> Grant:
    """Application Auto Scaling's writes, on SageMaker's scalable targets of ``dimension``."""
    return Grant(
        iam.PolicyStatement(
            sid=sid,
            actions=[
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
            ],
            resources=targets,
            conditions=_dimension(dimension),
        ),
        why,
    )


def _component_scaling(stack: Stack, prefix: str, targets: list[str]) -> list[Grant]:
    """The autoscaling of inference components' copies: Application Auto Scaling's writes on
    their copy-count dimension, the IC actions it checks on the caller of
    RegisterScalableTarget
    (https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html),
    and the alarms its target-tracking policies make (the alarm from zero is one of the
    deployer's own, named with its prefix)."""
    return [
        _autoscaling_writes(
            "AutoscaleInferenceComponents",
            targets,
            COMPONENT_DIMENSION,
            "Application Auto Scaling names scalable targets by a generated id; the statement "
            "is limited to SageMaker inference components' copy counts by its condition keys",
        ),
        grant(
            "ScaleInferenceComponents",
            [
                "sagemaker:DescribeInferenceComponent",
                "sagemaker:UpdateInferenceComponentRuntimeConfig",
            ],
            sagemaker_arns(stack, "inference-component", prefix),
            prefixed("SageMaker inference components", prefix)
            + "; Application Auto Scaling checks them on the caller of RegisterScalableTarget",
        ),
        grant(
            "ComponentTargetTrackingAlarms",
            ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"],
            alarm_arns(stack, f"TargetTracking-inference-component/{prefix}"),
            f"the alarms of an inference component's target-tracking policy, which Application "
            f"Auto Scaling names TargetTracking-<resource id>: here inference-component/ and "
            f"the deployer's name prefix {prefix!r}",
        ),
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
    variants_only = _dimension(VARIANT_DIMENSION)
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
    on_prefixed = prefixed("SageMaker endpoints and endpoint configs", prefix)
    return [
        *_component_scaling(stack, prefix, targets),
        grant(
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
        grant(
            "SmokeTestEndpoints",
            ["sagemaker:InvokeEndpoint"],
            endpoints,
            prefixed("SageMaker endpoints", prefix),
        ),
        _autoscaling_writes("AutoscaleVariants", targets, VARIANT_DIMENSION, why_targets),
        grant(
            "ReadScaling",
            [
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
            ],
            ["*"],
            "Application Auto Scaling's Describe actions support no resource-level "
            "permissions; they are read-only",
        ),
        grant(
            "RollbackAlarms",
            ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"],
            alarm_arns(stack, f"{interface.GUARDRAIL_PREFIX}{prefix}"),
            f"the CloudWatch alarms the deployer makes: their names start with "
            f"{interface.GUARDRAIL_PREFIX} and the deployer's name prefix {prefix!r}",
        ),
        grant(
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
