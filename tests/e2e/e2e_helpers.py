"""Helpers shared by the end-to-end tests (fixtures live in conftest.py)."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from smdeploy.runtime.install import SWEEP_SCHEDULE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def states_entered(history: list[dict[str, Any]]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]


def entered(account: Any, arn: str) -> list[str]:
    """The states an execution has entered so far."""
    events = account.stepfunctions.get_execution_history(executionArn=arn, maxResults=1000)
    return states_entered(events["events"])


def wait_until_entered(account: Any, arn: str, state: str) -> None:
    """Poll (real time, bounded) until the execution has entered ``state``; fail if it never
    does."""
    for _ in range(2000):
        if state in entered(account, arn):
            return
        time.sleep(0.01)
    raise AssertionError(f"{arn} never entered {state}: {entered(account, arn)}")


def start(account: Any, request: Any) -> str:
    """Start an execution of the deployer with ``request`` as its input, as ``deploy`` does,
    without following it; returns its ARN."""
    text = json.dumps(request)
    return account.stepfunctions.start_execution(
        stateMachineArn=account.state_machine_arn, name=account.execution_name(text), input=text
    )["executionArn"]


def config_made_by_hand(account: Any, name: str) -> None:
    """An endpoint config made outside smdeploy (someone's own change to the endpoint): v1's
    model on another instance type."""
    account.sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "churn-xgboost-v1",
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 1,
            }
        ],
    )


def failures(history: list[dict[str, Any]]) -> list[str]:
    """Error names of every Lambda failure in the history, in order (retried ones included)."""
    return [
        e["lambdaFunctionFailedEventDetails"]["error"]
        for e in history
        if e["type"] == "LambdaFunctionFailed"
    ]


def variant(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``request`` with its first production variant changed."""
    changed = copy.deepcopy(request)
    changed["ProductionVariants"][0].update(changes)
    return changed


def undeclared_shapes(history: list[dict[str, Any]]) -> list[str]:
    """Where an execution's data is not what ``deployer.payloads`` declares: each Lambda
    function's answer and each park's output must be exactly its state's declared result
    (nothing missing, nothing more), and each shaping Pass state's output must read as its
    declared model with no field it does not declare."""
    from deployer.payloads.execution import RESULTS, result_of
    from smdeploy.executions import output_of
    from smdeploy.resources import DEFINITION

    states = json.loads(DEFINITION.read_text())["States"]
    problems: list[str] = []
    state = ""
    for event in history:
        if "stateEnteredEventDetails" in event:
            state = event["stateEnteredEventDetails"]["name"]
        if event["type"] in ("LambdaFunctionSucceeded", "TaskSucceeded"):
            output = output_of(event)
            found = result_of(state, output)
            if found is None or found.to_json() != output:
                problems.append(f"{state} answered {output}")
        exited = event.get("stateExitedEventDetails")
        if event["type"] == "PassStateExited" and exited and exited["name"] in RESULTS:
            name = exited["name"]
            output = json.loads(exited.get("output") or "null")
            path = states[name].get("ResultPath", "$")
            for part in path.split(".")[1:]:
                output = output.get(part) if isinstance(output, dict) else None
            model = RESULTS[name]
            if result_of(name, output) is None or not set(output) <= set(model.model_fields):
                problems.append(f"{name} handed on {output}, not a {model.__name__}")
    return problems


def lease_record(account: Any, endpoint: str = "churn-predictor") -> dict[str, Any]:
    """The endpoint's record in the deployer's table (its lease's holder, intents...)."""
    from smdeploy.runtime.install import TABLE_NAME

    item = account.client("dynamodb").get_item(
        TableName=TABLE_NAME, Key={"Endpoint": {"S": endpoint.lower()}}, ConsistentRead=True
    )["Item"]
    return dict(json.loads(item["Record"]["S"]))


def outcome_queue(account: Any) -> str:
    """An SQS queue that receives every outcome the deployer publishes on the default bus."""
    sqs, events = account.client("sqs"), account.client("events")
    url: str = sqs.create_queue(QueueName="outcomes")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    events.put_rule(Name="outcomes", EventPattern=json.dumps({"source": ["smdeploy"]}))
    events.put_targets(
        Rule="outcomes", Targets=[{"Id": "q", "Arn": queue["Attributes"]["QueueArn"]}]
    )
    return url


def received(account: Any, url: str) -> list[dict[str, Any]]:
    """Every outcome event the queue of :func:`outcome_queue` holds (taken off it)."""
    sqs = account.client("sqs")
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def disable_sweep(scheduler: Any) -> None:
    """Disable the sweep's schedule, as ``aws scheduler update-schedule --state DISABLED``
    does: UpdateSchedule replaces the whole schedule, so its other fields are given again."""
    schedule = scheduler.get_schedule(Name=SWEEP_SCHEDULE)
    scheduler.update_schedule(
        Name=SWEEP_SCHEDULE,
        ScheduleExpression=schedule["ScheduleExpression"],
        FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
        Target=schedule["Target"],
        State="DISABLED",
    )


def register_package(account: Any, status: str = "PendingManualApproval") -> str:
    """A new version of churn-predictor in the registry of ``account`` (anything with
    ``client(service)``: an emulator server or an in-process account), in ``status``."""
    specification = json.loads((EXAMPLES / "inference-specification.json").read_text())
    return str(
        account.client("sagemaker").create_model_package(
            ModelPackageGroupName="churn-predictor",
            InferenceSpecification=specification,
            ModelApprovalStatus=status,
        )["ModelPackageArn"]
    )
