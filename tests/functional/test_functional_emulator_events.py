"""The emulated event plumbing: EventBridge rules that start Step Functions executions, the
Model Registry's state-change events, and S3's "Object Created" events.

Each test sets up rules and targets through the AWS API, makes something happen, and reads
what arrived: the executions a rule started (their input, as the execution itself reports
it), or the events an SQS queue target received.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smdeploy.runtime.emulator import Emulator, Faults, SimClock

REGION = "us-east-1"
ACCOUNT = "123456789012"
CLOCK_START = 1_767_225_600  # 2026-01-01T00:00:00Z
ECHO = json.dumps({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}})
ROLE = f"arn:aws:iam::{ACCOUNT}:role/events-to-states"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GROUP = "churn-predictor"


class Account:
    """Clients of the emulated account, and the emulator behind it."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.events = boto3.client("events", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)

    def echo_machine(self, name: str = "echo") -> str:
        """A state machine whose output is its input."""
        return self.sfn.create_state_machine(name=name, definition=ECHO, roleArn=ROLE)[
            "stateMachineArn"
        ]

    def rule(self, name: str, pattern: dict[str, Any], *targets: dict[str, Any]) -> None:
        self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=name, Targets=list(targets))

    def queue(self, name: str) -> tuple[str, str]:
        """A queue: its URL and ARN."""
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def received(self, url: str) -> list[dict[str, Any]]:
        """Every message in the queue, parsed."""
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

    def executions(self, machine: str) -> list[dict[str, Any]]:
        """Each execution of ``machine``, run to its end, oldest first."""
        listed = self.sfn.list_executions(stateMachineArn=machine)["executions"]
        return [self.finished(e["executionArn"]) for e in reversed(listed)]

    def finished(self, arn: str) -> dict[str, Any]:
        for _ in range(2000):  # a Pass state: a few milliseconds
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.005)
        raise AssertionError(f"{arn} still running")

    def put(self, source: str, detail: dict[str, Any], detail_type: str = "Something") -> None:
        entries = [{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
        answer = self.events.put_events(Entries=entries)
        assert answer["FailedEntryCount"] == 0


def start(faults: Faults | None = None) -> Iterator[Account]:
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        Emulator(faults=faults, seed=1, clock=SimClock(start=CLOCK_START)) as emulator,
    ):
        yield Account(emulator)


@pytest.fixture
def account() -> Iterator[Account]:
    yield from start()


@pytest.fixture
def twice() -> Iterator[Account]:
    yield from start(Faults(duplicate_package_events=True))


# --- EventBridge -> Step Functions ---------------------------------------------------------


def test_a_matching_rule_starts_an_execution_with_the_whole_event(account):
    machine = account.echo_machine()
    account.rule("orders", {"source": ["shop.orders"]}, {"Id": "sm", "Arn": machine})

    account.put("shop.orders", {"order": 7}, detail_type="Order Placed")
    account.put("shop.refunds", {"order": 7})  # matches no rule

    [execution] = account.executions(machine)
    assert execution["status"] == "SUCCEEDED"
    assert UUID.match(execution["name"])  # EventBridge names the executions it starts
    event = json.loads(execution["output"])
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["source"] == "shop.orders"
    assert event["detail-type"] == "Order Placed"
    assert event["detail"] == {"order": 7}
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", event["time"])
    [delivery] = account.emulator.deliveries
    assert (delivery.rule, delivery.execution_arn, delivery.error) == (
        "orders",
        execution["executionArn"],
        None,
    )


def test_targets_input_and_input_path_are_honoured(account):
    machine = account.echo_machine()
    account.rule(
        "orders",
        {"source": ["shop.orders"]},
        {"Id": "constant", "Arn": machine, "Input": '{"fixed": true}'},
        {"Id": "detail", "Arn": machine, "InputPath": "$.detail"},
    )

    account.put("shop.orders", {"order": 7})

    outputs = [json.loads(e["output"]) for e in account.executions(machine)]
    assert sorted(outputs, key=json.dumps) == [{"fixed": True}, {"order": 7}]


def test_other_targets_of_the_rule_are_still_delivered_by_moto(account):
    machine = account.echo_machine()
    url, queue = account.queue("orders")
    account.rule(
        "orders",
        {"source": ["shop.orders"]},
        {"Id": "queue", "Arn": queue},
        {"Id": "sm", "Arn": machine},
    )

    account.put("shop.orders", {"order": 7})

    [message] = account.received(url)
    assert message["detail"] == {"order": 7}
    [execution] = account.executions(machine)
    assert json.loads(execution["output"])["detail"] == {"order": 7}


def test_a_failed_delivery_is_recorded_and_put_events_still_succeeds(account):
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:no-such-machine"
    account.rule("orders", {"source": ["shop.orders"]}, {"Id": "sm", "Arn": missing})

    account.put("shop.orders", {"order": 7})

    [delivery] = account.emulator.deliveries
    assert delivery.execution_arn is None
    assert delivery.error is not None and "StateMachineDoesNotExist" in delivery.error


# --- Model Registry events -----------------------------------------------------------------


def registry_queue(account: Account) -> str:
    """A queue that receives every Model Package State Change event."""
    url, arn = account.queue("registry")
    pattern = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]}
    account.rule("registry", pattern, {"Id": "queue", "Arn": arn})
    return url


