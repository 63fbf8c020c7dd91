"""End to end: the real ASL, the real handlers, in the embedded runtime.

Each test asserts the execution's status, output and history, and the state of the emulated
SageMaker account afterwards.
"""

from __future__ import annotations

import json

import pytest
from e2e_helpers import config_made_by_hand, failures, states_entered, variant

from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.install import SWEEP_SCHEDULE
from smdeploy.runtime.local import LocalDeployment

pytestmark = pytest.mark.e2e


def test_create_deploys_the_request_and_reports_it(account, request_v1):
    outcome = account.deploy(request_v1, label="v1")

    assert outcome.status == "SUCCEEDED", outcome.cause
    sm = account.sagemaker
    endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == outcome.EndpointConfigName
    assert "FailureReason" not in endpoint
    assert outcome.EndpointArn == endpoint["EndpointArn"]
    assert outcome.EndpointStatus == "InService"

    config = sm.describe_endpoint_config(EndpointConfigName=outcome.EndpointConfigName)
    assert config["EndpointConfigArn"] == outcome.EndpointConfigArn
    assert [
        (v["VariantName"], v["ModelName"], v["InitialVariantWeight"])
        for v in config["ProductionVariants"]
    ] == [("primary", "churn-xgboost-v1", 2.0), ("challenger", "churn-xgboost-v1", 1.0)]
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["churn-xgboost-v1"]
    # the config name is derived from the endpoint name and the config's content
    assert outcome.EndpointConfigName.startswith("churn-predictor-")

    assert outcome.output is not None
    assert outcome.output["Action"] == "CREATE"
    assert outcome.output["ModelsCreated"] == ["churn-xgboost-v1"]

    entered = states_entered(outcome.history)
    # no guardrails asked for, none left on the endpoint: no guardrail step runs
    assert entered[:10] == [
        "Validate",
        "NothingToDeploy?",
        "Admit",
        "Admitted?",
        "Configure",
        "GuardrailsToRun?",
        "Deploy",
        "RolledOut?",
        "StartDeadline",
        "AlreadyDeployed?",
    ]
    assert entered[-4:] == [
        "GuardrailsAfterUpdate?",
        "Release",
        "DeploymentSucceeded",
        "NotifySucceeded",
    ]
    # 300 s of Creating, parked once: SageMaker's IN_SERVICE event woke it
    assert entered[10:13] == ["ParkUntilSettled", "DescribeEndpoint", "EndpointReady?"]
    stats = outcome.stats
    assert stats is not None
    # one in Deploy (to plan), one when it parked, one when the event woke it (which the
    # Describe state reuses)
    assert stats.describe_calls == 3
    # four stages, the park, the wake function for the CREATING and IN_SERVICE events, the
    # describe, the lease taken and released, one notify; no guardrail step (none asked for);
    # and the account's sweep, once a minute of the 300 s (the first at once): no deployment's
    sweeps = [i for i in account.emulator.invocations if i[0] == SWEEP_SCHEDULE]
    assert len(sweeps) == 6
    assert stats.lambda_invocations == 10 + len(sweeps)
    assert stats.simulated_seconds == pytest.approx(300)
    assert stats.detection_lag_seconds == 0
    assert stats.state_transitions == len(entered)


def test_second_request_updates_the_endpoint_to_the_new_config(account, request_v1, request_v2):
    first = account.deploy(request_v1)
    second = account.deploy(request_v2)

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert second.output is not None and second.output["Action"] == "UPDATE"
    assert second.EndpointConfigName != first.EndpointConfigName
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == second.EndpointConfigName
    # the update carried the request's DeploymentConfig to SageMaker
    assert (
        endpoint["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
            "Type"
        ]
        == "LINEAR"
    )
    # the old config is kept (it is the rollback target), and both models exist
    configs = account.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    assert {c["EndpointConfigName"] for c in configs} == {
        first.EndpointConfigName,
        second.EndpointConfigName,
    }
    assert len(account.sagemaker.list_endpoints()["Endpoints"]) == 1


