"""Stage 3, Deploy, under the endpoint's lease: CreateEndpoint, UpdateEndpoint, DeleteEndpoint of
a Failed endpoint the deployer created (REPLACE, created again once it is gone), the tags only
(RETAG), nothing when already deployed (NONE), or yield to a newer deployment (SUPERSEDED).
See :func:`deployer.perform.deploy.deploy`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.aws import clients
from deployer.aws.lease_table import LeasedRollout, Ledger
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide.deadline import deadline_seconds_from, park_seconds
from deployer.observability import MetricUnit, metrics, stage_handler
from deployer.payloads.events import DeployEvent
from deployer.perform.deploy import as_rollback, deploy
from deployer.request.deployment import parse_request


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = DeployEvent.model_validate(event)
    # checked here, not only trusted: with guardrails, this is the request Prepare added its
    # alarms to (UseGuardedRequest), which no stage before checked
    request = parse_request(stage.Request)
    rollout = LeasedRollout(
        Ledger.from_environment(),
        clients.stepfunctions,
        request.endpoint_name,
        stage.Claim,
        stage.EnteredTime.timestamp(),
    )
    gateway = SageMakerGateway(clients.sagemaker)
    result = deploy(
        request,
        stage.Config.EndpointConfigName,
        gateway,
        rollout,
        created=stage.Config.ConfigCreated,
        retries=stage.RetryCount,
    )
    result = as_rollback(result, stage.Claim)
    metrics.add_dimension(name="Action", value=result.Action.value)
    metrics.add_metric(name="Deployments", unit=MetricUnit.Count, value=1)
    # the park after it lasts at most the safety-net interval, and never past the deadline
    parked = park_seconds(
        0, deadline_seconds_from(stage.EnteredTime, stage.Deadline, result.PolicySeconds)
    )
    return result.model_copy(update={"ParkSeconds": parked}).to_json()
