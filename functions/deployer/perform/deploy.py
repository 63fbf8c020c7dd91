"""Stage 3: create the endpoint, or update it, or recognise that it already serves the config.

Deciding is kept apart from doing: :func:`deployer.decide.plan.plan` is a pure function of
what DescribeEndpoint said and the target config; :func:`deploy` reads, plans and performs the
one call the plan names. Transient conditions raise retryable errors that the state machine retries.

Right before the one call that changes the endpoint, the deployment asks its lease
(:class:`Rollout`) whether it may still go on: a newer deployment waiting for the endpoint
makes this one yield (``SUPERSEDED``), having created nothing more. A Failed endpoint that the
deployer created (it carries ``interface.MANAGED_TAG``) never served: it is deleted and created
again (``REPLACE``). The request's ``Tags`` are desired state: a change of tags alone is
applied to the endpoint (``RETAG``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from deployer import interface
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide.configure import marked
from deployer.decide.lease import rejection_summary
from deployer.decide.lease_record import Claim
from deployer.decide.plan import (
    config_absent,
    plan,
    policy_seconds,
    tag_changes,
)
from deployer.errors import (
    EndpointReplacing,
)
from deployer.observability import logger, tracer
from deployer.payloads.pieces import Action
from deployer.payloads.results import DeployResult

# Only named in signatures: the request's module (the validator and its rules) is loaded
# by the functions that read a request, not by those that only need this module's names.
if TYPE_CHECKING:
    from deployer.request.deployment import DeploymentRequest


class Rollout(Protocol):
    """This deployment's lease on the endpoint, as the Deploy stage sees it."""

    def replacing(self) -> str | None:
        """The FailureReason of the Failed endpoint being replaced, if one is."""

    def begin(self, replacing: str | None) -> Claim | None:
        """Mark the rollout as started (recording ``replacing``), unless a newer deployment is
        waiting: then return its claim, and this deployment has let the endpoint go."""


def desired_tags(request: DeploymentRequest) -> list[dict[str, str]]:
    """The request's Tags, plus the deployer's mark."""
    return marked(request.fields.get("Tags"), request.endpoint_name)


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


def as_rollback(result: DeployResult, claim: Claim) -> DeployResult:
    """A rejection's rollback says what it did: what it stopped, and what serves now (and a
    failed smoke test must never put the rejected version's config back)."""
    if claim.Rejects is None or result.Action is Action.SUPERSEDED:
        return result
    target = (
        f"rolled back to {claim.Package}"
        if claim.Package is not None
        else f"put back {claim.EndpointConfigName}, the config the endpoint served before"
    )
    reason = f"{rejection_summary(claim)}; {target}: "
    return result.model_copy(
        update={"Reason": reason + result.Reason, "PreviousEndpointConfigName": None}
    )
