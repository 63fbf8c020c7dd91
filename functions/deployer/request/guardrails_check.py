"""The ``Guardrails`` key of a request or a profile, checked: every problem named by its path,
its rule and its value, like the rest of the request (:func:`violations`). The key's settings
and what they mean are :mod:`deployer.request.guardrails`'s.

Type-first: each field's check looks at its value's JSON type (null, boolean, number, string,
list, object) before anything else reads it, so any value gives a violation and never an
exception; the rules between fields read only fields of the right type.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any, TypeGuard

from botocore.model import Shape

from deployer.request.guardrails import (
    FIELD,
    MAX_BODY_BYTES,
    MAX_ROLLBACK_ALARMS,
    METRICS,
    PREDEFINED_METRICS,
    STATISTICS,
    AlarmSetting,
    Guardrails,
    alarm_names,
    smoke_body_bytes,
)
from deployer.request.violations import Violation, described, join

_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{1,2})?)")
_JSON_PATH = re.compile(r"\$(\.[A-Za-z0-9_\-]+|\[\d+\])*")
_ALARM = ("Metric", "Threshold", "Statistic", "PeriodSeconds", "EvaluationPeriods", "Variants")
# the order in which the AutoScaling check reports its fields (the required ones first)
_SCALING_ORDER = (
    "MinCapacity",
    "MaxCapacity",
    "TargetValue",
    "ScaleInCooldown",
    "ScaleOutCooldown",
    "PredefinedMetricType",
    "CustomizedMetricSpecification",
    "Variants",
)

# A field's check: (its path, its value) -> what is wrong with it.
Check = Callable[[str, Any], list[Violation]]
# Application Auto Scaling and CloudWatch take Integer (32-bit) and Double values
# (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
INT32_MAX = 2**31 - 1


def _unknown(path: str, value: dict[str, Any], known: tuple[str, ...]) -> list[Violation]:
    from deployer.request.shapes import unknown_fields  # the request's own check of its fields

    return unknown_fields(path, value, list(known))


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _double(value: Any) -> float | None:
    """The value as a finite 64-bit double, or None when it is not one (a boolean, a
    non-number, NaN, an infinity, an integer too large for a double)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _integer(path: str, value: Any, low: int, high: int | None = None) -> list[Violation]:
    if not _whole(value):
        return [Violation(path, "type", f"must be a whole number, got {described(value)}", value)]
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        return [Violation(path, "range", f"must be {bound}, got {value}", value)]
    if value > INT32_MAX:
        message = f"must be a 32-bit integer (at most {INT32_MAX}), got {value}"
        return [Violation(path, "range", message, value)]
    return []


def _number(path: str, value: Any, low: float, strict: bool = False) -> list[Violation]:
    number = _double(value)
    if number is None:
        message = f"must be a number (a finite 64-bit double), got {described(value)}"
        return [Violation(path, "type", message, value)]
    if number < low or (strict and number == low):
        bound = f"greater than {low:g}" if strict else f"at least {low:g}"
        return [Violation(path, "range", f"must be {bound}, got {number:g}", value)]
    return []


def _one_of(known: tuple[str, ...]) -> Check:
    def check(path: str, value: Any) -> list[Violation]:
        if isinstance(value, str) and value in known:
            return []
        message = f"must be one of {', '.join(known)}, got {described(value)}"
        return [Violation(path, "enum" if isinstance(value, str) else "type", message, value)]

    return check


def _walk(
    path: str, raw: Any, fields: dict[str, Check], required: tuple[str, ...] = ()
) -> list[Violation]:
    """One guardrails object: its type, unknown fields, the required ones, then each field
    by its own check (in ``fields``' order)."""
    if not isinstance(raw, dict):
        return [Violation(path, "type", f"must be an object, got {described(raw)}", raw)]
    found = _unknown(path, raw, tuple(fields))
    found += [
        Violation(join(path, key), "required", "required field is missing")
        for key in required
        if key not in raw
    ]
    for key, check in fields.items():
        if key in raw:
            found += check(join(path, key), raw[key])
    return found


