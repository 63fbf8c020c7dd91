"""How an inference component scales out from zero copies, simulated: SageMaker counts an
invocation that finds no copy in the metric ``NoCapacityInvocationFailures`` (``AWS/SageMaker``,
dimension ``InferenceComponentName``); CloudWatch evaluates each alarm on that metric at the
end of its period; an alarm in ALARM runs its actions, and an Application Auto Scaling step
scaling policy among them changes the component's copy count
(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).

- The datapoint is published to the emulated CloudWatch (GetMetricStatistics shows it) and
  kept here, where the evaluation reads it.
- The evaluation is CloudWatch's for one period: the statistic of the period's datapoints
  against the threshold with the alarm's ComparisonOperator; a period with no datapoint is
  treated as ``TreatMissingData`` says
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
  Evaluations are scheduled only while datapoints arrive: the next one a period later.
- An alarm with Application Auto Scaling actions runs them at each evaluation that finds it in
  ALARM, not only when its state changes (the same page).
- A step policy's adjustment is the step whose interval holds the breach (the metric minus the
  threshold), applied as its AdjustmentType says and bounded by the target's capacities
  (https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html);
  for an inference component it is UpdateInferenceComponentRuntimeConfig, which is refused
  while the component is not InService (the next evaluation tries again).

Only this path is simulated: other alarms change state through the faults alone.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    FakeApplicationAutoscalingPolicy,
    applicationautoscaling_backends,
)
from moto.cloudwatch.models import Alarm, cloudwatch_backends
from moto.sagemaker.exceptions import ValidationError

from smdeploy.runtime.emulator.sagemaker import component_operations
from smdeploy.runtime.emulator.sagemaker.components import components_of
from smdeploy.runtime.emulator.state import EmulatorState

NAMESPACE = "AWS/SageMaker"
METRIC = "NoCapacityInvocationFailures"
DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}
STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "Sum": sum,
    "Maximum": max,
    "Minimum": min,
    "SampleCount": len,
    "Average": lambda values: sum(values) / len(values),
}


_REGISTRY: weakref.WeakKeyDictionary[EmulatorState, AlarmActions] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def alarm_actions_of(emulator: EmulatorState) -> AlarmActions:
    """The emulator's alarm actions (made on first use)."""
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(emulator)
        if found is None:
            found = _REGISTRY[emulator] = AlarmActions(emulator)
        return found


class AlarmActions:
    """The failures counted, per (account, region, component): the simulated times of each."""

    def __init__(self, emulator: EmulatorState) -> None:
        self.emulator = emulator
        self.failures: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.scheduled: set[tuple[str, str, str]] = set()  # an evaluation is due for these
        self.lock = threading.Lock()

    def no_capacity(self, account: str, region: str, component: str) -> None:
        """An invocation of ``component`` found no copy: count it, and have CloudWatch
        evaluate the alarms on the metric at the end of the period."""
        now = self.emulator.clock.now()
        cloudwatch_backends[account][region].put_metric_data(
            NAMESPACE,
            [
                {
                    "MetricName": METRIC,
                    "Value": 1,
                    "Unit": "Count",
                    "Dimensions": [{"Name": "InferenceComponentName", "Value": component}],
                    # naive UTC, as moto keeps the timestamps PutMetricData gives it
                    "Timestamp": _dt.datetime.fromtimestamp(now, _dt.UTC).replace(tzinfo=None),
                }
            ],
        )
        key = (account, region, component)
        with self.lock:
            self.failures[key].append(now)
            if key in self.scheduled:
                return
            self.scheduled.add(key)
        self.emulator.scheduler.at(
            _period_end(now), lambda: self.evaluate(key), "CloudWatch alarm evaluation"
        )

    def evaluate(self, key: tuple[str, str, str]) -> None:
        """The alarms on ``key``'s metric, evaluated for the period that ends now."""
        account, region, component = key
        now = self.emulator.clock.now()
        with self.lock:
            self.scheduled.discard(key)
        for alarm in _alarms_on(account, region, component):
            period = int(alarm.period or 60)
            with self.lock:
                values = [1.0 for t in self.failures[key] if now - period < t <= now]
            state = _state(alarm, values)
            if state is not None and state != alarm.state_value:
                alarm.update_state(
                    f"Threshold {'Crossed' if state == 'ALARM' else 'no longer crossed'} "
                    f"(simulated by smdeploy emulator): {len(values)} datapoint(s) in "
                    f"{period} s",
                    "{}",
                    state,
                )
            if alarm.state_value == "ALARM" and alarm.actions_enabled:
                for arn in alarm.alarm_actions or []:
                    self._run_policy(account, region, str(arn), values, float(alarm.threshold))
        with self.lock:
            # what no period (a day at most, PutMetricAlarm's limit) reaches any more
            self.failures[key] = [t for t in self.failures[key] if t > now - 86400]
            # while datapoints come, CloudWatch evaluates a period later again (once one
            # finds none, the alarms have their missing-data state and the run stops)
            if not any(t > now - 60 for t in self.failures[key]) or key in self.scheduled:
                return
            self.scheduled.add(key)
        self.emulator.scheduler.at(
            now + 60, lambda: self.evaluate(key), "CloudWatch alarm evaluation"
        )

    def _run_policy(
        self, account: str, region: str, arn: str, values: list[float], threshold: float
    ) -> None:
        backend = applicationautoscaling_backends[account][region]
        policy = next((p for p in backend.policies.values() if p.policy_arn == arn), None)
        if policy is None or policy.scalable_dimension != DIMENSION:
            return
        config = policy.step_scaling_policy_configuration or {}
        target = backend.targets.get(DIMENSION, {}).get(policy.resource_id)
        if target is None or not values:
            return
        name = policy.resource_id.split("/", 1)[1]
        store = components_of(self.emulator.store(account, region))
        with store.lock:
            current = store.get(name).desired
        breach = max(values) - threshold
        wanted = step_capacity(config, current, breach)
        wanted = min(max(wanted, target.min_capacity), target.max_capacity)
        if wanted == current:
            return
        try:
            component_operations.update_runtime(
                store,
                {"InferenceComponentName": name, "DesiredRuntimeConfig": {"CopyCount": wanted}},
            )
        except ValidationError as refused:  # not InService yet: the next evaluation tries
            self.emulator.logs.append(f"alarm actions: {policy.policy_name}: {refused}\n")


