"""One deployment per endpoint at a time, the newest intent winning, through the real ASL.

Each test drives the emulated account (executions started directly, or by approvals), waits
for every execution to end, then asserts the account's state, each execution's output and
history, and the outcome events. The interleavings that vary from run to run are repeated
with seeded invocation jitter (``seed``); bench/races/ runs the same scenarios many times
and prints how many runs were correct.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from e2e_helpers import load_example, start, states_entered, wait_until_entered

from smdeploy import present, remote, reports
from smdeploy.cli.common import EXIT_OK, EXIT_SUPERSEDED, follow
from smdeploy.cli.offline import local_exit_code
from smdeploy.executions import progress_of
from smdeploy.runtime.install import TABLE_NAME
from smdeploy.runtime.local import LocalDeployment, Outcome

pytestmark = pytest.mark.e2e

ENDPOINT = "churn-predictor"
GROUP = "churn-predictor"  # examples/profiles.json
PROFILE_ENDPOINT = "smdeploy-churn-predictor"  # the endpoint of GROUP's profile
SEEDS = (1, 2, 3)
JITTER = 0.02  # real seconds: the most each Lambda invocation is delayed


def sized(count: int) -> dict[str, Any]:
    """examples/request.json with its first variant at ``count`` instances: its own config."""
    request = copy.deepcopy(load_example("request.json"))
    request["ProductionVariants"][0]["InitialInstanceCount"] = count
    return request


def serving_count(account: LocalDeployment) -> int:
    sm = account.sagemaker
    endpoint = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointStatus"] == "InService"
    assert "FailureReason" not in endpoint
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    return int(config["ProductionVariants"][0]["InitialInstanceCount"])


def record(account: LocalDeployment) -> dict[str, Any]:
    item = account.client("dynamodb").get_item(
        TableName=TABLE_NAME, Key={"Endpoint": {"S": ENDPOINT}}, ConsistentRead=True
    )["Item"]
    return dict(json.loads(item["Record"]["S"]))


@pytest.mark.parametrize("seed", SEEDS)
def test_deployments_that_meet_end_on_the_newest_with_no_failure(make_account, seed):
    account = make_account(seed=seed, invocation_jitter=JITTER)
    with account.emulator.scheduler.held():  # the three meet before the first's time runs on
        first = start(account, sized(1))
        wait_until_entered(account, first, "ParkUntilSettled")  # past the point of no return
        second, third = start(account, sized(2)), start(account, sized(3))

    a, b, c = (account.follow(arn) for arn in (first, second, third))

    assert [o.status for o in (a, b, c)] == ["SUCCEEDED"] * 3, [o.cause for o in (a, b, c)]
    assert serving_count(account) == 3
    assert a.output is not None and a.output["Action"] == "CREATE"
    # the second waited behind the first, then found the third waiting: it yields, having
    # created nothing, and says which deployment superseded it
    assert b.output is not None
    assert b.output["Action"] == "SUPERSEDED"
    assert b.output["SupersededBy"]["Execution"] == third
    assert "Configure" not in states_entered(b.history)
    assert c.output is not None and c.output["Action"] == "UPDATE"
    assert "WaitForLease" in states_entered(c.history)
    configs = account.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    assert len(configs) == 2  # the first's and the third's: the second made none
    # the endpoint is free again, and the newest success is remembered
    held = record(account)
    assert held["Holder"] is None and held["Intents"] == []
    assert held["Deployed"]["Execution"] == third


def test_a_late_event_for_an_older_intent_is_superseded_by_what_is_deployed(
    make_account, monkeypatch
):
    account = make_account(profiles=load_example("profiles.json"))
    sm = account.sagemaker
    spec = json.loads(json.dumps(load_example("inference-specification.json")))

    def register() -> str:
        return sm.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification=spec,
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]

    v1, v2 = register(), register()
    approve = sm.update_model_package
    [first] = account.triggered(lambda: approve(ModelPackageArn=v1, ModelApprovalStatus="Approved"))
    [second] = account.triggered(
        lambda: approve(ModelPackageArn=v2, ModelApprovalStatus="Approved")
    )
    # v1's approval event, delivered again long after v2 was approved (EventBridge may)
    v1_event = {
        "version": "0",
        "id": "late-delivery",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": account.installation.account,
        "time": "2026-01-01T00:00:00Z",
        "region": account.installation.region,
        "resources": [v1],
        "detail": {
            "ModelPackageGroupName": GROUP,
            "ModelPackageArn": v1,
            "ModelPackageVersion": 1,
            "ModelApprovalStatus": "Approved",
        },
    }

    late = account.deploy(v1_event)

    assert [first.status, second.status, late.status] == ["SUCCEEDED"] * 3
    assert late.output is not None and late.output["Action"] == "SUPERSEDED"
    assert late.output["SupersededBy"]["Execution"] == second.execution_arn
    assert "Configure" not in states_entered(late.history)
    endpoint = sm.describe_endpoint(EndpointName=PROFILE_ENDPOINT)
    assert endpoint["EndpointConfigName"] == second.EndpointConfigName
    # smdeploy local reports it as it is: SUPERSEDED (same --json keys), exit 4 unless a
    # deployment failed
    assert late.to_json()["Status"] == "SUPERSEDED"
    assert list(late.to_json()) == list(first.to_json())
    assert local_exit_code([first, second]) == 0
    assert local_exit_code([first, late]) == 4
    failed = Outcome(request="failed.json", status="FAILED", error="EndpointFailed")
    assert local_exit_code([late, failed]) == 1
    table = io.StringIO()
    monkeypatch.setenv("COLUMNS", "300")  # wide enough for the table (not one record a row)
    present.summary(present.Screen(table), [second, late])
    assert [line.split()[1] for line in table.getvalue().splitlines()[-2:]] == [
        "SUCCEEDED",
        "SUPERSEDED",
    ]


def test_re_approving_an_older_version_on_purpose_rolls_back_to_it(make_account):
    account = make_account(profiles=load_example("profiles.json"))
    sm = account.sagemaker
    spec = load_example("inference-specification.json")
    arns = [
        sm.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification=spec,
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]
        for _ in range(2)
    ]

    def set_status(arn: str, status: str) -> list[Outcome]:
        return account.triggered(
            lambda: sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
        )

    set_status(arns[0], "Approved")
    set_status(arns[1], "Approved")
    set_status(arns[0], "PendingManualApproval")
    [again] = set_status(arns[0], "Approved")

    assert again.status == "SUCCEEDED", again.cause
    assert again.output is not None and again.output["Action"] == "UPDATE"
    endpoint = sm.describe_endpoint(EndpointName=PROFILE_ENDPOINT)
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["Containers"][0]["ModelPackageName"] == arns[0]


def test_a_superseded_deployment_is_published_as_such_never_as_a_failure(make_account):
    account = make_account(seed=1)
    sqs, events = account.client("sqs"), account.client("events")
    url = sqs.create_queue(QueueName="outcomes")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    events.put_rule(Name="outcomes", EventPattern=json.dumps({"source": ["smdeploy"]}))
    events.put_targets(
        Rule="outcomes", Targets=[{"Id": "q", "Arn": queue["Attributes"]["QueueArn"]}]
    )
    with account.emulator.scheduler.held():  # the three meet before the first's time runs on
        first = start(account, sized(1))
        wait_until_entered(account, first, "ParkUntilSettled")
        second, third = start(account, sized(2)), start(account, sized(3))
    for arn in (first, second, third):
        account.follow(arn)

    received = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        received += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    by_execution = {e["detail"]["ExecutionArn"]: e for e in received}

    assert by_execution[second]["detail-type"] == "Endpoint Deployment Superseded"
    assert by_execution[second]["detail"]["Status"] == "Superseded"
    assert by_execution[second]["detail"]["SupersededBy"] == third
    assert by_execution[second]["detail"]["Error"] is None
    assert {by_execution[a]["detail-type"] for a in (first, third)} == {
        "Endpoint Deployment Succeeded"
    }


def test_following_a_superseded_deployment_says_superseded_and_by_whom(make_account, capsys):
    # start --wait and watch follow an execution with smdeploy.cli.common.follow
    account = make_account(seed=1)
    with account.emulator.scheduler.held():  # the three meet before the first's time runs on
        first = start(account, sized(1))
        wait_until_entered(account, first, "ParkUntilSettled")
        second, third = start(account, sized(2)), start(account, sized(3))
    capsys.readouterr()

    code, _ = follow(account.stepfunctions, second, 0.05, None)

    err = capsys.readouterr().err
    assert code == EXIT_SUPERSEDED == 4
    final = err.strip().splitlines()[-1]
    assert final.startswith("SUPERSEDED: churn-predictor: superseded by ")
    assert third.rsplit(":", 1)[-1] in final
    assert "SUCCEEDED" not in err and " is None on " not in err
    # status: SUPERSEDED, by whom and why, on the execution that SUCCEEDED in Step Functions
    found = remote.report(account.stepfunctions, second)
    assert (found["Status"], found["Action"]) == ("SUCCEEDED", "SUPERSEDED")
    assert found["SupersededBy"] == third
    assert found["Message"] and third.rsplit(":", 1)[-1] in found["Message"]
    reports.status(present.stdout(), found)
    shown = capsys.readouterr().out
    assert f"SUPERSEDED by execution {third.rsplit(':', 1)[-1]}" in shown
    # the others succeeded, and following them says so, with exit 0
    for arn in (first, third):
        assert follow(account.stepfunctions, arn, 0.05, None)[0] == EXIT_OK
        assert capsys.readouterr().err.strip().splitlines()[-1].startswith("SUCCEEDED: ")


def test_a_change_of_tags_alone_reaches_the_endpoint(account):
    tagged = copy.deepcopy(load_example("request.json"))
    tagged["Tags"] = [{"Key": "team", "Value": "growth"}, {"Key": "tier", "Value": "gold"}]
    first = account.deploy(tagged)
    retagged = copy.deepcopy(tagged)
    retagged["Tags"] = [{"Key": "team", "Value": "retention"}]

    second = account.deploy(retagged)

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert second.EndpointConfigName == first.EndpointConfigName  # tags change no config
    assert second.output is not None and second.output["Action"] == "RETAG"
    assert "+team" in second.output["Message"] and "-tier" in second.output["Message"]
    sm = account.sagemaker
    arn = sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointArn"]
    assert {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {
        "team": "retention",
        "smdeploy:endpoint": ENDPOINT,
    }


def test_what_the_deployer_creates_carries_its_mark(account):
    outcome = account.deploy(load_example("request.json"))

    sm = account.sagemaker
    arns = [
        sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointArn"],
        sm.describe_endpoint_config(EndpointConfigName=outcome.EndpointConfigName)[
            "EndpointConfigArn"
        ],
        sm.describe_model(ModelName="churn-xgboost-v1")["ModelArn"],
    ]
    for arn in arns:
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
        assert tags["smdeploy:endpoint"] == ENDPOINT, arn


def test_status_says_which_deployment_a_waiting_one_waits_for(make_account):
    # the second's deadline covers its wait for the first (1800 s) and its own update
    account = make_account(creation_seconds=1800, deadline_seconds=7200)
    with account.emulator.scheduler.held():  # the first stays parked while we look
        first = start(account, sized(1))
        wait_until_entered(account, first, "ParkUntilSettled")
        second = start(account, sized(2))
        wait_until_entered(account, second, "WaitForLease")

        found = remote.report(account.stepfunctions, second)
        holding = remote.report(account.stepfunctions, first)["EndpointConfigName"]

    assert found["Status"] == "RUNNING"
    waiting = found["WaitingFor"]
    assert {k: waiting[k] for k in ("ExecutionArn", "EndpointConfigName", "Phase")} == {
        "ExecutionArn": first,
        "EndpointConfigName": holding,
        "Phase": "DEPLOYING",
    }
    # since when it waits (its first look at the lease), and until when it may: its deadline,
    # counted from its execution's start (the configured 7200 s)
    started = datetime.fromisoformat(found["StartDate"])
    since, until = (datetime.fromisoformat(waiting[k]) for k in ("Since", "Until"))
    assert started <= since < until
    assert until == started + timedelta(seconds=7200)
    assert holding.startswith(f"{ENDPOINT}-")
    lines = [
        p.detail
        for e in account.stepfunctions.get_execution_history(executionArn=second)["events"]
        if (p := progress_of(e, "Admit", 0)) is not None
    ]
    assert any(line.startswith(f"waiting for {first.rsplit(':', 1)[-1]}") for line in lines)
    assert any(f"waiting at most until {waiting['Until']}" in line for line in lines)
    for arn in (first, second):
        assert account.follow(arn).status == "SUCCEEDED"
    assert remote.report(account.stepfunctions, second)["WaitingFor"] is None


def test_the_wait_for_the_lease_counts_against_the_deadline(make_account):
    account = make_account(creation_seconds=1800)
    patient = sized(2)
    patient["DeadlineSeconds"] = 600  # its own: it may not wait out the first's 1800 s
    with account.emulator.scheduler.held():
        first = start(account, sized(1))
        wait_until_entered(account, first, "ParkUntilSettled")
        second = start(account, patient)
        wait_until_entered(account, second, "WaitForLease")
    waited = account.follow(second)
    held = account.follow(first)

    assert waited.status == "FAILED"
    assert waited.error == "DeploymentTimedOut"
    assert waited.cause is not None
    assert f"while waiting for {first.rsplit(':', 1)[-1]}" in waited.cause
    described = account.stepfunctions.describe_execution(executionArn=second)
    took = (described["stopDate"] - described["startDate"]).total_seconds()
    assert 600 <= took < 700  # it gave up at its deadline, with 1,200 s of the first to go
    assert states_entered(waited.history)[-3:] == [
        "ReleaseAfterFailure",
        "NotifyFailed",
        "DeploymentFailed",
    ]
    # the first was left alone, and deployed; the second left no claim behind
    assert held.status == "SUCCEEDED", held.cause
    assert serving_count(account) == 1
    assert record(account)["Holder"] is None and record(account)["Intents"] == []
