"""The simulation options of ``smdeploy local`` and the emulator behind them: a crash after
each SageMaker call, faults limited to their first occurrences, distinct start times,
throttling of any counted operation, and the config retention the installed deployer uses.
"""

from __future__ import annotations

import itertools
import json
import time

import pytest
from e2e_helpers import (
    EXAMPLES,
    failures,
    lease_record,
    load_example,
    outcome_queue,
    received,
    start,
    states_entered,
    variant,
)

from bench.races.actions import endpoint_created
from smdeploy.runtime.local import ACCOUNT, REGION
from tests.support.processes import smdeploy

pytestmark = pytest.mark.e2e

V1 = str(EXAMPLES / "request.json")
V2 = str(EXAMPLES / "request-v2.json")


def account_state(account) -> dict[str, object]:
    sm = account.sagemaker
    endpoints = sm.list_endpoints()["Endpoints"]
    return {
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "configs": len(sm.list_endpoint_configs()["EndpointConfigs"]),
        "endpoint": [e["EndpointStatus"] for e in endpoints],
    }


# The crash retrier of every Task (statemachine/deployer.asl.json): one first attempt, then
# this many retries.
CRASH_RETRIES = 5


@pytest.mark.parametrize(
    ("operation", "update"),
    [
        ("CreateModel", False),
        ("CreateEndpointConfig", False),
        ("CreateEndpoint", False),
        ("UpdateEndpoint", True),
    ],
)
def test_a_crash_after_each_call_is_retried_by_the_state_machine_and_converges(
    make_account, request_v1, request_v2, operation, update
):
    account = make_account(crash_after=operation, times=1)
    requests = [request_v1, request_v2] if update else [request_v1]
    if update:
        assert account.deploy(request_v1).status == "SUCCEEDED"

    outcome = account.deploy(requests[-1])

    # Lambda reported the crash (Runtime.ExitError); the ASL retried the task, which skipped
    # what the crashed invocation had done (every side effect is named from content)
    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["Runtime.ExitError"]
    assert account.emulator.budget.injected == {"crash_after": 1}
    assert any(
        "Runtime.ExitError (emulated: --crash-after" in line for line in account.emulator.logs
    )
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == outcome.EndpointConfigName
    # nothing orphaned: one model per request, one config per request
    assert account_state(account) == {
        "models": sorted(r["Models"][0]["ModelName"] for r in requests),
        "configs": len(requests),
        "endpoint": ["InService"],
    }


def test_a_crash_every_time_ends_failed_with_its_cause_released_and_published(
    make_account, request_v1
):
    # Deploy's first call, on every attempt: the function crashes every time, not once
    account = make_account(crash_after="DescribeEndpointConfig")
    queue = outcome_queue(account)

    outcome = account.deploy(request_v1)

    assert outcome.status == "FAILED"
    assert outcome.error == "Runtime.ExitError"
    assert "Error: Runtime exited with error: signal: killed" in (outcome.cause or "")
    assert failures(outcome.history) == ["Runtime.ExitError"] * (1 + CRASH_RETRIES)
    assert states_entered(outcome.history)[-3:] == [
        "ReleaseAfterFailure",
        "NotifyFailed",
        "DeploymentFailed",
    ]
    assert lease_record(account)["Holder"] is None  # released: the next one may deploy
    [published] = received(account, queue)
    assert published["detail-type"] == "Endpoint Deployment Failed"
    assert published["detail"]["Error"] == "Runtime.ExitError"
    assert account.sagemaker.list_endpoints()["Endpoints"] == []


def test_a_crash_strikes_only_the_functions_calls(make_account, request_v1):
    account = make_account(crash_after="CreateModel", times=1)
    # the user's own CreateModel is no Lambda invocation: it neither dies nor uses the fault up
    account.sagemaker.create_model(
        ModelName="someone-elses",
        PrimaryContainer={"Image": request_v1["Models"][0]["PrimaryContainer"]["Image"]},
    )

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["Runtime.ExitError"]
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
        arns.append(start(account, variant(request_v1, InitialInstanceCount=count)))
    starts = [sfn.describe_execution(executionArn=arn)["startDate"] for arn in arns]
    for arn in arns:  # let them end before the account closes
        account.follow(arn)

    assert starts == sorted(starts)
    millis = [round(at.timestamp() * 1000) for at in starts]
    assert len(set(millis)) == 5
    assert all(later - earlier >= 1 for earlier, later in itertools.pairwise(millis))
    assert all(at.microsecond % 1000 == 0 for at in starts)  # milliseconds, as AWS gives


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
def test_throttling_a_create_model_is_retried_by_the_state_machine(make_account, request_v1):
    account = make_account(throttle={"CreateModel": 2})

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["SageMakerThrottled", "SageMakerThrottled"]
    assert account.emulator.store(ACCOUNT, REGION).calls["CreateModel"] == 3


