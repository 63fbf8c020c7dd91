"""The Describe stage performed: whether the deployment is done, from one DescribeEndpoint
(:func:`deployer.decide.outcome.assess` decides), and what its end means under the lease: a
newer deployment took the endpoint over, a rejection supersedes it, or it succeeded and the
old configs are cleaned up (:mod:`deployer.perform.retention`).
"""

from __future__ import annotations

import os
from typing import Any

from deployer import interface
from deployer.aws import clients
from deployer.aws.component_models import model_names, models_in_use
from deployer.aws.lease_table import Ledger
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide.deadline import deadline_seconds_from, park_seconds
from deployer.decide.lease import newest_newer, rejected_by
from deployer.decide.lease_record import Claim, Record
from deployer.decide.outcome import assess, elapsed_seconds
from deployer.errors import EndpointFailed, EndpointUpdateRolledBack
from deployer.observability import (
    MetricUnit,
    logger,
    metrics,
    tracer,
)
from deployer.payloads.events import DescribeEvent
from deployer.payloads.results import Described, Wakeup
from deployer.perform.retention import kept_by_deployments, prune


def config_retention() -> int:
    return int(os.environ.get(interface.ENV_CONFIG_RETENTION) or 0)


def _superseded(record: Record, me: Claim) -> Claim | None:
    """The newer deployment that took the endpoint over, if one did (this execution's lease
    expired and a newer one deployed meanwhile)."""
    return newest_newer(me, (record.Holder, record.Deployed))


def component_models(request: dict[str, Any] | None) -> set[str]:
    """The models the clean-up keeps for inference components: those every IC of the account
    names, and those the request's ICs are about to use (they are created after this stage)."""
    models = models_in_use(clients.sagemaker)
    for ic in (request or {}).get(interface.COMPONENTS_FIELD) or []:
        models |= model_names(ic)
    return models


@tracer.capture_method
def conclude(stage: DescribeEvent) -> dict[str, Any]:
    """One DescribeEndpoint (or the one the wake handed over): not done yet (park again), or the
    deployment's outcome, with the clean-up of a success under the lease."""
    deployment = stage.Deployment
    gateway = SageMakerGateway(clients.sagemaker)
    # what woke it, or nothing (already deployed) or the park's timeout: look now
    woken = stage.Woken
    if isinstance(woken, Wakeup):
        description: dict[str, Any] | None = woken.Description
    else:
        description = gateway.describe_endpoint(deployment.EndpointName)
        metrics.add_metric(name="EndpointDescribes", unit=MetricUnit.Count, value=1)
    if description is None:
        raise EndpointFailed(
            f"endpoint {deployment.EndpointName} disappeared during the deployment"
        )
    elapsed = elapsed_seconds(stage.StartedAt, stage.EnteredTime)
    deadline = deadline_seconds_from(stage.StartedAt, stage.Deadline, deployment.PolicySeconds)
    try:
        assessment = assess(
            description,
            target_config=deployment.EndpointConfigName,
            action=deployment.Action,
            elapsed=elapsed,
            deadline_seconds=deadline,
        )
    except EndpointUpdateRolledBack:
        # Not rolled back if a newer deployment replaced this one's config: Superseded.
        newer = _superseded(Ledger.from_environment().read(deployment.EndpointName), stage.Claim)
        if newer is None or description.get("FailureReason"):
            raise
        message = (
            f"superseded by {newer.name} (config {newer.EndpointConfigName}), which took the "
            f"endpoint over; {deployment.EndpointName} serves "
            f"{description.get('EndpointConfigName')}"
        )
        logger.info(message)
        return Described(
            Done=True,
            Outcome="SUPERSEDED",
            SupersededBy=newer,
            Message=message,
            EndpointName=description["EndpointName"],
            EndpointArn=description["EndpointArn"],
            EndpointStatus=description["EndpointStatus"],
            EndpointConfigName=description.get("EndpointConfigName"),
            ElapsedSeconds=elapsed,
        ).to_json()
    logger.info(assessment.Message, extra={"endpoint_status": assessment.EndpointStatus})
    if not assessment.Done:  # parks again, at most until the deadline
        return Described(
            **assessment.model_dump(), ParkSeconds=park_seconds(elapsed, deadline)
        ).to_json()
    # Under the lease: nothing else changes the endpoint while this runs.
    ledger = Ledger.from_environment()
    record = ledger.read(deployment.EndpointName)
    rejection = rejected_by(record, stage.Claim)
    if rejection is not None:  # the update could not be stopped; the rollback follows it
        if rejection.Package is not None:
            then = f"until the rollback to {rejection.Package} runs"
        elif rejection.Restore is not None:
            then = f"until the rejection puts back {rejection.Restore}, the config served before"
        else:
            then = "with nothing that served before to put back (the rejection fails loudly)"
        message = (
            f"superseded by {rejection.name}: {rejection.Rejects} was rejected (ordered "
            f"{rejection.Order.describe()}) while this deployment rolled it out; "
            f"{deployment.EndpointName} is {assessment.EndpointStatus} on "
            f"{description.get('EndpointConfigName')} {then}"
        )
        logger.info(message)
        metrics.add_metric(name="DeploymentsSuperseded", unit=MetricUnit.Count, value=1)
        return Described(
            **assessment.model_dump(exclude={"Message"}),
            Outcome="SUPERSEDED",
            SupersededBy=rejection,
            Message=message,
        ).to_json()
    keep = config_retention()
    pruned = prune(
        gateway,
        deployment.EndpointName,
        keep=keep,
        target=deployment.EndpointConfigName,
        served=record.Served,
        protected=[
            description.get("EndpointConfigName"),
            (description.get("PendingDeploymentSummary") or {}).get("EndpointConfigName"),
            deployment.PreviousEndpointConfigName,
            *record.configs_in_use(),
        ],
        needed_elsewhere=lambda: kept_by_deployments(
            ledger.records(), deployment.EndpointName, keep
        ),
        component_models=lambda: component_models(stage.Request),
    )
    return Described(**assessment.model_dump(), Outcome="SUCCEEDED", Deleted=pruned).to_json()
