"""Stage 1, Validate: turn the execution input into a checked deployment request."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.errors import RequestInvalid
from deployer.events import ValidateEvent
from deployer.observability import (
    CORRELATION_ID_PATH,
    MetricUnit,
    count_errors,
    logger,
    metrics,
    tracer,
)
from deployer.request import parse_request


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@count_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = parse(event=event, model=ValidateEvent)
    try:
        request = parse_request(stage.Input)
    except RequestInvalid as error:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        rules = sorted({violation.rule for violation in error.violations})
        logger.warning("request rejected", extra={"problems": error.problems, "rules": rules})
        raise
    metrics.add_metric(name="RequestsAccepted", unit=MetricUnit.Count, value=1)
    logger.info(
        "request accepted",
        extra={
            "endpoint_name": request.endpoint_name,
            "endpoint_config_name": request.endpoint_config_name,
        },
    )
    return {
        "Request": request.to_payload(),
        "EndpointName": request.endpoint_name,
        "EndpointConfigName": request.endpoint_config_name,
    }