def test_the_same_request_again_is_a_no_op(account, request_v1):
    first = account.deploy(request_v1)
    before = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")

    again = account.deploy(request_v1)

    assert again.status == "SUCCEEDED"
    assert again.output is not None
    assert again.output["Action"] == "NONE"
    assert "already deployed" in again.output["Message"]
    assert again.output["ModelsCreated"] == []
    assert again.EndpointConfigName == first.EndpointConfigName
    after = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert after["LastModifiedTime"] == before["LastModifiedTime"]
    assert len(account.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 1
    assert "WaitForEndpoint" not in states_entered(again.history)
    # one describe in Deploy to plan, one in the loop to confirm: no waiting
    assert again.stats is not None and again.stats.describe_calls == 2
    assert again.stats.simulated_seconds == 0


def test_endpoint_names_match_without_regard_to_case(account, request_v1, request_v2):
    account.deploy(request_v1)
    shouted = dict(request_v2, EndpointName="Churn-Predictor")

    outcome = account.deploy(shouted)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert outcome.output is not None and outcome.output["Action"] == "UPDATE"
    endpoints = account.sagemaker.list_endpoints()["Endpoints"]
    assert [e["EndpointName"] for e in endpoints] == ["churn-predictor"]
    assert outcome.EndpointName == "churn-predictor"


def test_config_not_yet_visible_is_retried_by_the_state_machine(make_account, request_v1):
    account = make_account(config_visibility_lag=3)

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["EndpointConfigNotVisible"] * 3
    scheduled = [e for e in outcome.history if e["type"] == "LambdaFunctionScheduled"]
    deploy_attempts = [
        e
        for e in scheduled
        if json.loads(e["lambdaFunctionScheduledEventDetails"]["input"]).get("Config")
        and "Deployment" not in json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])
    ]
    assert len(deploy_attempts) == 4  # three refused, the fourth created the endpoint
    # retries wait in simulated time (full jitter: somewhere below 3 + 6 + 12 s)
    assert outcome.stats is not None
    assert 300 < outcome.stats.simulated_seconds < 300 + 21
    assert outcome.stats.state_transitions == len(states_entered(outcome.history)) + 3
    assert (
        account.sagemaker.describe_endpoint(EndpointName="churn-predictor")["EndpointStatus"]
        == "InService"
    )


def test_throttling_is_retried_by_the_state_machine(make_account, request_v1):
    account = make_account(throttle={"DescribeEndpoint": 2, "CreateEndpointConfig": 1})

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["SageMakerThrottled"] * 3


def test_the_same_seed_gives_the_same_run(request_v1):
    runs = []
    for _ in range(2):
        with LocalDeployment(faults=Faults(config_visibility_lag=2), seed=42) as account:
            runs.append(account.deploy(request_v1))
    first, second = runs

    assert first.stats is not None and second.stats is not None
    assert first.stats.simulated_seconds == second.stats.simulated_seconds
    assert first.stats.state_transitions == second.stats.state_transitions


def test_failed_endpoint_fails_the_execution_with_the_reason(make_account, request_v1):
    account = make_account(fail_endpoint="insufficient capacity")

    outcome = account.deploy(request_v1)

    assert outcome.status == "FAILED"
    assert outcome.error == "EndpointFailed"
    assert outcome.cause is not None and "insufficient capacity" in outcome.cause
    assert outcome.EndpointStatus == "Failed"
    assert outcome.EndpointConfigName is not None
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert (endpoint["EndpointStatus"], endpoint["FailureReason"]) == (
        "Failed",
        "insufficient capacity",
    )
    assert states_entered(outcome.history)[-1] == "DeploymentFailed"


def test_silently_rolled_back_update_fails_with_the_reason(make_account, request_v1, request_v2):
    account = make_account(rollback_update="alarm tripped")
    first = account.deploy(request_v1)

    second = account.deploy(request_v2)

    assert first.status == "SUCCEEDED"
    assert second.status == "FAILED"
    assert second.error == "EndpointUpdateRolledBack"
    assert second.cause is not None and "alarm tripped" in second.cause
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    # InService, but on the OLD config: boto3's EndpointInService waiter would call this a success
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == first.EndpointConfigName
    assert second.EndpointStatus == "InService"


