"""What the emulator answers where moto's own answer differed from botocore's model, as the
check of every response found (smdeploy/runtime/emulator/shapes.py): each answer asserted
here as a client reads it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from smdeploy.runtime.emulator import Emulator
from smdeploy.runtime.emulator.applicationautoscaling import service_linked_role
from tests.functional.emulated_endpoint import DIMENSION, RID, register, serving

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/states"


@pytest.fixture
def sfn() -> Iterator[Any]:
    """Step Functions on the emulator, running what it is given."""
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        Emulator(seed=1) as emulator,
    ):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        client.emulator = emulator  # type: ignore[attr-defined]
        yield client


def test_a_model_is_described_with_only_the_containers_and_vpc_it_was_created_with(aws):
    aws.sagemaker.create_model(
        ModelName="pipeline",
        ExecutionRoleArn=aws.ROLE_ARN,
        Containers=[{"Image": aws.IMAGE_V1}, {"Image": aws.IMAGE_V2}],
    )
    aws.sagemaker.create_model(
        ModelName="single", ExecutionRoleArn=aws.ROLE_ARN, PrimaryContainer={"Image": aws.IMAGE_V1}
    )

    pipeline = aws.sagemaker.describe_model(ModelName="pipeline")
    single = aws.sagemaker.describe_model(ModelName="single")

    assert [c["Image"] for c in pipeline["Containers"]] == [aws.IMAGE_V1, aws.IMAGE_V2]
    assert "PrimaryContainer" not in pipeline and "VpcConfig" not in pipeline
    assert single["PrimaryContainer"]["Image"] == aws.IMAGE_V1
    assert "VpcConfig" not in single


def test_a_versioned_package_is_described_with_its_group_s_name(aws):
    aws.sagemaker.create_model_package_group(ModelPackageGroupName="churn")
    arn = aws.sagemaker.create_model_package(
        ModelPackageGroupName="churn",
        InferenceSpecification={
            "Containers": [{"Image": aws.IMAGE_V1}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]

    described = aws.sagemaker.describe_model_package(ModelPackageName=arn)
    group = aws.sagemaker.describe_model_package_group(ModelPackageGroupName="churn")

    assert described["ModelPackageName"] == "churn"
    assert described["ModelPackageVersion"] == 1
    assert group["CreatedBy"] == {}


def test_a_definition_that_does_not_parse_is_refused_with_the_code_invalid_definition(sfn):
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name="broken", definition="not json", roleArn=ROLE)

    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_target_registered_without_a_role_scales_with_the_service_linked_one(aws):
    serving(aws)
    scaling = register()

    (target,) = scaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[RID], ScalableDimension=DIMENSION
    )["ScalableTargets"]

    assert target["RoleARN"] == service_linked_role(ACCOUNT)
    assert target["RoleARN"].endswith("/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")
    assert "NextToken" not in scaling.describe_scalable_targets(ServiceNamespace="sagemaker")


def test_a_package_for_a_group_that_does_not_exist_is_refused_with_the_service_s_message(aws):
    # moto's message began with what botocore prints before it: "An error ocurred
    # (ValidationException) when calling the CreateModelPackage operation: ..."
    sm = boto3.client("sagemaker", region_name="us-east-1")

    with pytest.raises(ClientError) as refused:
        sm.create_model_package(
            ModelPackageGroupName="no-such-group",
            InferenceSpecification={
                "Containers": [{"Image": aws.IMAGE_V1}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )

    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationException",
        "Model Package Group does not exist.",
    )
