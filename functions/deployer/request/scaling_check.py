"""``Guardrails.AutoScaling``, checked (:func:`violations`): the autoscaling of the endpoint's
instance-based variants (``sagemaker:variant:DesiredInstanceCount``), or, on an endpoint for
inference components, of the components' copies
(``sagemaker:inference-component:DesiredCopyCount``), which may scale to zero. The setting and
what it means are :mod:`deployer.request.guardrails`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.model import Shape

from deployer.request import inference_components
from deployer.request.field_checks import (
    Check,
    in_field_order,
    integer,
    number,
    one_of,
    variants_named,
    walk,
    whole,
)
from deployer.request.guardrails import COMPONENT_PREDEFINED_METRICS, PREDEFINED_METRICS
from deployer.request.violations import Violation, described, join

# the order in which the check reports its fields (the required ones first)
_SCALING_ORDER = (
    "MinCapacity",
    "MaxCapacity",
    "TargetValue",
    "ScaleInCooldown",
    "ScaleOutCooldown",
    "PredefinedMetricType",
    "CustomizedMetricSpecification",
    "Variants",
    "InferenceComponents",
)


@cache
def _scaling_shape(name: str) -> Shape:
    """A shape of botocore's Application Auto Scaling model (read on first use)."""
    from deployer.aws.clients import botocore_session

    return botocore_session().get_service_model("application-autoscaling").shape_for(name)


def _custom_metric(path: str, value: Any) -> list[Violation]:
    """CustomizedMetricSpecification: every rule of botocore's model of it, and a metric
    (MetricName, Namespace, Statistic) or metric math (Metrics)."""
    from deployer.request.shapes import check_value

    found = check_value(_scaling_shape("CustomizedMetricSpecification"), value, path)
    if isinstance(value, dict) and "Metrics" not in value:
        found += [
            Violation(join(path, key), "required", "required field is missing")
            for key in ("MetricName", "Namespace", "Statistic")
            if key not in value
        ]
    return found


def _cooldown(path: str, value: Any) -> list[Violation]:
    return integer(path, value, 0, 86400)


def base_components(request: Mapping[str, Any]) -> dict[str, bool]:
    """The request's inference components by name -> whether each is a base (has copies of
    its own; an adapter runs on its base's). Empty: the endpoint serves its variants."""
    found: dict[str, bool] = {}
    for _, ic in inference_components.items(request):
        name = inference_components.name_of(ic)
        if name is not None:
            found[name] = inference_components.base_of(ic) is None
    return found


def components_named(components: dict[str, bool]) -> Check:
    """A list of the request's base inference components' names (type-first: the list and
    each item's type before any name is looked up)."""

    def check(path: str, value: Any) -> list[Violation]:
        if not isinstance(value, list) or not value:
            message = (
                f"must be a non-empty list of inference component names, got {described(value)}"
            )
            return [Violation(path, "type" if value else "min-length", message, value)]
        found: list[Violation] = []
        for i, name in enumerate(value):
            at = join(path, i)
            if not isinstance(name, str):
                message = f"must be an inference component's name, got {described(name)}"
                found.append(Violation(at, "type", message, name))
            elif components and name not in components:
                message = (
                    f"names no inference component of the request ({', '.join(components)}), "
                    f"got {json.dumps(name)}"
                )
                found.append(Violation(at, "component", message, name))
            elif components and not components[name]:
                message = (
                    f"{json.dumps(name)} is an adapter: it runs on its base component's copies "
                    "(scaled, watched and rolled back with them)"
                )
                found.append(Violation(at, "adapter", message, name))
        if not components:
            message = (
                "names inference components, and the request has no InferenceComponents: "
                "use Variants to choose among its production variants"
            )
            found.insert(0, Violation(path, "no-components", message, value))
        return found

    return check


def no_variants(path: str, value: Any) -> list[Violation]:
    message = (
        "an endpoint for inference components is served by its components, not its "
        "variants: name the components in InferenceComponents (or leave both out for every "
        "base component)"
    )
    return [Violation(path, "component-variants", message, value)]


def violations(
    path: str,
    raw: Any,
    production: dict[str, dict[str, Any]],
    components: dict[str, bool],
) -> list[Violation]:
    """Every problem of the AutoScaling setting at ``path`` of a request whose production
    variants are ``production`` and whose inference components are ``components``
    (:func:`base_components`). A component's copies may scale in to zero (MinCapacity 0:
    https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html);
    a variant keeps at least one instance."""
    lowest = 0 if components else 1
    fields: dict[str, Check] = {
        "Variants": no_variants if components else variants_named(production, True),
        "InferenceComponents": components_named(components),
        "MinCapacity": lambda p, v: integer(p, v, lowest),
        "MaxCapacity": lambda p, v: integer(p, v, 1),
        "TargetValue": lambda p, v: number(p, v, 0, strict=True),
        "PredefinedMetricType": one_of(
            COMPONENT_PREDEFINED_METRICS if components else PREDEFINED_METRICS
        ),
        "CustomizedMetricSpecification": _custom_metric,
        "ScaleInCooldown": _cooldown,
        "ScaleOutCooldown": _cooldown,
    }
    found = walk(path, raw, fields, ("MinCapacity", "MaxCapacity", "TargetValue"))
    if not isinstance(raw, dict):
        return found
    low, high = raw.get("MinCapacity"), raw.get("MaxCapacity")
    if whole(low) and whole(high) and high < low:
        found.append(
            Violation(
                join(path, "MaxCapacity"),
                "min-max",
                f"must be at least MinCapacity ({low}), got {high}",
                high,
            )
        )
    if "CustomizedMetricSpecification" in raw and "PredefinedMetricType" in raw:
        found.append(
            Violation(
                join(path, "CustomizedMetricSpecification"),
                "one-metric",
                "give PredefinedMetricType or CustomizedMetricSpecification, not both",
            )
        )
    if (
        not components
        and "Variants" not in raw
        and production
        and all("ServerlessConfig" in v for v in production.values())
    ):
        found.append(
            Violation(
                path,
                "serverless",
                "every production variant is serverless: Application Auto Scaling scales the "
                "instance count of instance-based variants only",
            )
        )
    return in_field_order(path, found, _SCALING_ORDER)