def test_deadline_ends_the_execution_with_a_timeout_error(make_account, request_v1):
    account = make_account(creation_seconds=7200)

    outcome = account.deploy(request_v1)

    assert outcome.status == "FAILED"
    assert outcome.error == "DeploymentTimedOut"
    assert outcome.cause is not None and "3600 s" in outcome.cause
    assert outcome.stats is not None
    assert 3600 <= outcome.stats.simulated_seconds < 3600 + 30
    assert outcome.stats.detection_lag_seconds is None
    assert outcome.EndpointStatus == "Creating"


def test_deadline_is_configurable(make_account, request_v1):
    account = make_account(creation_seconds=1200, deadline_seconds=600)

    outcome = account.deploy(request_v1)

    assert outcome.error == "DeploymentTimedOut"
    assert outcome.cause is not None and "600 s" in outcome.cause
    assert outcome.stats is not None
    assert 600 <= outcome.stats.simulated_seconds < 630


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        pytest.param({"ProductionVariants": []}, "EndpointName:", id="missing-endpoint-name"),
        pytest.param({"EndpointName": "churn-predictor"}, "ProductionVariants:", id="no-variants"),
        pytest.param(
            {
                "EndpointName": "churn_predictor",
                "ProductionVariants": [{"VariantName": "a", "ModelName": "m"}],
            },
            "EndpointName: must match the pattern",
            id="bad-name",
        ),
        pytest.param("not json {", "(request): is not valid JSON", id="not-json"),
        pytest.param([1, 2], "(request): must be a JSON object", id="not-an-object"),
    ],
)
def test_a_bad_request_fails_at_validate_and_creates_nothing(account, request_body, field):
    outcome = account.deploy(request_body)

    assert outcome.status == "FAILED"
    assert outcome.error == "RequestInvalid"
    assert outcome.cause is not None and field in outcome.cause
    assert "Configure" not in states_entered(outcome.history)
    sm = account.sagemaker
    assert sm.list_models()["Models"] == []
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert sm.list_endpoints()["Endpoints"] == []


def test_all_problems_are_reported_at_once(account):
    outcome = account.deploy(
        {
            "EndpointName": "churn_predictor",
            "ProductionVariant": [],
            "Models": [{"ModelName": "m"}],
        }
    )

    assert outcome.cause is not None
    assert outcome.cause.startswith("4 problems in the deployment request")
    assert "did you mean ProductionVariants?" in outcome.cause


def test_a_request_breaking_many_sagemaker_rules_fails_at_validate_with_all_of_them(
    account, request_v1
):
    # Each of these would otherwise fail minutes in, at CreateEndpointConfig or UpdateEndpoint.
    request = json.loads(json.dumps(request_v1))
    primary, challenger = request["ProductionVariants"]
    primary["InstanceType"] = "ml.g5.xlarge"  # local NVMe storage, with KmsKeyId below
    challenger["ServerlessConfig"] = {"MemorySizeInMB": 1500, "MaxConcurrency": 500}
    request["KmsKeyId"] = "alias/churn"
    request["Tags"].append({"Key": "aws:team", "Value": "growth"})
    request["DeploymentConfig"] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 600,
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 2},
            },
            "MaximumExecutionTimeoutInSeconds": 600,
        }
    }
    expected = [
        "ProductionVariants",  # a serverless variant stands alone
        "ProductionVariants[1]",  # serverless and instance-based at once
        "ProductionVariants[1].ServerlessConfig.MemorySizeInMB",
        "ProductionVariants[1].ServerlessConfig.MaxConcurrency",
        "Tags[1].Key",
        "KmsKeyId",
        "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value",
        "DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds",
    ]

    outcome = account.deploy(request)

    assert outcome.status == "FAILED"
    assert outcome.error == "RequestInvalid"
    assert outcome.cause is not None
    assert outcome.cause.startswith(f"{len(expected)} problems in the deployment request:")
    problems = [line[2:] for line in outcome.cause.splitlines()[1:]]
    assert [problem.split(":", 1)[0] for problem in problems] == expected
    assert "must be a multiple of 1024 from 1024 to 6144 (1 GB steps), got 1500" in problems[2]
    assert "ml.g5.xlarge" in problems[5]
    assert "got 2 instances of ProductionVariants[0]'s 2 (100%)" in problems[6]
    assert states_entered(outcome.history)[-1] == "DeploymentFailed"
    assert "Configure" not in states_entered(outcome.history)
    sm = account.sagemaker
    assert sm.list_models()["Models"] == []
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert sm.list_endpoints()["Endpoints"] == []


