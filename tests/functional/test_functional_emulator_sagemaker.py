"""The emulated SageMaker itself: the AWS behaviours the e2e tier relies on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

VARIANT = {
    "VariantName": "primary",
    "ModelName": "churn-xgboost-v1",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 1,
}


@pytest.fixture
def sm(aws):
    aws.sagemaker.create_model(
        ModelName="churn-xgboost-v1",
        ExecutionRoleArn=aws.ROLE_ARN,
        PrimaryContainer={"Image": aws.IMAGE_V1},
    )
    aws.sagemaker.create_endpoint_config(
        EndpointConfigName="churn-v1", ProductionVariants=[VARIANT]
    )
    return aws.sagemaker


def _refused(call: Callable[..., object], prefix: str, **params: Any) -> str:
    """SageMaker refuses ``call(**params)`` with a ValidationException whose message starts
    with ``prefix``; returns the message."""
    with pytest.raises(ClientError) as caught:
        call(**params)

    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(prefix), error["Message"]
    return error["Message"]


def test_duplicate_endpoint_name_is_rejected_without_regard_to_case(sm):
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")

    message = _refused(
        sm.create_endpoint,
        'Cannot create already existing endpoint "',
        EndpointName="CHURN-Predictor",
        EndpointConfigName="churn-v1",
    )
    assert message.endswith('endpoint/churn-predictor".')
    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["churn-predictor"]


def test_duplicate_endpoint_config_name_is_rejected_and_the_first_kept(sm):
    bigger = dict(VARIANT, InitialInstanceCount=4)

    _refused(
        sm.create_endpoint_config,
        "Cannot create already existing endpoint configuration",
        EndpointConfigName="Churn-V1",
        ProductionVariants=[bigger],
    )
    config = sm.describe_endpoint_config(EndpointConfigName="churn-v1")
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 1


def test_update_of_a_missing_endpoint_is_rejected(sm):
    message = _refused(
        sm.update_endpoint,
        'Could not find endpoint "',
        EndpointName="no-such-endpoint",
        EndpointConfigName="churn-v1",
    )
    assert "no-such-endpoint" in message
    assert sm.list_endpoints()["Endpoints"] == []


def test_endpoint_config_naming_a_missing_model_is_rejected(sm):
    ghost = dict(VARIANT, ModelName="ghost-model")

    message = _refused(
        sm.create_endpoint_config,
        'Could not find model "',
        EndpointConfigName="churn-ghost",
        ProductionVariants=[ghost],
    )
    assert "ghost-model" in message
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.describe_endpoint_config(EndpointConfigName="churn-ghost")


def test_endpoint_status_follows_the_simulated_clock(aws, sm):
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    creating = sm.describe_endpoint(EndpointName="churn-predictor")

    aws.clock.advance(aws.emulator.faults.creation_seconds)
    in_service = sm.describe_endpoint(EndpointName="Churn-Predictor")

    assert creating["EndpointStatus"] == "Creating"
    assert "PendingDeploymentSummary" not in creating
    assert in_service["EndpointStatus"] == "InService"
    assert in_service["EndpointName"] == "churn-predictor"
    assert in_service["ProductionVariants"][0]["CurrentInstanceCount"] == 1


def test_update_in_progress_is_rejected(aws, sm):
    sm.create_endpoint_config(
        EndpointConfigName="churn-v2", ProductionVariants=[dict(VARIANT, InitialInstanceCount=2)]
    )
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")

    _refused(
        sm.update_endpoint,
        "Cannot update in-progress endpoint",
        EndpointName="churn-predictor",
        EndpointConfigName="churn-v2",
    )
    aws.settle()
    sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v2")
    endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointStatus"] == "Updating"
    assert endpoint["PendingDeploymentSummary"]["EndpointConfigName"] == "churn-v2"


def test_list_endpoints_filters_by_last_modified_time_as_sagemaker_does(aws, sm):
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html
    sm.create_endpoint(EndpointName="early", EndpointConfigName="churn-v1")
    aws.clock.advance(10)
    sm.create_endpoint(EndpointName="late", EndpointConfigName="churn-v1")
    aws.clock.advance(1)
    between = aws.now().replace(microsecond=0)
    aws.clock.advance(aws.emulator.faults.creation_seconds - 6)  # "early" settles: modified

    def listed(**filters: Any) -> list[str]:
        return sorted(e["EndpointName"] for e in sm.list_endpoints(**filters)["Endpoints"])

    assert listed(LastModifiedTimeAfter=between) == ["early"]
    assert listed(LastModifiedTimeBefore=between) == ["late"]
    assert listed(CreationTimeAfter=between) == []
    assert listed(StatusEquals="Creating") == ["late"]
    assert listed(NameContains="AR") == ["early"]
    with pytest.raises(ClientError, match="sortBy"):
        sm.list_endpoints(SortBy="LastModifiedTime")


def test_list_models_filters_sorts_and_pages_as_sagemaker_does(aws, sm):
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModels.html
    for name in ("churn-a", "fraud-b", "churn-c"):
        aws.clock.advance(5)
        sm.create_model(
            ModelName=name, ExecutionRoleArn=aws.ROLE_ARN, PrimaryContainer={"Image": aws.IMAGE_V1}
        )
    between = aws.now()
    aws.clock.advance(5)
    sm.create_model(
        ModelName="churn-d", ExecutionRoleArn=aws.ROLE_ARN, PrimaryContainer={"Image": aws.IMAGE_V1}
    )

    def names(**params: Any) -> list[str]:
        return [m["ModelName"] for m in sm.list_models(**params)["Models"]]

    # newest first by default; churn-xgboost-v1 (the fixture's) is the oldest
    assert names(NameContains="CHURN") == ["churn-d", "churn-c", "churn-a", "churn-xgboost-v1"]
    assert names(NameContains="churn", SortBy="Name", SortOrder="Ascending") == [
        "churn-a",
        "churn-c",
        "churn-d",
        "churn-xgboost-v1",
    ]
    assert names(CreationTimeAfter=between) == ["churn-d"]
    assert names(CreationTimeBefore=between, NameContains="fraud") == ["fraud-b"]
    first = sm.list_models(NameContains="churn", MaxResults=3)
    second = sm.list_models(NameContains="churn", MaxResults=3, NextToken=first["NextToken"])
    assert [m["ModelName"] for m in first["Models"] + second["Models"]] == names(
        NameContains="churn"
    )
    assert "NextToken" not in second
    paginated = sm.get_paginator("list_models").paginate(PaginationConfig={"PageSize": 2})
    assert [m["ModelName"] for page in paginated for m in page["Models"]] == names()


def test_list_endpoint_configs_filters_by_creation_time_and_sorts_as_sagemaker_does(aws, sm):
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html
    aws.clock.advance(5)
    between = aws.now()
    aws.clock.advance(5)
    sm.create_endpoint_config(EndpointConfigName="churn-v2", ProductionVariants=[VARIANT])

    def names(**params: Any) -> list[str]:
        return [
            c["EndpointConfigName"] for c in sm.list_endpoint_configs(**params)["EndpointConfigs"]
        ]

    assert names() == ["churn-v2", "churn-v1"]  # newest first
    assert names(CreationTimeAfter=between) == ["churn-v2"]
    assert names(CreationTimeBefore=between) == ["churn-v1"]
    assert names(SortBy="Name", SortOrder="Ascending") == ["churn-v1", "churn-v2"]
    with pytest.raises(ClientError, match="sortBy"):
        sm.list_endpoint_configs(SortBy="Status")


@pytest.mark.parametrize("operation", ["list_models", "list_endpoints", "list_endpoint_configs"])
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"NextToken": "not-a-token"}, "Invalid NextToken 'not-a-token'"),
        ({"MaxResults": 101}, "at 'maxResults' failed to satisfy constraint"),
    ],
)
def test_a_list_call_refuses_a_token_it_never_gave_and_a_page_too_large(
    sm, operation, params, message
):
    with pytest.raises(ClientError) as refused:
        getattr(sm, operation)(**params)

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in refused.value.response["Error"]["Message"]


def test_a_token_of_one_list_call_is_refused_by_another(aws, sm):
    for index in range(3):
        sm.create_model(
            ModelName=f"m{index}", ExecutionRoleArn=aws.ROLE_ARN, PrimaryContainer={"Image": "i"}
        )
    token = sm.list_models(MaxResults=1)["NextToken"]

    with pytest.raises(ClientError, match="Invalid NextToken"):
        sm.list_endpoints(NextToken=token)


def test_a_canary_update_reports_each_documented_step_at_its_time(aws, sm):
    # https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-canary.html:
    # the new fleet, the canary's traffic, its baking (WaitIntervalInSeconds), the rest of the
    # traffic, the last baking (TerminationWaitInSeconds), then InService on the new config
    sm.create_endpoint_config(
        EndpointConfigName="churn-v2", ProductionVariants=[dict(VARIANT, InitialInstanceCount=2)]
    )
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    aws.settle()
    provisioning = aws.emulator.faults.creation_seconds
    sm.update_endpoint(
        EndpointName="churn-predictor",
        EndpointConfigName="churn-v2",
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 300,
                },
                "TerminationWaitInSeconds": 120,
            }
        },
    )

    def step() -> tuple[str, str, str]:
        endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
        if endpoint["EndpointStatus"] != "Updating":
            return endpoint["EndpointStatus"], endpoint["EndpointConfigName"], ""
        (variant,) = endpoint["PendingDeploymentSummary"]["ProductionVariants"]
        (status,) = variant["VariantStatus"]
        return "Updating", status["Status"], status["StatusMessage"]

    seen = [step()]
    for seconds in (provisioning, 299, 1, 119, 1):
        aws.clock.advance(seconds)
        seen.append(step())

    assert seen == [
        ("Updating", "Creating", "creating the new (green) fleet"),
        ("Updating", "Baking", "Baking for 300 seconds (WaitIntervalInSeconds)"),
        ("Updating", "Baking", "Baking for 300 seconds (WaitIntervalInSeconds)"),
        ("Updating", "Baking", "Baking for 120 seconds (TerminationWaitInSeconds)"),
        ("Updating", "Baking", "Baking for 120 seconds (TerminationWaitInSeconds)"),
        ("InService", "churn-v2", ""),
    ]
