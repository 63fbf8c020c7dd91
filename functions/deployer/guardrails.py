"""Guardrails a profile (or a direct request) can switch on: autoscaling that survives
updates, rollback alarms made for you, and a smoke test before success.

They live under one smdeploy key, ``Guardrails``, beside the SageMaker fields of a request
or a profile (SageMaker never sees it)::

    "Guardrails": {
      "AutoScaling": {"MinCapacity": 1, "MaxCapacity": 4, "TargetValue": 100},
      "RollbackAlarms": [{"Metric": "Invocation5XXErrors", "Threshold": 5}],
      "SmokeTest": {"ContentType": "application/json", "Body": {"instances": [[1, 2]]}}
    }

This module checks the key (every problem named by its path, rule and value, like the rest
of the request) and makes the guardrails' decisions as pure functions of data: which
scalable targets to deregister before an update, whether to retain the variants' instance
counts, the alarms to create and how the update names them, which targets to register after
the outcome, and whether a smoke test's answer passes. :mod:`deployer.guarding` performs them.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from pydantic import ConfigDict

from deployer import contract
from deployer.model import Model
from deployer.violations import Violation, described, join

FIELD = contract.GUARDRAILS_FIELD
# Every alarm the deployer makes starts with this (IAM scopes the deployer's alarm rights to
# it, followed by the deployer's name prefix): smdeploy-<endpoint>-<variant>-<metric>.
ALARM_PREFIX = contract.GUARDRAIL_PREFIX

# Application Auto Scaling, for a SageMaker variant
# (https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html)
NAMESPACE: Final = "sagemaker"
DIMENSION: Final = "sagemaker:variant:DesiredInstanceCount"
DEFAULT_METRIC = "SageMakerVariantInvocationsPerInstance"
PREDEFINED_METRICS = (
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
)
DEFAULT_SCALE_IN_COOLDOWN = 300
DEFAULT_SCALE_OUT_COOLDOWN = 300


def resource_id(endpoint: str, variant: str) -> str:
    """A variant's scalable target: ``endpoint/<EndpointName>/variant/<VariantName>``."""
    return f"endpoint/{endpoint}/variant/{variant}"


def policy_name(endpoint: str, variant: str) -> str:
    return f"{ALARM_PREFIX}{endpoint}-{variant}-target-tracking"[:256]


# CloudWatch metrics of a SageMaker endpoint variant (namespace AWS/SageMaker, dimensions
# EndpointName and VariantName: https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html)
# -> the statistic used when the alarm does not say. ModelErrorRate is the deployer's own:
# InvocationModelErrors / Invocations, by metric math.
METRICS: dict[str, str] = {
    "Invocation5XXErrors": "Sum",
    "Invocation4XXErrors": "Sum",
    "InvocationModelErrors": "Sum",
    "ModelLatency": "p99",
    "OverheadLatency": "p99",
    "ModelErrorRate": "",
}
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{1,2})?)")
MAX_ROLLBACK_ALARMS = 10  # DeploymentConfig.AutoRollbackConfiguration.Alarms
MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's payload limit
_JSON_PATH = re.compile(r"\$(\.[A-Za-z0-9_\-]+|\[\d+\])*")
_TOP = ("AutoScaling", "RollbackAlarms", "SmokeTest")
_SCALING = (
    "Variants",
    "MinCapacity",
    "MaxCapacity",
    "TargetValue",
    "PredefinedMetricType",
    "CustomizedMetricSpecification",
    "ScaleInCooldown",
    "ScaleOutCooldown",
)
_ALARM = ("Metric", "Threshold", "Statistic", "PeriodSeconds", "EvaluationPeriods", "Variants")
_SMOKE = ("ContentType", "Body", "Accept", "ExpectStatus", "ExpectJsonPath")


# --- the settings ------------------------------------------------------------------------


