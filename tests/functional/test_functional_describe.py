"""Describe stage: one DescribeEndpoint per call, and whether the deployment is done."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deployer.errors import (
    DeploymentTimedOut,
    EndpointFailed,
    EndpointUpdateRolledBack,
    SageMakerThrottled,
)
from smdeploy.runtime.emulator import Faults


def _after(aws, deployment: dict, seconds: int) -> str:
    """``EnteredTime`` of a Describe state entered ``seconds`` after the Deploy state."""
    started = aws.parse_time(deployment["StartedAt"])
    return (started + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_not_done_while_creating_with_elapsed_time_from_the_deploy_state(aws, make_request):
    _, deployment = aws.configure_and_deploy(make_request())
    aws.clock.advance(45)

    result = aws.describe(deployment, entered=_after(aws, deployment, 45))

    assert result["Done"] is False
    assert result["EndpointStatus"] == "Creating"
    assert result["ElapsedSeconds"] == 45
    assert result["EndpointName"] == "churn-predictor"
    assert result["EndpointArn"] == deployment["EndpointArn"]
    assert result["Message"] == "churn-predictor is Creating (45 s elapsed)"


def test_done_once_in_service_on_the_target_config(aws, make_request):
    _, deployment = aws.configure_and_deploy(make_request())
    aws.settle()

    result = aws.describe(deployment, entered=_after(aws, deployment, 301))

    assert result["Done"] is True
    assert result["EndpointStatus"] == "InService"
    assert result["EndpointConfigName"] == deployment["EndpointConfigName"]
    assert result["ElapsedSeconds"] == 301
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == deployment["EndpointConfigName"]


def test_done_after_an_update_reaches_the_new_config(aws, make_request):
    aws.configure_and_deploy(make_request())
    aws.settle()
    _, deployment = aws.configure_and_deploy(make_request(instance_count=2))
    assert deployment["Action"] == "UPDATE"

    waiting = aws.describe(deployment, entered=_after(aws, deployment, 30))
    aws.settle()
    done = aws.describe(deployment, entered=_after(aws, deployment, 330))

    assert waiting["Done"] is False
    assert waiting["EndpointStatus"] == "Updating"
    assert done["Done"] is True
    assert done["EndpointConfigName"] == deployment["EndpointConfigName"]


def test_failed_endpoint_raises_with_sagemakers_reason(start_aws, make_request):
    aws = start_aws(Faults(fail_endpoint="insufficient capacity"))
    _, deployment = aws.configure_and_deploy(make_request())
    aws.settle()

    with pytest.raises(EndpointFailed) as caught:
        aws.describe(deployment, entered=_after(aws, deployment, 301))

    assert "insufficient capacity" in str(caught.value)
    assert "churn-predictor is Failed" in str(caught.value)
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "Failed"
    assert endpoint["FailureReason"] == "insufficient capacity"


def test_rolled_back_update_raises_and_the_old_config_keeps_serving(start_aws, make_request):
    aws = start_aws(Faults(rollback_update="alarm tripped"))
    old_config, _ = aws.configure_and_deploy(make_request())
    aws.settle()
    new_config, deployment = aws.configure_and_deploy(make_request(instance_count=2))
    assert deployment["Action"] == "UPDATE"
    aws.settle()

    with pytest.raises(EndpointUpdateRolledBack) as caught:
        aws.describe(deployment, entered=_after(aws, deployment, 301))

    message = str(caught.value)
    assert "alarm tripped" in message
    assert f"to {new_config['EndpointConfigName']} was rolled back" in message
    assert f"InService on {old_config['EndpointConfigName']}" in message
    endpoint = aws.endpoint("churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == old_config["EndpointConfigName"]


def test_deadline_passed_while_creating_times_out(start_aws, make_request, monkeypatch):
    monkeypatch.setenv("SMDEPLOY_DEADLINE_SECONDS", "600")
    aws = start_aws(Faults(creation_seconds=1800))
    _, deployment = aws.configure_and_deploy(make_request())
    aws.clock.advance(599)
    before_deadline = aws.describe(deployment, entered=_after(aws, deployment, 599))
    aws.clock.advance(2)

    with pytest.raises(DeploymentTimedOut) as caught:
        aws.describe(deployment, entered=_after(aws, deployment, 601))

    assert before_deadline["Done"] is False
    assert "still Creating after 601 s" in str(caught.value)
    assert "deadline is 600 s" in str(caught.value)
    assert aws.endpoint("churn-predictor")["EndpointStatus"] == "Creating"  # left as it is


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
def test_throttled_describe_is_reported_as_sagemaker_throttled(start_aws, make_request):
    aws = start_aws(Faults(throttle={"DescribeEndpoint": 2}))
    request = make_request()
    config = aws.configure(request)
    # CreateEndpoint directly: the Deploy stage would spend the throttled DescribeEndpoints.
    arn = aws.sagemaker.create_endpoint(
        EndpointName="churn-predictor", EndpointConfigName=config["EndpointConfigName"]
    )["EndpointArn"]
    deployment = {
        "Action": "CREATE",
        "EndpointName": "churn-predictor",
        "EndpointArn": arn,
        "EndpointConfigName": config["EndpointConfigName"],
        "StartedAt": aws.entered(),
        "Claim": aws.admit(request, config["EndpointConfigName"]),
    }

    for _ in range(2):
        with pytest.raises(SageMakerThrottled, match="DescribeEndpoint"):
            aws.describe(deployment)
    result = aws.describe(deployment)

    assert result["Done"] is False
    assert result["EndpointStatus"] == "Creating"


def test_endpoint_deleted_during_the_deployment_is_a_failure(aws, make_request):
    _, deployment = aws.configure_and_deploy(make_request())
    aws.settle()  # SageMaker deletes no endpoint while it is Creating
    aws.sagemaker.delete_endpoint(EndpointName="churn-predictor")
    aws.clock.advance(aws.emulator.faults.deletion_seconds)

    with pytest.raises(EndpointFailed, match="churn-predictor disappeared during the deployment"):
        aws.describe(deployment)


def test_target_config_spelled_in_another_case_is_done(aws, make_request):
    request = make_request(EndpointConfigName="churn-config-v1")
    _, deployment = aws.configure_and_deploy(request)
    aws.settle()
    respelled = make_request(EndpointConfigName="Churn-Config-V1")
    config = aws.configure(respelled)
    assert config["ConfigCreated"] is False  # SageMaker sees one config under both spellings

    result = aws.describe(
        {**deployment, "Action": "NONE", "EndpointConfigName": config["EndpointConfigName"]}
    )

    assert result["Done"] is True


def test_redeploying_the_serving_config_after_a_rollback_succeeds(start_aws, make_request):
    aws = start_aws(Faults(rollback_update="alarm tripped"))
    request = make_request()
    aws.configure_and_deploy(request)
    aws.settle()
    aws.configure_and_deploy(make_request(instance_count=2))
    aws.settle()
    assert aws.endpoint("churn-predictor")["FailureReason"] == "alarm tripped"

    config = aws.configure(request)
    deployment = aws.deploy(request, config)
    assert deployment["Action"] == "NONE"
    result = aws.describe(deployment)

    assert result["Done"] is True
    assert result["EndpointConfigName"] == config["EndpointConfigName"]


def test_a_success_deletes_configs_beyond_retention_but_never_the_rollback_target(
    aws, make_request, monkeypatch
):
    monkeypatch.setenv("SMDEPLOY_CONFIG_RETENTION", "1")
    deployed = []
    for count in (1, 2, 3):
        config, deployment = aws.configure_and_deploy(make_request(instance_count=count))
        aws.settle()
        assert aws.describe(deployment)["Done"] is True
        deployed.append(config["EndpointConfigName"])
        if count == 1:  # a config named by hand: never the deployer's to delete
            aws.sagemaker.create_endpoint_config(
                EndpointConfigName="churn-predictor-manual",
                ProductionVariants=make_request()["ProductionVariants"],
            )

    remaining = aws.sagemaker.list_endpoint_configs()["EndpointConfigs"]

    # the serving config (3) and the one it replaced (2) stay; 1 went after the third success
    assert sorted(c["EndpointConfigName"] for c in remaining) == sorted(
        [*deployed[1:], "churn-predictor-manual"]
    )


def test_without_retention_every_config_is_kept(aws, make_request):
    for count in (1, 2):
        _, deployment = aws.configure_and_deploy(make_request(instance_count=count))
        aws.settle()
        aws.describe(deployment)

    assert len(aws.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 2


def _names(listed: list[dict], key: str) -> set[str]:
    return {item[key] for item in listed}


def _deploy(aws, request: dict) -> str:
    """Configure, deploy and describe ``request`` to the end; the config it deployed."""
    config, deployment = aws.configure_and_deploy(request)
    aws.settle()
    assert aws.describe(deployment)["Done"] is True
    return str(config["EndpointConfigName"])


def test_retention_deletes_no_model_another_endpoint_uses(aws, make_request, monkeypatch):
    monkeypatch.setenv("SMDEPLOY_CONFIG_RETENTION", "1")
    a1 = _deploy(aws, make_request(model="shared-v1"))
    b1 = _deploy(aws, make_request(endpoint="fraud-scorer", model="shared-v1"))  # a's model
    a2 = _deploy(aws, make_request(model="churn-v2"))
    a3 = _deploy(aws, make_request(model="churn-v3"))
    a4 = _deploy(aws, make_request(model="churn-v4"))

    configs = _names(aws.sagemaker.list_endpoint_configs()["EndpointConfigs"], "EndpointConfigName")
    models = _names(aws.sagemaker.list_models()["Models"], "ModelName")
    # b serves its config, whose model a's request made: both stay
    assert aws.endpoint("fraud-scorer")["EndpointConfigName"] == b1
    assert b1 in configs and "shared-v1" in models
    # a keeps its target and its rollback target; the rest of a's went, models included
    assert {a4, a3} <= configs and not {a1, a2} & configs
    assert {"churn-v4", "churn-v3"} <= models and "churn-v2" not in models


def test_retention_deletes_no_config_another_endpoint_serves(aws, make_request, monkeypatch):
    monkeypatch.setenv("SMDEPLOY_CONFIG_RETENTION", "1")
    a1 = _deploy(aws, make_request(model="shared-v1"))
    # b is deployed with a's own config (same name, same content): it serves a's config
    b1 = _deploy(
        aws, make_request(endpoint="fraud-scorer", model="shared-v1", EndpointConfigName=a1)
    )
    for version in (2, 3, 4):
        _deploy(aws, make_request(model=f"churn-v{version}"))

    configs = _names(aws.sagemaker.list_endpoint_configs()["EndpointConfigs"], "EndpointConfigName")
    models = _names(aws.sagemaker.list_models()["Models"], "ModelName")
    assert b1 == a1 and aws.endpoint("fraud-scorer")["EndpointConfigName"] == a1
    assert a1 in configs and "shared-v1" in models
    assert "churn-v2" not in models  # what nothing references still goes


def test_retention_keeps_the_model_of_a_deployment_in_flight_on_another_endpoint(
    aws, make_request, monkeypatch
):
    monkeypatch.setenv("SMDEPLOY_CONFIG_RETENTION", "1")
    _deploy(aws, make_request(model="shared-v1"))
    _deploy(aws, make_request(model="churn-v2"))
    # b's deployment holds b's lease and has made its config on a's model, not yet deployed
    other = make_request(endpoint="fraud-scorer", model="shared-v1")
    config = aws.configure(other, execution="exec-b")
    aws.admit(other, config["EndpointConfigName"], execution="exec-b")
    for version in (3, 4):
        _deploy(aws, make_request(model=f"churn-v{version}"))

    models = _names(aws.sagemaker.list_models()["Models"], "ModelName")
    assert "shared-v1" in models and "churn-v2" not in models
    # b's deployment goes on and serves a config whose model exists
    deployment = aws.deploy(other, config, execution="exec-b")
    aws.settle()
    assert aws.describe(deployment, execution="exec-b")["Done"] is True
    assert aws.endpoint("fraud-scorer")["EndpointStatus"] == "InService"
