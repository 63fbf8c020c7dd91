"""The documented rules of an endpoint that hosts inference components (ICs), and of
``InferenceComponents`` (:mod:`deployer.request.inference_components`), that botocore's model
cannot express.

An endpoint config whose production variants name no model (no ``ModelName``) is one for ICs;
either every variant names its model or none does (``variant_models`` in
:mod:`deployer.request.variant_rules`). Sources, quoted where each rule is defined:

- the API reference: CreateEndpointConfig
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html),
  ProductionVariant
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html),
  CreateInferenceComponent
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html),
  InferenceComponentSpecification
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentSpecification.html),
  InferenceComponentComputeResourceRequirements
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html),
  InferenceComponentRollingUpdatePolicy
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html),
  AutoRollbackConfig
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoRollbackConfig.html);
- the Developer Guide: deploying models with ICs
  (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html),
  adapter ICs (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-adapt.html),
  scaling to zero instances
  (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html),
  GPU partitions
  (https://docs.aws.amazon.com/sagemaker/latest/dg/inference-components-accelerator-partitioning-create.html
  and https://docs.aws.amazon.com/sagemaker/latest/dg/inference-components-accelerator-partitioning-deploy.html).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from deployer.request import inference_component_capacity
from deployer.request.inference_components import (
    FIELD,
    base_of,
    hosting_variant,
    items,
    name_of,
    specifications,
)
from deployer.request.reading import (
    all_variants,
    as_int,
    as_items,
    as_object,
    as_str,
    is_serverless,
    variants,
)
from deployer.request.violations import Violation, join, render

# InferenceComponentRollingUpdatePolicy.MaximumBatchSize: "The value must be between 5% to 50%
# of the copy count of the inference component."
IC_ROLLING_PERCENT = (5, 50)
# RollbackMaximumBatchSize: "If this field is absent, the value is set to the default, which is
# 100% of the total capacity": a share of the capacity is at most all of it.
IC_ROLLBACK_PERCENT = 100
IC_ENDPOINT = "an endpoint for inference components (its variants name no model)"


def is_ic_endpoint(raw: Mapping[str, Any]) -> bool:
    """Whether the request's endpoint config is one for ICs: it has production variants, and
    it has InferenceComponents or no variant (production or shadow) names a model."""
    if not variants(dict(raw)):
        return False
    named = any("ModelName" in v for _, v in all_variants(dict(raw)))
    return bool(as_items(raw.get(FIELD))) or not named


def ic_endpoint(raw: dict[str, Any]) -> Iterator[Violation]:
    """An endpoint config for ICs needs ExecutionRoleArn: CreateEndpointConfig.ExecutionRoleArn
    is "an IAM role that Amazon SageMaker AI can assume to perform actions on your behalf", and
    the Developer Guide's IC deployment creates the config with it (the models come with the
    ICs, after the endpoint, so no model's role serves). Its ICs are given "CPU cores,
    accelerators, and memory" of the endpoint's instances (CreateInferenceComponent), so it is
    instance-based, not serverless (ProductionVariant.ServerlessConfig: "a serverless endpoint
    configuration instead of an instance-based endpoint configuration"). Scaling to zero
    instances: "An endpoint can scale to and from zero instances only if it hosts inference
    components", with ManagedInstanceScaling.MinInstanceCount 0, so a variant that serves a
    model keeps at least one instance."""
    everything = all_variants(raw)
    for path, variant in everything:
        scaling = as_object(variant.get("ManagedInstanceScaling"))
        if "ModelName" in variant and as_int(scaling.get("MinInstanceCount")) == 0:
            message = (
                "must be at least 1 for a variant that serves a model (it has ModelName): an "
                "endpoint scales to zero instances only if it hosts inference components"
            )
            at = join(join(path, "ManagedInstanceScaling"), "MinInstanceCount")
            yield Violation(at, "scale-to-zero", message, 0)
    if not is_ic_endpoint(raw):
        return
    if "ExecutionRoleArn" not in raw:
        message = (
            f"required for {IC_ENDPOINT}: the role SageMaker AI assumes to deploy the inference "
            "components' models"
        )
        if not as_items(raw.get(FIELD)):
            message += "; or give every variant the ModelName it serves"
        yield Violation("ExecutionRoleArn", "ic-execution-role", message)
    for path, variant in everything:
        if is_serverless(variant):
            message = (
                f"is not supported for {IC_ENDPOINT}: its inference components take CPU cores, "
                "accelerators and memory of instances (give InstanceType and InitialInstanceCount)"
            )
            yield Violation(join(path, "ServerlessConfig"), "ic-instances", message)


def partition_layouts(raw: dict[str, Any]) -> Iterator[Violation]:
    """ProductionVariant.AcceleratorPartitionLayouts: "Specify a single layout: SageMaker
    applies it uniformly to every accelerator on the variant's instance type"; "must contain
    exactly 1 entry" (GPU partitions, layout rules)."""
    for path, variant in all_variants(raw):
        layouts = as_items(variant.get("AcceleratorPartitionLayouts"))
        if len(layouts) > 1:
            message = (
                "must hold exactly 1 layout (SageMaker AI applies it to every accelerator of "
                f"the variant), got {len(layouts)}"
            )
            at = join(path, "AcceleratorPartitionLayouts")
            yield Violation(at, "partition-layouts", message, len(layouts))


def unique_ic_names(raw: dict[str, Any]) -> Iterator[Violation]:
    """CreateInferenceComponent.InferenceComponentName: "A unique name to assign to the
    inference component" (SageMaker's names ignore case)."""
    seen: dict[str, tuple[str, str]] = {}
    for path, ic in items(raw):
        if (name := name_of(ic)) is None:
            continue
        at = join(path, "InferenceComponentName")
        if name.lower() in seen:
            first, spelled = seen[name.lower()]
            message = (
                f"must be unique within InferenceComponents (names ignore case); {first} is "
                f"{render(spelled)}"
            )
            yield Violation(at, "unique-ic-names", message, name)
        else:
            seen[name.lower()] = (at, name)


def ic_placement(raw: dict[str, Any]) -> Iterator[Violation]:
    """Where each IC is hosted. CreateInferenceComponent.EndpointName: "The name of an existing
    endpoint where you host the inference component": the request's endpoint, which it
    defaults to. VariantName: "The name of an existing production variant where you host the
    inference component": one of the request's production variants; it defaults to the only
    one, and is required when there are several."""
    endpoint = as_str(raw.get("EndpointName"))
    production = inference_component_capacity.production(raw)
    shadows = {as_str(v.get("VariantName")) for _, v in variants(raw, "ShadowProductionVariants")}
    count = len(as_items(raw.get("ProductionVariants")))
    for path, ic in items(raw):
        given = ic.get("EndpointName")
        if isinstance(given, str) and endpoint is not None and given.lower() != endpoint.lower():
            message = (
                f"must be the request's EndpointName {render(endpoint)} (or be left out: it "
                f"defaults to it), got {render(given)}"
            )
            yield Violation(join(path, "EndpointName"), "ic-endpoint-name", message, given)
        at = join(path, "VariantName")
        if "VariantName" not in ic:
            if count > 1:
                names = ", ".join(production) or "none named"
                message = (
                    f"required: the endpoint has {count} production variants ({names}); name "
                    "the one that hosts the inference component"
                )
                yield Violation(at, "ic-variant", message)
            continue
        name = as_str(ic["VariantName"])
        if name is None or not production or name in production:
            continue
        shadow = " (a shadow variant)" if name in shadows else ""
        message = (
            f"must name a production variant of the request ({', '.join(production)}), got "
            f"{render(name)}{shadow}"
        )
        yield Violation(at, "ic-variant", message, name)


def ic_specifications(raw: dict[str, Any]) -> Iterator[Violation]:
    """What each IC deploys. CreateInferenceComponent.Specifications: "You can use either this
    parameter or the singular Specification parameter, but not both", "one per instance type";
    its InstanceType is "Required when using the Specifications parameter with multiple
    entries". InferenceComponentSpecification: a model (ModelName, "an existing SageMaker AI
    model object", created from Models or there already) or a Container; ComputeResourceRequirements
    are "The compute resources allocated to run the model, plus any adapter models" — "Omit this
    parameter if your request is meant to create an adapter inference component", which "uses
    the compute resources of the base inference component"; for an adapter, "use the Container
    parameter to specify the location of the adapter artifacts ... use the ArtifactUrl
    parameter"; "Before you can create an adapter inference component, you must have an existing
    inference component that contains the foundation model": the base is an IC of this request,
    not an adapter, on the adapter's variant (the deployer creates bases first)."""
    listed = items(raw)
    by_name: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, ic in listed:
        if (name := name_of(ic)) is not None:
            by_name.setdefault(name.lower(), (path, ic))
    for path, ic in listed:
        if "Specification" not in ic and "Specifications" not in ic:
            message = (
                "needs Specification (the model, its container and its compute resources), or "
                "Specifications (one per instance type)"
            )
            yield Violation(path, "ic-specification", message)
        elif "Specification" in ic and "Specifications" in ic:
            message = "give Specification or Specifications, not both"
            yield Violation(join(path, "Specifications"), "ic-specification", message)
        yield from _instance_types(path, ic)
        for at, spec in specifications(path, ic):
            if "BaseInferenceComponentName" in spec:
                yield from _adapter(raw, at, spec, ic, by_name)
                continue
            if "ModelName" not in spec and "Container" not in spec:
                message = (
                    "needs ModelName (a model of Models, or one that exists) or Container (the "
                    "image and artifacts of the model)"
                )
                yield Violation(at, "ic-model", message)
            if "ComputeResourceRequirements" not in spec:
                message = (
                    "required for an inference component that hosts a model: the CPU cores, "
                    "accelerators and memory of each copy (only an adapter, with "
                    "BaseInferenceComponentName, uses its base's)"
                )
                yield Violation(join(at, "ComputeResourceRequirements"), "ic-compute", message)


def _instance_types(path: str, ic: dict[str, Any]) -> Iterator[Violation]:
    listed = as_items(ic.get("Specifications"))
    seen: dict[str, str] = {}
    for j, spec in enumerate(listed):
        if not isinstance(spec, dict):
            continue
        at = join(join(join(path, "Specifications"), j), "InstanceType")
        kind = spec.get("InstanceType")
        if "InstanceType" not in spec and len(listed) > 1:
            message = (
                "required when Specifications holds more than one specification (each is for "
                "one instance type)"
            )
            yield Violation(at, "ic-specifications", message)
        elif isinstance(kind, str) and kind in seen:
            message = (
                f"must be unique within Specifications (one specification per instance type); "
                f"{seen[kind]} is also {render(kind)}"
            )
            yield Violation(at, "ic-specifications", message, kind)
        elif isinstance(kind, str):
            seen[kind] = at


def _adapter(
    raw: dict[str, Any],
    at: str,
    spec: dict[str, Any],
    ic: dict[str, Any],
    by_name: dict[str, tuple[str, dict[str, Any]]],
) -> Iterator[Violation]:
    rule = "ic-adapter"
    if "ComputeResourceRequirements" in spec:
        message = (
            "must not be given for an adapter inference component (it has "
            "BaseInferenceComponentName): an adapter uses the compute resources of its base"
        )
        yield Violation(join(at, "ComputeResourceRequirements"), rule, message)
    container = spec.get("Container")
    if "Container" not in spec:
        message = (
            "required for an adapter inference component: its ArtifactUrl is the S3 location "
            "of the adapter artifacts"
        )
        yield Violation(join(at, "Container"), rule, message)
    elif isinstance(container, dict) and "ArtifactUrl" not in container:
        message = "required for an adapter inference component: the S3 location of its artifacts"
        yield Violation(join(join(at, "Container"), "ArtifactUrl"), rule, message)
    base = as_str(spec.get("BaseInferenceComponentName"))
    if not base:
        return
    where = join(at, "BaseInferenceComponentName")
    own = name_of(ic)
    found = by_name.get(base.lower())
    if own is not None and base.lower() == own.lower():
        message = "must name another inference component (the base), not the adapter itself"
        yield Violation(where, rule, message, base)
    elif found is None:
        named = ", ".join(render(n) for n in (name_of(c) for _, c in items(raw)) if n) or "none"
        message = (
            "must name an inference component of this request, the base that hosts the "
            f"foundation model the adapter adapts (InferenceComponents: {named}), got "
            f"{render(base)}"
        )
        yield Violation(where, rule, message, base)
    elif base_of(found[1]) is not None:
        message = (
            f"must name a base inference component, not an adapter: {found[0]} "
            f"({render(base)}) has a BaseInferenceComponentName itself"
        )
        yield Violation(where, rule, message, base)
    else:
        mine, theirs = hosting_variant(raw, ic), hosting_variant(raw, found[1])
        if mine is not None and theirs is not None and mine != theirs:
            message = (
                f"must name an inference component on the adapter's variant {render(mine)} (an "
                f"adapter uses its base's compute resources): {found[0]} is on {render(theirs)}"
            )
            yield Violation(where, rule, message, base)


def ic_deployment_config(raw: dict[str, Any]) -> Iterator[Violation]:
    """UpdateInferenceComponent.DeploymentConfig. RollingUpdatePolicy.MaximumBatchSize: "The
    value must be between 5% to 50% of the copy count of the inference component" (a
    CAPACITY_PERCENT; a COPY_COUNT is a number of copies, at least 1 by the model);
    RollbackMaximumBatchSize is a share of "the total capacity" (100% when left out).
    AutoRollbackConfiguration: "List of CloudWatch alarms ... If any alarms are tripped during
    a deployment, SageMaker rolls back the deployment", each named by AlarmName."""
    low, high = IC_ROLLING_PERCENT
    for path, ic in items(raw):
        config = ic.get("DeploymentConfig")
        if not isinstance(config, dict):
            continue
        at = join(path, "DeploymentConfig")
        rolling = as_object(config.get("RollingUpdatePolicy"))
        where = join(at, "RollingUpdatePolicy")
        size = as_object(rolling.get("MaximumBatchSize"))
        value = as_int(size.get("Value"))
        percent = size.get("Type") == "CAPACITY_PERCENT"
        if percent and value is not None and not low <= value <= high:
            message = f"must be {low}% to {high}% of the inference component's copies, got "
            at_value = join(join(where, "MaximumBatchSize"), "Value")
            yield Violation(at_value, "ic-rolling-batch-size", f"{message}{value}%", value)
        back = as_object(rolling.get("RollbackMaximumBatchSize"))
        value = as_int(back.get("Value"))
        percent = back.get("Type") == "CAPACITY_PERCENT"
        if percent and value is not None and value > IC_ROLLBACK_PERCENT:
            message = (
                f"must be at most {IC_ROLLBACK_PERCENT}% (all the inference component's "
                f"copies, the default), got {value}%"
            )
            at_value = join(join(where, "RollbackMaximumBatchSize"), "Value")
            yield Violation(at_value, "ic-rollback-batch-size", message, value)
        rollback = config.get("AutoRollbackConfiguration")
        if isinstance(rollback, dict):
            auto = join(at, "AutoRollbackConfiguration")
            if "Alarms" not in rollback:
                message = "required: 1 to 10 CloudWatch alarms that roll the deployment back"
                yield Violation(join(auto, "Alarms"), "alarms", message)
            for i, alarm in enumerate(as_items(rollback.get("Alarms"))):
                if isinstance(alarm, dict) and "AlarmName" not in alarm:
                    at_name = join(join(join(auto, "Alarms"), i), "AlarmName")
                    yield Violation(at_name, "alarms", "required field is missing")
