"""Stage 1, Validate: turn the execution input (a request, an approval or rejection event, or
an S3 manifest event) into one checked deployment request, or a reason to deploy nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.payloads.events import ValidateEvent
from deployer.request.intake import intake


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return intake(ValidateEvent.model_validate(event))
