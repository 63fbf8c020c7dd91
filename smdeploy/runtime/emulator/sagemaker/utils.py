"""What the SageMaker models compute from a request alone: the resource a call names, the
steps of an update, a variant's summary."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any, Protocol

from moto.sagemaker.exceptions import ValidationError

MAX_TAGS = 50  # per SageMaker resource


class Endpoint(Protocol):
    """What an endpoint event says of the endpoint."""

    name: str
    arn: str
    created: float
    tags: list[dict[str, str]]


def resource_of(params: dict[str, Any]) -> str:
    """The resource a SageMaker call names (SageMaker compares names without case)."""
    names = ("InferenceComponentName", "ModelName", "EndpointConfigName", "EndpointName")
    for member in (*names, "ResourceArn"):
        if isinstance(params.get(member), str):
            return str(params[member]).lower()
    return ""


@dataclass(frozen=True)
class Step:
    """One step of an update, ``at`` seconds after UpdateEndpoint: the VariantStatus
    SageMaker reports (Creating, ActivatingTraffic, Baking) and its message."""

    at: float
    status: str
    message: str


def _shifts(size: dict[str, Any] | None, instances: int) -> int:
    """How many traffic shifts (or rolling batches) ``size`` (a CapacitySize: INSTANCE_COUNT
    or CAPACITY_PERCENT of the new fleet) takes to move every instance."""
    if not size:
        return 1
    value = max(1, int(size.get("Value", 1)))
    if size.get("Type") == "CAPACITY_PERCENT":
        return math.ceil(100 / min(value, 100))
    return max(1, math.ceil(instances / value))


def _shifted(kind: str, shift: int, shifts: int) -> str:
    """What a blue/green policy's ``shift``-th traffic shift (of ``shifts``) moves."""
    if kind == "CANARY":
        return "the canary's traffic" if shift == 1 else "the rest of the traffic"
    if kind == "LINEAR":
        return f"traffic step {shift} of {shifts}"
    return "all traffic"


def update_timeline(
    deployment_config: dict[str, Any] | None, variants: list[dict[str, Any]], provisioning: float
) -> tuple[list[Step], float]:
    """The steps of an update and its whole duration, as SageMaker documents each policy, with
    ``provisioning`` seconds to bring up new instances and every wait the policy names:

    - blue/green (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html):
      the new (green) fleet is created, then traffic shifts to it all at once (ALL_AT_ONCE,
      the default), a canary first and the rest after ``WaitIntervalInSeconds`` (CANARY), or
      in steps of ``LinearStepSize`` each ``WaitIntervalInSeconds`` apart (LINEAR); after the
      last shift, the fleet bakes ``TerminationWaitInSeconds`` before the old one goes;
    - rolling (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-rolling.html):
      batches of ``MaximumBatchSize``, each provisioned, given its traffic, then baked
      ``WaitIntervalInSeconds``.

    A traffic shift itself takes no time here; each step starts when the one before it ends.
    """
    config = deployment_config or {}
    instances = sum(int(v.get("InitialInstanceCount", 1)) for v in variants) or 1
    rolling = config.get("RollingUpdatePolicy")
    if rolling:
        batches = _shifts(rolling.get("MaximumBatchSize"), instances)
        wait = float(rolling.get("WaitIntervalInSeconds", 0))
        steps, now = [], 0.0
        for batch in range(1, batches + 1):
            steps += [
                Step(now, "Creating", f"provisioning batch {batch} of {batches}"),
                Step(
                    now + provisioning, "ActivatingTraffic", f"shifting batch {batch} of {batches}"
                ),
                Step(
                    now + provisioning,
                    "Baking",
                    f"Baking for {wait:g} seconds (WaitIntervalInSeconds), batch {batch}",
                ),
            ]
            now += provisioning + wait
        return steps, now
    blue_green = config.get("BlueGreenUpdatePolicy") or {}
    routing = blue_green.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE"}
    kind = routing.get("Type", "ALL_AT_ONCE")
    wait = float(routing.get("WaitIntervalInSeconds", 0))
    bake = float(blue_green.get("TerminationWaitInSeconds", 0))
    shifts = {"CANARY": 2, "LINEAR": _shifts(routing.get("LinearStepSize"), instances)}.get(kind, 1)
    steps, now = [Step(0.0, "Creating", "creating the new (green) fleet")], provisioning
    for shift in range(1, shifts + 1):
        last = shift == shifts
        baking = bake if last else wait
        field = "TerminationWaitInSeconds" if last else "WaitIntervalInSeconds"
        steps += [
            Step(
                now,
                "ActivatingTraffic",
                f"shifting {_shifted(kind, shift, shifts)} to the new fleet",
            ),
            Step(now, "Baking", f"Baking for {baking:g} seconds ({field})"),
        ]
        now += baking
    return steps, now


