"""Stage 2, Configure: create the requested models, then the endpoint config."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer import clients
from deployer.configure import configure
from deployer.gateway import SageMakerGateway
from deployer.observability import (
    MetricUnit,
    metrics,
    stage_handler,
)
from deployer.payloads import ConfigureEvent
from deployer.request import parse_request


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = ConfigureEvent.model_validate(event)
    request = parse_request(stage.Request)
    result = configure(request, SageMakerGateway(clients.sagemaker))
    metrics.add_metric(name="ModelsCreated", unit=MetricUnit.Count, value=len(result.ModelsCreated))
    metrics.add_metric(
        name="EndpointConfigsCreated", unit=MetricUnit.Count, value=int(result.ConfigCreated)
    )
    return result.to_json()
