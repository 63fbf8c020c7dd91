"""The last stage of every execution: publish its outcome (EventBridge and SNS)."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer import interface
from deployer.aws import clients
from deployer.observability import (
    MetricUnit,
    logger,
    metrics,
    stage_handler,
)
from deployer.payloads.events import NotifyEvent
from deployer.payloads.results import Published
from deployer.perform.notify import outcome_detail, publish


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = NotifyEvent.model_validate(event)
    detail = outcome_detail(stage)
    publish(
        detail,
        events=clients.events(),
        sns=clients.sns(),
        bus=os.environ.get(interface.ENV_EVENT_BUS) or "default",
        topic_arn=os.environ.get(interface.ENV_TOPIC_ARN) or None,
    )
    metrics.add_metric(name=f"Deployments{stage.Status}", unit=MetricUnit.Count, value=1)
    logger.info("outcome published", extra={"detail": detail.model_dump(mode="json")})
    return Published(Published=True).to_json()
