"""Deploy stage: CreateEndpoint, UpdateEndpoint or nothing, against SageMaker's real statuses."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.decide.plan import VISIBILITY_LOOKS
from deployer.errors import (
    EndpointBusy,
    EndpointConfigMissing,
    EndpointConfigNotVisible,
    EndpointNotUpdatable,
    EndpointReplacing,
    SageMakerThrottled,
)
from smdeploy.runtime.emulator import Faults


def _deployed(aws, request: dict) -> tuple[dict, dict]:
    """Configure and deploy ``request``, then let the endpoint reach InService."""
    config, deployment = aws.configure_and_deploy(request)
    aws.settle()
    assert aws.endpoint(request["EndpointName"])["EndpointStatus"] == "InService"
    return config, deployment


def _refused(
    aws: Any,
    error: type[Exception],
    request: dict[str, Any],
    config: dict[str, Any],
    *fragments: str,
) -> dict[str, Any]:
    """Deploy refuses ``request`` with ``error``, saying each fragment; returns the endpoint as
    it is after."""
    with pytest.raises(error) as caught:
        aws.deploy(request, config)

    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"
    return aws.endpoint(request["EndpointName"])


def test_first_deployment_creates_the_endpoint(aws, make_request):
    request = make_request()
    config = aws.configure(request)

    result = aws.deploy(request, config)

    assert result["Action"] == "CREATE"
    assert result["EndpointName"] == "churn-predictor"
    assert result["EndpointConfigName"] == config["EndpointConfigName"]
    assert result["PreviousEndpointConfigName"] is None
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "Creating"
    assert endpoint["EndpointConfigName"] == config["EndpointConfigName"]
    assert endpoint["EndpointArn"] == result["EndpointArn"]


def test_created_endpoint_is_in_service_once_creation_time_has_passed(aws, make_request):
    _, deployment = aws.configure_and_deploy(make_request())

    aws.clock.advance(aws.emulator.faults.creation_seconds - 1)
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Creating"
    aws.clock.advance(1)

    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == deployment["EndpointConfigName"]


def test_new_config_updates_the_endpoint(aws, make_request):
    old_config, _ = _deployed(aws, make_request())
    request = make_request(instance_count=2)
    new_config = aws.configure(request)

    result = aws.deploy(request, new_config)

    assert result["Action"] == "UPDATE"
    assert result["EndpointConfigName"] == new_config["EndpointConfigName"]
    assert result["PreviousEndpointConfigName"] == old_config["EndpointConfigName"]
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "Updating"
    assert endpoint["EndpointConfigName"] == old_config["EndpointConfigName"]
    pending = endpoint["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == new_config["EndpointConfigName"]

    aws.settle()
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == new_config["EndpointConfigName"]
    assert endpoint["ProductionVariants"][0]["CurrentInstanceCount"] == 2


def test_same_config_on_an_in_service_endpoint_is_left_alone(aws, make_request):
    request = make_request()
    config, _ = _deployed(aws, request)
    before = aws.endpoint("churn-predictor")

    result = aws.deploy(request, config)

    assert result["Action"] == "NONE"
    assert "already deployed" in result["Reason"]
    assert result["PreviousEndpointConfigName"] == config["EndpointConfigName"]
    after = aws.endpoint("churn-predictor")
    assert after["EndpointStatus"] == "InService"
    assert after["LastModifiedTime"] == before["LastModifiedTime"]
    assert "PendingDeploymentSummary" not in after


def test_same_config_while_creating_waits_for_it_instead_of_creating_again(aws, make_request):
    request = make_request()
    config, _ = aws.configure_and_deploy(request)

    result = aws.deploy(request, config)

    assert result["Action"] == "NONE"
    assert "already Creating" in result["Reason"]
    assert len(aws.sagemaker.list_endpoints()["Endpoints"]) == 1
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Creating"


def test_endpoint_name_in_another_case_updates_the_existing_endpoint(aws, make_request):
    _deployed(aws, make_request(endpoint="churn-predictor"))
    request = make_request(endpoint="Churn-Predictor", instance_count=2)
    config = aws.configure(request)

    result = aws.deploy(request, config)

    assert result["Action"] == "UPDATE"
    assert result["EndpointName"] == "churn-predictor"  # SageMaker's spelling
    endpoints = aws.sagemaker.list_endpoints()["Endpoints"]
    assert [e["EndpointName"] for e in endpoints] == ["churn-predictor"]
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "Updating"
    assert (
        endpoint["PendingDeploymentSummary"]["EndpointConfigName"] == (config["EndpointConfigName"])
    )


def test_replay_with_the_endpoint_name_in_another_case_is_already_deployed(aws, make_request):
    _deployed(aws, make_request(endpoint="churn-predictor"))
    request = make_request(endpoint="Churn-Predictor")  # same content, other spelling
    config = aws.configure(request)
    assert config["ConfigCreated"] is False  # SageMaker sees the same config

    result = aws.deploy(request, config)

    assert result["Action"] == "NONE"
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "InService"


def test_deploying_while_another_update_is_in_progress_is_busy(aws, make_request):
    _deployed(aws, make_request())
    second = make_request(instance_count=2)
    second_config, _ = aws.configure_and_deploy(second)
    third = make_request(instance_count=3)
    third_config = aws.configure(third)

    endpoint = _refused(
        aws,
        EndpointBusy,
        third,
        third_config,
        "churn-predictor is Updating",
        second_config["EndpointConfigName"],
        third_config["EndpointConfigName"],
    )
    assert endpoint["EndpointStatus"] == "Updating"
    assert (
        endpoint["PendingDeploymentSummary"]["EndpointConfigName"]
        == (second_config["EndpointConfigName"])
    )


def test_config_not_yet_visible_is_retryable_until_it_is(start_aws, make_request):
    aws = start_aws(Faults(config_visibility_lag=2))
    request = make_request()
    config = aws.configure(request)

    for _ in range(2):
        with pytest.raises(EndpointConfigNotVisible, match=config["EndpointConfigName"]):
            aws.deploy(request, config)
        assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    result = aws.deploy(request, config)

    assert result["Action"] == "CREATE"
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Creating"


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
def test_throttled_create_is_reported_as_sagemaker_throttled(start_aws, make_request):
    aws = start_aws(Faults(throttle={"CreateEndpoint": 1}))
    request = make_request()
    config = aws.configure(request)

    with pytest.raises(SageMakerThrottled, match="CreateEndpoint: SageMaker throttled the call"):
        aws.deploy(request, config)
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []

    assert aws.deploy(request, config)["Action"] == "CREATE"  # what the ASL's Retry does
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Creating"


def test_a_failed_endpoint_the_deployer_created_is_deleted_then_created_again(
    start_aws, make_request
):
    aws = start_aws(Faults(fail_endpoint="no capacity", times=1))
    aws.configure_and_deploy(make_request())
    aws.settle()
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Failed"
    request = make_request(instance_count=2)
    config = aws.configure(request)

    with pytest.raises(EndpointReplacing, match=r"Failed \(FailureReason: no capacity\)"):
        aws.deploy(request, config, execution="exec-2")

    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Deleting"
    assert aws.record("churn-predictor")["Replacing"] == "no capacity"
    # the state machine retries Deploy: while SageMaker deletes it, the deployment waits
    with pytest.raises(EndpointReplacing, match="Deleting"):
        aws.deploy(request, config, execution="exec-2")
    aws.settle()
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    # once it is gone, it is created again
    result = aws.deploy(request, config, execution="exec-2")

    assert result["Action"] == "REPLACE"
    assert "its FailureReason was: no capacity" in result["Reason"]
    assert aws.record("churn-predictor")["Replacing"] is None
    endpoint = aws.endpoint("churn-predictor")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == (
        "Creating",
        config["EndpointConfigName"],
    )


def test_a_failed_endpoint_the_deployer_did_not_create_is_left_alone(start_aws, make_request):
    aws = start_aws(Faults(fail_endpoint="no capacity"))
    request = make_request()
    config = aws.configure(request)
    # made by someone else: no smdeploy:endpoint tag
    aws.sagemaker.create_endpoint(
        EndpointName="churn-predictor", EndpointConfigName=config["EndpointConfigName"]
    )
    aws.settle()
    request = make_request(instance_count=2)
    config = aws.configure(request)

    endpoint = _refused(
        aws,
        EndpointNotUpdatable,
        request,
        config,
        "churn-predictor is Failed (FailureReason: no capacity)",
        "not created by the deployer",
        "DeleteEndpoint",
    )
    assert endpoint["EndpointStatus"] == "Failed"
    assert endpoint["EndpointConfigName"] != config["EndpointConfigName"]


def test_missing_endpoint_config_is_not_visible_and_nothing_is_created(aws, make_request):
    request = make_request()
    ghost = {"EndpointConfigName": "churn-config-never-made"}

    with pytest.raises(EndpointConfigNotVisible, match="churn-config-never-made"):
        aws.deploy(request, ghost)

    with pytest.raises(ClientError, match="Could not find endpoint"):
        aws.endpoint("churn-predictor")


def test_a_config_deleted_after_configure_saw_it_is_missing_at_once(aws, make_request):
    request = make_request()
    aws.configure(request)
    config = aws.configure(request)  # the same request again: the config is reused
    assert config["ConfigCreated"] is False
    aws.sagemaker.delete_endpoint_config(EndpointConfigName=config["EndpointConfigName"])

    with pytest.raises(EndpointConfigMissing, match="it was there when Configure looked"):
        aws.deploy(request, config)

    assert aws.sagemaker.list_endpoints()["Endpoints"] == []


def test_a_new_config_still_not_found_after_the_visibility_window_is_missing(aws, make_request):
    request = make_request()
    ghost = {"EndpointConfigName": "churn-config-never-made", "ConfigCreated": True}

    with pytest.raises(EndpointConfigNotVisible, match="not visible yet"):
        aws.deploy(request, ghost, retry_count=VISIBILITY_LOOKS - 2)
    with pytest.raises(EndpointConfigMissing, match="deleted, or never created"):
        aws.deploy(request, ghost, retry_count=VISIBILITY_LOOKS - 1)

    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
