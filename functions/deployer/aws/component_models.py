"""Reading inference components: one IC's description (the Components stage, and Validate for
a rejection of a profile that targets an IC), and the models the account's ICs name, read by
the clean-up (the Describe stage), which must never delete one of them. An endpoint for
inference components names no model in its config: its ICs do
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceComponents.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from deployer.aws.sagemaker import pages, sagemaker_call, sagemaker_read
from deployer.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


def model_names(ic: Mapping[str, Any]) -> set[str]:
    """The models an IC's specifications name: a request's IC, or a DescribeInferenceComponent
    answer (its specification summaries have the same ModelName). Plain data, here rather than
    with the request's modules, which the Describe stage does not import."""
    specs = [ic.get("Specification") or {}, *(ic.get("Specifications") or [])]
    return {str(s["ModelName"]) for s in specs if isinstance(s, Mapping) and s.get("ModelName")}


@tracer.capture_method
def describe_component(
    make_client: Callable[[], SageMakerClient], name: str
) -> dict[str, Any] | None:
    """DescribeInferenceComponent; None when there is no IC of that name."""
    sagemaker = make_client()
    return sagemaker_read(
        "DescribeInferenceComponent",
        lambda: dict(sagemaker.describe_inference_component(InferenceComponentName=name)),
    )


@tracer.capture_method
def models_in_use(make_client: Callable[[], SageMakerClient]) -> set[str]:
    """ListInferenceComponents (every page), then one DescribeInferenceComponent per IC: the
    models their specifications name (an IC deleted meanwhile names none)."""
    sagemaker = make_client()

    def listing() -> list[str]:
        found = pages(lambda **token: sagemaker.list_inference_components(MaxResults=100, **token))
        return [s["InferenceComponentName"] for p in found for s in p["InferenceComponents"]]

    models: set[str] = set()
    for name in sagemaker_call("ListInferenceComponents", listing):
        models |= model_names(describe_component(make_client, name) or {})
    return models