# --- the options on the command line --------------------------------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(
            ["--crash-after", "CreateEndpointConfig", "--fault-times", "1"],
            id="a-crash-once-is-retried",
        ),
        pytest.param(
            ["--throttle", "CreateModel=4", "--throttle", "CreateEndpointConfig=5"],
            id="throttled-beyond-the-old-attempts",
        ),
    ],
)
def test_local_with_faults_the_state_machine_retries_succeeds(faults: list[str]) -> None:
    run = smdeploy("local", V1, "--json", *faults)

    assert run.returncode == 0, run.stderr
    [first] = json.loads(run.stdout)
    assert (first["Status"], first["Error"]) == ("SUCCEEDED", None)
    assert first["EndpointStatus"] == "InService"


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
def test_throttling_of_one_stage_beyond_the_old_shared_attempts_still_succeeds(
    make_account, request_v1
):
    # Configure meets 4 + 5 = 9 throttled calls: more than the 8 retries its state once had
    # for all its calls together; throttling now has the deadline, not a number of attempts
    account = make_account(throttle={"CreateModel": 4, "CreateEndpointConfig": 5})

    outcome = account.deploy(request_v1)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["SageMakerThrottled"] * 9
    calls = account.emulator.store(ACCOUNT, REGION).calls
    assert (calls["CreateModel"], calls["CreateEndpointConfig"]) == (5, 6)
    endpoint = account.sagemaker.describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointConfigName"] == outcome.EndpointConfigName


def test_a_crashed_approval_converges_with_no_operator(make_account):
    account = make_account(
        crash_after="CreateModel", times=1, profiles=load_example("profiles.json")
    )
    sm = account.sagemaker
    arn = sm.create_model_package(
        ModelPackageGroupName="churn-predictor",
        InferenceSpecification=load_example("inference-specification.json"),
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]

    [outcome] = account.triggered(
        lambda: sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    )

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert failures(outcome.history) == ["Runtime.ExitError"]  # the crash, retried
    assert account.emulator.budget.injected == {"crash_after": 1}
    # the endpoint serves the approved version, and no model is orphaned
    endpoint = sm.describe_endpoint(EndpointName="smdeploy-churn-predictor")  # its profile's
    assert endpoint["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    served = {v["ModelName"] for v in config["ProductionVariants"]}
    assert {m["ModelName"] for m in sm.list_models()["Models"]} == served
    for name in served:
        assert sm.describe_model(ModelName=name)["Containers"][0]["ModelPackageName"] == arn


def test_local_rollback_once_then_the_same_update_succeeds():
    run = smdeploy(
        "local", V1, V2, V2, "--json", "--rollback-update", "alarm tripped", "--fault-times", "1"
    )

    assert run.returncode == 1
    statuses = [(r["Status"], r["Error"]) for r in json.loads(run.stdout)]
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
    assert (first["Status"], first["Error"]) == ("FAILED", "EndpointFailed")
    assert (second["Status"], second["Error"]) == ("SUCCEEDED", None)
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
    assert result["Status"] == "SUCCEEDED"
    assert run.stderr.count("SageMakerThrottled") == 3
    # each a retry, retried until the deadline: none reads as a failure
    assert run.stderr.count("(until the deadline) after SageMakerThrottled: ") == 3


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
        arn = start(account, request_v1)
        for _ in range(3000):  # a bound on waiting for CreateEndpoint, never an assertion
            if endpoint_created(account):
                break
            time.sleep(0.005)
        sfn.stop_execution(executionArn=arn)
        outcome = account.follow(arn)

    assert outcome.status == "ABORTED"
    assert outcome.error is None
