"""The Start function against moto's Step Functions: a trigger event becomes one execution,
named after its trigger, whose input is the whole event; a redelivered event finds it; another
event under the same name, and Step Functions' refusals, fail the invocation with the
deployer's own errors (so that Lambda retries it, and the dead-letter queue gets it last)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deployer import interface
from deployer.aws import clients
from deployer.decide import names
from deployer.errors import ExecutionNameTaken, StartRefused, StartThrottled
from deployer.handlers import start
from smdeploy.runtime.emulator import LambdaContext

REGION = "us-east-1"
ACCOUNT = "123456789012"
CONTEXT = LambdaContext(
    "smdeploy-start", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:smdeploy-start", 512, 60
)
# A state machine that only waits: its executions stay RUNNING, or are stopped by the test.
WAITING = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}


PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-predictor/3"


def approval(event_id: str = "5b2c6a51-1111-4000-8000-000000000001") -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": interface.APPROVAL_DETAIL_TYPE,
        "source": interface.APPROVAL_SOURCE,
        "account": ACCOUNT,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [PACKAGE],
        "detail": {
            "ModelPackageGroupName": "churn-predictor",
            "ModelPackageVersion": 3,
            "ModelPackageArn": PACKAGE,
            "ModelApprovalStatus": "Approved",
        },
    }


@pytest.fixture
def sfn(aws, monkeypatch) -> Any:
    """moto's Step Functions with a state machine the Start function is configured with."""
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(
        name="smdeploy-deployer",
        definition=json.dumps(WAITING),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/smdeploy-deployer",
    )["stateMachineArn"]
    monkeypatch.setenv(interface.ENV_STATE_MACHINE_ARN, arn)
    clients.use_client("stepfunctions", client)
    yield client
    clients.use_client("stepfunctions", None)


def executions(sfn: Any) -> list[dict[str, Any]]:
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return sfn.list_executions(stateMachineArn=machine)["executions"]


def test_an_approval_starts_one_execution_named_after_its_group_and_version(sfn):
    event = approval()

    answer = start.handler(event, CONTEXT)

    [execution] = executions(sfn)
    assert execution["name"].startswith("churn-predictor-v3-approved-")
    assert answer == {
        "ExecutionArn": execution["executionArn"],
        "ExecutionName": execution["name"],
        "AlreadyStarted": False,
    }
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == event  # the whole event


@pytest.mark.parametrize("stopped", [False, True], ids=["running", "ended"])
def test_the_same_event_delivered_again_finds_the_execution_it_started(sfn, stopped):
    event = approval()
    first = start.handler(event, CONTEXT)
    if stopped:
        sfn.stop_execution(executionArn=first["ExecutionArn"])

    again = start.handler(json.loads(json.dumps(event)), CONTEXT)

    assert len(executions(sfn)) == 1
    assert again["ExecutionArn"] == first["ExecutionArn"]
    assert again["ExecutionName"] == first["ExecutionName"]


def test_two_events_have_two_executions(sfn):
    start.handler(approval("event-one"), CONTEXT)
    start.handler(approval("event-two"), CONTEXT)

    names = sorted(e["name"] for e in executions(sfn))
    assert len(names) == 2 and names[0] != names[1]
    assert all(n.startswith("churn-predictor-v3-approved-") for n in names)


def test_another_input_under_the_same_name_fails_loudly_and_starts_nothing(sfn):
    event = approval()
    first = start.handler(event, CONTEXT)
    sfn.stop_execution(executionArn=first["ExecutionArn"])
    other = {**event, "time": "2026-01-02T00:00:00Z"}  # same id (and name), other content

    with pytest.raises(ExecutionNameTaken, match=first["ExecutionName"]):
        start.handler(other, CONTEXT)

    assert len(executions(sfn)) == 1


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        ("ThrottlingException", StartThrottled),
        ("ExecutionLimitExceeded", StartThrottled),
        ("StateMachineDoesNotExist", StartRefused),
        ("InvalidExecutionInput", StartRefused),
    ],
)
def test_step_functions_errors_become_the_deployer_s_own(sfn, code, raised):
    stubbed = boto3.client("stepfunctions", region_name=REGION)
    clients.use_client("stepfunctions", stubbed)
    with Stubber(stubbed) as stubber:
        event = approval()
        stubber.add_client_error(
            "start_execution",
            service_error_code=code,
            service_message="no",
            expected_params={
                "stateMachineArn": sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"],
                "name": "churn-predictor-v3-approved-" + names.event_digest(event),
                "input": json.dumps(event, separators=(",", ":")),
            },
        )

        with pytest.raises(raised, match=code):
            start.handler(event, CONTEXT)

        stubber.assert_no_pending_responses()
    assert executions(sfn) == []
