"""The Guardrails function: rollback alarms and autoscaling around the update, the smoke test
after it (see :mod:`deployer.perform.guardrails`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.payloads.events import GuardrailsEvent
from deployer.perform.guardrails import run


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run(GuardrailsEvent.model_validate(event))