class ScalingSetting(Model):
    model_config = ConfigDict(frozen=True)

    Variants: tuple[str, ...] | None = None  # None: every instance-based production variant
    MinCapacity: int
    MaxCapacity: int
    TargetValue: float
    PredefinedMetricType: str | None = None
    CustomizedMetricSpecification: dict[str, Any] | None = None
    ScaleInCooldown: int = DEFAULT_SCALE_IN_COOLDOWN
    ScaleOutCooldown: int = DEFAULT_SCALE_OUT_COOLDOWN

    def covers(self, variant: str) -> bool:
        return self.Variants is None or variant in self.Variants

    def policy_configuration(self) -> dict[str, Any]:
        """PutScalingPolicy's TargetTrackingScalingPolicyConfiguration."""
        config: dict[str, Any] = {
            "TargetValue": self.TargetValue,
            "ScaleInCooldown": self.ScaleInCooldown,
            "ScaleOutCooldown": self.ScaleOutCooldown,
        }
        if self.CustomizedMetricSpecification is not None:
            config["CustomizedMetricSpecification"] = self.CustomizedMetricSpecification
        else:
            config["PredefinedMetricSpecification"] = {
                "PredefinedMetricType": self.PredefinedMetricType or DEFAULT_METRIC
            }
        return config


class AlarmSetting(Model):
    model_config = ConfigDict(frozen=True)

    Metric: str
    Threshold: float
    Statistic: str | None = None
    PeriodSeconds: int = 60
    EvaluationPeriods: int = 1
    Variants: tuple[str, ...] | None = None


class SmokeTestSetting(Model):
    model_config = ConfigDict(frozen=True)

    Body: Any
    ContentType: str = "application/json"
    Accept: str | None = None
    ExpectStatus: int = 200
    ExpectJsonPath: str | None = None

    def body_bytes(self) -> bytes:
        return _body_bytes(self.Body)


class Guardrails(Model):
    model_config = ConfigDict(frozen=True)

    AutoScaling: ScalingSetting | None = None
    RollbackAlarms: tuple[AlarmSetting, ...] = ()
    SmokeTest: SmokeTestSetting | None = None


def settings(fields: dict[str, Any]) -> Guardrails:
    """The request's guardrails (checked by :func:`violations` first)."""
    return Guardrails.model_validate(fields.get(FIELD) or {})


# --- the check ---------------------------------------------------------------------------


def _unknown(path: str, value: dict[str, Any], known: tuple[str, ...]) -> list[Violation]:
    from deployer.shapes import unknown_fields  # the request's own check of its fields

    return unknown_fields(path, value, list(known))


def _integer(path: str, value: Any, low: int, high: int | None = None) -> list[Violation]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [Violation(path, "type", f"must be a whole number, got {described(value)}", value)]
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        return [Violation(path, "range", f"must be {bound}, got {value}", value)]
    return []


def _number(path: str, value: Any, low: float, strict: bool = False) -> list[Violation]:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return [Violation(path, "type", f"must be a number, got {described(value)}", value)]
    if value < low or (strict and value == low):
        bound = f"greater than {low:g}" if strict else f"at least {low:g}"
        return [Violation(path, "range", f"must be {bound}, got {value:g}", value)]
    return []


def _variants_named(
    path: str, value: Any, production: dict[str, dict[str, Any]], instance_based: bool
) -> list[Violation]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return [
            Violation(
                path,
                "type",
                f"must be a non-empty list of production variant names, got {described(value)}",
                value,
            )
        ]
    found: list[Violation] = []
    for i, name in enumerate(value):
        if production and name not in production:
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


def _scaling_violations(
    path: str, raw: Any, production: dict[str, dict[str, Any]]
) -> list[Violation]:
    if not isinstance(raw, dict):
        return [Violation(path, "type", f"must be an object, got {described(raw)}", raw)]
    found = _unknown(path, raw, _SCALING)
    for key in ("MinCapacity", "MaxCapacity", "TargetValue"):
        if key not in raw:
            found.append(Violation(join(path, key), "required", "required field is missing"))
    if "MinCapacity" in raw:
        found += _integer(join(path, "MinCapacity"), raw["MinCapacity"], 1)
    if "MaxCapacity" in raw:
        found += _integer(join(path, "MaxCapacity"), raw["MaxCapacity"], 1)
        low, high = raw.get("MinCapacity"), raw["MaxCapacity"]
        if isinstance(low, int) and isinstance(high, int) and high < low:
            found.append(
                Violation(
                    join(path, "MaxCapacity"),
                    "min-max",
                    f"must be at least MinCapacity ({low}), got {high}",
                    high,
                )
            )
    if "TargetValue" in raw:
        found += _number(join(path, "TargetValue"), raw["TargetValue"], 0, strict=True)
    for key in ("ScaleInCooldown", "ScaleOutCooldown"):
        if key in raw:
            found += _integer(join(path, key), raw[key], 0, 86400)
    metric = raw.get("PredefinedMetricType")
    if metric is not None and metric not in PREDEFINED_METRICS:
        found.append(
            Violation(
                join(path, "PredefinedMetricType"),
                "enum",
                f"must be one of {', '.join(PREDEFINED_METRICS)}, got {described(metric)}",
                metric,
            )
        )
    custom = raw.get("CustomizedMetricSpecification")
    if custom is not None:
        custom_path = join(path, "CustomizedMetricSpecification")
        if metric is not None:
            found.append(
                Violation(
                    custom_path,
                    "one-metric",
                    "give PredefinedMetricType or CustomizedMetricSpecification, not both",
                )
            )
        if not isinstance(custom, dict):
            found.append(
                Violation(custom_path, "type", f"must be an object, got {described(custom)}")
            )
        else:
            found += [
                Violation(join(custom_path, key), "required", "required field is missing")
                for key in ("MetricName", "Namespace", "Statistic")
                if key not in custom and "Metrics" not in custom
            ]
    if "Variants" in raw:
        found += _variants_named(join(path, "Variants"), raw["Variants"], production, True)
    elif production and all("ServerlessConfig" in v for v in production.values()):
        found.append(
            Violation(
                path,
                "serverless",
                "every production variant is serverless: Application Auto Scaling scales the "
                "instance count of instance-based variants only",
            )
        )
    return found


