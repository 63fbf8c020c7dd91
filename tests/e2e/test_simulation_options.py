"""The simulation options of ``smdeploy local`` and the emulator behind them: a crash after
each SageMaker call, faults limited to their first occurrences, distinct start times,
throttling of any counted operation, and the config retention the installed deployer uses.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import EXAMPLES, failures, variant

from bench.races import endpoint_created
from smdeploy.runtime.local import ACCOUNT, REGION

pytestmark = pytest.mark.e2e

SMDEPLOY = shutil.which("smdeploy", path=str(Path(sys.executable).parent)) or "smdeploy"
V1 = str(EXAMPLES / "request.json")
V2 = str(EXAMPLES / "request-v2.json")


def smdeploy(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="160", NO_COLOR="1")
    return subprocess.run(
        [SMDEPLOY, *args], capture_output=True, text=True, timeout=300, env=env, check=False
    )


def account_state(account) -> dict[str, object]:
    sm = account.sagemaker
    endpoints = sm.list_endpoints()["Endpoints"]
    return {
        "models": [m["ModelName"] for m in sm.list_models()["Models"]],
        "configs": len(sm.list_endpoint_configs()["EndpointConfigs"]),
        "endpoint": [e["EndpointStatus"] for e in endpoints],
    }


@pytest.mark.parametrize(
    ("operation", "after_crash"),
    [
        ("CreateModel", {"models": ["churn-xgboost-v1"], "configs": 0, "endpoint": []}),
        ("CreateEndpointConfig", {"models": ["churn-xgboost-v1"], "configs": 1, "endpoint": []}),
        (
            "CreateEndpoint",
            {"models": ["churn-xgboost-v1"], "configs": 1, "endpoint": ["Creating"]},
        ),
        (
            "UpdateEndpoint",
            {
                "models": ["churn-xgboost-v1", "churn-xgboost-v2"],
                "configs": 2,
                "endpoint": ["Updating"],
            },
        ),
    ],
)
def test_a_crash_after_each_call_fails_as_lambda_reports_it_and_the_rerun_succeeds(
    make_account, request_v1, request_v2, operation, after_crash
):
    account = make_account(crash_after=operation, times=1)
    request = request_v1
    if operation == "UpdateEndpoint":
        assert account.deploy(request_v1).status == "SUCCEEDED"
        request = request_v2

    crashed = account.deploy(request)
    state = account_state(account)
    again = account.deploy(request)

    assert crashed.status == "FAILED"
    assert crashed.error == "Runtime.ExitError"
    assert "Error: Runtime exited with error: signal: killed" in (crashed.cause or "")
    assert failures(crashed.history) == ["Runtime.ExitError"]  # not retried: it is no throttle
    # the operation was performed, and nothing after it: the invocation died there
    assert state == after_crash
    assert again.status == "SUCCEEDED", again.cause
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointConfigName"] == again.EndpointConfigName
    assert any(
        "Runtime.ExitError (emulated: --crash-after" in line for line in account.emulator.logs
    )


def test_a_crash_strikes_only_the_functions_calls(make_account, request_v1):
    account = make_account(crash_after="CreateModel", times=1)
    # the user's own CreateModel is no Lambda invocation: it neither dies nor uses the fault up
    account.sagemaker.create_model(
        ModelName="someone-elses",
        PrimaryContainer={"Image": request_v1["Models"][0]["PrimaryContainer"]["Image"]},
    )

    outcome = account.deploy(request_v1)

    assert outcome.error == "Runtime.ExitError"
    assert account.emulator.budget.injected == {"crash_after": 1}


def test_fault_times_shows_a_rollback_and_then_its_recovery(make_account, request_v1, request_v2):
    account = make_account(rollback_update="alarm tripped", times=1)

    outcomes = [account.deploy(r) for r in (request_v1, request_v2, request_v2)]

    assert [(o.status, o.error) for o in outcomes] == [
        ("SUCCEEDED", None),
        ("FAILED", "EndpointUpdateRolledBack"),
        ("SUCCEEDED", None),
    ]
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointConfigName"] == outcomes[2].EndpointConfigName
    assert "FailureReason" not in endpoint


def test_executions_started_together_get_distinct_start_times_in_start_order(
    make_account, request_v1
):
    account = make_account()
    sfn = account.stepfunctions
    arns = []
    for count in range(1, 6):
        text = json.dumps(variant(request_v1, InitialInstanceCount=count))
        arns.append(
            sfn.start_execution(
                stateMachineArn=account.state_machine_arn,
                name=account.execution_name(text),
                input=text,
            )["executionArn"]
        )
    starts = [sfn.describe_execution(executionArn=arn)["startDate"] for arn in arns]
    for arn in arns:  # let them end before the account closes
        account.follow(arn)

    assert starts == sorted(starts)
    millis = [round(start.timestamp() * 1000) for start in starts]
    assert len(set(millis)) == 5
    assert all(later - earlier >= 1 for earlier, later in itertools.pairwise(millis))
    assert all(start.microsecond % 1000 == 0 for start in starts)  # milliseconds, as AWS gives


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
def test_throttling_a_create_model_is_retried_by_the_state_machine(make_account, request_v1):
    account = make_account(throttle={"CreateModel": 2})

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["SageMakerThrottled", "SageMakerThrottled"]
    assert account.emulator.store(ACCOUNT, REGION).calls["CreateModel"] == 3


# --- the options on the command line --------------------------------------------------------


def test_local_crash_once_then_the_same_request_succeeds():
    run = smdeploy(
        "local", V1, V1, "--json", "--crash-after", "CreateEndpointConfig", "--fault-times", "1"
    )

    assert run.returncode == 1
    first, second = json.loads(run.stdout)
    assert (first["status"], first["error"]) == ("FAILED", "Runtime.ExitError")
    assert (second["status"], second["error"]) == ("SUCCEEDED", None)
    assert second["EndpointStatus"] == "InService"


def test_local_rollback_once_then_the_same_update_succeeds():
    run = smdeploy(
        "local", V1, V2, V2, "--json", "--rollback-update", "alarm tripped", "--fault-times", "1"
    )

    assert run.returncode == 1
    statuses = [(r["status"], r["error"]) for r in json.loads(run.stdout)]
    assert statuses == [
        ("SUCCEEDED", None),
        ("FAILED", "EndpointUpdateRolledBack"),
        ("SUCCEEDED", None),
    ]


def test_local_failed_endpoint_once_then_the_same_request_replaces_it():
    run = smdeploy(
        "local", V1, V1, "--json", "--fail-endpoint", "no capacity", "--fault-times", "1"
    )

    first, second = json.loads(run.stdout)
    assert (first["status"], first["error"]) == ("FAILED", "EndpointFailed")
    assert (second["status"], second["error"]) == ("SUCCEEDED", None)
    assert run.returncode == 1


def test_local_throttle_and_jitter_are_taken():
    run = smdeploy(
        "local",
        V1,
        "--json",
        "--throttle",
        "DescribeEndpoint=2",
        "--throttle",
        "CreateEndpointConfig=1",
        "--jitter",
        "0.01",
        "--seed",
        "3",
    )

    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)
    assert result["status"] == "SUCCEEDED"
    assert run.stderr.count("SageMakerThrottled") == 3


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--throttle", "DescribeEndpoints=2"], "'DescribeEndpoints'"),
        (["--throttle", "DescribeEndpoint"], "OPERATION=COUNT"),
        (["--crash-after", "DeleteEndpoint"], "'DeleteEndpoint'"),
        (["--fault-times", "0"], "--fault-times"),
        (["--jitter", "-1"], "--jitter"),
        (["--config-retention", "-1"], "--config-retention"),
    ],
)
@pytest.mark.parametrize("command", ["local", "emulator"])
def test_bad_simulation_options_are_misuse_naming_the_value(command, args, named):
    extra = [V1] if command == "local" else ["--port", "0"]

    run = smdeploy(command, *extra, *args)

    assert run.returncode == 2
    assert named in run.stderr
    assert run.stdout == ""


def test_config_retention_reaches_the_installed_deployer(request_v1, request_v2):
    from smdeploy.runtime.local import LocalDeployment

    third = variant(request_v2, InitialInstanceCount=3)
    with LocalDeployment(config_retention=1) as account:
        outcomes = [account.deploy(r) for r in (request_v1, request_v2, third)]
        configs = [
            c["EndpointConfigName"]
            for c in account.sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ]
        environment = account.client("lambda").get_function_configuration(
            FunctionName="smdeploy-describe"
        )["Environment"]["Variables"]

    assert [o.status for o in outcomes] == ["SUCCEEDED"] * 3
    assert environment["SMDEPLOY_CONFIG_RETENTION"] == "1"
    # the first config is gone; the serving one and its rollback target stay
    assert sorted(configs) == sorted(
        [outcomes[1].EndpointConfigName, outcomes[2].EndpointConfigName]
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_stopped_execution_ends_aborted_whatever_it_was_doing(seed, request_v1):
    from smdeploy.runtime.emulator import Faults
    from smdeploy.runtime.local import LocalDeployment

    faults = Faults(creation_seconds=1800, invocation_jitter=0.02)
    with LocalDeployment(faults=faults, seed=seed) as account:
        sfn = account.stepfunctions
        text = json.dumps(request_v1)
        arn = sfn.start_execution(
            stateMachineArn=account.state_machine_arn,
            name=account.execution_name(text),
            input=text,
        )["executionArn"]
        for _ in range(3000):  # a bound on waiting for CreateEndpoint, never an assertion
            if endpoint_created(account):
                break
            time.sleep(0.005)
        sfn.stop_execution(executionArn=arn)
        outcome = account.follow(arn)

    assert outcome.status == "ABORTED"
    assert outcome.error is None