def _period_end(now: float, period: int = 60) -> float:
    return float(math.floor(now / period) * period + period)


def _alarms_on(account: str, region: str, component: str) -> list[Alarm]:
    """The metric alarms on ``component``'s NoCapacityInvocationFailures."""
    wanted = [("InferenceComponentName", component)]
    return [
        alarm
        for alarm in cloudwatch_backends[account][region].alarms.values()
        if alarm.namespace == NAMESPACE
        and alarm.metric_name == METRIC
        and [(d.name, d.value) for d in alarm.dimensions] == wanted
    ]


def _state(alarm: Alarm, values: list[float]) -> str | None:
    """The alarm's state after a period with ``values`` (None: unchanged)."""
    if not values:
        return {
            "notBreaching": "OK",
            "breaching": "ALARM",
            "ignore": None,
        }.get(alarm.treat_missing_data or "missing", "INSUFFICIENT_DATA")
    statistic = STATISTICS.get(alarm.statistic or "Sum", sum)
    compare = COMPARISONS.get(alarm.comparison_operator)
    if compare is None:
        return None
    return "ALARM" if compare(float(statistic(values)), float(alarm.threshold)) else "OK"


def step_capacity(config: dict[str, Any], current: int, breach: float) -> int:
    """The capacity a step policy asks for at ``breach`` (the metric above the threshold)."""
    for step in config.get("StepAdjustments") or []:
        low = step.get("MetricIntervalLowerBound")
        high = step.get("MetricIntervalUpperBound")
        if (low is None or float(low) <= breach) and (high is None or breach < float(high)):
            change = int(step["ScalingAdjustment"])
            kind = config.get("AdjustmentType", "ChangeInCapacity")
            if kind == "ExactCapacity":
                return change
            if kind == "PercentChangeInCapacity":
                delta = int(current * change / 100)
                least = int(config.get("MinAdjustmentMagnitude") or 0)
                return current + (max(abs(delta), least) * (1 if change > 0 else -1))
            return current + change
    return current


# what is read of moto's alarms and scaling policies
ALARM_ATTRIBUTES = (
    "namespace",
    "metric_name",
    "dimensions",
    "period",
    "statistic",
    "threshold",
    "comparison_operator",
    "treat_missing_data",
    "actions_enabled",
    "alarm_actions",
    "state_value",
)
POLICY_ATTRIBUTES = (
    "policy_arn",
    "resource_id",
    "scalable_dimension",
    "step_scaling_policy_configuration",
)


def reads_alarms_and_policies() -> str | None:
    """What this module reads of moto: alarms' and policies' attributes, and the backend's
    ``targets`` and ``policies``."""
    alarm = inspect.getsource(Alarm.__init__)
    policy = inspect.getsource(FakeApplicationAutoscalingPolicy.__init__)
    backend = inspect.getsource(ApplicationAutoscalingBackend.__init__)
    needed = [
        *((alarm, f"self.{name}") for name in ALARM_ATTRIBUTES),
        *((policy, f"self.{name}") for name in POLICY_ATTRIBUTES),
        (backend, "self.targets"),
        (backend, "self.policies"),
    ]
    missing = [name for source, name in needed if name not in source]
    if missing:
        return f"moto no longer keeps {', '.join(missing)}"
    return None
