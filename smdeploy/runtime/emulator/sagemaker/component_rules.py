"""What SageMaker refuses of an inference component (IC) request, from the request and what it
names alone, and what a DescribeInferenceComponent says of a Specification.

Each rule cites where AWS states it. Where AWS documents nothing, the comment says so and
the rule is the strict one (the emulator is never friendlier than AWS); its message then
names the rule rather than guessing AWS's wording.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from typing import Any

from moto.sagemaker.exceptions import ValidationError

# CreateInferenceComponent refuses a CopyCount of 0, with this message (measured against the
# API, https://github.com/stdapi-ai/stdapi.ai/issues/43): an IC reaches 0 copies only later,
# by UpdateInferenceComponentRuntimeConfig (what Application Auto Scaling calls,
# https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html)
ZERO_COPIES = "Inference components copy count an integer larger than 0"
# CreateInferenceComponent on an endpoint that cannot host ICs (its variants name a model):
# https://github.com/pulumi/pulumi-aws/issues/4940
NOT_IC_ENDPOINT = (
    "Inference Components are not supported in this Endpoint. Please make sure this endpoint "
    "can deploy inference components."
)
BATCH_SHARE = (5, 50)  # MaximumBatchSize: "between 5% to 50% of the copy count"


def hosts_components(config: dict[str, Any]) -> bool:
    """Whether an endpoint config makes an endpoint that hosts ICs: an execution role, and
    production variants that name no model (as the SageMaker Python SDK tells one,
    https://github.com/aws/sagemaker-python-sdk/pull/4304;
    https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html)."""
    variants = config.get("ProductionVariants") or []
    return (
        bool(config.get("ExecutionRoleArn"))
        and bool(variants)
        and all(not v.get("ModelName") for v in variants)
    )


def config_problem(params: dict[str, Any]) -> str | None:
    """CreateEndpointConfig refuses (400) a config for ICs (variants without a ModelName)
    that names no ExecutionRoleArn (https://github.com/stdapi-ai/stdapi.ai/issues/43; the
    role is what SageMaker deploys the ICs' models with). AWS's wording is not published."""
    variants = params.get("ProductionVariants") or []
    components = variants and all(not v.get("ModelName") for v in variants)
    if components and not params.get("ExecutionRoleArn"):
        return (
            "ExecutionRoleArn is required for an endpoint configuration whose production "
            "variants name no ModelName (an endpoint that hosts inference components)."
        )
    return None


def checked_config(params: dict[str, Any]) -> dict[str, Any]:
    """CreateEndpointConfig's ``params``, once :func:`config_problem` found nothing."""
    problem = config_problem(params)
    if problem is not None:
        raise ValidationError(problem)
    return params


def spec_problems(spec: dict[str, Any], adapter: bool) -> list[str]:
    """What a Specification breaks (InferenceComponentSpecification,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentSpecification.html):
    an adapter (BaseInferenceComponentName) "uses the compute resources of the base inference
    component": "Omit [ComputeResourceRequirements] if your request is meant to create an
    adapter inference component"; any other IC needs them (AWS documents no default: strict),
    and a model or a container image to run."""
    found = []
    if adapter and "ComputeResourceRequirements" in spec:
        found.append(
            "An adapter inference component (BaseInferenceComponentName) uses the compute "
            "resources of its base inference component: omit ComputeResourceRequirements."
        )
    if not adapter:
        if "ComputeResourceRequirements" not in spec:
            found.append(
                "ComputeResourceRequirements is required for an inference component that is "
                "not an adapter (no BaseInferenceComponentName)."
            )
        if not spec.get("ModelName") and not (spec.get("Container") or {}).get("Image"):
            found.append(
                "The Specification names no model to deploy: give ModelName, or a Container "
                "with an Image."
            )
    return found


def requests_problem(params: dict[str, Any]) -> str | None:
    """Specification and Specifications: "You can use either this parameter or the singular
    Specification parameter, but not both"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html).
    Specifications (one per instance type of a heterogeneous variant) is not emulated: the
    emulator refuses it rather than pretend."""
    if "Specifications" in params and "Specification" in params:
        return "Specify either Specification or Specifications, not both."
    if "Specifications" in params:
        return (
            "Specifications (one per instance type) is not emulated by smdeploy's emulator: "
            "give a single Specification."
        )
    return None


def batch_problem(deployment: dict[str, Any] | None, copies: int) -> str | None:
    """RollingUpdatePolicy.MaximumBatchSize: "The value must be between 5% to 50% of the copy
    count of the inference component"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html)."""
    rolling = (deployment or {}).get("RollingUpdatePolicy")
    if not rolling:
        return None
    size = rolling["MaximumBatchSize"]
    value = int(size["Value"])
    share = value if size["Type"] == "CAPACITY_PERCENT" else 100 * value / max(copies, 0.000001)
    low, high = BATCH_SHARE
    if low <= share <= high:
        return None
    return (
        f"MaximumBatchSize ({size['Type']} {value}) must be between {low}% and {high}% of the "
        f"inference component's copy count ({copies})."
    )


def batch_copies(size: dict[str, Any] | None, copies: int) -> int:
    """The copies one batch replaces (None: all of them at once, the update's default
    without a RollingUpdatePolicy, and a rollback's default: "100% of the total capacity")."""
    if not size:
        return max(copies, 1)
    value = int(size["Value"])
    if size["Type"] == "CAPACITY_PERCENT":
        return max(1, math.ceil(copies * min(value, 100) / 100))
    return max(1, value)


def resolved(image: str) -> str:
    """The digest form a tag resolves to (registry/repository@sha256:...), as SageMaker
    reports a deployed image (DeployedImage.ResolvedImage)."""
    name = image.split("@")[0]
    tag = name.rfind(":")
    repository = name[:tag] if tag > name.rfind("/") else name
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"{repository}@sha256:{digest}"


def spec_summary(
    spec: dict[str, Any], resolved_at: _dt.datetime, base: dict[str, Any] | None
) -> dict[str, Any]:
    """DescribeInferenceComponent's Specification (InferenceComponentSpecificationSummary):
    the container as deployed (DeployedImage: the image specified and resolved), and for an
    adapter its base's ComputeResourceRequirements, which it uses
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentSpecificationSummary.html)."""
    out = {k: v for k, v in spec.items() if k != "Container"}
    container = spec.get("Container")
    if container:
        summary = {k: v for k, v in container.items() if k != "Image"}
        if container.get("Image"):
            summary["DeployedImage"] = {
                "SpecifiedImage": container["Image"],
                "ResolvedImage": resolved(container["Image"]),
                "ResolutionTime": resolved_at,
            }
        out["Container"] = summary
    if base is not None and "ComputeResourceRequirements" in base:
        out["ComputeResourceRequirements"] = base["ComputeResourceRequirements"]
    return out
