"""Guardrails a profile (or a direct request) can switch on: autoscaling that survives
updates, rollback alarms made for you, and a smoke test before success: the key and its settings.

They live under one smdeploy key, ``Guardrails``, beside the SageMaker fields of a request
or a profile (SageMaker never sees it)::

    "Guardrails": {
      "AutoScaling": {"MinCapacity": 1, "MaxCapacity": 4, "TargetValue": 100},
      "RollbackAlarms": [{"Metric": "Invocation5XXErrors", "Threshold": 5}],
      "SmokeTest": {"ContentType": "application/json", "Body": {"instances": [[1, 2]]}}
    }

This module reads the key into its settings (:func:`settings`) and names the alarms they
make; :mod:`deployer.request.guardrails_check` checks it (every problem named by its path, rule
and value, like the rest of the request). The decisions made from the settings are
:mod:`deployer.decide.guardrails`'s; :mod:`deployer.perform.guardrails` performs them.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ConfigDict

from deployer import interface
from deployer.basemodel import Model

FIELD = interface.GUARDRAILS_FIELD
# Every alarm the deployer makes starts with this (IAM scopes the deployer's alarm rights to
# it, followed by the deployer's name prefix): smdeploy-<endpoint>-<variant>-<metric>.
ALARM_PREFIX = interface.GUARDRAIL_PREFIX

DEFAULT_METRIC = "SageMakerVariantInvocationsPerInstance"
PREDEFINED_METRICS = (
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
)
# An inference component scales its copies (sagemaker:inference-component:DesiredCopyCount),
# on its own predefined metrics
# (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html).
COMPONENT_DEFAULT_METRIC = "SageMakerInferenceComponentInvocationsPerCopy"
COMPONENT_PREDEFINED_METRICS = (
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
)
DEFAULT_SCALE_IN_COOLDOWN = 300
DEFAULT_SCALE_OUT_COOLDOWN = 300


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
# An inference component's invocation metrics are the same, in AWS/SageMaker with the
# dimension InferenceComponentName; its utilization metrics are in a namespace of their own
# (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html,
# https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch-enhanced-metrics.html).
COMPONENT_NAMESPACE = "/aws/sagemaker/InferenceComponents"
COMPONENT_UTILIZATION: dict[str, str] = {
    "CPUUtilizationNormalized": "Average",
    "MemoryUtilizationNormalized": "Average",
    "GPUUtilizationNormalized": "Average",
    "GPUMemoryUtilizationNormalized": "Average",
}
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
MAX_ROLLBACK_ALARMS = 10  # DeploymentConfig.AutoRollbackConfiguration.Alarms
MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's payload limit


# --- the settings ------------------------------------------------------------------------


class ScalingSetting(Model):
    model_config = ConfigDict(frozen=True)

    Variants: tuple[str, ...] | None = None  # None: every instance-based production variant
    # an endpoint for inference components: None, every base IC of the request (an adapter
    # runs on its base's copies and has none of its own)
    InferenceComponents: tuple[str, ...] | None = None
    MinCapacity: int
    MaxCapacity: int
    TargetValue: float
    PredefinedMetricType: str | None = None
    CustomizedMetricSpecification: dict[str, Any] | None = None
    ScaleInCooldown: int = DEFAULT_SCALE_IN_COOLDOWN
    ScaleOutCooldown: int = DEFAULT_SCALE_OUT_COOLDOWN

    def covers(self, variant: str) -> bool:
        return self.Variants is None or variant in self.Variants

    def covers_component(self, name: str) -> bool:
        return self.InferenceComponents is None or name in self.InferenceComponents

    def policy_configuration(self, default_metric: str = DEFAULT_METRIC) -> dict[str, Any]:
        """PutScalingPolicy's TargetTrackingScalingPolicyConfiguration (``default_metric``
        when the setting names none: a variant's, or an inference component's)."""
        config: dict[str, Any] = {
            "TargetValue": self.TargetValue,
            "ScaleInCooldown": self.ScaleInCooldown,
            "ScaleOutCooldown": self.ScaleOutCooldown,
        }
        if self.CustomizedMetricSpecification is not None:
            config["CustomizedMetricSpecification"] = self.CustomizedMetricSpecification
        else:
            config["PredefinedMetricSpecification"] = {
                "PredefinedMetricType": self.PredefinedMetricType or default_metric
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
    # an endpoint for inference components: None, every base IC of the request
    InferenceComponents: tuple[str, ...] | None = None


class SmokeTestSetting(Model):
    model_config = ConfigDict(frozen=True)

    Body: Any
    ContentType: str = "application/json"
    Accept: str | None = None
    ExpectStatus: int = 200
    ExpectJsonPath: str | None = None

    def body_bytes(self) -> bytes:
        return smoke_body_bytes(self.Body)


def smoke_body_bytes(body: Any) -> bytes:
    """What InvokeEndpoint sends of a smoke test's Body: text as it is, any other JSON value
    as JSON."""
    return (body if isinstance(body, str) else json.dumps(body)).encode()


class Guardrails(Model):
    model_config = ConfigDict(frozen=True)

    AutoScaling: ScalingSetting | None = None
    RollbackAlarms: tuple[AlarmSetting, ...] = ()
    SmokeTest: SmokeTestSetting | None = None


def settings(fields: dict[str, Any]) -> Guardrails:
    """The request's guardrails (checked by :func:`violations` first)."""
    return Guardrails.model_validate(fields.get(FIELD) or {})


# --- the alarms' names -------------------------------------------------------------------


def alarm_name(endpoint: str, variant: str, metric: str) -> str:
    return f"{alarm_name_prefix(endpoint)}{variant}-{metric}"[:255]


def alarm_name_prefix(endpoint: str) -> str:
    """How the names of the rollback alarms of ``endpoint`` begin (and of another endpoint
    whose name begins with this one's and a hyphen: :func:`stale_alarms` tells them apart)."""
    return f"{ALARM_PREFIX}{endpoint}-"


def alarm_pairs(
    endpoint: str, variants: list[str], guard: Guardrails
) -> list[tuple[str, AlarmSetting, str]]:
    return [
        (variant, alarm, alarm_name(endpoint, variant, alarm.Metric))
        for alarm in guard.RollbackAlarms
        for variant in variants
        if alarm.Variants is None or variant in alarm.Variants
    ]


def alarm_names(endpoint: str, variants: list[str], guard: Guardrails) -> list[str]:
    return list(dict.fromkeys(name for _, _, name in alarm_pairs(endpoint, variants, guard)))


# --- the alarms of inference components ---------------------------------------------------


def component_alarm_name(component: str, metric: str) -> str:
    return f"{ALARM_PREFIX}{component}-{metric}"[:255]


def component_alarm_pairs(
    components: list[str], guard: Guardrails
) -> list[tuple[str, AlarmSetting, str]]:
    """(component, alarm, its name) for each alarm and each base component it covers."""
    return [
        (component, alarm, component_alarm_name(component, alarm.Metric))
        for alarm in guard.RollbackAlarms
        for component in components
        if alarm.InferenceComponents is None or component in alarm.InferenceComponents
    ]
