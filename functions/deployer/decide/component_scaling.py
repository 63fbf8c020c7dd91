"""The autoscaling of inference components' copies, decided from data: a pure function of the
setting (``Guardrails.AutoScaling``), the request's base components and what Application Auto
Scaling holds now (:func:`component_plan`). :mod:`deployer.perform.component_scaling`
performs it.

Each covered component is a scalable target on ``sagemaker:inference-component:DesiredCopyCount``
with the deployer's target-tracking policy. A setting with ``MinCapacity`` 0 lets the copies
scale in to zero; nothing would then scale them out again, since target tracking needs
copies to measure, so the deployer adds what SageMaker's guide prescribes: a step scaling
policy that adds a copy, and the CloudWatch alarm on ``NoCapacityInvocationFailures`` (an
invocation that found no copy) that runs it
(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import ConfigDict

from deployer.basemodel import Model
from deployer.request.guardrails import ALARM_PREFIX, COMPONENT_DEFAULT_METRIC, ScalingSetting

NAMESPACE: Final = "sagemaker"
DIMENSION: Final = "sagemaker:inference-component:DesiredCopyCount"
# the step scaling policy that scales out from zero: one copy more while the alarm is in
# ALARM (the guide's configuration)
FROM_ZERO: Final[dict[str, Any]] = {
    "AdjustmentType": "ChangeInCapacity",
    "MetricAggregationType": "Maximum",
    "Cooldown": 60,
    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
}
NO_CAPACITY_METRIC: Final = "NoCapacityInvocationFailures"


def resource_id(component: str) -> str:
    """An inference component's scalable target: ``inference-component/<name>``."""
    return f"inference-component/{component}"


def policy_name(component: str) -> str:
    return f"{ALARM_PREFIX}{component}-target-tracking"[:256]


def from_zero_policy_name(component: str) -> str:
    return f"{ALARM_PREFIX}{component}-scale-out-from-zero"[:256]


def from_zero_alarm_name(component: str) -> str:
    return f"{ALARM_PREFIX}{component}-{NO_CAPACITY_METRIC}"[:255]


def from_zero_alarm(component: str, policy_arn: str) -> dict[str, Any]:
    """PutMetricAlarm's parameters for the alarm that runs the step policy ``policy_arn``: an
    invocation of ``component`` that found no copy, within a minute."""
    return {
        "AlarmName": from_zero_alarm_name(component),
        "AlarmDescription": (
            f"smdeploy: scales {component} out from zero copies when an invocation finds none"
        ),
        "Namespace": "AWS/SageMaker",
        "MetricName": NO_CAPACITY_METRIC,
        "Dimensions": [{"Name": "InferenceComponentName", "Value": component}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "missing",
        "AlarmActions": [policy_arn],
    }


class ComponentTarget(Model):
    """A component's scalable target as found: its capacities, and the deployer's policies on
    it (the target-tracking configuration, and whether the step policy from zero is there)."""

    model_config = ConfigDict(frozen=True)

    MinCapacity: int
    MaxCapacity: int
    Tracking: dict[str, Any] | None = None
    FromZero: bool = False


class ComponentScalingPlan(Model):
    """What to do to the components' autoscaling after an outcome."""

    model_config = ConfigDict(frozen=True)

    Register: dict[str, tuple[int, int]]  # component -> (min, max), registered (again)
    Tracking: list[str]  # components whose target-tracking policy is put
    FromZero: list[str]  # components given the step policy and alarm from zero
    DropFromZero: list[str]  # components whose step policy and alarm are removed
    Deregister: list[str]  # components the deployer scaled that the setting no longer covers


def component_plan(
    setting: ScalingSetting | None,
    bases: list[str],
    found: dict[str, ComponentTarget],
    succeeded: bool,
) -> ComponentScalingPlan:
    """Bring the base components' autoscaling to ``setting``.

    ``found``: component -> its scalable target now. Unchanged settings change nothing. A
    target the deployer did not make (no policy of its own on it: someone's autoscaling of
    their own) is never touched unless the setting covers it. After a failure
    (``succeeded`` false) nothing is deregistered."""
    want: dict[str, tuple[int, int]] = {}
    if setting is not None:
        want = {
            name: (setting.MinCapacity, setting.MaxCapacity)
            for name in bases
            if setting.covers_component(name)
        }
    register = {
        name: span
        for name, span in want.items()
        if name not in found or (found[name].MinCapacity, found[name].MaxCapacity) != span
    }
    wanted = setting.policy_configuration(COMPONENT_DEFAULT_METRIC) if setting else None
    tracking = sorted(
        name
        for name in want
        if name in register or not _same(found[name].Tracking if name in found else None, wanted)
    )
    from_zero = sorted(
        name
        for name, (low, _) in want.items()
        if low == 0 and (name in register or not found[name].FromZero)
    )
    drop = sorted(
        name
        for name, (low, _) in want.items()
        if low > 0 and name in found and found[name].FromZero
    )
    deregister = (
        sorted(
            name
            for name, target in found.items()
            if name not in want and (target.Tracking is not None or target.FromZero)
        )
        if succeeded
        else []
    )
    return ComponentScalingPlan(
        Register=register,
        Tracking=tracking,
        FromZero=from_zero,
        DropFromZero=drop,
        Deregister=deregister,
    )


def _same(have: dict[str, Any] | None, want: dict[str, Any] | None) -> bool:
    if have is None or want is None:
        return have is want
    return all(have.get(k) == v for k, v in want.items())
