"""The Validate stage performed: the execution's input (a request, an approval or rejection
event, an S3 manifest event) resolved by :mod:`deployer.request.triggers` into one checked
request, ordered among the deployments of its endpoint and given its deadline, or a reason to
deploy nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deployer import interface
from deployer.aws import clients
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide import lease_record
from deployer.decide.deadline import deadline_at, give_up
from deployer.decide.plan import policy_seconds
from deployer.errors import RequestInvalid, Transient
from deployer.observability import (
    MetricUnit,
    logger,
    metrics,
    tracer,
)
from deployer.payloads.events import ValidateEvent
from deployer.payloads.results import Accepted, ComponentsProgress, Skipped
from deployer.request.triggers import Settings, resolve


@tracer.capture_method
def intake(stage: ValidateEvent) -> dict[str, Any]:
    """The execution's input resolved into an accepted request (ordered, with its deadline), or
    a reason to deploy nothing; a rejected request raises RequestInvalid with every violation."""
    settings = Settings.from_environment()
    try:
        resolution = resolve(stage.Input, settings, SageMakerGateway(clients.sagemaker), clients.s3)
    except RequestInvalid as error:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        rules = sorted({violation.rule for violation in error.violations})
        logger.warning("request rejected", extra={"problems": error.problems, "rules": rules})
        raise
    except Transient as error:  # retried by the state machine until the configured deadline
        # (the request's own is not known yet)
        now = max(datetime.now(UTC), stage.StartTime)
        verdict = give_up(error, deadline_at(stage.StartTime, None, None), now)
        if verdict is not None:
            raise verdict from error
        raise
    trigger = resolution.trigger
    logger.append_keys(trigger=resolution.trigger.Source)
    if resolution.request is None:
        metrics.add_metric(name="TriggersSkipped", unit=MetricUnit.Count, value=1)
        logger.info("nothing to deploy", extra={"reason": resolution.skip})
        return Skipped(Skip=resolution.skip or "", Trigger=trigger).to_json()
    request = resolution.request
    # The order of this deployment among those of its endpoint: newest intent wins.
    order = resolution.order or lease_record.Order(At=stage.StartTime, Tiebreak=stage.Execution)
    metrics.add_metric(name="RequestsAccepted", unit=MetricUnit.Count, value=1)
    logger.info(
        "request accepted",
        extra={
            "endpoint_name": request.endpoint_name,
            "endpoint_config_name": request.endpoint_config_name,
        },
    )
    return Accepted(
        Request=request.to_payload(),
        EndpointName=request.endpoint_name,
        EndpointConfigName=request.endpoint_config_name,
        Order=order,
        Trigger=trigger,
        Intent=resolution.intent,
        Guarded=bool(request.fields.get(interface.GUARDRAILS_FIELD)),
        Deadline=deadline_at(
            stage.StartTime, policy_seconds(request.fields), request.deadline_seconds
        ),
        Components=ComponentsProgress() if request.inference_components else None,
    ).to_json()
