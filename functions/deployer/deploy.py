"""Stage 3: create the endpoint, or update it, or recognise that it already serves the config.

Deciding is kept apart from doing: :func:`plan` is a pure function of what DescribeEndpoint
said and the target config; :func:`deploy` reads, plans and performs the one call the plan
names. Transient conditions raise retryable errors that the state machine retries.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from deployer.errors import EndpointBusy, EndpointConfigNotVisible, EndpointNotUpdatable
from deployer.gateway import SageMakerGateway
from deployer.observability import logger, tracer
from deployer.request import DeploymentRequest

# DescribeEndpoint's EndpointStatus values, by what they mean to a deployer.
TRANSITIONAL = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
NOT_UPDATABLE = frozenset({"Failed", "OutOfService", "Deleting"})


def same_name(a: str | None, b: str | None) -> bool:
    """SageMaker matches endpoint and endpoint-config names without regard to case."""
    return a is not None and b is not None and a.lower() == b.lower()


class Action(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    NONE = "NONE"  # already deployed, or this very config is already being rolled out


class Plan(BaseModel):
    action: Action
    reason: str


def plan(current: dict[str, Any] | None, target_config: str) -> Plan:
    """What to do, given DescribeEndpoint's answer (None: no such endpoint) and the target."""
    if current is None:
        return Plan(action=Action.CREATE, reason="CreateEndpoint: the endpoint does not exist yet")
    name = current["EndpointName"]
    status = current["EndpointStatus"]
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
        raise EndpointNotUpdatable(f"endpoint {name} is {status}{because}; {advice}")
    return Plan(
        action=Action.UPDATE,
        reason=f"UpdateEndpoint: {name} is {status} on {serving}; updating it to {target_config}",
    )


class DeployResult(BaseModel):
    Action: Action
    Reason: str
    EndpointName: str
    EndpointArn: str
    EndpointConfigName: str
    PreviousEndpointConfigName: str | None


@tracer.capture_method
def deploy(request: DeploymentRequest, config_name: str, gateway: SageMakerGateway) -> DeployResult:
    # AWS's advice: make sure the new config is visible before creating or updating with it.
    if gateway.describe_endpoint_config(config_name) is None:
        raise EndpointConfigNotVisible(
            f"DescribeEndpointConfig {config_name}: not visible yet (eventual consistency)"
        )
    current = gateway.describe_endpoint(request.endpoint_name)
    decision = plan(current, config_name)
    logger.info("deployment planned", extra={"action": decision.action, "reason": decision.reason})
    previous = current.get("EndpointConfigName") if current else None
    if decision.action is Action.CREATE:
        name = request.endpoint_name
        # the config as Configure found or made it (SageMaker's spelling of its name)
        arn = gateway.create_endpoint(
            request.create_endpoint_params() | {"EndpointConfigName": config_name}
        )
    else:
        assert current is not None
        # SageMaker matches endpoint names without regard to case; use its spelling from here on.
        name = current["EndpointName"]
        arn = current["EndpointArn"]
        if decision.action is Action.UPDATE:
            arn = gateway.update_endpoint(
                request.update_endpoint_params(name) | {"EndpointConfigName": config_name}
            )
    return DeployResult(
        Action=decision.action,
        Reason=decision.reason,
        EndpointName=name,
        EndpointArn=arn,
        EndpointConfigName=config_name,
        PreviousEndpointConfigName=previous,
    )
