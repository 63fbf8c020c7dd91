"""Stage 3: create the endpoint, or update it, or recognise that it already serves the config.

Deciding is kept apart from doing: :func:`plan` is a pure function of what DescribeEndpoint
said and the target config; :func:`deploy` reads, plans and performs the one call the plan
names. Transient conditions raise retryable errors that the state machine retries.

Right before the one call that changes the endpoint, the deployment asks its lease
(:class:`Rollout`) whether it may still go on: a newer deployment waiting for the endpoint
makes this one yield (``SUPERSEDED``), having created nothing more. A Failed endpoint that the
deployer created (it carries ``contract.MANAGED_TAG``) never served: it is deleted and created
again (``REPLACE``). The request's ``Tags`` are desired state: a change of tags alone is
applied to the endpoint (``RETAG``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from deployer import interface
from deployer.aws.sagemaker import SageMakerGateway
from deployer.basemodel import Model
from deployer.decide.lease import Claim
from deployer.errors import (
    DeployerError,
    EndpointBusy,
    EndpointConfigMissing,
    EndpointConfigNotVisible,
    EndpointNotUpdatable,
    EndpointReplacing,
)
from deployer.observability import logger, tracer
from deployer.payloads import Action, DeployResult
from deployer.perform.configure import marked

# Only named in signatures: the request's module (the validator and its rules) is loaded
# by the functions that read a request, not by those that only need this module's names.
if TYPE_CHECKING:
    from deployer.request.deployment import DeploymentRequest

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


class Rollout(Protocol):
    """This deployment's lease on the endpoint, as the Deploy stage sees it."""

    def replacing(self) -> str | None:
        """The FailureReason of the Failed endpoint being replaced, if one is."""

    def begin(self, replacing: str | None) -> Claim | None:
        """Mark the rollout as started (recording ``replacing``), unless a newer deployment is
        waiting: then return its claim, and this deployment has let the endpoint go."""


def policy_seconds(fields: dict[str, Any]) -> int | None:
    """How long the request's update policy may run (its MaximumExecutionTimeoutInSeconds)."""
    config = fields.get("DeploymentConfig") or {}
    found = [
        int(policy["MaximumExecutionTimeoutInSeconds"])
        for policy in (config.get("BlueGreenUpdatePolicy"), config.get("RollingUpdatePolicy"))
        if isinstance(policy, dict) and "MaximumExecutionTimeoutInSeconds" in policy
    ]
    return max(found) if found else None


def desired_tags(request: DeploymentRequest) -> list[dict[str, str]]:
    """The request's Tags, plus the deployer's mark."""
    return marked(request.fields.get("Tags"), request.endpoint_name)


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


def _managed(tags: list[dict[str, str]]) -> bool:
    return any(t["Key"] == interface.MANAGED_TAG for t in tags)


@tracer.capture_method
def deploy(
    request: DeploymentRequest,
    config_name: str,
    gateway: SageMakerGateway,
    rollout: Rollout,
    created: bool = True,
    retries: int = 0,
) -> DeployResult:
    """``created``: Configure created the config (it may not be visible yet); ``retries``:
    the attempts of the Deploy state before this one (the visibility window's looks)."""
    # AWS's advice: make sure the new config is visible before creating or updating with it.
    if gateway.describe_endpoint_config(config_name) is None:
        raise config_absent(config_name, created, retries)
    current = gateway.describe_endpoint(request.endpoint_name)
    tags = gateway.list_tags(current["EndpointArn"]) if current else []
    replacing = rollout.replacing()
    decision = plan(current, config_name, managed=_managed(tags), replacing=replacing)
    logger.info("deployment planned", extra={"action": decision.action, "reason": decision.reason})
    previous = current.get("EndpointConfigName") if current else None
    result = DeployResult(
        Action=decision.action,
        Reason=decision.reason,
        EndpointName=current["EndpointName"] if current else request.endpoint_name,
        EndpointArn=current["EndpointArn"] if current else None,
        EndpointConfigName=config_name,
        PreviousEndpointConfigName=previous,
        PolicySeconds=policy_seconds(request.fields),
    )
    if decision.action in (Action.CREATE, Action.UPDATE, Action.REPLACE):
        failure = (current or {}).get("FailureReason") if decision.delete_first else None
        newer = rollout.begin(
            replacing=(failure or "SageMaker gave no reason") if decision.delete_first else None
        )
        if newer is not None:
            return result.model_copy(
                update={
                    "Action": Action.SUPERSEDED,
                    "Reason": f"superseded by {newer.name} (config {newer.EndpointConfigName}), "
                    f"a newer deployment waiting for the endpoint; nothing deployed",
                    "SupersededBy": newer,
                }
            )
    if decision.delete_first:
        assert current is not None
        gateway.delete_endpoint(current["EndpointName"])
        raise EndpointReplacing(decision.reason)
    if decision.action in (Action.CREATE, Action.REPLACE):
        params = request.create_endpoint_params() | {
            "EndpointConfigName": config_name,
            "Tags": desired_tags(request),
        }
        arn = gateway.create_endpoint(params)
        return result.model_copy(update={"EndpointArn": arn})
    assert current is not None
    # SageMaker matches endpoint names without regard to case: use its spelling from here on.
    name = current["EndpointName"]
    if decision.action is Action.UPDATE:
        gateway.update_endpoint(
            request.update_endpoint_params(name) | {"EndpointConfigName": config_name}
        )
    add, remove = tag_changes(tags, desired_tags(request), _managed(tags))
    if add:
        gateway.add_tags(current["EndpointArn"], add)
    if remove:
        gateway.delete_tags(current["EndpointArn"], remove)
    update: dict[str, Any] = {"TagsAdded": [t["Key"] for t in add], "TagsRemoved": remove}
    if (add or remove) and decision.action is Action.NONE:
        changed = ", ".join([f"+{t['Key']}" for t in add] + [f"-{k}" for k in remove])
        update["Action"] = Action.RETAG
        update["Reason"] = f"{decision.reason}; its tags were brought up to date ({changed})"
    return result.model_copy(update=update)
