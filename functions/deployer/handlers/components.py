"""Stage 4b, Components: one look at the request's inference components, with the calls they
need (create, update, scale, delete a Failed one), and whether all are done. See
:func:`deployer.perform.components.look`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.aws import clients
from deployer.aws.components import ComponentGateway
from deployer.observability import stage_handler
from deployer.payloads.events import ComponentsEvent
from deployer.perform.components import look
from deployer.request.deployment import checked_request


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = ComponentsEvent.model_validate(event)
    request = checked_request(stage.Request)
    gateway = ComponentGateway(clients.sagemaker, clients.application_autoscaling)
    return look(request, stage.Progress, gateway, stage.EnteredTime, stage.Deadline).to_json()
