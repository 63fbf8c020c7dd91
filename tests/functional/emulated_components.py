"""Endpoints that host inference components, on the emulator, for the tests of the emulated
inference component API (smdeploy.runtime.emulator.sagemaker.components)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from smdeploy.runtime.emulator import Faults

ACCOUNT, REGION = "123456789012", "us-east-1"
GPU = {"MinMemoryRequiredInMb": 4096, "NumberOfAcceleratorDevicesRequired": 1}
SECONDS = Faults().component_seconds
ROOM = {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2}


def endpoint(
    aws: Any, name: str = "llm", instance_type: str = "ml.g5.12xlarge", **extra: Any
) -> Any:
    """An InService endpoint for ICs: its variant names no model, its config a role."""
    sm = aws.sagemaker
    variant = {
        "VariantName": "main",
        "InstanceType": instance_type,
        "InitialInstanceCount": 1,
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
        **extra,
    }
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-1", ExecutionRoleArn=aws.ROLE_ARN, ProductionVariants=[variant]
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-1")
    aws.settle()
    return sm


def model(aws: Any, name: str = "llama", image: str | None = None) -> None:
    aws.sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=aws.ROLE_ARN,
        PrimaryContainer={"Image": image or aws.IMAGE_V1},
    )


def create(sm: Any, name: str, copies: int = 1, on: str = "llm", **spec: Any) -> None:
    sm.create_inference_component(
        InferenceComponentName=name,
        EndpointName=on,
        VariantName="main",
        Specification={"ModelName": "llama", "ComputeResourceRequirements": GPU, **spec},
        RuntimeConfig={"CopyCount": copies},
    )


def status(sm: Any, name: str) -> tuple[str, int, int]:
    ic = sm.describe_inference_component(InferenceComponentName=name)
    runtime = ic["RuntimeConfig"]
    return ic["InferenceComponentStatus"], runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]


def refused(call: Any, message: str, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException", error
    assert message in error["Message"], error["Message"]
    return str(error["Message"])


def invoke(**params: Any) -> Any:
    runtime = boto3.client("sagemaker-runtime", region_name=REGION)
    return runtime.invoke_endpoint(ContentType="text/csv", Body=b"1,2", **params)
