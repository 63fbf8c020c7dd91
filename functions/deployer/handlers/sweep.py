"""The Sweep function: once a minute (EventBridge Scheduler), wake the deployments parked on
endpoints whose events were lost (see :mod:`deployer.decide.sweep`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.perform.sweep import sweep


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return sweep(event)
