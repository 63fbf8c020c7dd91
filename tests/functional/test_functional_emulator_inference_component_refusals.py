"""The emulated inference component (IC) API: what SageMaker refuses (and InvokeEndpoint of an
IC), throttling, and ListInferenceComponents' filters, order and pages. Every answer is also
checked against botocore's model of its operation (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.emulator.sagemaker.components import components_of
from tests.functional.emulated_components import (
    ACCOUNT,
    GPU,
    REGION,
    SECONDS,
    create,
    endpoint,
    invoke,
    model,
    refused,
    status,
)


def test_invoke_endpoint_names_a_component_of_a_component_endpoint_only(aws):
    sm = endpoint(aws)
    model(aws)
    create(sm, "chat")
    with pytest.raises(ClientError) as creating:
        invoke(EndpointName="llm", InferenceComponentName="chat")
    aws.clock.advance(SECONDS)
    sm.create_endpoint_config(
        EndpointConfigName="plain-1",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "llama",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="plain", EndpointConfigName="plain-1")
    aws.settle()

    def message(**params: Any) -> str:
        with pytest.raises(ClientError) as caught:
            invoke(**params)
        assert caught.value.response["Error"]["Code"] == "ValidationError"
        return str(caught.value.response["Error"]["Message"])

    assert "has no capacity" in creating.value.response["Error"]["Message"]
    assert message(EndpointName="llm").startswith("Inference Component Name header is required")
    assert message(EndpointName="plain", InferenceComponentName="chat").startswith(
        "Inference Component Name header is not allowed"
    )
    assert message(EndpointName="llm", InferenceComponentName="ghost").endswith("not found.")
    answer = invoke(EndpointName="llm", InferenceComponentName="chat")
    assert answer["InvokedProductionVariant"] == "main"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"EndpointName": "nowhere"}, 'Could not find endpoint "'),
        ({"VariantName": "other"}, 'Could not find variant "other"'),
        ({"EndpointName": "plain"}, "Inference Components are not supported in this Endpoint."),
        (
            {"Specification": {"ModelName": "ghost", "ComputeResourceRequirements": GPU}},
            'Could not find model "',
        ),
        ({"InferenceComponentName": "CHAT"}, "Cannot create already existing inference component"),
        (
            {
                "Specification": {"BaseInferenceComponentName": "ghost"},
                "VariantName": None,
                "RuntimeConfig": None,
            },
            'Could not find inference component "',
        ),
        (
            {
                "EndpointName": "other",
                "Specification": {"BaseInferenceComponentName": "chat"},
                "VariantName": None,
                "RuntimeConfig": None,
            },
            "an adapter is hosted with its base",
        ),
        ({"RuntimeConfig": None}, "RuntimeConfig (its CopyCount) is required"),
        ({"Specification": {"ModelName": "llama"}}, "ComputeResourceRequirements is required"),
    ],
)
def test_create_refuses_what_sagemaker_refuses(aws, params, message):
    sm = endpoint(aws)
    endpoint(aws, "other")
    model(aws)
    sm.create_endpoint_config(
        EndpointConfigName="plain-1",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": "llama",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="plain", EndpointConfigName="plain-1")
    aws.settle()
    create(sm, "chat")
    aws.clock.advance(SECONDS)
    request = {
        "InferenceComponentName": "new",
        "EndpointName": "llm",
        "VariantName": "main",
        "Specification": {"ModelName": "llama", "ComputeResourceRequirements": GPU},
        "RuntimeConfig": {"CopyCount": 1},
        **params,
    }

    refused(
        sm.create_inference_component,
        message,
        **{k: v for k, v in request.items() if v is not None},
    )


def test_the_lifecycle_refuses_what_sagemaker_refuses(aws):
    sm = aws.sagemaker
    model(aws)
    sm.create_endpoint_config(
        EndpointConfigName="llm-1",
        ExecutionRoleArn=aws.ROLE_ARN,
        ProductionVariants=[
            {"VariantName": "main", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}
        ],
    )
    sm.create_endpoint(EndpointName="llm", EndpointConfigName="llm-1")
    refused(
        sm.create_inference_component,
        "is Creating, not InService",
        InferenceComponentName="chat",
        EndpointName="llm",
        VariantName="main",
        Specification={"ModelName": "llama", "ComputeResourceRequirements": GPU},
        RuntimeConfig={"CopyCount": 1},
    )
    aws.settle()
    create(sm, "chat")

    refused(
        sm.update_inference_component,
        "in status Creating",
        InferenceComponentName="chat",
        RuntimeConfig={"CopyCount": 2},
    )
    refused(sm.delete_inference_component, "while it is Creating", InferenceComponentName="chat")
    aws.clock.advance(SECONDS)
    refused(
        sm.update_inference_component,
        "needs a Specification or a RuntimeConfig",
        InferenceComponentName="chat",
    )
    for call in (sm.describe_inference_component, sm.delete_inference_component):
        message = refused(
            call, "Could not find inference component", InferenceComponentName="ghost"
        )
        assert message.endswith(':inference-component/ghost".')
    refused(sm.delete_endpoint, "it has inference components attached (chat)", EndpointName="llm")
    sm.delete_inference_component(InferenceComponentName="chat")
    deleting = sm.describe_inference_component(InferenceComponentName="chat")[
        "InferenceComponentStatus"
    ]
    refused(sm.delete_inference_component, "DELETE_IN_PROGRESS", InferenceComponentName="chat")
    aws.clock.advance(aws.emulator.faults.deletion_seconds)
    sm.delete_endpoint(EndpointName="llm")

    assert deleting == "Deleting"
    assert sm.list_inference_components()["InferenceComponents"] == []
    assert components_of(aws.emulator.store(ACCOUNT, REGION)).components == {}


def test_describe_inference_component_is_throttled_as_asked(start_aws):
    aws = start_aws(Faults(throttle={"DescribeInferenceComponent": 2}))
    sm = endpoint(aws)
    model(aws)
    create(sm, "chat")

    codes = []
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            sm.describe_inference_component(InferenceComponentName="chat")
        codes.append(caught.value.response["Error"]["Code"])

    assert codes == ["ThrottlingException"] * 2
    assert status(sm, "chat")[0] == "Creating"


def test_list_inference_components_filters_sorts_and_pages(aws):
    sm = endpoint(aws)
    endpoint(aws, "other")
    model(aws)
    for name in ("chat-a", "code-b", "chat-c"):
        create(sm, name)
        aws.clock.advance(5)
    between = aws.now()
    aws.clock.advance(1)
    create(sm, "chat-d", on="other")
    aws.clock.advance(SECONDS - 3)  # the first three InService, chat-d still Creating

    def names(**params: Any) -> list[str]:
        return [
            c["InferenceComponentName"]
            for c in sm.list_inference_components(**params)["InferenceComponents"]
        ]

    assert names() == ["chat-d", "chat-c", "code-b", "chat-a"]  # newest first
    assert names(NameContains="CHAT", SortBy="Name", SortOrder="Ascending") == [
        "chat-a",
        "chat-c",
        "chat-d",
    ]
    assert names(StatusEquals="Creating") == ["chat-d"]
    assert names(EndpointNameEquals="other") == ["chat-d"]
    assert names(VariantNameEquals="none") == []
    assert names(CreationTimeAfter=between) == ["chat-d"]
    first = sm.list_inference_components(MaxResults=3)
    assert len(first["InferenceComponents"]) == 3 and "NextToken" in first
    paginated = sm.get_paginator("list_inference_components").paginate(
        PaginationConfig={"PageSize": 1}
    )
    assert [
        c["InferenceComponentName"] for p in paginated for c in p["InferenceComponents"]
    ] == names()
    with pytest.raises(ClientError, match="sortBy"):
        sm.list_inference_components(SortBy="EndpointName")