def _alarm_violations(
    path: str, raw: Any, production: dict[str, dict[str, Any]]
) -> list[Violation]:
    if not isinstance(raw, dict):
        return [Violation(path, "type", f"must be an object, got {described(raw)}", raw)]
    found = _unknown(path, raw, _ALARM)
    metric = raw.get("Metric")
    if "Metric" not in raw:
        found.append(Violation(join(path, "Metric"), "required", "required field is missing"))
    elif metric not in METRICS:
        found.append(
            Violation(
                join(path, "Metric"),
                "enum",
                f"must be one of {', '.join(METRICS)}, got {described(metric)}",
                metric,
            )
        )
    if "Threshold" not in raw:
        found.append(Violation(join(path, "Threshold"), "required", "required field is missing"))
    else:
        found += _number(join(path, "Threshold"), raw["Threshold"], 0)
    statistic = raw.get("Statistic")
    if statistic is not None:
        if metric == "ModelErrorRate":
            found.append(
                Violation(
                    join(path, "Statistic"),
                    "statistic",
                    "ModelErrorRate is InvocationModelErrors / Invocations (sums): it takes no "
                    f"Statistic, got {described(statistic)}",
                    statistic,
                )
            )
        elif not (
            isinstance(statistic, str)
            and (statistic in STATISTICS or _PERCENTILE.fullmatch(statistic))
        ):
            found.append(
                Violation(
                    join(path, "Statistic"),
                    "statistic",
                    f"must be one of {', '.join(STATISTICS)} or a percentile such as p99, "
                    f"got {described(statistic)}",
                    statistic,
                )
            )
    if "PeriodSeconds" in raw:
        period = raw["PeriodSeconds"]
        found += _integer(join(path, "PeriodSeconds"), period, 10, 86400) or (
            []
            if period in (10, 30) or period % 60 == 0
            else [
                Violation(
                    join(path, "PeriodSeconds"),
                    "period",
                    f"must be 10, 30 or a multiple of 60 (CloudWatch), got {period}",
                    period,
                )
            ]
        )
    if "EvaluationPeriods" in raw:
        found += _integer(join(path, "EvaluationPeriods"), raw["EvaluationPeriods"], 1, 100)
    if "Variants" in raw:
        found += _variants_named(join(path, "Variants"), raw["Variants"], production, False)
    return found


def _body_bytes(body: Any) -> bytes:
    """What InvokeEndpoint sends of a smoke test's Body: text as it is, any other JSON value
    as JSON."""
    return (body if isinstance(body, str) else json.dumps(body)).encode()


