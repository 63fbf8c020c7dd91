"""The smoke test of an endpoint for inference components (the Verify step of the Guardrails
function, for a request with ``InferenceComponents``): each component of the request invoked
once by its name (InferenceComponentName), an adapter included; a component at zero copies
(scaled in by its autoscaler) is not invoked, since SageMaker refuses an invocation that finds
no copy. A failure fails the deployment (SmokeTestFailed) naming each component and its
answer; the components keep the specification they were updated to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from deployer.aws.component_models import describe_component
from deployer.aws.guardrails import InvokeGateway
from deployer.decide import guardrails
from deployer.decide.components import copy_counts
from deployer.errors import SmokeTestFailed
from deployer.observability import logger, tracer
from deployer.payloads.results import SmokeTested
from deployer.request import inference_components
from deployer.request.deployment import DeploymentRequest
from deployer.request.guardrails import SmokeTestSetting

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@tracer.capture_method
def verify_components(
    request: DeploymentRequest,
    test: SmokeTestSetting,
    make_client: Callable[[], SageMakerClient],
    invoker: InvokeGateway,
) -> SmokeTested:
    endpoint = request.endpoint_name
    copies: dict[str, int] = {}
    invoked: list[str] = []
    idle: list[str] = []
    failures: list[str] = []
    for ic in request.inference_components:  # bases before their adapters
        name = str(ic["InferenceComponentName"])
        base = inference_components.base_of(ic)
        if base is not None and base in copies:  # an adapter runs on its base's copies
            copies[name] = copies[base]
        else:
            _, current = copy_counts(describe_component(make_client, base or name) or {})
            copies[name] = current or 0
        if copies[name] == 0:
            idle.append(name)
            continue
        answer = invoker.invoke(endpoint, str(ic["VariantName"]), test, component=name)
        invoked.append(name)
        why = guardrails.smoke_failure(test, answer.status, answer.body)
        if why is not None:
            failures.append(f"inference component {name} {why} (response: {answer.shown()})")
    at_zero = f"; at zero copies, not invoked: {', '.join(idle)}" if idle else ""
    if failures:
        raise SmokeTestFailed(
            f"the smoke test of {endpoint}'s inference components failed: "
            + "; ".join(failures)
            + at_zero
            + ". The components keep the specification they were deployed with (a failed "
            "smoke test puts back no inference component: give their DeploymentConfig "
            "AutoRollbackConfiguration alarms for SageMaker's own rollback)"
        )
    message = f"smoke test passed: {', '.join(invoked) or 'none'} answered as expected{at_zero}"
    logger.info(message)
    return SmokeTested(Passed=True, Message=message)
