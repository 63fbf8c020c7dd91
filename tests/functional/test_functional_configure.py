"""Configure stage: models then the endpoint config, idempotent and refusing silent edits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.errors import (
    DeploymentTimedOut,
    EndpointConfigConflict,
    ModelConflict,
    ModelNotFound,
    NoRollbackTarget,
    SageMakerThrottled,
)
from deployer.request.deployment import parse_request
from smdeploy.runtime.emulator import Faults


def _registered_model_package(aws) -> str:
    """A model package in the (moto) model registry; returns its ARN."""
    aws.sagemaker.create_model_package_group(ModelPackageGroupName="churn")
    package = aws.sagemaker.create_model_package(
        ModelPackageGroupName="churn",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [
                {"Image": aws.IMAGE_V2, "ModelDataUrl": "s3://example-models/churn/v9.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    return package["ModelPackageArn"]


def _two_model_request(make_request, package_arn: str) -> dict:
    request = make_request()
    request["Models"].append(
        {
            "ModelName": "churn-registry-v9",
            "ExecutionRoleArn": request["Models"][0]["ExecutionRoleArn"],
            "Containers": [{"ModelPackageName": package_arn}],
        }
    )
    request["ProductionVariants"].append(
        {
            "VariantName": "challenger",
            "ModelName": "churn-registry-v9",
            "InstanceType": "ml.c5.xlarge",
            "InitialInstanceCount": 1,
            "InitialVariantWeight": 0.25,
        }
    )
    return request


def _model_made_outside(aws: Any, name: str, image: str) -> None:
    """A model created in SageMaker directly, not by the deployer."""
    aws.sagemaker.create_model(
        ModelName=name, ExecutionRoleArn=aws.ROLE_ARN, PrimaryContainer={"Image": image}
    )


def _with_variant(request: dict[str, Any], name: str, model: str) -> dict[str, Any]:
    """The request with one more variant, serving ``model``."""
    request["ProductionVariants"].append(
        {
            "VariantName": name,
            "ModelName": model,
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        }
    )
    return request


def _assert_no_config(aws, name: str) -> None:
    with pytest.raises(ClientError) as caught:
        aws.sagemaker.describe_endpoint_config(EndpointConfigName=name)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find endpoint configuration" in str(caught.value)


def test_creates_models_and_the_endpoint_config(aws, make_request):
    package_arn = _registered_model_package(aws)
    request = _two_model_request(make_request, package_arn)
    config_name = parse_request(request).endpoint_config_name

    result = aws.configure(request)

    assert result["EndpointConfigName"] == config_name
    assert result["ConfigCreated"] is True
    assert result["ModelsCreated"] == ["churn-xgboost-v1", "churn-registry-v9"]
    assert result["ModelsReused"] == []

    image_model = aws.sagemaker.describe_model(ModelName="churn-xgboost-v1")
    assert image_model["PrimaryContainer"]["Image"] == aws.IMAGE_V1
    assert image_model["ExecutionRoleArn"] == aws.ROLE_ARN
    registry_model = aws.sagemaker.describe_model(ModelName="churn-registry-v9")
    assert [c["ModelPackageName"] for c in registry_model["Containers"]] == [package_arn]

    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    assert config["EndpointConfigArn"] == result["EndpointConfigArn"]
    variants = [
        (v["VariantName"], v["ModelName"], v["InstanceType"], v["InitialInstanceCount"])
        for v in config["ProductionVariants"]
    ]
    assert variants == [
        ("primary", "churn-xgboost-v1", "ml.m5.large", 1),
        ("challenger", "churn-registry-v9", "ml.c5.xlarge", 1),
    ]
    assert [v["InitialVariantWeight"] for v in config["ProductionVariants"]] == [1.0, 0.25]


def test_second_run_of_the_same_request_creates_nothing(aws, make_request):
    request = _two_model_request(make_request, _registered_model_package(aws))
    first = aws.configure(request)
    created_at = aws.sagemaker.describe_endpoint_config(
        EndpointConfigName=first["EndpointConfigName"]
    )["CreationTime"]
    aws.clock.advance(120)

    second = aws.configure(request)

    assert second["ConfigCreated"] is False
    assert second["ModelsCreated"] == []
    assert second["ModelsReused"] == ["churn-xgboost-v1", "churn-registry-v9"]
    assert second["EndpointConfigName"] == first["EndpointConfigName"]
    assert second["EndpointConfigArn"] == first["EndpointConfigArn"]
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=first["EndpointConfigName"])
    assert config["CreationTime"] == created_at
    assert len(aws.sagemaker.list_models()["Models"]) == 2


def test_replay_reports_creations_in_its_metrics(aws, make_request, stdout):
    request = make_request()
    aws.configure(request)
    aws.configure(request)

    blobs = [b for b in stdout.metrics() if "EndpointConfigsCreated" in b["metric_names"]]
    assert [b["EndpointConfigsCreated"] for b in blobs] == [[1.0], [0.0]]
    assert [b["ModelsCreated"] for b in blobs] == [[1.0], [0.0]]


def test_same_explicit_config_name_with_other_content_is_a_conflict(aws, make_request):
    original = make_request(EndpointConfigName="churn-config-v1")
    aws.configure(original)
    before = aws.sagemaker.describe_endpoint_config(EndpointConfigName="churn-config-v1")
    changed = make_request(EndpointConfigName="churn-config-v1", instance_type="ml.c5.xlarge")

    with pytest.raises(EndpointConfigConflict) as caught:
        aws.configure(changed)

    message = str(caught.value)
    assert "endpoint config churn-config-v1 already exists with different content" in message
    assert (
        'ProductionVariants[0].InstanceType: exists as "ml.m5.large", '
        'request says "ml.c5.xlarge"' in message
    )
    assert "leave EndpointConfigName out" in message
    after = aws.sagemaker.describe_endpoint_config(EndpointConfigName="churn-config-v1")
    assert after["ProductionVariants"] == before["ProductionVariants"]
    assert after["CreationTime"] == before["CreationTime"]


def test_reused_model_name_with_another_image_is_a_conflict(aws, make_request):
    aws.configure(make_request())
    # Same ModelName, new image (and a new variant size, so a new derived config name).
    changed = make_request(image=aws.IMAGE_V2, instance_count=2)
    changed_config = parse_request(changed).endpoint_config_name

    with pytest.raises(ModelConflict) as caught:
        aws.configure(changed)

    message = str(caught.value)
    assert "model churn-xgboost-v1 already exists with a different definition" in message
    assert f"PrimaryContainer.Image: exists as {json.dumps(aws.IMAGE_V1)}" in message
    assert f"request says {json.dumps(aws.IMAGE_V2)}" in message
    _assert_no_config(aws, changed_config)
    model = aws.sagemaker.describe_model(ModelName="churn-xgboost-v1")
    assert model["PrimaryContainer"]["Image"] == aws.IMAGE_V1


def test_model_made_outside_the_deployer_with_another_image_is_a_conflict(aws, make_request):
    _model_made_outside(aws, "churn-xgboost-v1", aws.IMAGE_V2)
    request = make_request()

    with pytest.raises(ModelConflict, match=r"PrimaryContainer\.Image: exists as"):
        aws.configure(request)

    _assert_no_config(aws, parse_request(request).endpoint_config_name)


def test_variant_naming_an_unknown_model_is_refused(aws, make_request):
    request = _with_variant(make_request(), "challenger", "ghost-model")

    with pytest.raises(ModelNotFound) as caught:
        aws.configure(request)

    assert str(caught.value) == (
        "ProductionVariants[1].ModelName: model ghost-model does not exist and the request's "
        "Models does not create it"
    )
    _assert_no_config(aws, parse_request(request).endpoint_config_name)
    # refused before anything was created: not even the model the request does define
    assert aws.sagemaker.list_models()["Models"] == []


def test_variant_may_name_a_model_that_already_exists(aws, make_request):
    _model_made_outside(aws, "churn-xgboost-v0", aws.IMAGE_V1)
    request = _with_variant(make_request(), "legacy", "churn-xgboost-v0")

    result = aws.configure(request)

    assert result["ConfigCreated"] is True
    assert result["ModelsCreated"] == ["churn-xgboost-v1"]
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=result["EndpointConfigName"])
    assert [v["ModelName"] for v in config["ProductionVariants"]] == [
        "churn-xgboost-v1",
        "churn-xgboost-v0",
    ]


def test_restore_turns_the_config_served_before_into_the_request_that_puts_it_back(
    aws, make_request
):
    before = make_request()
    before["Tags"] = [{"Key": "team", "Value": "churn"}]
    aws.configure(before)
    served = parse_request(before).endpoint_config_name
    # the rejected version's request: another variant count, the profile's other settings
    rejected = make_request()
    rejected["ProductionVariants"][0]["InitialInstanceCount"] = 5
    rejected["Tags"] = [{"Key": "team", "Value": "churn"}]

    result = aws.restore(rejected, served, execution="exec-reject")

    request = result["Request"]
    assert request["EndpointConfigName"] == served
    assert request["ProductionVariants"] == before["ProductionVariants"]
    assert request["Tags"] == [{"Key": "team", "Value": "churn"}]  # the profile's, kept
    assert "Models" not in request  # nothing to create: the config's models exist
    assert result["Message"] == f"putting back {served} on endpoint {before['EndpointName']}"
    # Configure then checks it and reuses the config, creating nothing
    again = aws.configure(request, execution="exec-reject")
    assert (again["EndpointConfigName"], again["ConfigCreated"]) == (served, False)


def test_restore_of_a_config_that_is_gone_fails_no_rollback_target(aws, make_request):
    with pytest.raises(NoRollbackTarget, match=r"churn-gone: the config endpoint .* no longer"):
        aws.restore(make_request(), "churn-gone")


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
@pytest.mark.parametrize(
    ("deadline", "raised"),
    [
        ("2999-01-01T00:00:00Z", SageMakerThrottled),  # before it: the state machine retries
        ("2000-01-01T00:00:00Z", DeploymentTimedOut),  # after it: the deadline's error
    ],
)
def test_throttling_after_the_deadline_is_the_deadlines_error(
    start_aws, make_request, deadline, raised
):
    aws = start_aws(Faults(throttle={"CreateModel": 1}))
    with pytest.raises(raised) as caught:
        aws.configure(make_request(), deadline=deadline)

    if raised is DeploymentTimedOut:
        assert "SageMakerThrottled: CreateModel: SageMaker throttled the call" in str(caught.value)
    assert aws.sagemaker.list_models()["Models"] == []  # the throttled call made nothing
