"""The rollback alarms of inference components, decided from data: the CloudWatch alarm each
``Guardrails.RollbackAlarms`` setting makes for each base component it covers
(:func:`alarm_requests`), their names put in each component's
``DeploymentConfig.AutoRollbackConfiguration`` (:func:`with_component_alarms`), and those no
longer asked for after a success (:func:`stale_alarms`).

An invocation metric is a component's in ``AWS/SageMaker`` with the dimension
``InferenceComponentName``; a utilization metric, in ``/aws/sagemaker/InferenceComponents``
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html). SageMaker rolls
the component's update back when one goes into ALARM
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentDeploymentConfig.html).
"""

from __future__ import annotations

import copy
from typing import Any

from deployer.decide.guardrails import alarm_params
from deployer.request.guardrails import (
    ALARM_PREFIX,
    COMPONENT_NAMESPACE,
    COMPONENT_UTILIZATION,
    Guardrails,
    component_alarm_pairs,
)


def description_prefix(component: str) -> str:
    """How the description of each rollback alarm of ``component`` begins: the mark by which
    the clean-up knows an alarm is one of them."""
    return f"smdeploy rollback alarm of inference component {component} ("


def alarm_requests(components: list[str], guard: Guardrails) -> list[tuple[str, dict[str, Any]]]:
    """(component, PutMetricAlarm's parameters) for each alarm the guardrails ask for."""
    return [
        (
            component,
            alarm_params(
                name,
                f"{description_prefix(component)}{alarm.Metric}): above {alarm.Threshold:g}",
                alarm,
                [{"Name": "InferenceComponentName", "Value": component}],
                COMPONENT_NAMESPACE if alarm.Metric in COMPONENT_UTILIZATION else "AWS/SageMaker",
            ),
        )
        for component, alarm, name in component_alarm_pairs(components, guard)
    ]


def with_component_alarms(fields: dict[str, Any], names: dict[str, list[str]]) -> dict[str, Any]:
    """The request with each component's ``names`` added to its
    DeploymentConfig.AutoRollbackConfiguration.Alarms (after those it names itself)."""
    if not any(names.values()):
        return fields
    changed = copy.deepcopy(fields)
    for ic in changed.get("InferenceComponents") or []:
        wanted = names.get(str(ic.get("InferenceComponentName")))
        if not wanted:
            continue
        config = ic.setdefault("DeploymentConfig", {})
        rollback = config.setdefault("AutoRollbackConfiguration", {})
        have = rollback.setdefault("Alarms", [])
        known = {a.get("AlarmName") for a in have}
        have.extend({"AlarmName": n} for n in wanted if n not in known)
    return changed


def alarm_search_prefix(component: str) -> str:
    return f"{ALARM_PREFIX}{component}-"


def stale_alarms(component: str, found: list[dict[str, Any]], kept: list[str]) -> list[str]:
    """The rollback alarms of ``component`` the deployer made (their description's mark) and
    no longer needs: those ``found`` (DescribeAlarms by :func:`alarm_search_prefix`) other
    than ``kept``."""
    mark = description_prefix(component)
    keep = set(kept)
    return sorted(
        str(alarm["AlarmName"])
        for alarm in found
        if str(alarm.get("AlarmDescription") or "").startswith(mark)
        and str(alarm["AlarmName"]) not in keep
    )
