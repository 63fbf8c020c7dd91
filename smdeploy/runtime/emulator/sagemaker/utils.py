"""What the SageMaker models compute from a request alone: the resource a call names, the
steps of an update, a variant's summary."""

from __future__ import annotations

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
    for member in ("ModelName", "EndpointConfigName", "EndpointName", "ResourceArn"):
        if isinstance(params.get(member), str):
            return str(params[member]).lower()
    return ""


def deployment_steps(deployment_config: dict[str, Any] | None) -> list[tuple[float, str, str]]:
    """The steps of an update, as fractions of its duration: what SageMaker reports in
    "SageMaker Endpoint Deployment State Change" events (VariantStatus: Creating,
    ActivatingTraffic, Baking, ...) for its blue/green (ALL_AT_ONCE by default, CANARY,
    LINEAR) or rolling policy. Simplified: the steps' order and names follow the policy,
    their times are spread over the emulated duration."""
    config = deployment_config or {}
    rolling = config.get("RollingUpdatePolicy")
    if rolling:
        return [
            (0.0, "Updating", "rolling update: first batch of instances"),
            (0.5, "Baking", f"waiting {rolling.get('WaitIntervalInSeconds', 0)} s per batch"),
        ]
    blue_green = config.get("BlueGreenUpdatePolicy") or {}
    routing = blue_green.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE"}
    wait = routing.get("WaitIntervalInSeconds", 0)
    bake = blue_green.get("TerminationWaitInSeconds", 0)
    steps = [(0.0, "Creating", "creating the new (green) fleet")]
    if routing.get("Type") == "CANARY":
        steps += [
            (0.5, "ActivatingTraffic", "shifting traffic to the canary capacity"),
            (0.6, "Baking", f"baking for {wait} seconds with traffic on the canary capacity"),
        ]
    elif routing.get("Type") == "LINEAR":
        steps += [
            (0.4, "ActivatingTraffic", "shifting traffic in linear steps"),
            (0.5, "Baking", f"baking for {wait} seconds between steps"),
        ]
    steps += [
        (0.8, "ActivatingTraffic", "shifting all traffic to the new fleet"),
        (0.9, "Baking", f"baking for {bake} seconds (TerminationWaitInSeconds)"),
    ]
    return steps


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
