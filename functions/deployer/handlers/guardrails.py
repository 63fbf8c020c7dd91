"""The Guardrails function: rollback alarms and autoscaling around the update, the smoke test
after it (see :mod:`deployer.perform.guardrails`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.aws import clients
from deployer.aws.guardrails import AlarmGateway, InvokeGateway, ScalingGateway
from deployer.aws.sagemaker import SageMakerGateway
from deployer.observability import MetricUnit, metrics, stage_handler
from deployer.payloads import GuardrailsEvent
from deployer.perform import guardrails
from deployer.request.deployment import parse_request


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = GuardrailsEvent.model_validate(event)
    request = parse_request(stage.Request)
    sagemaker = SageMakerGateway(clients.sagemaker)
    if stage.Action == "Prepare":
        return guardrails.prepare(
            request,
            sagemaker,
            ScalingGateway(clients.application_autoscaling()),
            AlarmGateway(clients.cloudwatch),
        ).to_json()
    if stage.Action == "Scale":
        return guardrails.scale(
            request,
            sagemaker,
            ScalingGateway(clients.application_autoscaling()),
            AlarmGateway(clients.cloudwatch),
            succeeded=True,
        ).to_json()
    if stage.Action == "Rescale":
        assert stage.Prepared is not None  # GuardrailsEvent checked it
        return guardrails.put_back(
            stage.Prepared,
            request.endpoint_name,
            sagemaker,
            ScalingGateway(clients.application_autoscaling()),
        ).to_json()
    # GuardrailsEvent checked them
    assert stage.Deployment is not None
    assert stage.EnteredTime is not None
    if stage.Action == "Verify":
        result = guardrails.verify(
            request,
            stage.Deployment,
            sagemaker,
            InvokeGateway(clients.sagemaker_runtime),
            stage.EnteredTime,
        )
        metrics.add_metric(
            name="SmokeTestsPassed" if result.Passed else "SmokeTestsFailed",
            unit=MetricUnit.Count,
            value=1,
        )
        return result.to_json()
    assert stage.SmokeTest is not None  # GuardrailsEvent checked it
    return guardrails.restored(
        stage.Deployment, stage.SmokeTest, sagemaker, stage.EnteredTime
    ).to_json()
