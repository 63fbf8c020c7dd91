"""The guardrails' decisions, pure functions of data (the settings are
:mod:`deployer.request.guardrails`'s): which scalable targets to deregister before an update,
whether to retain the variants' instance counts, the alarms to create and how the update names
them, which targets to register after the outcome, and whether a smoke test's answer passes.
:mod:`deployer.perform.guardrails` performs them.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from pydantic import ConfigDict

from deployer.basemodel import Model
from deployer.request.guardrails import (
    ALARM_PREFIX,
    COMPONENT_UTILIZATION,
    METRICS,
    STATISTICS,
    AlarmSetting,
    Guardrails,
    ScalingSetting,
    SmokeTestSetting,
    alarm_name_prefix,
    alarm_pairs,
)

# Application Auto Scaling, for a SageMaker variant
# (https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html)
NAMESPACE: Final = "sagemaker"
DIMENSION: Final = "sagemaker:variant:DesiredInstanceCount"


def resource_id(endpoint: str, variant: str) -> str:
    """A variant's scalable target: ``endpoint/<EndpointName>/variant/<VariantName>``."""
    return f"endpoint/{endpoint}/variant/{variant}"


def policy_name(endpoint: str, variant: str) -> str:
    return f"{ALARM_PREFIX}{endpoint}-{variant}-target-tracking"[:256]


# --- alarms ------------------------------------------------------------------------------


def alarm_search_prefix(endpoint: str) -> str:
    """The ``AlarmNamePrefix`` that finds the rollback alarms of ``endpoint`` however its name
    was spelled when they were made. DescribeAlarms matches the prefix case-sensitively, as
    alarm names are (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
    while SageMaker matches endpoint names without regard to case: an alarm made for
    ``Churn`` is ``churn``'s too. So the prefix stops before the endpoint name's first letter
    (its case may differ), and :func:`stale_alarms` compares the rest."""
    cased = next((i for i, c in enumerate(endpoint) if c.lower() != c.upper()), len(endpoint))
    return f"{ALARM_PREFIX}{endpoint[:cased]}"


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


def metric_sum(
    id_: str, metric: str, dimensions: list[dict[str, str]], period: int
) -> dict[str, Any]:
    """A metric-math input: the Sum of one AWS/SageMaker metric (of a variant, or of an
    inference component: ``dimensions`` say which)."""
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


def alarm_params(
    name: str,
    description: str,
    alarm: AlarmSetting,
    dimensions: list[dict[str, str]],
    namespace: str = "AWS/SageMaker",
) -> dict[str, Any]:
    """PutMetricAlarm's parameters for one rollback alarm on the metric of ``dimensions`` (a
    variant's, or an inference component's): above the threshold, missing data not breaching;
    ModelErrorRate by metric math on the AWS/SageMaker sums."""
    params: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": description,
        "EvaluationPeriods": alarm.EvaluationPeriods,
        "Threshold": alarm.Threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    if alarm.Metric == "ModelErrorRate":
        params["Metrics"] = [
            metric_sum("errors", "InvocationModelErrors", dimensions, alarm.PeriodSeconds),
            metric_sum("invocations", "Invocations", dimensions, alarm.PeriodSeconds),
            {
                "Id": "rate",
                "Expression": "IF(invocations > 0, errors / invocations, 0)",
                "Label": "ModelErrorRate",
                "ReturnData": True,
            },
        ]
        return params
    statistic = alarm.Statistic or {**METRICS, **COMPONENT_UTILIZATION}[alarm.Metric]
    params |= {
        "Namespace": namespace,
        "MetricName": alarm.Metric,
        "Dimensions": dimensions,
        "Period": alarm.PeriodSeconds,
    }
    params["Statistic" if statistic in STATISTICS else "ExtendedStatistic"] = statistic
    return params


def alarm_requests(endpoint: str, variants: list[str], guard: Guardrails) -> list[dict[str, Any]]:
    """PutMetricAlarm's parameters for each alarm the guardrails ask for (per variant)."""
    return [
        alarm_params(
            name,
            f"{alarm_description_prefix(endpoint)}{variant}): {alarm.Metric} above "
            f"{alarm.Threshold:g}",
            alarm,
            [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ],
        )
        for variant, alarm, name in alarm_pairs(endpoint, variants, guard)
    ]


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
