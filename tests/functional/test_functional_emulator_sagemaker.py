"""The emulated SageMaker itself: the AWS behaviours the e2e tier relies on."""

from __future__ import annotations

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


def _rejection(error: ClientError) -> tuple[str, str]:
    return error.response["Error"]["Code"], error.response["Error"]["Message"]


def test_duplicate_endpoint_name_is_rejected_without_regard_to_case(sm):
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")

    with pytest.raises(ClientError) as caught:
        sm.create_endpoint(EndpointName="CHURN-Predictor", EndpointConfigName="churn-v1")

    code, message = _rejection(caught.value)
    assert code == "ValidationException"
    assert message.startswith('Cannot create already existing endpoint "')
    assert message.endswith('endpoint/churn-predictor".')
    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["churn-predictor"]


def test_duplicate_endpoint_config_name_is_rejected_and_the_first_kept(sm):
    bigger = dict(VARIANT, InitialInstanceCount=4)

    with pytest.raises(ClientError) as caught:
        sm.create_endpoint_config(EndpointConfigName="Churn-V1", ProductionVariants=[bigger])

    code, message = _rejection(caught.value)
    assert code == "ValidationException"
    assert message.startswith("Cannot create already existing endpoint configuration")
    config = sm.describe_endpoint_config(EndpointConfigName="churn-v1")
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 1


def test_update_of_a_missing_endpoint_is_rejected(sm):
    with pytest.raises(ClientError) as caught:
        sm.update_endpoint(EndpointName="no-such-endpoint", EndpointConfigName="churn-v1")

    code, message = _rejection(caught.value)
    assert code == "ValidationException"
    assert message.startswith('Could not find endpoint "')
    assert "no-such-endpoint" in message
    assert sm.list_endpoints()["Endpoints"] == []


def test_endpoint_config_naming_a_missing_model_is_rejected(sm):
    ghost = dict(VARIANT, ModelName="ghost-model")

    with pytest.raises(ClientError) as caught:
        sm.create_endpoint_config(EndpointConfigName="churn-ghost", ProductionVariants=[ghost])

    code, message = _rejection(caught.value)
    assert code == "ValidationException"
    assert message.startswith('Could not find model "')
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

    with pytest.raises(ClientError) as caught:
        sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v2")

    code, message = _rejection(caught.value)
    assert code == "ValidationException"
    assert message.startswith("Cannot update in-progress endpoint")
    aws.settle()
    sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v2")
    endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointStatus"] == "Updating"
    assert endpoint["PendingDeploymentSummary"]["EndpointConfigName"] == "churn-v2"
