"""The Lease function: admit a deployment to its endpoint (or make it wait, or supersede it),
and release the endpoint when the deployment ends, on every path (dropping the waiter a park
left behind, when its events were lost). Admit also says whether the guardrail steps run
(:func:`deployer.decide.lease.guardrails_to_run`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.payloads.events import LeaseEvent
from deployer.perform.lease import admit_deployment, release_endpoint


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = LeaseEvent.model_validate(event)
    if stage.Action == "Admit":
        return admit_deployment(stage)
    return release_endpoint(stage)
