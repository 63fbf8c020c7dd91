"""The documented rules of an inference component's (IC's) copies: ``RuntimeConfig`` and its
``CopyCount``, the number of copies CreateInferenceComponent creates the IC with, and a rolling
update's batch of ``COPY_COUNT`` copies, a share of them. Rules of
:mod:`deployer.request.inference_component_rules`' set, listed in :mod:`deployer.request.rules`;
the emulator refuses the same at CreateInferenceComponent and UpdateInferenceComponent
(smdeploy/runtime/emulator/sagemaker/component_operations.py), so a request that passes
validation is not refused for its copies once the endpoint is up.

Sources, quoted where the rule is defined: InferenceComponentRuntimeConfig
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRuntimeConfig.html),
InferenceComponentSpecification
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentSpecification.html),
InferenceComponentRollingUpdatePolicy
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html),
the Developer Guide on deploying models with ICs
(https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html), on
adapter ICs (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-adapt.html) and on
scaling to zero (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html),
and CreateInferenceComponent's answer to a copy count of 0, measured by a user
(https://github.com/stdapi-ai/stdapi.ai/issues/43).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deployer.request.inference_component_rules import IC_ROLLING_PERCENT
from deployer.request.inference_components import items, specifications
from deployer.request.reading import as_int, as_object
from deployer.request.violations import Violation, join, render

# CreateInferenceComponent: "Inference components copy count an integer larger than 0"
# (https://github.com/stdapi-ai/stdapi.ai/issues/43), though botocore's model allows 0.
MIN_COPIES = 1


def _is_adapter(path: str, ic: dict[str, Any]) -> bool:
    """Whether ``ic`` is an adapter IC: a specification of it names its base
    (BaseInferenceComponentName), as :func:`deployer.request.inference_component_rules.
    ic_specifications` tells one."""
    return any("BaseInferenceComponentName" in spec for _, spec in specifications(path, ic))


def ic_runtime_config(raw: dict[str, Any]) -> Iterator[Violation]:
    """RuntimeConfig, by what the IC is. An IC that hosts a model needs one with its
    CopyCount: InferenceComponentRuntimeConfig.CopyCount is "The number of runtime copies of
    the model container to deploy with the inference component", and AWS documents no default
    (the Developer Guide creates every such IC with one; the emulator refuses an IC without
    it: strict). That count is at least 1 when the IC is created: CreateInferenceComponent
    refuses 0 ("Inference components copy count an integer larger than 0", measured), and an
    IC reaches zero copies only afterwards, when its autoscaling policy scales it in (by
    UpdateInferenceComponentRuntimeConfig; the Developer Guide on scaling to zero). An
    adapter IC takes no RuntimeConfig: it "uses the compute resources of the base inference
    component" (InferenceComponentSpecification), so it runs on its base's copies and has no
    count of its own (the Developer Guide creates an adapter without one; the emulator refuses
    one: strict)."""
    for path, ic in items(raw):
        at = join(path, "RuntimeConfig")
        runtime = ic.get("RuntimeConfig")
        if _is_adapter(path, ic):
            if "RuntimeConfig" in ic:
                message = (
                    "must not be given for an adapter inference component (it has "
                    "BaseInferenceComponentName): an adapter runs on its base's copies and has "
                    f"no copy count of its own, got {render(runtime)}"
                )
                yield Violation(at, "ic-adapter", message, runtime)
            continue
        if "RuntimeConfig" not in ic:
            message = (
                "required for an inference component that hosts a model (it has no "
                "BaseInferenceComponentName): its CopyCount is the number of copies it is "
                "created with (at least 1)"
            )
            yield Violation(at, "ic-runtime-config", message)
            continue
        if not isinstance(runtime, dict):
            continue  # the model's checks report its type
        where = join(at, "CopyCount")
        if "CopyCount" not in runtime:
            message = (
                "required for an inference component that hosts a model: the number of copies "
                "it is created with (at least 1)"
            )
            yield Violation(where, "ic-runtime-config", message)
            continue
        copies = runtime["CopyCount"]
        if isinstance(copies, int) and not isinstance(copies, bool) and copies < MIN_COPIES:
            message = (
                f"must be at least {MIN_COPIES}: CreateInferenceComponent creates the inference "
                "component with this many copies and refuses fewer (it reaches 0 copies "
                f"afterwards, by an autoscaling policy), got {render(copies)}"
            )
            yield Violation(where, "ic-copy-count", message, copies)


def ic_rolling_batch_copies(raw: dict[str, Any]) -> Iterator[Violation]:
    """InferenceComponentRollingUpdatePolicy.MaximumBatchSize: "The value must be between 5% to
    50% of the copy count of the inference component". A CAPACITY_PERCENT is that share
    (``ic_deployment_config`` in :mod:`deployer.request.inference_component_rules`); a
    COPY_COUNT is a number of copies, checked here against the copy count the request gives
    (RuntimeConfig.CopyCount, which an update sends when it changes it): with 1 copy, no
    COPY_COUNT is at most 50% of it. An adapter IC has no copy count of its own (it runs on its
    base's copies): it is not checked."""
    low, high = IC_ROLLING_PERCENT
    for path, ic in items(raw):
        copies = as_int(as_object(ic.get("RuntimeConfig")).get("CopyCount"))
        if copies is None or copies < MIN_COPIES or _is_adapter(path, ic):
            continue
        config = as_object(ic.get("DeploymentConfig"))
        size = as_object(as_object(config.get("RollingUpdatePolicy")).get("MaximumBatchSize"))
        value = as_int(size.get("Value"))
        if size.get("Type") != "COPY_COUNT" or value is None or value < 1:
            continue
        if not low <= 100 * value / copies <= high:
            share = f"{100 * value / copies:.3g}%"
            message = (
                f"must be {low}% to {high}% of the inference component's copies (its "
                f"RuntimeConfig.CopyCount, {copies}), got {value} ({share})"
            )
            if copies == 1:
                message += "; with 1 copy no COPY_COUNT fits: give CAPACITY_PERCENT or more copies"
            at = join(path, "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value")
            yield Violation(at, "ic-rolling-batch-size", message, value)