def _smoke_violations(path: str, raw: Any) -> list[Violation]:
    if not isinstance(raw, dict):
        return [Violation(path, "type", f"must be an object, got {described(raw)}", raw)]
    found = _unknown(path, raw, _SMOKE)
    if "Body" not in raw:
        found.append(Violation(join(path, "Body"), "required", "required field is missing"))
    else:
        body = raw["Body"]
        size = len(_body_bytes(body))
        if size > MAX_BODY_BYTES:
            found.append(
                Violation(
                    join(path, "Body"),
                    "max",
                    f"is {size} bytes; InvokeEndpoint takes at most {MAX_BODY_BYTES} (6 MB)",
                    size,
                )
            )
    for key in ("ContentType", "Accept"):
        value = raw.get(key)
        if key in raw and not (isinstance(value, str) and 0 < len(value) <= 1024):
            found.append(
                Violation(
                    join(path, key),
                    "type",
                    f"must be a MIME type (1 to 1024 characters), got {described(value)}",
                    value,
                )
            )
    if "ExpectStatus" in raw:
        found += _integer(join(path, "ExpectStatus"), raw["ExpectStatus"], 100, 599)
    expect = raw.get("ExpectJsonPath")
    if "ExpectJsonPath" in raw and not (isinstance(expect, str) and _JSON_PATH.fullmatch(expect)):
        found.append(
            Violation(
                join(path, "ExpectJsonPath"),
                "json-path",
                f"must be a simple JSON path such as $.predictions[0].score, "
                f"got {described(expect)}",
                expect,
            )
        )
    return found


def violations(request: dict[str, Any]) -> list[Violation]:
    """Every problem of the request's ``Guardrails`` key (none when it has none)."""
    if FIELD not in request:
        return []
    raw = request[FIELD]
    if not isinstance(raw, dict):
        return [Violation(FIELD, "type", f"must be an object, got {described(raw)}", raw)]
    variants = request.get("ProductionVariants")
    production = {
        str(v["VariantName"]): v
        for v in (variants if isinstance(variants, list) else [])
        if isinstance(v, dict) and isinstance(v.get("VariantName"), str)
    }
    found = _unknown(FIELD, raw, _TOP)
    if "AutoScaling" in raw:
        found += _scaling_violations(join(FIELD, "AutoScaling"), raw["AutoScaling"], production)
    alarms = raw.get("RollbackAlarms")
    if "RollbackAlarms" in raw:
        path = join(FIELD, "RollbackAlarms")
        if not isinstance(alarms, list):
            found.append(
                Violation(path, "type", f"must be a list, got {described(alarms)}", alarms)
            )
        else:
            for i, alarm in enumerate(alarms):
                found += _alarm_violations(join(path, i), alarm, production)
            if not found:
                found += _alarm_count_violations(request, path)
    if "SmokeTest" in raw:
        found += _smoke_violations(join(FIELD, "SmokeTest"), raw["SmokeTest"])
    return found


def _alarm_count_violations(request: dict[str, Any], path: str) -> list[Violation]:
    guard = settings(request)
    variants = [str(v["VariantName"]) for v in request.get("ProductionVariants") or []]
    made = len(alarm_names(str(request.get("EndpointName", "")), variants, guard))
    config = request.get("DeploymentConfig")
    named = (
        ((config or {}).get("AutoRollbackConfiguration") or {}).get("Alarms") or []
        if isinstance(config, dict)
        else []
    )
    total = made + len(named) if isinstance(named, list) else made
    if total > MAX_ROLLBACK_ALARMS:
        return [
            Violation(
                path,
                "alarm-count",
                f"makes {made} alarms (one per alarm and variant) beside the "
                f"{len(named)} the DeploymentConfig names: {total} in all, and "
                f"AutoRollbackConfiguration takes at most {MAX_ROLLBACK_ALARMS}",
                total,
            )
        ]
    return []


# --- alarms ------------------------------------------------------------------------------


def alarm_name(endpoint: str, variant: str, metric: str) -> str:
    return f"{alarm_name_prefix(endpoint)}{variant}-{metric}"[:255]


def alarm_name_prefix(endpoint: str) -> str:
    """How the names of the rollback alarms of ``endpoint`` begin (and of another endpoint
    whose name begins with this one's and a hyphen: :func:`stale_alarms` tells them apart)."""
    return f"{ALARM_PREFIX}{endpoint}-"


def alarm_search_prefix(endpoint: str) -> str:
    """The ``AlarmNamePrefix`` that finds the rollback alarms of ``endpoint`` however its name
    was spelled when they were made. DescribeAlarms matches the prefix case-sensitively, as
    alarm names are (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
    while SageMaker matches endpoint names without regard to case: an alarm made for
    ``Churn`` is ``churn``'s too. So the prefix stops before the endpoint name's first letter
    (its case may differ), and :func:`stale_alarms` compares the rest."""
    cased = next((i for i, c in enumerate(endpoint) if c.lower() != c.upper()), len(endpoint))
    return f"{ALARM_PREFIX}{endpoint[:cased]}"