def register(account: Account, **extra: Any) -> str:
    """Register a version in GROUP (made when missing)."""
    groups = account.sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    if GROUP not in [g["ModelPackageGroupName"] for g in groups]:
        account.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    return account.sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification={
            "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        **extra,
    )["ModelPackageArn"]


def test_approval_puts_the_documented_event(account):
    url = registry_queue(account)
    arn = register(
        account,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"InstanceType": "ml.m5.xlarge"},
    )
    [created] = account.received(url)

    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    [approved] = account.received(url)
    assert created["detail"]["ModelApprovalStatus"] == "PendingManualApproval"
    assert approved["source"] == "aws.sagemaker"
    assert approved["detail-type"] == "SageMaker Model Package State Change"
    assert approved["resources"] == [arn]
    detail = approved["detail"]
    assert detail["ModelApprovalStatus"] == "Approved"
    assert detail["ModelPackageArn"] == arn
    assert detail["ModelPackageGroupName"] == GROUP
    assert detail["ModelPackageVersion"] == 1
    assert detail["ModelPackageStatus"] == "Completed"
    assert detail["CustomerMetadataProperties"] == {"InstanceType": "ml.m5.xlarge"}
    assert detail["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    for key in ("CreationTime", "LastModifiedTime"):
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", detail[key]), key


def test_no_event_without_a_status_change(account):
    url = registry_queue(account)
    arn = register(account)  # no ModelApprovalStatus given
    assert account.received(url) == []
    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert len(account.received(url)) == 1

    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    account.sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"note": "metadata only"}
    )

    assert account.received(url) == []


def test_rejection_after_approval_is_an_event_too(account):
    url = registry_queue(account)
    arn = register(account, ModelApprovalStatus="Approved")

    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")

    statuses = [m["detail"]["ModelApprovalStatus"] for m in account.received(url)]
    assert sorted(statuses) == ["Approved", "Rejected"]


def test_duplicate_fault_delivers_each_event_twice(twice):
    url = registry_queue(twice)

    arn = register(twice, ModelApprovalStatus="Approved")

    messages = twice.received(url)
    assert [m["detail"]["ModelPackageArn"] for m in messages] == [arn, arn]
    assert messages[0]["id"] != messages[1]["id"]


def test_an_approval_starts_the_state_machine_of_a_matching_rule(account):
    machine = account.echo_machine()
    pattern = {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [GROUP], "ModelApprovalStatus": ["Approved"]},
    }
    account.rule("approvals", pattern, {"Id": "sm", "Arn": machine})
    arn = register(account, ModelApprovalStatus="PendingManualApproval")
    assert account.executions(machine) == []

    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    [execution] = account.executions(machine)
    assert json.loads(execution["input"])["detail"]["ModelPackageArn"] == arn


# --- S3 -> EventBridge (moto's own) --------------------------------------------------------


def test_object_created_under_the_prefix_starts_an_execution(account):
    machine = account.echo_machine()
    account.s3.create_bucket(Bucket="deployer")
    account.s3.put_bucket_notification_configuration(
        Bucket="deployer", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    account.s3.create_bucket(Bucket="quiet")  # no EventBridge notifications
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": ["deployer", "quiet"]},
            "object": {"key": [{"prefix": "manifests/"}]},
        },
    }
    account.rule("manifests", pattern, {"Id": "sm", "Arn": machine})

    account.s3.put_object(Bucket="deployer", Key="manifests/a.json", Body=b'{"a": 1}')
    account.s3.put_object(Bucket="deployer", Key="elsewhere/b.json", Body=b"{}")
    account.s3.put_object(Bucket="quiet", Key="manifests/c.json", Body=b"{}")

    [execution] = account.executions(machine)
    event = json.loads(execution["output"])
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"] == {"name": "deployer"}
    assert event["detail"]["object"]["key"] == "manifests/a.json"
    assert event["detail"]["object"]["size"] == 8
    assert event["id"] != "17793124-05d4-b198-2fde-7ededc63b103"  # moto's constant


def test_an_update_changes_only_what_it_gives(account):
    arn = register(
        account,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"InstanceType": "ml.m5.xlarge", "Owner": "growth"},
    )

    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    account.sagemaker.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={"InstanceCount": "2"},
        CustomerMetadataPropertiesToRemove=["Owner"],
    )

    package = account.sagemaker.describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["CustomerMetadataProperties"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": "2",
    }
