"""The Start function: the target of the trigger rules (approvals, rejections, manifests).
It starts the event's execution, named after its trigger; a redelivered event finds the
execution it started (see :mod:`deployer.perform.start`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.perform.start import start


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return start(event).to_json()