def _in_field_order(path: str, found: list[Violation], fields: tuple[str, ...]) -> list[Violation]:
    """The violations of one object as the fields stand in ``fields``: unknown fields first,
    then each field's (those of the field itself, the rules between fields included, before
    those of its members), then the object's own."""

    def position(violation: Violation) -> tuple[int, int]:
        if violation.path == path:
            return len(fields), 0
        for i, key in enumerate(fields):
            inside = join(path, key)
            if violation.path == inside:
                return i, 0
            if violation.path.startswith((f"{inside}.", f"{inside}[")):
                return i, 1
        return -1, 0

    return sorted(found, key=position)


def _variants_named(production: dict[str, dict[str, Any]], instance_based: bool) -> Check:
    def check(path: str, value: Any) -> list[Violation]:
        if not isinstance(value, list) or not value:
            message = (
                f"must be a non-empty list of production variant names, got {described(value)}"
            )
            return [Violation(path, "type" if value else "min-length", message, value)]
        found: list[Violation] = []
        for i, name in enumerate(value):
            if not isinstance(name, str):
                message = f"must be a production variant's name (a string), got {described(name)}"
                found.append(Violation(join(path, i), "type", message, name))
            elif production and name not in production:
                found.append(
                    Violation(
                        join(path, i),
                        "variant",
                        f"names no production variant of the request "
                        f"({', '.join(production)}), got {json.dumps(name)}",
                        name,
                    )
                )
            elif instance_based and "ServerlessConfig" in production.get(name, {}):
                found.append(
                    Violation(
                        join(path, i),
                        "serverless",
                        f"{json.dumps(name)} is serverless: Application Auto Scaling scales the "
                        f"instance count of instance-based variants only",
                        name,
                    )
                )
        return found

    return check


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
    return _integer(path, value, 0, 86400)


def _scaling_violations(
    path: str, raw: Any, production: dict[str, dict[str, Any]]
) -> list[Violation]:
    fields: dict[str, Check] = {
        "Variants": _variants_named(production, True),
        "MinCapacity": lambda p, v: _integer(p, v, 1),
        "MaxCapacity": lambda p, v: _integer(p, v, 1),
        "TargetValue": lambda p, v: _number(p, v, 0, strict=True),
        "PredefinedMetricType": _one_of(PREDEFINED_METRICS),
        "CustomizedMetricSpecification": _custom_metric,
        "ScaleInCooldown": _cooldown,
        "ScaleOutCooldown": _cooldown,
    }
    found = _walk(path, raw, fields, ("MinCapacity", "MaxCapacity", "TargetValue"))
    if not isinstance(raw, dict):
        return found
    low, high = raw.get("MinCapacity"), raw.get("MaxCapacity")
    if _whole(low) and _whole(high) and high < low:
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
        "Variants" not in raw
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
    return _in_field_order(path, found, _SCALING_ORDER)


def _statistic(metric: Any) -> Check:
    def check(path: str, value: Any) -> list[Violation]:
        if metric == "ModelErrorRate":
            message = (
                "ModelErrorRate is InvocationModelErrors / Invocations (sums): it takes no "
                f"Statistic, got {described(value)}"
            )
            return [Violation(path, "statistic", message, value)]
        if isinstance(value, str) and (value in STATISTICS or _PERCENTILE.fullmatch(value)):
            return []
        message = (
            f"must be one of {', '.join(STATISTICS)} or a percentile such as p99, "
            f"got {described(value)}"
        )
        return [Violation(path, "statistic" if isinstance(value, str) else "type", message, value)]

    return check


def _period(path: str, value: Any) -> list[Violation]:
    found = _integer(path, value, 10, 86400)
    if found or value in (10, 30) or value % 60 == 0:
        return found
    message = f"must be 10, 30 or a multiple of 60 (CloudWatch), got {value}"
    return [Violation(path, "period", message, value)]


def _alarm_violations(
    path: str, raw: Any, production: dict[str, dict[str, Any]]
) -> list[Violation]:
    fields: dict[str, Check] = {
        "Metric": _one_of(tuple(METRICS)),
        "Threshold": lambda p, v: _number(p, v, 0),
        "Statistic": _statistic(raw.get("Metric") if isinstance(raw, dict) else None),
        "PeriodSeconds": _period,
        "EvaluationPeriods": lambda p, v: _integer(p, v, 1, 100),
        "Variants": _variants_named(production, False),
    }
    return _in_field_order(path, _walk(path, raw, fields, ("Metric", "Threshold")), _ALARM)


