"""Stage 4: read DescribeEndpoint and decide whether the deployment is done.

Success is strict: InService, AND serving the config just deployed, AND no FailureReason. A
failed UpdateEndpoint returns the endpoint to InService on its *old* config with a
FailureReason; boto3's EndpointInService waiter calls that a success, this does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from deployer.decide.plan import TRANSITIONAL, same_name
from deployer.errors import (
    DeploymentTimedOut,
    EndpointFailed,
    EndpointUpdateRollbackFailed,
    EndpointUpdateRolledBack,
)
from deployer.payloads.pieces import Action, ServingInstance
from deployer.payloads.results import Assessment

DEFAULT_DEADLINE_SECONDS = 3600


def elapsed_seconds(started: datetime, now: datetime) -> int:
    return max(0, int((now - started).total_seconds()))


def serving_instances(
    description: Mapping[str, Any], variants: Iterable[Mapping[str, Any]] = ()
) -> list[ServingInstance]:
    """The instances that serve, as DescribeEndpoint tells: for a variant with instance pools,
    each pool's InstanceType with its CurrentInstanceCount (the pools SageMaker provisioned:
    those with instances); for another, its CurrentInstanceCount, with the InstanceType of its
    config's variant when ``variants`` (the config's) names it. A serverless variant has no
    instances (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html)."""
    types = {v.get("VariantName"): v.get("InstanceType") for v in variants}
    found: list[ServingInstance] = []
    for summary in description.get("ProductionVariants") or []:
        name = summary.get("VariantName")
        pools = summary.get("InstancePools")
        if pools:
            found += [
                ServingInstance(
                    VariantName=name,
                    InstanceType=pool.get("InstanceType"),
                    CurrentInstanceCount=pool["CurrentInstanceCount"],
                )
                for pool in pools
                if pool.get("CurrentInstanceCount")
            ]
        elif summary.get("CurrentInstanceCount") is not None:
            found.append(
                ServingInstance(
                    VariantName=name,
                    InstanceType=types.get(name),
                    CurrentInstanceCount=summary["CurrentInstanceCount"],
                )
            )
    return found


def assess(
    description: dict[str, Any],
    target_config: str,
    action: Action,
    elapsed: int,
    deadline_seconds: int,
) -> Assessment:
    """Done (success), not done yet, or raise the error that says how it failed."""
    name = description["EndpointName"]
    status = description["EndpointStatus"]
    serving = description.get("EndpointConfigName")
    reason = description.get("FailureReason")

    def result(done: bool, message: str) -> Assessment:
        return Assessment(
            Done=done,
            EndpointName=name,
            EndpointArn=description["EndpointArn"],
            EndpointStatus=status,
            EndpointConfigName=serving,
            ElapsedSeconds=elapsed,
            Message=message,
            ServingInstances=serving_instances(description),
        )

    if status == "Failed":
        raise EndpointFailed(f"endpoint {name} is Failed: {reason or 'SageMaker gave no reason'}")
    if status == "UpdateRollbackFailed":
        raise EndpointUpdateRollbackFailed(
            f"endpoint {name} is UpdateRollbackFailed (the update and its rollback both failed; "
            f"it may serve a mix of configs and needs an operator): "
            f"{reason or 'SageMaker gave no reason'}"
        )
    if status in ("OutOfService", "Deleting"):
        raise EndpointFailed(
            f"endpoint {name} went {status} during the deployment"
            + (f": {reason}" if reason else "")
        )
    if status == "InService":
        on_target = same_name(serving, target_config)
        if on_target and not reason:
            return result(True, f"{name} is InService on {target_config}")
        if on_target and action is Action.NONE:
            # Nothing was deployed: the reason is left from an earlier update of the endpoint.
            return result(
                True,
                f"{name} is InService on {target_config} (its FailureReason is from an earlier "
                f"update: {reason})",
            )
        if on_target:
            raise EndpointFailed(
                f"endpoint {name} is InService on {target_config} but reports: {reason}"
            )
        if reason:
            raise EndpointUpdateRolledBack(
                f"the update of {name} to {target_config} was rolled back; it is InService on "
                f"{serving}: {reason}"
            )
        raise EndpointUpdateRolledBack(
            f"endpoint {name} is InService on {serving}, not on {target_config}, and SageMaker "
            f"gave no reason (was it rolled back or redeployed by someone else?)"
        )
    # Creating, Updating, SystemUpdating, RollingBack (which ends InService): keep waiting.
    if status not in TRANSITIONAL:
        raise EndpointFailed(f"endpoint {name} is in an unexpected status {status!r}")
    if elapsed >= deadline_seconds:
        raise DeploymentTimedOut(
            f"endpoint {name} is still {status} after {elapsed} s; the deployment deadline is "
            f"{deadline_seconds} s. The endpoint itself is left as it is."
        )
    return result(False, f"{name} is {status} ({elapsed} s elapsed)")
