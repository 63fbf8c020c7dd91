"""The inference component calls the deployer makes (SageMaker's IC API), translated as
every SageMaker call is (:mod:`deployer.aws.sagemaker`), and the one Application Auto
Scaling read that tells whether an autoscaler owns an IC's copy count.

https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteInferenceComponent.html.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from deployer.aws.component_models import describe_component
from deployer.aws.guardrails import ScalingGateway
from deployer.aws.sagemaker import AlreadyExists, sagemaker_call, sagemaker_read
from deployer.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_sagemaker import SageMakerClient

COMPONENT_EXISTS = "Cannot create already existing inference component"
# Application Auto Scaling's resource and dimension of an IC's copy count
# (https://docs.aws.amazon.com/sagemaker/latest/dg/inference-component-auto-scaling.html)
SCALABLE_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


def scalable_resource(name: str) -> str:
    return f"inference-component/{name}"


def _exists(name: str) -> Callable[[ClientError], None]:
    def recognise(error: ClientError) -> None:
        if str(error.response.get("Error", {}).get("Message", "")).startswith(COMPONENT_EXISTS):
            raise AlreadyExists(name) from error

    return recognise


class ComponentGateway:
    """Typed, narrow access to the IC calls; each client is asked for at its first call."""

    def __init__(
        self,
        client: Callable[[], SageMakerClient],
        scaling: Callable[[], ApplicationAutoScalingClient] | None = None,
    ) -> None:
        self._make_client = client
        self._make_scaling = scaling

    def describe(self, name: str) -> dict[str, Any] | None:
        """The IC's description; None when there is no IC of that name."""
        return describe_component(self._make_client, name)

    @tracer.capture_method
    def create(self, params: dict[str, Any]) -> None:
        """Create the IC; raise AlreadyExists when the name is taken."""
        client = self._make_client()
        sagemaker_call(
            "CreateInferenceComponent",
            lambda: client.create_inference_component(**params),
            _exists(params["InferenceComponentName"]),
        )

    @tracer.capture_method
    def update(self, params: dict[str, Any]) -> None:
        client = self._make_client()
        sagemaker_call(
            "UpdateInferenceComponent", lambda: client.update_inference_component(**params)
        )

    @tracer.capture_method
    def scale(self, params: dict[str, Any]) -> None:
        client = self._make_client()
        sagemaker_call(
            "UpdateInferenceComponentRuntimeConfig",
            lambda: client.update_inference_component_runtime_config(**params),
        )

    @tracer.capture_method
    def delete(self, name: str) -> None:
        # not found: gone already, which is what was wanted
        client = self._make_client()
        sagemaker_read(
            "DeleteInferenceComponent",
            lambda: client.delete_inference_component(InferenceComponentName=name),
        )

    @tracer.capture_method
    def autoscaled(self, name: str) -> bool:
        """Whether a scalable target owns the IC's copy count (a gateway made without the
        Application Auto Scaling client, to read ICs only, cannot tell)."""
        if self._make_scaling is None:
            raise TypeError("ComponentGateway: made without an Application Auto Scaling client")
        return ScalingGateway(self._make_scaling()).registered(
            scalable_resource(name), SCALABLE_DIMENSION
        )