def test_a_missing_model_fails_at_configure_before_the_config_is_created(account, request_v1):
    request = variant(request_v1, ModelName="no-such-model")

    outcome = account.deploy(request)

    assert outcome.error == "ModelNotFound"
    assert outcome.cause is not None
    assert "ProductionVariants[0].ModelName: model no-such-model does not exist" in outcome.cause
    assert account.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []


def test_a_config_name_reused_for_other_content_is_refused(account, request_v1):
    named = dict(request_v1, EndpointConfigName="churn-config")
    assert account.deploy(named).status == "SUCCEEDED"

    outcome = account.deploy(variant(named, InstanceType="ml.c5.xlarge"))

    assert outcome.error == "EndpointConfigConflict"
    assert outcome.cause is not None
    assert "ProductionVariants[0].InstanceType" in outcome.cause
    assert "ml.c5.xlarge" in outcome.cause
    config = account.sagemaker.describe_endpoint_config(EndpointConfigName="churn-config")
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"


def test_handler_logs_carry_the_execution_name(account, request_v1):
    outcome = account.deploy(request_v1)

    execution_name = outcome.execution_arn.rsplit(":", 1)[-1]
    records = [json.loads(line) for line in account.emulator.logs if line.startswith('{"level"')]
    assert records, "the handlers logged nothing"
    # the Wait function, invoked by SageMaker's events, logs under the event's id
    woken = [r for r in records if str(r["correlation_id"]).startswith("event:")]
    assert woken and {r["function_name"] for r in woken} == {"smdeploy-wait"}
    assert any(r.get("executions") == [execution_name] for r in woken)
    # the sweep, started once a minute by EventBridge Scheduler, logs under its moment
    swept = [r for r in records if str(r["correlation_id"]).startswith("sweep:")]
    assert swept and {r["function_name"] for r in swept} == {"smdeploy-sweep"}
    assert {r["correlation_id"] for r in records if r not in woken + swept} == {execution_name}
    assert {r["function_name"] for r in records} == {
        "smdeploy-lease",
        "smdeploy-validate",
        "smdeploy-configure",
        "smdeploy-deploy",
        "smdeploy-describe",
        "smdeploy-wait",
        "smdeploy-notify",
        "smdeploy-sweep",
    }


def test_a_busy_endpoint_is_waited_for_and_the_deadline_starts_after_deploy(
    make_account, request_v1, request_v2
):
    account = make_account(creation_seconds=500, deadline_seconds=600)
    first = account.deploy(request_v1)
    # someone else starts an update of the same endpoint
    sm = account.sagemaker
    config_made_by_hand(account, "manual-change")
    sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="manual-change")

    outcome = account.deploy(request_v2)

    assert first.status == "SUCCEEDED"
    assert outcome.status == "SUCCEEDED", outcome.cause
    assert "EndpointBusy" in failures(outcome.history)
    assert set(failures(outcome.history)) == {"EndpointBusy"}
    # the wait for the other update does not count against the 600 s deadline
    assert outcome.stats is not None
    assert outcome.stats.simulated_seconds > 1000
    endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointConfigName"] == outcome.EndpointConfigName


def _broken_change() -> None:
    raise ValueError("a scheduled change that broke")


def test_a_scheduled_change_that_raised_stops_its_account_and_not_the_next() -> None:
    # the account's clients serve every account of the process (made once): the change's
    # exception stops the account it was scheduled in, at its next call, and no later one
    first = LocalDeployment().__enter__()
    try:
        first.emulator.scheduler.after(0, _broken_change, "broken")
        with pytest.raises(ValueError, match="broke"):
            first.emulator.scheduler.advance_by(1)
        with pytest.raises(ValueError, match="broke"):
            first.sagemaker.list_endpoints()
    finally:
        with pytest.raises(ValueError, match="broke"):
            first.__exit__(None, None, None)
    with LocalDeployment() as second:
        assert second.sagemaker.list_endpoints()["Endpoints"] == []
        assert (
            second.stepfunctions.describe_state_machine(stateMachineArn=second.state_machine_arn)[
                "status"
            ]
            == "ACTIVE"
        )
