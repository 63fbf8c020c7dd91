"""The event-driven wait performed (the decisions are :mod:`deployer.decide.wake`'s): park an
execution on its endpoint (store its task token, then look once), and wake the parked
executions an endpoint event settles (look once, complete their task tokens).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from deployer.aws import clients
from deployer.aws.lease_table import Ledger, complete
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide.deadline import deadline_seconds_from
from deployer.decide.wake import (
    Kind,
    Verdict,
    Waiter,
    Waits,
    decide,
    note,
    read_event,
    register,
    unregister,
)
from deployer.errors import LeaseContention
from deployer.observability import MetricUnit, logger, metrics, tracer
from deployer.payloads.events import ParkEvent
from deployer.payloads.results import Parked


def _ledger() -> Ledger:
    return Ledger.from_environment()


def _settle(waiter: Waiter, verdict: Verdict, waits: Waits) -> bool:
    """Complete the waiter's task; a success carries the progress recorded since it began."""
    error = (verdict.Error or "", verdict.Cause or "") if verdict.Kind is Kind.FAIL else None
    output = None
    if verdict.Output is not None:
        steps = [s for s in waits.Steps if s.At >= waiter.StartedAt]
        output = verdict.Output.model_copy(update={"Steps": steps}).to_json()
    return complete(clients.stepfunctions(), waiter.Token, output, error)


@tracer.capture_method
def park(stage: ParkEvent) -> dict[str, Any]:
    deployment = stage.Deployment
    waiter = Waiter(
        Execution=stage.Execution,
        Token=stage.TaskToken,
        EndpointConfigName=deployment.EndpointConfigName,
        Action=deployment.Action,
        StartedAt=stage.StartedAt,
        DeadlineSeconds=deadline_seconds_from(
            stage.StartedAt, stage.Deadline, deployment.PolicySeconds
        ),
    )
    ledger = _ledger()
    # The token first, then the one look: a change after the look finds the token stored.
    stored = ledger.write_waits(register(ledger.read_waits(deployment.EndpointName), waiter))
    description = SageMakerGateway(clients.sagemaker).describe_endpoint(deployment.EndpointName)
    metrics.add_metric(name="EndpointDescribes", unit=MetricUnit.Count, value=1)
    verdict = decide(description, waiter, stage.EnteredTime)
    if verdict.Kind is not Kind.WAIT:
        _settle(waiter, verdict, stored)  # an event, if one comes, then finds a spent token
        # if an event's wake changed the item meanwhile, it drops spent tokens itself
        with contextlib.suppress(LeaseContention):
            ledger.write_waits(unregister(stored, {waiter.Execution}))
    logger.info("parked", extra={"verdict": verdict.Kind.value})
    return Parked(Parked=verdict.Kind is Kind.WAIT, Verdict=verdict.Kind.value).to_json()


@tracer.capture_method
def wake(event: dict[str, Any]) -> dict[str, Any]:
    logger.set_correlation_id(f"event:{event.get('id')}")  # no execution: the event's id
    notice = read_event(event)
    ledger = _ledger()
    waits = ledger.read_waits(notice.EndpointName)
    if notice.Steps:
        waits = ledger.write_waits(note(waits, notice.Steps))
    if not notice.Final or not waits.Waiters:
        return {"Woken": [], "Final": notice.Final}
    description = SageMakerGateway(clients.sagemaker).describe_endpoint(notice.EndpointName)
    metrics.add_metric(name="EndpointDescribes", unit=MetricUnit.Count, value=1)
    now = notice.Steps[-1].At if notice.Steps else datetime.now(UTC)
    settled: set[str] = set()
    for waiter in waits.Waiters.values():
        verdict = decide(description, waiter, max(now, waiter.StartedAt))
        if verdict.Kind is not Kind.WAIT:
            _settle(waiter, verdict, waits)
            settled.add(waiter.Execution)
    if settled:
        logger.info("woke", extra={"executions": sorted(settled)})
        ledger.write_waits(unregister(waits, settled))
        metrics.add_metric(name="ExecutionsWoken", unit=MetricUnit.Count, value=len(settled))
    return {"Woken": sorted(settled), "Final": True}
