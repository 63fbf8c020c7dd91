"""Stage 4, Describe: one DescribeEndpoint, and whether the deployment is done.

Called by the Wait -> Describe -> Choice loop. Raises the deployer's errors for every way a
deployment can fail (Failed, UpdateRollbackFailed, silent rollback, deadline).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer import clients, contract
from deployer.errors import EndpointFailed
from deployer.events import DescribeEvent
from deployer.gateway import SageMakerGateway
from deployer.observability import (
    MetricUnit,
    logger,
    metrics,
    stage_handler,
)
from deployer.outcome import DEFAULT_DEADLINE_SECONDS, assess, elapsed_seconds
from deployer.retention import prune


def deadline_seconds() -> int:
    return int(os.environ.get(contract.ENV_DEADLINE) or DEFAULT_DEADLINE_SECONDS)


def config_retention() -> int:
    return int(os.environ.get(contract.ENV_CONFIG_RETENTION) or 0)


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = parse(event=event, model=DescribeEvent)
    deployment = stage.Deployment
    gateway = SageMakerGateway(clients.sagemaker())
    description = gateway.describe_endpoint(deployment.EndpointName)
    if description is None:
        raise EndpointFailed(
            f"endpoint {deployment.EndpointName} disappeared during the deployment"
        )
    metrics.add_metric(name="EndpointDescribes", unit=MetricUnit.Count, value=1)
    elapsed = elapsed_seconds(stage.StartedAt, stage.EnteredTime)
    assessment = assess(
        description,
        target_config=deployment.EndpointConfigName,
        action=deployment.Action,
        elapsed=elapsed,
        deadline_seconds=deadline_seconds(),
    )
    logger.info(assessment.Message, extra={"endpoint_status": assessment.EndpointStatus})
    if assessment.Done:
        prune(
            gateway,
            deployment.EndpointName,
            keep=config_retention(),
            protected=[deployment.EndpointConfigName, deployment.PreviousEndpointConfigName],
        )
    return assessment.model_dump(mode="json")
