"""The documented rules of CreateEndpointConfig across its variants and options: what a
serverless endpoint excludes, what a shadow test excludes, the KMS key and local storage,
metrics, asynchronous inference and cross-Region traffic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deployer.request.instance_types import has_local_storage, instance_family
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

# MetricsConfig.MetricPublishFrequencyInSeconds: "Valid values: 10, 30, 60, 120, 180, 240, 300."
METRIC_PUBLISH_FREQUENCIES = (10, 30, 60, 120, 180, 240, 300)
# Shadow tests: "If your endpoint uses any of the following features you cannot use shadow
# tests ... your request ... will lead to validation errors: Serverless inference,
# Asynchronous inference, ... Endpoints that use Inf1 (Inferentia-based) instances."
SHADOW_EXCLUDED_KINDS = ("inf1",)


def _instance_types(path: str, variant: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, instance type) of a variant, and of each of its instance pools."""
    if kind := as_str(variant.get("InstanceType")):
        yield join(path, "InstanceType"), kind
    for i, pool in enumerate(as_items(variant.get("InstancePools"))):
        if kind := as_str(as_object(pool).get("InstanceType")):
            yield join(join(join(path, "InstancePools"), i), "InstanceType"), kind


def serverless_exclusions(raw: dict[str, Any]) -> Iterator[Violation]:
    """Serverless Inference, feature exclusions: serverless endpoints do not support "VPC
    configuration, network isolation, data capture, multiple production variants", nor
    "inference pipelines" or "multi-model endpoints"; CrossRegionTrafficConfig: "You can't
    specify it with serverless variants"; ContainerDefinition.ModelDataSource: "you cannot use
    ModelDataSource in conjunction with ... SageMaker serverless endpoints"."""
    rule = "serverless-exclusion"
    production = variants(raw)
    serverless = [(p, v) for p, v in production if is_serverless(v)]
    if not serverless:
        return
    first = serverless[0][0]
    why = f"a serverless endpoint ({first} has ServerlessConfig)"
    if len(as_items(raw.get("ProductionVariants"))) > 1:
        count = len(as_items(raw.get("ProductionVariants")))
        yield Violation(
            "ProductionVariants", rule, f"must hold one variant for {why}, got {count}", count
        )
    if "VpcConfig" in raw:
        yield Violation("VpcConfig", rule, f"is not supported for {why}")
    if raw.get("EnableNetworkIsolation") is True:
        yield Violation("EnableNetworkIsolation", rule, f"is not supported for {why}", True)
    capture = raw.get("DataCaptureConfig")
    if isinstance(capture, dict) and capture.get("EnableCapture") is not False:
        yield Violation("DataCaptureConfig", rule, f"data capture is not supported for {why}")
    if "CrossRegionTrafficConfig" in raw:
        yield Violation("CrossRegionTrafficConfig", rule, f"is not supported for {why}")
    served = {as_str(v.get("ModelName")) for _, v in serverless}
    for i, model in enumerate(as_items(raw.get("Models"))):
        model = as_object(model)
        if as_str(model.get("ModelName")) not in served:
            continue
        path = join("Models", i)
        containers = as_items(model.get("Containers"))
        if len(containers) > 1:
            yield Violation(
                join(path, "Containers"),
                rule,
                f"an inference pipeline (more than one container) is not supported for {why}",
            )
        listed = [
            (join(join(path, "Containers"), j), as_object(c)) for j, c in enumerate(containers)
        ]
        for at, container in [
            (join(path, "PrimaryContainer"), as_object(model.get("PrimaryContainer"))),
            *listed,
        ]:
            if "ModelDataSource" in container:
                yield Violation(join(at, "ModelDataSource"), rule, f"is not supported for {why}")
            if container.get("Mode") == "MultiModel":
                yield Violation(
                    join(at, "Mode"),
                    rule,
                    f"a multi-model endpoint is not supported for {why}",
                    "MultiModel",
                )


