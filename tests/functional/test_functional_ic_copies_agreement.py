"""The validator and the emulated inference component (IC) API agree on an IC's copies: each IC
of the fixtures of the rules of functions/deployer/request/inference_component_copies.py that
the validator refuses is refused by SageMaker's call when the request's IC is sent as it is
given (CreateInferenceComponent, or for a rolling batch UpdateInferenceComponent with the IC's
DeploymentConfig), and each one it does not refuse is accepted. So a request that passes
validation is not refused for its copies once its endpoint is up (a copy count of 0:
https://github.com/stdapi-ai/stdapi.ai/issues/43)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from deployer.request.deployment import validate_request
from deployer.request.inference_components import base_of, items, specifications
from tests.functional.emulated_components import SECONDS

INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "requests" / "invalid"
# fixture -> (the call that refuses, a fragment of its message)
CASES = {
    "ic-runtime-config-missing": ("create", "RuntimeConfig (its CopyCount) is required"),
    "ic-copy-count-below-one": (
        "create",
        "Inference components copy count an integer larger than 0",
    ),
    "ic-adapter-runtime-config": ("create", "RuntimeConfig is not accepted for an adapter"),
    "ic-rolling-batch-copies": ("update", "must be between 5% and 50%"),
}
RULES = {"ic-runtime-config", "ic-copy-count", "ic-adapter", "ic-rolling-batch-size"}


def _endpoint(aws: Any, raw: dict[str, Any]) -> None:
    """The request's endpoint for ICs, InService, and the models its ICs name."""
    sm = aws.sagemaker
    name = raw["EndpointName"]
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-1",
        ExecutionRoleArn=raw["ExecutionRoleArn"],
        ProductionVariants=raw["ProductionVariants"],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-1")
    aws.settle()
    models = {
        spec["ModelName"]
        for path, ic in items(raw)
        for _, spec in specifications(path, ic)
        if "ModelName" in spec
    }
    for model in sorted(models):
        sm.create_model(
            ModelName=model, ExecutionRoleArn=aws.ROLE_ARN, PrimaryContainer={"Image": aws.IMAGE_V1}
        )


def _call(call: Any, params: dict[str, Any], messages: list[str]) -> bool:
    """Whether SageMaker (or botocore's own check of the call, before it is sent) accepts it."""
    try:
        call(**params)
    except ParamValidationError:
        return False
    except ClientError as error:
        messages.append(str(error.response["Error"]["Message"]))
        return False
    return True


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_the_validator_refuses_of_copies_sagemaker_refuses(aws, name):
    raw = json.loads((INVALID / f"{name}.json").read_text(encoding="utf-8"))
    violations = validate_request(raw).violations
    assert {v.rule for v in violations} <= RULES
    refused_ics = {v.path.partition(".")[0] for v in violations}
    _endpoint(aws, raw)
    sm = aws.sagemaker
    (variant,) = raw["ProductionVariants"]
    listed = items(raw)
    refusing, fragment = CASES[name]
    refused: list[str] = []
    messages: list[str] = []
    # bases first, as the deployer creates them: an adapter's base must be there
    for path, ic in [
        *(c for c in listed if not base_of(c[1])),
        *(c for c in listed if base_of(c[1])),
    ]:
        params = {k: v for k, v in ic.items() if k != "DeploymentConfig"}
        params["EndpointName"] = raw["EndpointName"]
        if not base_of(ic):
            params["VariantName"] = variant["VariantName"]
        if not _call(sm.create_inference_component, params, messages):
            refused.append(path)
            continue
        aws.clock.advance(SECONDS)
        if refusing == "update":
            update = {
                "InferenceComponentName": ic["InferenceComponentName"],
                "Specification": ic["Specification"],
                "DeploymentConfig": ic["DeploymentConfig"],
            }
            if not _call(sm.update_inference_component, update, messages):
                refused.append(path)

    assert sorted(refused) == sorted(refused_ics)
    assert all(fragment in message for message in messages), messages
