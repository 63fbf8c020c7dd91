"""The guardrails of an endpoint for inference components, performed (the Guardrails function's
steps for a request with ``InferenceComponents``):

- Prepare, before Deploy: the rollback alarms made for each base component and named in its
  ``DeploymentConfig.AutoRollbackConfiguration`` (SageMaker rolls the component's update back
  when one goes into ALARM);
- Verify, once every component is done: the smoke test, by InferenceComponentName
  (:mod:`deployer.perform.component_smoke`);
- Scale, after a success: the components' autoscaling (:mod:`deployer.perform.component_scaling`),
  and their rollback alarms the request no longer asks for deleted.

Rescale and Restored do not apply: Prepare deregisters nothing, and a failed smoke test puts
back no component.
"""

from __future__ import annotations

from typing import Any

from deployer.aws import clients
from deployer.aws.component_scaling import ComponentScalingGateway
from deployer.aws.guardrails import AlarmGateway, InvokeGateway
from deployer.decide import component_alarms
from deployer.errors import GuardrailCallFailed, GuardrailThrottled
from deployer.observability import logger, tracer
from deployer.payloads.events import GuardrailsEvent
from deployer.payloads.results import Prepared, Scaled, SmokeTested
from deployer.perform.component_scaling import base_components, scale_components
from deployer.perform.component_smoke import verify_components
from deployer.request.deployment import DeploymentRequest
from deployer.request.guardrails import component_alarm_pairs, settings

COMPONENT_ACTIONS = ("Prepare", "Verify", "Scale")


@tracer.capture_method
def prepare_components(request: DeploymentRequest, alarms: AlarmGateway) -> Prepared:
    bases = base_components(request)
    made = component_alarms.alarm_requests(bases, settings(request.fields))
    names: dict[str, list[str]] = {}
    for component, params in made:
        alarms.put(params)
        names.setdefault(component, []).append(params["AlarmName"])
    fields = component_alarms.with_component_alarms(request.to_payload(), names)
    every = [params["AlarmName"] for _, params in made]
    message = f"{len(every)} rollback alarm(s) in place on the inference components"
    logger.info(message, extra={"alarms": every})
    return Prepared(
        Request=fields,
        Alarms=every,
        Registered=[],
        Deregistered=[],
        RetainedCounts=False,
        Message=message,
        Found=[],
    )


def prune_component_alarms(request: DeploymentRequest, alarms: AlarmGateway) -> list[str]:
    """Delete the components' rollback alarms that the deployed request does not ask for.
    Best effort: a failure leaves them for the next deployment and fails nothing."""
    bases = base_components(request)
    kept = [name for _, _, name in component_alarm_pairs(bases, settings(request.fields))]
    deleted: list[str] = []
    try:
        for component in bases:
            found = alarms.named(component_alarms.alarm_search_prefix(component))
            stale = component_alarms.stale_alarms(component, found, kept)
            if stale:
                alarms.delete(stale)
                deleted += stale
    except (GuardrailCallFailed, GuardrailThrottled) as error:
        logger.warning("rollback alarms not cleaned up", extra={"error": str(error)})
    return deleted


def _scaled(request: DeploymentRequest) -> Scaled:
    scaling = ComponentScalingGateway(clients.application_autoscaling(), clients.cloudwatch)
    scaled = scale_components(request, scaling, succeeded=True)
    return scaled.with_alarms_deleted(
        prune_component_alarms(request, AlarmGateway(clients.cloudwatch))
    )


def run_components(stage: GuardrailsEvent, request: DeploymentRequest) -> dict[str, Any]:
    """The step the state machine names, for a request with inference components."""
    if stage.Action == "Prepare":
        return prepare_components(request, AlarmGateway(clients.cloudwatch)).to_json()
    if stage.Action == "Scale":
        return _scaled(request).to_json()
    test = settings(request.fields).SmokeTest
    if test is None:
        return SmokeTested(Passed=True, Message="no smoke test in the profile").to_json()
    return verify_components(
        request, test, clients.sagemaker, InvokeGateway(clients.sagemaker_runtime)
    ).to_json()