def shadow_variants(raw: dict[str, Any]) -> Iterator[Violation]:
    """CreateEndpointConfig.ShadowProductionVariants: "If you use this field, you can only
    specify one variant for ProductionVariants and one variant for ShadowProductionVariants."
    Shadow-test exclusions: serverless inference, asynchronous inference, Inf1 instances."""
    if "ShadowProductionVariants" not in raw:
        return
    rule = "shadow-variants"
    shadows = as_items(raw.get("ShadowProductionVariants"))
    if len(shadows) > 1:
        yield Violation(
            "ShadowProductionVariants",
            rule,
            f"must hold exactly one variant, got {len(shadows)}",
            len(shadows),
        )
    production = raw.get("ProductionVariants")
    if isinstance(production, list | tuple) and len(production) > 1:
        message = (
            "must hold exactly one variant when ShadowProductionVariants is given, "
            f"got {len(production)}"
        )
        yield Violation("ProductionVariants", rule, message, len(production))
    for path, variant in all_variants(raw):
        if is_serverless(variant):
            yield Violation(
                join(path, "ServerlessConfig"),
                rule,
                "shadow variants do not work with serverless variants",
            )
        for at, kind in _instance_types(path, variant):
            family = instance_family(kind) or ""
            if family.startswith(SHADOW_EXCLUDED_KINDS):
                yield Violation(
                    at,
                    rule,
                    f"shadow variants do not work with Inf1 instances, got {render(kind)}",
                    kind,
                )
    if "AsyncInferenceConfig" in raw:
        yield Violation(
            "AsyncInferenceConfig", rule, "shadow variants do not work with asynchronous inference"
        )


def kms_local_storage(raw: dict[str, Any]) -> Iterator[Violation]:
    """See the note on local-storage instance types in
    :mod:`deployer.request.instance_types`."""
    if not as_str(raw.get("KmsKeyId")):
        return
    local = [
        f"{at} is {kind}"
        for path, variant in all_variants(raw)
        for at, kind in _instance_types(path, variant)
        if has_local_storage(kind)
    ]
    if local:
        message = (
            "must not be given with instance types that have local NVMe storage "
            f"({'; '.join(local)}): CreateEndpointConfig refuses it (SageMaker encrypts "
            "that storage with a key of the instance's own hardware)"
        )
        yield Violation("KmsKeyId", "kms-local-storage", message, raw["KmsKeyId"])


def endpoint_config_options(raw: dict[str, Any]) -> Iterator[Violation]:
    """MetricsConfig.MetricPublishFrequencyInSeconds: "Valid values: 10, 30, 60, 120, 180,
    240, 300." AsyncInferenceOutputConfig: the S3 location for the responses. Cross-Region
    traffic cap: "You can't specify it ... with AsyncInferenceConfig"."""
    metrics = as_object(raw.get("MetricsConfig"))
    frequency = as_int(metrics.get("MetricPublishFrequencyInSeconds"))
    if frequency is not None and frequency not in METRIC_PUBLISH_FREQUENCIES:
        valid = ", ".join(map(str, METRIC_PUBLISH_FREQUENCIES))
        yield Violation(
            "MetricsConfig.MetricPublishFrequencyInSeconds",
            "metric-frequency",
            f"must be one of {valid}, got {frequency}",
            frequency,
        )
    output = as_object(as_object(raw.get("AsyncInferenceConfig")).get("OutputConfig"))
    if (
        isinstance(as_object(raw.get("AsyncInferenceConfig")).get("OutputConfig"), dict)
        and "S3OutputPath" not in output
    ):
        message = "required: the S3 location for the asynchronous inference responses"
        yield Violation("AsyncInferenceConfig.OutputConfig.S3OutputPath", "async-output", message)
    if "CrossRegionTrafficConfig" in raw and "AsyncInferenceConfig" in raw:
        yield Violation(
            "CrossRegionTrafficConfig",
            "cross-region",
            "is not supported together with AsyncInferenceConfig",
        )
