"""The inference components' autoscaling: Application Auto Scaling of their copy counts, and
the alarm that scales one out from zero (:mod:`deployer.decide.component_scaling` decides).
Errors are translated as the other guardrails' calls are
(:func:`deployer.aws.guardrails.fail_call`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from deployer.aws.guardrails import fail_call, not_found
from deployer.aws.sagemaker import pages
from deployer.decide import component_scaling as decide
from deployer.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient

_KEYS: dict[str, Any] = {
    "ServiceNamespace": decide.NAMESPACE,
    "ScalableDimension": decide.DIMENSION,
}


class ComponentScalingGateway:
    """The scalable targets of inference components, their policies, and the alarms from
    zero. ``alarms`` gives the CloudWatch client, asked for only when an alarm is put or
    deleted."""

    def __init__(
        self, client: ApplicationAutoScalingClient, alarms: Callable[[], CloudWatchClient]
    ) -> None:
        self._client = client
        self._alarms = alarms

    @tracer.capture_method
    def found(self, components: list[str]) -> dict[str, decide.ComponentTarget]:
        """Component -> its scalable target, with the deployer's policies on it."""
        if not components:
            return {}
        ids = {decide.resource_id(name): name for name in components}
        found: dict[str, decide.ComponentTarget] = {}
        try:
            for page in pages(
                lambda **token: self._client.describe_scalable_targets(
                    ResourceIds=list(ids), **_KEYS, **token
                )
            ):
                for target in page["ScalableTargets"]:
                    name = ids.get(target["ResourceId"])
                    if name is not None:
                        found[name] = self._with_policies(
                            name, target["MinCapacity"], target["MaxCapacity"]
                        )
        except ClientError as error:
            fail_call("DescribeScalableTargets", error)
        return found

    def _with_policies(self, name: str, low: int, high: int) -> decide.ComponentTarget:
        answer = self._client.describe_scaling_policies(
            ResourceId=decide.resource_id(name),
            PolicyNames=[decide.policy_name(name), decide.from_zero_policy_name(name)],
            **_KEYS,
        )
        policies: dict[str, dict[str, Any]] = {
            p["PolicyName"]: dict(p) for p in answer["ScalingPolicies"]
        }
        tracking = (policies.get(decide.policy_name(name)) or {}).get(
            "TargetTrackingScalingPolicyConfiguration"
        )
        return decide.ComponentTarget(
            MinCapacity=low,
            MaxCapacity=high,
            Tracking=dict(tracking) if tracking is not None else None,
            FromZero=decide.from_zero_policy_name(name) in policies,
        )

    @tracer.capture_method
    def register(self, name: str, low: int, high: int) -> None:
        """RegisterScalableTarget (registering again updates min and max)."""
        try:
            self._client.register_scalable_target(
                ResourceId=decide.resource_id(name), MinCapacity=low, MaxCapacity=high, **_KEYS
            )
        except ClientError as error:
            fail_call("RegisterScalableTarget", error)

    @tracer.capture_method
    def put_tracking(self, name: str, configuration: dict[str, Any]) -> None:
        try:
            self._client.put_scaling_policy(
                PolicyName=decide.policy_name(name),
                ResourceId=decide.resource_id(name),
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=configuration,  # type: ignore[arg-type]
                **_KEYS,
            )
        except ClientError as error:
            fail_call("PutScalingPolicy", error)

    @tracer.capture_method
    def put_from_zero(self, name: str) -> None:
        """The step policy that adds a copy, then the alarm that runs it."""
        try:
            answer = self._client.put_scaling_policy(
                PolicyName=decide.from_zero_policy_name(name),
                ResourceId=decide.resource_id(name),
                PolicyType="StepScaling",
                StepScalingPolicyConfiguration=decide.FROM_ZERO,  # type: ignore[arg-type]
                **_KEYS,
            )
        except ClientError as error:
            fail_call("PutScalingPolicy", error)
        try:
            self._alarms().put_metric_alarm(**decide.from_zero_alarm(name, answer["PolicyARN"]))
        except ClientError as error:
            fail_call("PutMetricAlarm", error)

    def _delete_alarm(self, name: str) -> None:
        """DeleteAlarms of the alarm from zero (an alarm that does not exist is no error)."""
        try:
            self._alarms().delete_alarms(AlarmNames=[decide.from_zero_alarm_name(name)])
        except ClientError as error:
            fail_call("DeleteAlarms", error)

    @tracer.capture_method
    def drop_from_zero(self, name: str) -> None:
        """The alarm from zero, then its step policy, deleted (a policy gone already is what
        was wanted)."""
        self._delete_alarm(name)
        try:
            self._client.delete_scaling_policy(
                PolicyName=decide.from_zero_policy_name(name),
                ResourceId=decide.resource_id(name),
                **_KEYS,
            )
        except ClientError as error:
            if not not_found(error):
                fail_call("DeleteScalingPolicy", error)

    @tracer.capture_method
    def deregister(self, name: str) -> None:
        """The alarm from zero deleted, then the target deregistered, which deletes its
        policies (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html)."""
        self._delete_alarm(name)
        try:
            self._client.deregister_scalable_target(ResourceId=decide.resource_id(name), **_KEYS)
        except ClientError as error:
            if not not_found(error):
                fail_call("DeregisterScalableTarget", error)
