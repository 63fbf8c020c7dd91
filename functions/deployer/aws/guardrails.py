"""The guardrails' AWS calls: Application Auto Scaling, CloudWatch alarms, and InvokeEndpoint
(sagemaker-runtime). The only module that calls them, and the only one that reads their
``ClientError``: throttling becomes :class:`~deployer.errors.GuardrailThrottled` (retried by
the state machine), anything else :class:`~deployer.errors.GuardrailCallFailed` naming the
call, or is an answer (an InvokeEndpoint refusal is the smoke test's result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import ClientError

from deployer.aws.sagemaker import THROTTLING_CODES, pages
from deployer.decide import guardrails
from deployer.errors import GuardrailCallFailed, GuardrailThrottled
from deployer.observability import tracer
from deployer.request.guardrails import SmokeTestSetting

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient

# what InvokeEndpoint's answer shows of itself in a report
SHOWN_BODY = 500


def fail_call(operation: str, error: ClientError) -> NoReturn:
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "")), str(details.get("Message", ""))
    if code in THROTTLING_CODES:
        raise GuardrailThrottled(f"{operation}: throttled ({code}: {message})") from error
    raise GuardrailCallFailed(f"{operation}: {code}: {message}") from error


def not_found(error: ClientError) -> bool:
    """Whether the scalable target or policy a delete or deregister names is not there:
    ObjectNotFoundException (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html,
    https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScalingPolicy.html)."""
    return bool(error.response.get("Error", {}).get("Code") == "ObjectNotFoundException")


@dataclass(frozen=True)
class Answer:
    """InvokeEndpoint's answer: the status (200, or the model's own status in a ModelError,
    or the HTTP status of a refusal), the body (or SageMaker's message) and the error code."""

    status: int
    body: str
    error: str | None = None

    def shown(self) -> str:
        body = self.body if len(self.body) <= SHOWN_BODY else self.body[:SHOWN_BODY] + "..."
        return f"{self.error}: {body}" if self.error else body


class ScalingGateway:
    """The endpoint's scalable targets and their target-tracking policies."""

    def __init__(self, client: ApplicationAutoScalingClient) -> None:
        self._client = client

    @tracer.capture_method
    def targets(self, endpoint: str) -> dict[str, tuple[int, int]]:
        """Variant -> (min, max) of the endpoint's registered scalable targets."""
        prefix = f"endpoint/{endpoint}/variant/"
        found: dict[str, tuple[int, int]] = {}
        try:
            listed = pages(
                lambda **token: self._client.describe_scalable_targets(
                    ServiceNamespace=guardrails.NAMESPACE,
                    ScalableDimension=guardrails.DIMENSION,
                    **token,
                )
            )
            for page in listed:
                for target in page["ScalableTargets"]:
                    rid = target["ResourceId"]
                    if rid.lower().startswith(prefix.lower()):
                        found[rid[len(prefix) :]] = (target["MinCapacity"], target["MaxCapacity"])
        except ClientError as error:
            fail_call("DescribeScalableTargets", error)
        return found

    @tracer.capture_method
    def registered(self, resource_id: str, dimension: str) -> bool:
        """Whether ``resource_id`` is a scalable target on ``dimension``."""
        try:
            answer = self._client.describe_scalable_targets(
                ServiceNamespace=guardrails.NAMESPACE,
                ResourceIds=[resource_id],
                ScalableDimension=dimension,  # type: ignore[arg-type]
            )
        except ClientError as error:
            fail_call("DescribeScalableTargets", error)
        return bool(answer["ScalableTargets"])

    @tracer.capture_method
    def policies(self, endpoint: str, variants: list[str]) -> dict[str, dict[str, Any]]:
        """Variant -> the target-tracking configuration of the deployer's policy on it."""
        found: dict[str, dict[str, Any]] = {}
        for variant in variants:
            try:
                answer = self._client.describe_scaling_policies(
                    ServiceNamespace=guardrails.NAMESPACE,
                    ResourceId=guardrails.resource_id(endpoint, variant),
                    ScalableDimension=guardrails.DIMENSION,
                    PolicyNames=[guardrails.policy_name(endpoint, variant)],
                )
            except ClientError as error:
                fail_call("DescribeScalingPolicies", error)
            for policy in answer["ScalingPolicies"]:
                config = policy.get("TargetTrackingScalingPolicyConfiguration")
                if config is not None:
                    found[variant] = dict(config)
        return found

    @tracer.capture_method
    def register(self, endpoint: str, variant: str, low: int, high: int) -> None:
        """RegisterScalableTarget (idempotent: registering again updates min and max)."""
        try:
            self._client.register_scalable_target(
                ServiceNamespace=guardrails.NAMESPACE,
                ResourceId=guardrails.resource_id(endpoint, variant),
                ScalableDimension=guardrails.DIMENSION,
                MinCapacity=low,
                MaxCapacity=high,
            )
        except ClientError as error:
            fail_call("RegisterScalableTarget", error)

    @tracer.capture_method
    def put_policy(self, endpoint: str, variant: str, configuration: dict[str, Any]) -> None:
        try:
            self._client.put_scaling_policy(
                PolicyName=guardrails.policy_name(endpoint, variant),
                ServiceNamespace=guardrails.NAMESPACE,
                ResourceId=guardrails.resource_id(endpoint, variant),
                ScalableDimension=guardrails.DIMENSION,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=configuration,  # type: ignore[arg-type]
            )
        except ClientError as error:
            fail_call("PutScalingPolicy", error)

    @tracer.capture_method
    def deregister(self, endpoint: str, variant: str) -> None:
        """Delete the variant's scaling policies, then deregister it, as the SageMaker guide
        says; a target already gone is what was wanted."""
        rid = guardrails.resource_id(endpoint, variant)
        try:
            answer = self._client.describe_scaling_policies(
                ServiceNamespace=guardrails.NAMESPACE,
                ResourceId=rid,
                ScalableDimension=guardrails.DIMENSION,
            )
            for policy in answer["ScalingPolicies"]:
                self._client.delete_scaling_policy(
                    PolicyName=policy["PolicyName"],
                    ServiceNamespace=guardrails.NAMESPACE,
                    ResourceId=rid,
                    ScalableDimension=guardrails.DIMENSION,
                )
            self._client.deregister_scalable_target(
                ServiceNamespace=guardrails.NAMESPACE,
                ResourceId=rid,
                ScalableDimension=guardrails.DIMENSION,
            )
        except ClientError as error:
            if not not_found(error):
                fail_call("DeregisterScalableTarget", error)


class AlarmGateway:
    """The rollback alarms. ``client`` gives the CloudWatch client, asked for at the first
    call: in Prepare only when the request asks for an alarm; in Scale, after a success, for
    the one DescribeAlarms of the clean-up (an alarm switched off is found only by looking)."""

    def __init__(self, client: Callable[[], CloudWatchClient]) -> None:
        self._client = client

    @tracer.capture_method
    def put(self, params: dict[str, Any]) -> None:
        """PutMetricAlarm: creates the alarm, or updates the one of that name."""
        try:
            self._client().put_metric_alarm(**params)
        except ClientError as error:
            fail_call("PutMetricAlarm", error)

    @tracer.capture_method
    def named(self, prefix: str) -> list[dict[str, Any]]:
        """DescribeAlarms: the metric alarms whose names begin with ``prefix``."""
        try:
            return [
                dict(alarm)
                for page in pages(
                    lambda **token: self._client().describe_alarms(
                        AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"], **token
                    )
                )
                for alarm in page.get("MetricAlarms", [])
            ]
        except ClientError as error:
            fail_call("DescribeAlarms", error)

    @tracer.capture_method
    def delete(self, names: list[str]) -> None:
        """DeleteAlarms, at most 100 names a call (its limit)."""
        try:
            for start in range(0, len(names), 100):
                self._client().delete_alarms(AlarmNames=names[start : start + 100])
        except ClientError as error:
            fail_call("DeleteAlarms", error)


class InvokeGateway:
    """The smoke test's InvokeEndpoint. ``client`` gives the sagemaker-runtime client, asked
    for only when a variant or component is invoked (a request without a smoke test invokes
    none)."""

    def __init__(self, client: Callable[[], SageMakerRuntimeClient]) -> None:
        self._client = client

    @tracer.capture_method
    def invoke(
        self, endpoint: str, variant: str, test: SmokeTestSetting, component: str | None = None
    ) -> Answer:
        """InvokeEndpoint of ``variant`` (TargetVariant), or of the inference ``component``
        (InferenceComponentName: an endpoint for inference components is invoked by one)."""
        target = {"InferenceComponentName": component} if component else {"TargetVariant": variant}
        params: dict[str, Any] = {
            "EndpointName": endpoint,
            **target,
            "ContentType": test.ContentType,
            "Body": test.body_bytes(),
        }
        if test.Accept is not None:
            params["Accept"] = test.Accept
        try:
            answer = self._client().invoke_endpoint(**params)
        except ClientError as error:
            details = error.response.get("Error", {})
            code = str(details.get("Code", ""))
            if code in THROTTLING_CODES:
                fail_call("InvokeEndpoint", error)
            body: dict[str, Any] = dict(error.response)
            status = int(
                body.get("OriginalStatusCode")
                or body.get("ResponseMetadata", {}).get("HTTPStatusCode")
                or 0
            )
            message = str(body.get("OriginalMessage") or details.get("Message", ""))
            return Answer(status=status, body=message, error=code)
        return Answer(status=200, body=answer["Body"].read().decode(errors="replace"))
