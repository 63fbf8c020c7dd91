"""Stage 3, Deploy: CreateEndpoint, or UpdateEndpoint, or nothing when already deployed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer import clients
from deployer.deploy import deploy
from deployer.events import DeployEvent
from deployer.gateway import SageMakerGateway
from deployer.observability import (
    MetricUnit,
    metrics,
    stage_handler,
)
from deployer.request import parse_request


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = parse(event=event, model=DeployEvent)
    request = parse_request(stage.Request)
    result = deploy(request, stage.Config.EndpointConfigName, SageMakerGateway(clients.sagemaker()))
    metrics.add_dimension(name="Action", value=result.Action.value)
    metrics.add_metric(name="Deployments", unit=MetricUnit.Count, value=1)
    return result.model_dump(mode="json")
