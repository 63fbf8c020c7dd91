"""Stage 2, Configure: create the requested models, then the endpoint config. Also
``Restore``: the request that puts back the config the endpoint served before (a rejection
whose stopped deployment had begun its rollout), which Configure then checks and reuses."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.aws import clients
from deployer.aws.sagemaker import SageMakerGateway
from deployer.observability import (
    MetricUnit,
    metrics,
    stage_handler,
)
from deployer.payloads.events import ConfigureEvent
from deployer.payloads.results import Restoring
from deployer.perform.configure import configure, restore_request
from deployer.request.deployment import checked_request, parse_request


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = ConfigureEvent.model_validate(event)
    request = checked_request(stage.Request)
    if stage.Action == "Restore":
        assert stage.EndpointConfigName is not None  # ConfigureEvent checked it
        fields = restore_request(
            request, stage.EndpointConfigName, SageMakerGateway(clients.sagemaker)
        )
        restored = parse_request(fields)  # checked like any request
        return Restoring(
            Request=restored.to_payload(),
            Message=f"putting back {restored.endpoint_config_name} on endpoint "
            f"{restored.endpoint_name}",
        ).to_json()
    result = configure(request, SageMakerGateway(clients.sagemaker))
    metrics.add_metric(name="ModelsCreated", unit=MetricUnit.Count, value=len(result.ModelsCreated))
    metrics.add_metric(
        name="EndpointConfigsCreated", unit=MetricUnit.Count, value=int(result.ConfigCreated)
    )
    return result.to_json()
