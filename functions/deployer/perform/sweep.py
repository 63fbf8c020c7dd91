"""The sweep performed (the decision is :mod:`deployer.decide.sweep`'s): list the endpoints
that changed since a little before the previous sweep, and hand each one that settled, and on
which a deployment is parked, to the Wait function, asynchronously, as the event it missed.

SageMaker reads per sweep: one ListEndpoints page in a quiet minute, whatever the number of
parked deployments, and no DescribeEndpoint (the Wait function makes its usual one when it
wakes them). DynamoDB: one GetItem per endpoint that changed within the deployer's scope.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from deployer import interface
from deployer.aws import clients
from deployer.aws.lease_table import Ledger
from deployer.aws.sagemaker import SageMakerGateway, other_call
from deployer.decide.sweep import changed, scheduled_time, state_change_event, window_start
from deployer.observability import MetricUnit, logger, metrics, tracer


@tracer.capture_method
def sweep(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    scheduled = scheduled_time(event, now or datetime.now(UTC))
    # no execution: the sweep's logs carry the moment it was scheduled for
    logger.set_correlation_id(f"sweep:{scheduled.isoformat()}")
    since = window_start(scheduled)
    listing = SageMakerGateway(clients.sagemaker).endpoints_modified_after(since)
    candidates = changed(listing, since, os.environ.get(interface.ENV_NAME_PREFIX, ""))
    ledger = Ledger.from_environment()
    handed: list[str] = []
    for summary in candidates:
        name = str(summary["EndpointName"])
        if not ledger.read_waits(name).Waiters:
            continue  # no one parked on it: its change is no deployment's business
        _hand_over(json.dumps(state_change_event(summary, scheduled)).encode())
        handed.append(name)
    logger.info(
        "swept",
        extra={"since": since.isoformat(), "listed": len(listing), "handed": handed},
    )
    metrics.add_metric(name="SweepHandedOver", unit=MetricUnit.Count, value=len(handed))
    return {"Since": since.isoformat(), "Listed": len(listing), "Handed": handed}


def _hand_over(payload: bytes) -> None:
    """Invoke the Wait function with ``payload``, asynchronously, as EventBridge invokes it."""
    other_call(
        lambda: clients.awslambda().invoke(
            FunctionName=os.environ[interface.ENV_WAIT_FUNCTION],
            InvocationType="Event",
            Payload=payload,
        )
    )
