"""The inference components' autoscaling, performed after a deployment's outcome (the Scale
step of the Guardrails function, for a request with ``InferenceComponents``): read what
Application Auto Scaling holds of the request's base components once, decide
(:func:`deployer.decide.component_scaling.component_plan`), then act. Each runs while the
execution holds the endpoint's lease.
"""

from __future__ import annotations

from deployer.aws.component_scaling import ComponentScalingGateway
from deployer.decide import component_scaling as decide
from deployer.observability import logger, tracer
from deployer.payloads.results import Scaled
from deployer.request import inference_components
from deployer.request.deployment import DeploymentRequest
from deployer.request.guardrails import COMPONENT_DEFAULT_METRIC, settings


def base_components(request: DeploymentRequest) -> list[str]:
    """The request's components that have copies of their own (an adapter has none)."""
    return [
        str(ic["InferenceComponentName"])
        for ic in request.inference_components
        if inference_components.base_of(ic) is None
    ]


@tracer.capture_method
def scale_components(
    request: DeploymentRequest, scaling: ComponentScalingGateway, succeeded: bool
) -> Scaled:
    """The base components' scalable targets, policies and alarms from zero brought to the
    request's AutoScaling setting."""
    setting = settings(request.fields).AutoScaling
    bases = base_components(request)
    plan = decide.component_plan(setting, bases, scaling.found(bases), succeeded)
    for name in plan.Deregister:
        scaling.deregister(name)
    for name, (low, high) in sorted(plan.Register.items()):
        scaling.register(name, low, high)
    if setting is not None:
        for name in plan.Tracking:
            scaling.put_tracking(name, setting.policy_configuration(COMPONENT_DEFAULT_METRIC))
    for name in plan.FromZero:
        scaling.put_from_zero(name)
    for name in plan.DropFromZero:
        scaling.drop_from_zero(name)
    message = (
        f"autoscaling of inference components: registered "
        f"{', '.join(sorted(plan.Register)) or 'nothing new'}"
        f"; policy put on {', '.join(plan.Tracking) or 'nothing new'}"
        f"; scale-out from zero put on {', '.join(plan.FromZero) or 'nothing new'}"
        + (f", removed from {', '.join(plan.DropFromZero)}" if plan.DropFromZero else "")
        + f"; deregistered {', '.join(plan.Deregister) or 'nothing'}"
    )
    logger.info(message)
    return Scaled(
        Registered=sorted(plan.Register),
        Policies=plan.Tracking,
        Deregistered=plan.Deregister,
        Message=message,
    )
