"""A SageMaker endpoint served by the emulator, for the tests of the services that watch it
(Application Auto Scaling, CloudWatch alarms, InvokeEndpoint)."""

from __future__ import annotations

from typing import Any

import boto3

VARIANT = {
    "VariantName": "primary",
    "ModelName": "fraud-v1",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 2,
}
RID = "endpoint/fraud/variant/primary"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def serving(aws: Any) -> Any:
    sm = aws.sagemaker
    sm.create_model(
        ModelName="fraud-v1",
        ExecutionRoleArn=aws.ROLE_ARN,
        PrimaryContainer={"Image": aws.IMAGE_V1},
    )
    sm.create_endpoint_config(EndpointConfigName="fraud-1", ProductionVariants=[VARIANT])
    sm.create_endpoint(EndpointName="fraud", EndpointConfigName="fraud-1")
    aws.settle()
    return sm


def register(low: int = 1, high: int = 4) -> Any:
    scaling = boto3.client("application-autoscaling", region_name="us-east-1")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=RID,
        ScalableDimension=DIMENSION,
        MinCapacity=low,
        MaxCapacity=high,
    )
    return scaling


def count(sm: Any) -> int:
    return int(
        sm.describe_endpoint(EndpointName="fraud")["ProductionVariants"][0]["CurrentInstanceCount"]
    )


def config(sm: Any, name: str, **changes: Any) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[dict(VARIANT, **changes)]
    )