def variant_summary(variant: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    if "InitialInstanceCount" in variant:
        summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = variant[
            "InitialInstanceCount"
        ]
    pools = sorted(variant.get("InstancePools") or [], key=lambda pool: pool.get("Priority", 0))
    if pools and "InitialInstanceCount" in variant:
        # capacity is always there: every instance is of the highest-priority type (priority
        # 1), which SageMaker tries first
        # (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-heterogeneous.html)
        count = variant["InitialInstanceCount"]
        summary["InstancePools"] = [
            {"InstanceType": pool["InstanceType"], "CurrentInstanceCount": count if i == 0 else 0}
            for i, pool in enumerate(pools)
        ]
    weight = variant.get("InitialVariantWeight", 1.0)
    summary["CurrentWeight"] = summary["DesiredWeight"] = weight
    if "ServerlessConfig" in variant:
        summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant[
            "ServerlessConfig"
        ]
    # an endpoint for inference components describes its variants' managed instance scaling
    # and routing as configured (ProductionVariantSummary;
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html)
    for member in ("ManagedInstanceScaling", "RoutingConfig"):
        if variant.get(member):
            summary[member] = variant[member]
    return summary


def event_detail(
    endpoint: Endpoint, config_name: str, config: dict[str, Any], now: float
) -> dict[str, Any]:
    """The detail of a SageMaker endpoint event: the endpoint, and the config named."""
    return {
        "EndpointName": endpoint.name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": config_name,
        "ProductionVariants": [
            {
                "VariantName": v["VariantName"],
                "DesiredWeight": float(v.get("InitialVariantWeight", 1.0)),
                "DesiredInstanceCount": float(v.get("InitialInstanceCount", 0)),
            }
            for v in config.get("ProductionVariants", [])
        ],
        "CreationTime": endpoint.created * 1000,  # epoch milliseconds, as the events
        "LastModifiedTime": now * 1000,
        "Tags": {t["Key"]: t.get("Value", "") for t in endpoint.tags},
    }


def pending_summary(
    config_name: str,
    started_at: float,
    variants: list[dict[str, Any]],
    step: tuple[str, str],
    now: float,
) -> dict[str, Any]:
    """An update's PendingDeploymentSummary at one of its steps (status, message)."""
    variant_status, message = step
    return {
        "EndpointConfigName": config_name,
        "StartTime": started_at * 1000,
        "ProductionVariants": [
            dict(
                variant,
                VariantStatus=[
                    {"Status": variant_status, "StatusMessage": message, "StartTime": now * 1000}
                ],
            )
            for variant in variants
        ],
    }


def pending_described(change: Any, variants: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """DescribeEndpoint's PendingDeploymentSummary during an update (``change``): each new
    variant with the step the update is at (its Endpoint Deployment State Change events say
    the same), once the first step has begun."""
    at = [s for s in change.steps if change.started_at + s.at <= now]
    status = [
        {
            "Status": step.status,
            "StatusMessage": step.message,
            "StartTime": _timestamp(change.started_at + step.at),
        }
        for step in at[-1:]
    ]
    return {
        "EndpointConfigName": change.config_name,
        "ProductionVariants": [dict(v, VariantStatus=status) if status else v for v in variants],
        "StartTime": _timestamp(change.started_at),
    }


def _timestamp(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def merged_tags(
    arn: str, current: list[dict[str, str]], tags: list[dict[str, str]]
) -> list[dict[str, str]]:
    """``current`` with ``tags`` added or overwritten (at most 50 on a resource)."""
    merged = {tag["Key"]: tag.get("Value", "") for tag in current}
    merged.update({tag["Key"]: tag.get("Value", "") for tag in tags})
    if len(merged) > MAX_TAGS:
        raise ValidationError(
            f"Resource {arn} would have {len(merged)} tags; at most {MAX_TAGS} are allowed."
        )
    return [{"Key": key, "Value": value} for key, value in merged.items()]
