"""Deploy's decision, pure: what DescribeEndpoint said and the target config -> the one action.

:func:`plan` names the one call Deploy makes (create, update, replace a Failed endpoint the
deployer created, retag, or nothing: the endpoint already serves the config), or the retryable
error that says why not yet. :func:`tag_changes` brings the endpoint's tags to the request's;
:func:`policy_seconds` is how long the request's update policy may run. Performed by
:mod:`deployer.perform.deploy`; read by the command line's ``plan`` too.
"""

from __future__ import annotations

from typing import Any

from deployer import interface
from deployer.basemodel import Model
from deployer.errors import (
    DeployerError,
    EndpointBusy,
    EndpointConfigMissing,
    EndpointConfigNotVisible,
    EndpointNotUpdatable,
    EndpointReplacing,
)
from deployer.payloads.pieces import Action

# DescribeEndpoint's EndpointStatus values, by what they mean to a deployer.
TRANSITIONAL = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
NOT_UPDATABLE = frozenset({"Failed", "OutOfService", "Deleting"})


def same_name(a: str | None, b: str | None) -> bool:
    """SageMaker matches endpoint and endpoint-config names without regard to case."""
    return a is not None and b is not None and a.lower() == b.lower()


# How many looks (Deploy's attempts) a config Configure has just created may stay invisible
# before it counts as missing: the Retry of EndpointConfigNotVisible spaces them (3 s, doubling,
# at most 60 s apart: about 4 minutes in all), SageMaker's store shows a new config well
# within that (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html:
# "call DescribeEndpointConfig before calling CreateEndpoint").
VISIBILITY_LOOKS = 8


def config_absent(name: str, created: bool, retries: int) -> DeployerError:
    """What DescribeEndpointConfig's "not found" means for the config being deployed:
    ``created`` by this deployment's Configure (so perhaps not visible yet), after ``retries``
    earlier attempts of the Deploy state."""
    if not created:
        return EndpointConfigMissing(
            f"endpoint config {name} is missing: it was there when Configure looked, and is "
            f"gone now (deleted); deploy again to create it"
        )
    if retries + 1 < VISIBILITY_LOOKS:
        return EndpointConfigNotVisible(
            f"DescribeEndpointConfig {name}: not visible yet (eventual consistency)"
        )
    return EndpointConfigMissing(
        f"endpoint config {name} is missing: created by this deployment, it is still not found "
        f"after {retries + 1} looks over the visibility window (deleted, or never created); "
        f"deploy again to create it"
    )


class Plan(Model):
    action: Action
    reason: str
    delete_first: bool = False  # REPLACE: DeleteEndpoint now, CreateEndpoint once it is gone


def plan(
    current: dict[str, Any] | None,
    target_config: str,
    managed: bool = False,
    replacing: str | None = None,
) -> Plan:
    """What to do, given DescribeEndpoint's answer (None: no such endpoint) and the target.

    ``managed``: the endpoint carries the deployer's tag (the deployer created it).
    ``replacing``: the FailureReason of the Failed endpoint this deployment is replacing.
    """
    if current is None:
        if replacing is not None:
            return Plan(
                action=Action.REPLACE,
                reason=f"CreateEndpoint: the Failed endpoint was deleted; creating it again "
                f"(its FailureReason was: {replacing})",
            )
        return Plan(action=Action.CREATE, reason="CreateEndpoint: the endpoint does not exist yet")
    name = current["EndpointName"]
    status = current["EndpointStatus"]
    if status == "Failed" and managed:
        reason = current.get("FailureReason") or "SageMaker gave no reason"
        return Plan(
            action=Action.REPLACE,
            reason=f"DeleteEndpoint: {name} is Failed (FailureReason: {reason}) and was created "
            f"by the deployer; deleting it to create it again",
            delete_first=True,
        )
    if status == "Deleting" and replacing is not None:
        raise EndpointReplacing(f"endpoint {name} is Deleting; it is created again once gone")
    serving = current.get("EndpointConfigName")
    pending = (current.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    if status == "InService" and same_name(serving, target_config):
        return Plan(action=Action.NONE, reason=f"already deployed: {name} serves {target_config}")
    if status in TRANSITIONAL:
        rolling_out = pending or (serving if status == "Creating" else None)
        if same_name(rolling_out, target_config) and status in ("Creating", "Updating"):
            return Plan(
                action=Action.NONE,
                reason=f"{name} is already {status} with {target_config}; waiting for it",
            )
        raise EndpointBusy(
            f"endpoint {name} is {status} (config {pending or serving}); "
            f"waiting before deploying {target_config}"
        )
    if status in NOT_UPDATABLE:
        advice = (
            "SageMaker allows only DeleteEndpoint on a Failed endpoint: delete it, then deploy "
            "again"
            if status == "Failed"
            else "wait until it is gone, then deploy again"
        )
        reason = current.get("FailureReason")
        because = f" (FailureReason: {reason})" if reason else ""
        if status == "Failed":
            advice = (
                f"it was not created by the deployer (no {interface.MANAGED_TAG} tag), so the "
                f"deployer leaves it alone: {advice}"
            )
        raise EndpointNotUpdatable(f"endpoint {name} is {status}{because}; {advice}")
    return Plan(
        action=Action.UPDATE,
        reason=f"UpdateEndpoint: {name} is {status} on {serving}; updating it to {target_config}",
    )


def policy_seconds(fields: dict[str, Any]) -> int | None:
    """How long the request's update policy may run (its MaximumExecutionTimeoutInSeconds)."""
    config = fields.get("DeploymentConfig") or {}
    found = [
        int(policy["MaximumExecutionTimeoutInSeconds"])
        for policy in (config.get("BlueGreenUpdatePolicy"), config.get("RollingUpdatePolicy"))
        if isinstance(policy, dict) and "MaximumExecutionTimeoutInSeconds" in policy
    ]
    return max(found) if found else None


def tag_changes(
    current: list[dict[str, str]], desired: list[dict[str, str]], managed: bool
) -> tuple[list[dict[str, str]], list[str]]:
    """(tags to add or change, keys to remove) to bring ``current`` to ``desired``.

    Keys under ``aws:`` are AWS's and never touched. Keys the request does not name are
    removed only from an endpoint the deployer created: on an endpoint it adopted, tags set by
    others are left as they are.
    """
    have = {t["Key"]: t["Value"] for t in current if not t["Key"].startswith("aws:")}
    want = {t["Key"]: t["Value"] for t in desired}
    add = [{"Key": k, "Value": v} for k, v in want.items() if have.get(k) != v]
    remove = sorted(k for k in have if k not in want) if managed else []
    return add, remove