def _alarm_pairs(
    endpoint: str, variants: list[str], guard: Guardrails
) -> list[tuple[str, AlarmSetting, str]]:
    return [
        (variant, alarm, alarm_name(endpoint, variant, alarm.Metric))
        for alarm in guard.RollbackAlarms
        for variant in variants
        if alarm.Variants is None or variant in alarm.Variants
    ]


def alarm_names(endpoint: str, variants: list[str], guard: Guardrails) -> list[str]:
    return list(dict.fromkeys(name for _, _, name in _alarm_pairs(endpoint, variants, guard)))


def alarm_description_prefix(endpoint: str) -> str:
    """How the description of each rollback alarm of ``endpoint`` begins (see
    :func:`alarm_requests`): the mark by which the clean-up knows an alarm is one of them."""
    return f"smdeploy rollback alarm of {endpoint} ("


def stale_alarms(endpoint: str, found: list[dict[str, Any]], kept: list[str]) -> list[str]:
    """The rollback alarms of ``endpoint`` that the deployer made and no longer needs: those
    ``found`` (DescribeAlarms by :func:`alarm_search_prefix`) whose name begins with this
    endpoint's prefix and whose description marks them as this endpoint's (another endpoint's
    name may begin with this one's), other than ``kept``. The endpoint's name compares without
    regard to case, as SageMaker compares it; alarm names compare exactly, as CloudWatch
    compares them (``smdeploy-Churn-...`` and ``smdeploy-churn-...`` are two alarms)."""
    mark = alarm_description_prefix(endpoint).lower()
    prefix = alarm_name_prefix(endpoint).lower()
    keep = set(kept)
    return sorted(
        str(alarm["AlarmName"])
        for alarm in found
        if str(alarm["AlarmName"]).lower().startswith(prefix)
        and str(alarm.get("AlarmDescription") or "").lower().startswith(mark)
        and str(alarm["AlarmName"]) not in keep
    )


def _sum(id_: str, metric: str, dimensions: list[dict[str, str]], period: int) -> dict[str, Any]:
    """A metric-math input: the Sum of one AWS/SageMaker metric of the variant."""
    return {
        "Id": id_,
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": metric,
                "Dimensions": dimensions,
            },
            "Period": period,
            "Stat": "Sum",
        },
    }


def alarm_requests(endpoint: str, variants: list[str], guard: Guardrails) -> list[dict[str, Any]]:
    """PutMetricAlarm's parameters for each alarm the guardrails ask for (per variant)."""
    made: list[dict[str, Any]] = []
    for variant, alarm, name in _alarm_pairs(endpoint, variants, guard):
        dimensions = [
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant},
        ]
        params: dict[str, Any] = {
            "AlarmName": name,
            "AlarmDescription": f"{alarm_description_prefix(endpoint)}{variant}): "
            f"{alarm.Metric} above {alarm.Threshold:g}",
            "EvaluationPeriods": alarm.EvaluationPeriods,
            "Threshold": alarm.Threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        }
        if alarm.Metric == "ModelErrorRate":
            params["Metrics"] = [
                _sum("errors", "InvocationModelErrors", dimensions, alarm.PeriodSeconds),
                _sum("invocations", "Invocations", dimensions, alarm.PeriodSeconds),
                {
                    "Id": "rate",
                    "Expression": "IF(invocations > 0, errors / invocations, 0)",
                    "Label": "ModelErrorRate",
                    "ReturnData": True,
                },
            ]
        else:
            statistic = alarm.Statistic or METRICS[alarm.Metric]
            params |= {
                "Namespace": "AWS/SageMaker",
                "MetricName": alarm.Metric,
                "Dimensions": dimensions,
                "Period": alarm.PeriodSeconds,
            }
            if statistic in STATISTICS:
                params["Statistic"] = statistic
            else:
                params["ExtendedStatistic"] = statistic
        made.append(params)
    return made