def _body(path: str, value: Any) -> list[Violation]:
    size = len(smoke_body_bytes(value))
    if size <= MAX_BODY_BYTES:
        return []
    message = f"is {size} bytes; InvokeEndpoint takes at most {MAX_BODY_BYTES} (6 MB)"
    return [Violation(path, "max", message, size)]


def _mime_type(path: str, value: Any) -> list[Violation]:
    if isinstance(value, str) and 0 < len(value) <= 1024:
        return []
    message = f"must be a MIME type (1 to 1024 characters), got {described(value)}"
    return [Violation(path, "type", message, value)]


def _json_path(path: str, value: Any) -> list[Violation]:
    if isinstance(value, str) and _JSON_PATH.fullmatch(value):
        return []
    message = f"must be a simple JSON path such as $.predictions[0].score, got {described(value)}"
    return [Violation(path, "json-path" if isinstance(value, str) else "type", message, value)]


_SMOKE_FIELDS: dict[str, Check] = {
    "Body": _body,
    "ContentType": _mime_type,
    "Accept": _mime_type,
    "ExpectStatus": lambda p, v: _integer(p, v, 100, 599),
    "ExpectJsonPath": _json_path,
}


def _smoke_violations(path: str, raw: Any) -> list[Violation]:
    return _walk(path, raw, _SMOKE_FIELDS, ("Body",))


def _production(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The request's production variants by name: those that are objects with a string
    VariantName (the request's own check reports the others)."""
    variants = request.get("ProductionVariants")
    return {
        v["VariantName"]: v
        for v in (variants if isinstance(variants, list) else [])
        if isinstance(v, dict) and isinstance(v.get("VariantName"), str)
    }


def _alarms_violations(
    request: dict[str, Any], path: str, raw: Any, production: dict[str, dict[str, Any]]
) -> list[Violation]:
    if not isinstance(raw, list):
        return [Violation(path, "type", f"must be a list, got {described(raw)}", raw)]
    found: list[Violation] = []
    for i, alarm in enumerate(raw):
        found += _alarm_violations(join(path, i), alarm, production)
    return found or _alarm_count_violations(request, path, raw, list(production))


def violations(request: dict[str, Any]) -> list[Violation]:
    """Every problem of the request's ``Guardrails`` key (none when it has none)."""
    if FIELD not in request:
        return []
    production = _production(request)
    fields: dict[str, Check] = {
        "AutoScaling": lambda p, v: _scaling_violations(p, v, production),
        "RollbackAlarms": lambda p, v: _alarms_violations(request, p, v, production),
        "SmokeTest": _smoke_violations,
    }
    return _walk(FIELD, request[FIELD], fields)


def _alarm_count_violations(
    request: dict[str, Any], path: str, alarms: list[Any], variants: list[str]
) -> list[Violation]:
    """At most 10 alarms in AutoRollbackConfiguration: the ones made (each alarm, checked,
    for each variant it covers) and the ones the DeploymentConfig names itself."""
    guard = Guardrails(RollbackAlarms=tuple(AlarmSetting.model_validate(a) for a in alarms))
    endpoint = request.get("EndpointName")
    made = len(alarm_names(endpoint if isinstance(endpoint, str) else "", variants, guard))
    config = request.get("DeploymentConfig")
    rollback = config.get("AutoRollbackConfiguration") if isinstance(config, dict) else None
    named = rollback.get("Alarms") if isinstance(rollback, dict) else None
    count = len(named) if isinstance(named, list) else 0
    total = made + count
    if total > MAX_ROLLBACK_ALARMS:
        return [
            Violation(
                path,
                "alarm-count",
                f"makes {made} alarms (one per alarm and variant) beside the "
                f"{count} the DeploymentConfig names: {total} in all, and "
                f"AutoRollbackConfiguration takes at most {MAX_ROLLBACK_ALARMS}",
                total,
            )
        ]
    return []
