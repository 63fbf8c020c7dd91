"""The ``Guardrails`` key of a request or a profile, checked: every problem named by its path,
its rule and its value, like the rest of the request (:func:`violations`). The key's settings
and what they mean are :mod:`deployer.request.guardrails`'s.

Type-first: each field's check looks at its value's JSON type (null, boolean, number, string,
list, object) before anything else reads it, so any value gives a violation and never an
exception; the rules between fields read only fields of the right type.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from deployer.request import inference_components, scaling_check
from deployer.request.field_checks import (
    Check,
    in_field_order,
    integer,
    number,
    one_of,
    variants_named,
    walk,
)
from deployer.request.guardrails import (
    COMPONENT_UTILIZATION,
    FIELD,
    MAX_BODY_BYTES,
    MAX_ROLLBACK_ALARMS,
    METRICS,
    STATISTICS,
    AlarmSetting,
    Guardrails,
    alarm_names,
    component_alarm_pairs,
    smoke_body_bytes,
)
from deployer.request.violations import Violation, described, join

_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{1,2})?)")
_JSON_PATH = re.compile(r"\$(\.[A-Za-z0-9_\-]+|\[\d+\])*")
_ALARM = (
    "Metric",
    "Threshold",
    "Statistic",
    "PeriodSeconds",
    "EvaluationPeriods",
    "Variants",
    "InferenceComponents",
)


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
    found = integer(path, value, 10, 86400)
    if found or value in (10, 30) or value % 60 == 0:
        return found
    message = f"must be 10, 30 or a multiple of 60 (CloudWatch), got {value}"
    return [Violation(path, "period", message, value)]


def _alarm_violations(
    path: str, raw: Any, production: dict[str, dict[str, Any]], components: dict[str, bool]
) -> list[Violation]:
    """One rollback alarm: of the endpoint's variants, or (an endpoint for inference
    components) of its base components, whose utilization metrics it may watch too."""
    metrics = (*METRICS, *COMPONENT_UTILIZATION) if components else tuple(METRICS)
    fields: dict[str, Check] = {
        "Metric": one_of(metrics),
        "Threshold": lambda p, v: number(p, v, 0),
        "Statistic": _statistic(raw.get("Metric") if isinstance(raw, dict) else None),
        "PeriodSeconds": _period,
        "EvaluationPeriods": lambda p, v: integer(p, v, 1, 100),
        "Variants": (
            scaling_check.no_variants if components else variants_named(production, False)
        ),
        "InferenceComponents": scaling_check.components_named(components),
    }
    return in_field_order(path, walk(path, raw, fields, ("Metric", "Threshold")), _ALARM)


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
    "ExpectStatus": lambda p, v: integer(p, v, 100, 599),
    "ExpectJsonPath": _json_path,
}


def _smoke_violations(path: str, raw: Any) -> list[Violation]:
    return walk(path, raw, _SMOKE_FIELDS, ("Body",))


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
    request: dict[str, Any],
    path: str,
    raw: Any,
    production: dict[str, dict[str, Any]],
    components: dict[str, bool],
) -> list[Violation]:
    if not isinstance(raw, list):
        return [Violation(path, "type", f"must be a list, got {described(raw)}", raw)]
    found: list[Violation] = []
    for i, alarm in enumerate(raw):
        found += _alarm_violations(join(path, i), alarm, production, components)
    if found:
        return found
    if components:
        return _component_alarm_violations(request, path, raw, components)
    return _alarm_count_violations(request, path, raw, list(production))


def violations(request: dict[str, Any]) -> list[Violation]:
    """Every problem of the request's ``Guardrails`` key (none when it has none)."""
    if FIELD not in request:
        return []
    production = _production(request)
    components = scaling_check.base_components(request)
    fields: dict[str, Check] = {
        "AutoScaling": lambda p, v: scaling_check.violations(p, v, production, components),
        "RollbackAlarms": lambda p, v: _alarms_violations(request, p, v, production, components),
        "SmokeTest": _smoke_violations,
    }
    return walk(FIELD, request[FIELD], fields)


def _alarm_count_violations(
    request: dict[str, Any], path: str, alarms: list[Any], variants: list[str]
) -> list[Violation]:
    """At most 10 alarms in AutoRollbackConfiguration: the ones made (each alarm, checked,
    for each variant it covers) and the ones the DeploymentConfig names itself."""
    guard = Guardrails(RollbackAlarms=tuple(AlarmSetting.model_validate(a) for a in alarms))
    endpoint = request.get("EndpointName")
    made = len(alarm_names(endpoint if isinstance(endpoint, str) else "", variants, guard))
    count = _named_alarms(request.get("DeploymentConfig"))
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


def _component_alarm_violations(
    request: dict[str, Any], path: str, alarms: list[Any], components: dict[str, bool]
) -> list[Violation]:
    """Each component the alarms cover: it rolls out with a RollingUpdatePolicy (the alarms
    roll that rollout back: AutoRollbackConfiguration needs one beside it), and its
    AutoRollbackConfiguration takes at most 10 alarms, those made for it and those its own
    DeploymentConfig names."""
    guard = Guardrails(RollbackAlarms=tuple(AlarmSetting.model_validate(a) for a in alarms))
    bases = [name for name, base in components.items() if base]
    made = Counter(component for component, _, _ in component_alarm_pairs(bases, guard))
    found: list[Violation] = []
    for _, ic in inference_components.items(request):
        name = inference_components.name_of(ic)
        if name is None or name not in made:
            continue
        config = ic.get("DeploymentConfig")
        config = config if isinstance(config, dict) else {}
        if "RollingUpdatePolicy" not in config:
            message = (
                f"covers inference component {name}, whose DeploymentConfig has no "
                "RollingUpdatePolicy: the alarms roll back a rolling update; give it one, or "
                "name the components to cover in InferenceComponents"
            )
            found.append(Violation(path, "component-rolling-policy", message, name))
        count = _named_alarms(config)
        if made[name] + count > MAX_ROLLBACK_ALARMS:
            found.append(
                Violation(
                    path,
                    "alarm-count",
                    f"makes {made[name]} alarms for inference component {name} beside the "
                    f"{count} its DeploymentConfig names: {made[name] + count} in all, and "
                    f"AutoRollbackConfiguration takes at most {MAX_ROLLBACK_ALARMS}",
                    made[name] + count,
                )
            )
    return found


def _named_alarms(config: Any) -> int:
    """How many alarms a DeploymentConfig names in its AutoRollbackConfiguration."""
    rollback = config.get("AutoRollbackConfiguration") if isinstance(config, dict) else None
    named = rollback.get("Alarms") if isinstance(rollback, dict) else None
    return len(named) if isinstance(named, list) else 0