def with_rollback_alarms(fields: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The request with ``names`` added to DeploymentConfig.AutoRollbackConfiguration.Alarms
    (after the alarms the request names itself)."""
    if not names:
        return fields
    config = dict(fields.get("DeploymentConfig") or {})
    rollback = dict(config.get("AutoRollbackConfiguration") or {})
    have = [dict(a) for a in rollback.get("Alarms") or []]
    known = {a.get("AlarmName") for a in have}
    rollback["Alarms"] = have + [{"AlarmName": n} for n in names if n not in known]
    config["AutoRollbackConfiguration"] = rollback
    return dict(fields, DeploymentConfig=config)


# --- autoscaling around an update --------------------------------------------------------


def instance_types(variants: list[dict[str, Any]]) -> dict[str, str | None]:
    """Variant name -> its instance type (None: serverless or instance pools)."""
    return {str(v["VariantName"]): v.get("InstanceType") for v in variants}


def to_deregister(
    registered: list[str], serving: dict[str, str | None], target: dict[str, str | None]
) -> list[str]:
    """The registered variants an update from ``serving`` to ``target`` (variant -> instance
    type) would break: SageMaker refuses an update that changes the instance type of, or
    removes, a variant that is a scalable target; it must be deregistered first
    (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html)."""
    return sorted(
        v for v in registered if v not in target or (v in serving and serving[v] != target[v])
    )


def retained_properties(
    fields: dict[str, Any], registered: list[str], deregistered: list[str]
) -> dict[str, Any]:
    """UpdateEndpoint's members that keep an autoscaled variant's instance count.

    ``RetainAllVariantProperties`` defaults to false, which resets every variant to the new
    config's initial instance count: a variant scaled out to 6 would drop to the config's 2.
    When a variant stays autoscaled through the update, the counts are retained and only the
    weights are taken from the new config (``ExcludeRetainedVariantProperties``
    DesiredWeight: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html).
    A request that sets RetainAllVariantProperties itself is left as it is.
    """
    staying = [v for v in registered if v not in deregistered]
    if not staying or "RetainAllVariantProperties" in fields:
        return {}
    return {"RetainAllVariantProperties": True, "ExcludeRetainedVariantProperties": KEEP_COUNTS}


# Retained variant properties, all but the weight: the instance counts stay as they are.
KEEP_COUNTS = [{"VariantPropertyType": "DesiredWeight"}]


class ScalingPlan(Model):
    """What to register (variant -> (min, max)) and deregister after an outcome."""

    model_config = ConfigDict(frozen=True)

    to_register: dict[str, tuple[int, int]]
    policies: list[str]  # variants whose scaling policy is put (again)
    deregister: list[str]


def scaling_plan(
    setting: ScalingSetting | None,
    serving: dict[str, str | None],
    registered: dict[str, tuple[int, int]],
    policies: dict[str, dict[str, Any]],
    remove_others: bool,
) -> ScalingPlan:
    """Bring the endpoint's scalable targets to the setting, for the variants it serves now.

    ``registered``: variant -> (min, max) of its scalable target now; ``policies``: variant ->
    its target-tracking configuration now. Unchanged settings change nothing. Only
    instance-based variants scale. ``remove_others`` (after a success): targets the setting
    no longer covers (or of variants gone) are deregistered; after a failure they are left.
    """
    want: dict[str, tuple[int, int]] = {}
    if setting is not None:
        want = {
            v: (setting.MinCapacity, setting.MaxCapacity)
            for v, kind in serving.items()
            if kind is not None and setting.covers(v)
        }
    register = {v: span for v, span in want.items() if registered.get(v) != span}
    wanted_policy = setting.policy_configuration() if setting is not None else None
    put = sorted(
        v for v in want if v in register or not _same_policy(policies.get(v), wanted_policy)
    )
    deregister = sorted(v for v in registered if v not in want) if remove_others else []
    return ScalingPlan(to_register=register, policies=put, deregister=deregister)


def _same_policy(have: dict[str, Any] | None, want: dict[str, Any] | None) -> bool:
    if have is None or want is None:
        return have is want
    return all(have.get(k) == v for k, v in want.items())


# --- the smoke test ----------------------------------------------------------------------


def _select(document: Any, path: str) -> bool:
    """Whether the simple JSON path (``$.a[0].b``) selects something in ``document``."""
    value = document
    for name, index in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", path[1:]):
        if name:
            if not isinstance(value, dict) or name not in value:
                return False
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return False
            value = value[int(index)]
    return True


def smoke_failure(test: SmokeTestSetting, status: int, body: str) -> str | None:
    """Why the answer fails the smoke test, or None when it passes."""
    if status != test.ExpectStatus:
        return f"answered status {status}, expected {test.ExpectStatus}"
    if test.ExpectJsonPath is not None:
        try:
            document = json.loads(body)
        except ValueError:
            return f"answered a body that is not JSON; expected {test.ExpectJsonPath} in it"
        if not _select(document, test.ExpectJsonPath):
            return f"answered JSON without {test.ExpectJsonPath}"
    return None
