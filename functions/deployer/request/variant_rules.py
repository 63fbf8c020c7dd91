"""The documented rules of each variant (CreateEndpointConfig's ProductionVariant and
ShadowProductionVariant): its model, its name, instance-based or serverless, its weight and
its options; and each production variant's share of the traffic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deployer.interface import COMPONENTS_FIELD
from deployer.request import shapes
from deployer.request.reading import (
    all_variants,
    as_int,
    as_items,
    as_number,
    as_object,
    as_str,
    is_serverless,
    variants,
)
from deployer.request.violations import Violation, join, render

# ServerlessConfig.MemorySizeInMB: "Valid values are in 1 GB increments: 1024 MB, 2048 MB,
# 3072 MB, 4096 MB, 5120 MB, or 6144 MB." The bounds come from the model.
SERVERLESS_MEMORY_STEP = 1024


def variant_models(raw: dict[str, Any]) -> Iterator[Violation]:
    """Either every variant names its model, which the deployer creates from ``Models`` or
    finds (Configure checks that it exists before anything is created), or none does: an
    endpoint that hosts inference components, whose models come with them. ProductionVariant
    .ModelName is "The name of the model that you want to host"; an inference component is
    deployed "to an endpoint" on "an existing production variant" (CreateInferenceComponent,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html),
    one that hosts no model of its own (the Developer Guide's deployment of inference
    components, https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html,
    creates the config without ModelName), so ``InferenceComponents`` need variants without
    ModelName."""
    everything = all_variants(raw)
    if as_items(raw.get(COMPONENTS_FIELD)):
        for path, variant in everything:
            if "ModelName" in variant:
                message = (
                    "must not be given: the request's InferenceComponents are hosted by an "
                    "endpoint whose variants name no model (each inference component names its own)"
                )
                name = variant["ModelName"]
                yield Violation(join(path, "ModelName"), "ic-endpoint", message, name)
        return
    named = [path for path, variant in everything if "ModelName" in variant]
    if not named:
        return  # an endpoint for inference components (see inference_component_rules)
    for path, variant in everything:
        if "ModelName" not in variant:
            message = (
                f"required field is missing (the model the variant serves): {named[0]} names its "
                "model, so every variant must; an endpoint for inference components names none"
            )
            yield Violation(join(path, "ModelName"), "required", message)


def unique_variant_names(raw: dict[str, Any]) -> Iterator[Violation]:
    seen: dict[str, str] = {}
    for path, variant in all_variants(raw):
        name = as_str(variant.get("VariantName"))
        if name is None:
            continue
        if name in seen:
            message = (
                f"must be unique within the request; {seen[name]} has the same name {render(name)}"
            )
            yield Violation(join(path, "VariantName"), "unique-variant-names", message, name)
        else:
            seen[name] = path


def instance_or_serverless(raw: dict[str, Any]) -> Iterator[Violation]:
    """ProductionVariant.ServerlessConfig: "Specifies a serverless endpoint configuration
    instead of an instance-based endpoint configuration." So each variant is one or the other:
    InstanceType (or InstancePools) and InitialInstanceCount, or ServerlessConfig."""
    rule = "instance-or-serverless"
    for path, variant in all_variants(raw):
        typed = "InstanceType" in variant or "InstancePools" in variant
        counted = "InitialInstanceCount" in variant
        if is_serverless(variant):
            if typed or counted:
                given = [
                    f
                    for f in ("InstanceType", "InstancePools", "InitialInstanceCount")
                    if f in variant
                ]
                message = (
                    f"is serverless (ServerlessConfig) and instance-based ({', '.join(given)}) "
                    f"at once; give ServerlessConfig, or InstanceType and InitialInstanceCount"
                )
                yield Violation(path, rule, message)
        elif not typed and not counted:
            message = (
                "needs InstanceType and InitialInstanceCount (instance-based) "
                "or ServerlessConfig (serverless)"
            )
            yield Violation(path, rule, message)
        elif not counted:
            message = "required for an instance-based variant (it has InstanceType)"
            yield Violation(join(path, "InitialInstanceCount"), rule, message)
        elif not typed:
            message = "required for an instance-based variant (it has InitialInstanceCount)"
            yield Violation(join(path, "InstanceType"), rule, message)


def serverless_config(raw: dict[str, Any]) -> Iterator[Violation]:
    for path, variant in all_variants(raw):
        config = as_object(variant.get("ServerlessConfig"))
        at = join(path, "ServerlessConfig")
        memory = as_int(config.get("MemorySizeInMB"))
        if memory is not None:
            shape = shapes.service_model().shape_for("ServerlessMemorySizeInMB").metadata
            low, high = shape["min"], shape["max"]
            if not (low <= memory <= high and memory % SERVERLESS_MEMORY_STEP == 0):
                message = (
                    f"must be a multiple of {SERVERLESS_MEMORY_STEP} from {low} to {high} "
                    f"(1 GB steps), got {memory}"
                )
                yield Violation(join(at, "MemorySizeInMB"), "serverless-memory", message, memory)
        provisioned = as_int(config.get("ProvisionedConcurrency"))
        most = as_int(config.get("MaxConcurrency"))
        if provisioned is not None and most is not None and provisioned > most:
            message = f"must not be above MaxConcurrency ({most}), got {provisioned}"
            yield Violation(
                join(at, "ProvisionedConcurrency"), "provisioned-concurrency", message, provisioned
            )


def weights(raw: dict[str, Any]) -> Iterator[Violation]:
    """InitialVariantWeight: "The traffic to a production variant is determined by the ratio
    of the VariantWeight to the sum of all VariantWeight values" (default 1.0). All zero
    leaves no variant any traffic. (Negative weights break the model's minimum of 0.)"""
    production = variants(raw)
    if production and all(as_number(v.get("InitialVariantWeight")) == 0 for _, v in production):
        message = "every InitialVariantWeight is 0, so no variant would get any traffic"
        yield Violation("ProductionVariants", "weights", message)


def traffic_shares(raw: dict[str, Any]) -> dict[str, float]:
    """Each production variant's share of the traffic (0 to 1), or {} when the variants or
    their weights are not valid enough to say."""
    shares: dict[str, float] = {}
    for _, variant in variants(raw):
        name = as_str(variant.get("VariantName"))
        weight = as_number(variant.get("InitialVariantWeight", 1.0))
        if name is None or name in shares or weight is None or weight < 0:
            return {}
        shares[name] = weight
    largest = max(shares.values(), default=0.0)
    if len(shares) != len(as_items(raw.get("ProductionVariants"))) or largest <= 0:
        return {}
    # scaled by the largest weight first, so that no sum of finite weights overflows
    scaled = {name: weight / largest for name, weight in shares.items()}
    total = sum(scaled.values())
    return {name: weight / total for name, weight in scaled.items()}


def variant_options(raw: dict[str, Any]) -> Iterator[Violation]:
    """AcceleratorType: "This parameter is no longer supported. Elastic Inference (EI) is no
    longer available." RoutingConfig.PrefixAwareRoutingConfig: "Specify this parameter only
    when you set RoutingStrategy to PREFIX_AWARE"; its PrefixLength and ConcurrencyThreshold
    are "Required when RoutingStrategy is PREFIX_AWARE". ManagedInstanceScaling: the minimum
    instance count cannot exceed the maximum."""
    for path, variant in all_variants(raw):
        if "AcceleratorType" in variant:
            message = "is no longer supported: Elastic Inference is no longer available"
            yield Violation(
                join(path, "AcceleratorType"), "discontinued", message, variant["AcceleratorType"]
            )
        routing = as_object(variant.get("RoutingConfig"))
        at = join(path, "RoutingConfig")
        strategy = as_str(routing.get("RoutingStrategy"))
        prefix = routing.get("PrefixAwareRoutingConfig")
        where = join(at, "PrefixAwareRoutingConfig")
        if strategy == "PREFIX_AWARE" and prefix is None:
            message = "required when RoutingStrategy is PREFIX_AWARE (with PrefixLength and "
            yield Violation(where, "routing", message + "ConcurrencyThreshold)")
        elif strategy == "PREFIX_AWARE" and isinstance(prefix, dict):
            for member in ("PrefixLength", "ConcurrencyThreshold"):
                if member not in prefix:
                    message = "required when RoutingStrategy is PREFIX_AWARE"
                    yield Violation(join(where, member), "routing", message)
        elif strategy is not None and prefix is not None:
            message = f"only for RoutingStrategy PREFIX_AWARE, not {strategy}"
            yield Violation(where, "routing", message)
        scaling = as_object(variant.get("ManagedInstanceScaling"))
        low, high = as_int(scaling.get("MinInstanceCount")), as_int(scaling.get("MaxInstanceCount"))
        if low is not None and high is not None and low > high:
            message = f"must not be above MaxInstanceCount ({high}), got {low}"
            yield Violation(
                join(join(path, "ManagedInstanceScaling"), "MinInstanceCount"),
                "instance-scaling",
                message,
                low,
            )
