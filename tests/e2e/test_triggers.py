"""End to end through the front doors: Model Registry approvals and rejections, S3 manifests,
and the outcome notifications, in the embedded runtime.

Nothing here starts an execution itself: each test does what a user does (register and
approve a package, upload a manifest) and follows the executions that the emulated
EventBridge started, then checks the account: endpoints, configs, models, queues.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from e2e_helpers import EXAMPLES, load_example, states_entered

from smdeploy import remote
from smdeploy.runtime.local import ACCOUNT, REGION, LocalDeployment, Outcome

pytestmark = pytest.mark.e2e

GROUP = "churn-predictor"  # examples/profiles.json: rolls back on rejection
ENDPOINT = "smdeploy-churn-predictor"  # its profile's (the name prefix a stack requires)
REQUEST_ENDPOINT = "churn-predictor"  # examples/request.json's
QUIET_GROUP = "fraud-detector"  # a profile that leaves rejections alone (the default)
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
EVENT_ID = "[0-9a-f]{8}"  # what an execution's name takes of its event's id


def profiles() -> dict[str, Any]:
    loaded = load_example("profiles.json")
    quiet = copy.deepcopy(loaded[GROUP])
    quiet.pop("RollbackOnRejection")
    quiet["EndpointName"] = "fraud-detector"
    loaded[QUIET_GROUP] = quiet
    return loaded


@pytest.fixture
def registry(make_account) -> LocalDeployment:
    return make_account(profiles=profiles())


def register(account: LocalDeployment, group: str = GROUP, **extra: Any) -> str:
    return account.sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=json.loads((EXAMPLES / "inference-specification.json").read_text()),
        **extra,
    )["ModelPackageArn"]


def set_status(account: LocalDeployment, arn: str, status: str) -> list[Outcome]:
    """Change a package's approval status; follow the executions that starts."""
    return account.triggered(
        lambda: account.sagemaker.update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=status
        )
    )


def serving(account: LocalDeployment, endpoint: str = ENDPOINT) -> list[str]:
    """The model package ARNs the endpoint's config serves (one per variant)."""
    sm = account.sagemaker
    config = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    )
    return [
        container["ModelPackageName"]
        for variant in config["ProductionVariants"]
        for container in sm.describe_model(ModelName=variant["ModelName"])["Containers"]
    ]


def name_of(outcome: Outcome) -> str:
    return outcome.execution_arn.rsplit(":", 1)[1]


def nothing_deployed(account: LocalDeployment) -> bool:
    sm = account.sagemaker
    return (
        sm.list_endpoints()["Endpoints"] == []
        and sm.list_endpoint_configs()["EndpointConfigs"] == []
        and sm.list_models()["Models"] == []
    )


def test_an_approval_deploys_the_package_with_its_groups_profile(registry):
    arn = register(registry, ModelApprovalStatus="PendingManualApproval")

    [outcome] = set_status(registry, arn, "Approved")

    assert outcome.status == "SUCCEEDED", outcome.cause
    endpoint = registry.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointStatus"] == "InService"
    assert serving(registry) == [arn]
    config = registry.sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    [variant] = config["ProductionVariants"]
    assert (variant["VariantName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "primary",
        "ml.m5.large",
        2,
    )  # from the profile
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    assert outcome.output is not None
    assert outcome.output["Action"] == "CREATE"
    assert outcome.output["Trigger"]["Source"] == "approval"
    assert outcome.output["Trigger"]["ModelPackageArn"] == arn


def test_a_package_overrides_its_profile_through_its_metadata(registry):
    arn = register(
        registry,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"smdeploy:InstanceType": "ml.c5.xlarge"},
    )

    [outcome] = set_status(registry, arn, "Approved")

    assert outcome.status == "SUCCEEDED", outcome.cause
    config = registry.sagemaker.describe_endpoint_config(
        EndpointConfigName=outcome.EndpointConfigName
    )
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"


def test_pending_and_rejected_packages_deploy_nothing(registry):
    pending = register(registry, ModelApprovalStatus="PendingManualApproval")
    registered = registry.triggered(lambda: register(registry))  # no status at all
    rejected = set_status(registry, pending, "Rejected")

    assert registered == []
    # the rejection rule starts an execution; nothing serves the package, so it deploys nothing
    assert [(o.status, (o.output or {}).get("Action")) for o in rejected] == [
        ("SUCCEEDED", "SKIPPED")
    ]
    assert nothing_deployed(registry)


def test_an_approval_in_a_group_without_a_profile_starts_nothing(registry):
    registry.sagemaker.create_model_package_group(ModelPackageGroupName="no-profile")
    arn = register(registry, group="no-profile", ModelApprovalStatus="PendingManualApproval")

    started = set_status(registry, arn, "Approved")

    assert started == []
    assert registry.execution_arns() == []
    assert nothing_deployed(registry)


def test_an_approval_delivered_twice_deploys_once_and_both_executions_succeed(make_account):
    account = make_account(profiles=profiles(), duplicate_package_events=True)
    arn = register(account, ModelApprovalStatus="PendingManualApproval")

    outcomes = set_status(account, arn, "Approved")

    assert [o.status for o in outcomes] == ["SUCCEEDED", "SUCCEEDED"], [o.cause for o in outcomes]
    calls = account.emulator.store(ACCOUNT, REGION).calls
    assert calls.get("CreateEndpoint") == 1
    assert "UpdateEndpoint" not in calls
    sm = account.sagemaker
    assert len(sm.list_models()["Models"]) == 1
    assert len(sm.list_endpoint_configs()["EndpointConfigs"]) == 1
    assert serving(account) == [arn]


def test_a_second_approval_updates_and_rejecting_it_rolls_back_to_the_first(registry):
    v1 = register(registry, ModelApprovalStatus="PendingManualApproval")
    [first] = set_status(registry, v1, "Approved")
    v2 = register(registry, ModelApprovalStatus="PendingManualApproval")
    [second] = set_status(registry, v2, "Approved")
    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert second.output is not None and second.output["Action"] == "UPDATE"
    assert serving(registry) == [v2]

    [rollback] = set_status(registry, v2, "Rejected")

    assert rollback.status == "SUCCEEDED", rollback.cause
    assert rollback.output is not None
    assert rollback.output["Action"] == "UPDATE"
    assert rollback.output["Trigger"]["Source"] == "rejection"
    assert rollback.output["Trigger"]["ModelPackageArn"] == v1
    assert serving(registry) == [v1]
    assert registry.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == (
        "InService"
    )


def test_a_rejection_keeps_what_finished_deploying_where_the_profile_does_not_roll_back(
    registry,
):
    v1 = register(registry, group=QUIET_GROUP, ModelApprovalStatus="PendingManualApproval")
    [deployed] = set_status(registry, v1, "Approved")
    assert deployed.status == "SUCCEEDED", deployed.cause

    # the rejection rule covers every profiled group: a rejection always stops a deployment of
    # the rejected version in flight; none is, and v1 finished deploying: it keeps serving
    [rejection] = set_status(registry, v1, "Rejected")

    assert rejection.status == "SUCCEEDED", rejection.cause
    assert rejection.output is not None and rejection.output["Action"] == "SKIPPED"
    assert "rollback on rejection is off" in rejection.output["Message"]
    assert serving(registry, "fraud-detector") == [v1]


def upload(account: LocalDeployment, key: str, body: bytes) -> list[Outcome]:
    installation = account.installation
    assert installation is not None
    return account.triggered(
        lambda: account.client("s3").put_object(
            Bucket=installation.bucket, Key=installation.manifest_prefix + key, Body=body
        )
    )


def test_a_manifest_uploaded_to_the_bucket_deploys_it(registry):
    [outcome] = upload(registry, "churn.json", (EXAMPLES / "request.json").read_bytes())

    assert outcome.status == "SUCCEEDED", outcome.cause
    endpoint = registry.sagemaker.describe_endpoint(EndpointName=REQUEST_ENDPOINT)
    assert endpoint["EndpointStatus"] == ("InService")
    assert outcome.output is not None
    trigger = outcome.output["Trigger"]
    assert trigger["Source"] == "manifest"
    assert trigger["ManifestUri"].endswith("/manifests/churn.json")


def test_approvals_and_rejections_name_their_executions_and_record_their_trigger(registry):
    arn = register(registry, ModelApprovalStatus="PendingManualApproval")  # version 1

    [approval] = set_status(registry, arn, "Approved")
    # the only version, serving: rolling back finds nothing to put back, and fails
    [rejection] = set_status(registry, arn, "Rejected")

    assert re.fullmatch(f"churn-predictor-v1-approved-{EVENT_ID}", name_of(approval))
    assert re.fullmatch(f"churn-predictor-v1-rejected-{EVENT_ID}", name_of(rejection))
    assert approval.output is not None
    assert approval.output["Trigger"] == {
        "Source": "approval",
        "ModelPackageGroupName": GROUP,
        "ModelPackageArn": arn,
    }
    assert (rejection.status, rejection.error) == ("FAILED", "NoRollbackTarget")
    # a failed execution has no output: its status report still says what triggered it
    assert remote.report(registry.stepfunctions, rejection.execution_arn)["Trigger"] == {
        "Source": "rejection",
        "ModelPackageGroupName": GROUP,
        "RejectedModelPackageArn": arn,
    }


def test_an_event_delivered_again_starts_no_second_execution(registry):
    arn = register(registry, ModelApprovalStatus="PendingManualApproval")
    [approval] = set_status(registry, arn, "Approved")
    event = json.loads(
        registry.stepfunctions.describe_execution(executionArn=approval.execution_arn)["input"]
    )
    [target] = registry.client("events").list_targets_by_rule(Rule="smdeploy-approvals")["Targets"]

    # EventBridge delivers at least once: the same event (same id) to the rule's target again
    again = registry.triggered(
        lambda: registry.emulator.invoke_target("smdeploy-approvals", target, event)
    )

    assert again == []
    assert registry.execution_arns() == [approval.execution_arn]
    delivered = registry.emulator.deliveries[-1]
    assert (delivered.execution_arn, delivered.existing, delivered.error) == (
        approval.execution_arn,
        True,
        None,
    )


def test_a_manifest_s_execution_is_named_after_its_key_and_records_its_version(registry):
    installation = registry.installation
    assert installation is not None
    put: dict[str, Any] = {}

    def upload_churn() -> None:
        put.update(
            registry.client("s3").put_object(
                Bucket=installation.bucket,
                Key=installation.manifest_prefix + "team a/churn.json",
                Body=(EXAMPLES / "request.json").read_bytes(),
            )
        )

    [outcome] = registry.triggered(upload_churn)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert re.fullmatch(f"manifests-team-a-churn-json-{EVENT_ID}", name_of(outcome))
    assert outcome.output is not None
    assert outcome.output["Trigger"] == {
        "Source": "manifest",
        "ManifestUri": f"s3://{installation.bucket}/manifests/team a/churn.json",
        "ManifestVersionId": put["VersionId"],
    }


def test_a_malformed_manifest_fails_at_validate_listing_its_problems(registry):
    [outcome] = upload(registry, "bad.json", (EXAMPLES / "invalid-request.json").read_bytes())

    assert outcome.status == "FAILED"
    assert outcome.error == "RequestInvalid"
    assert outcome.cause is not None
    assert "ProductionVariant: unknown field; did you mean ProductionVariants?" in outcome.cause
    assert "EndpointName: must match the pattern" in outcome.cause
    assert states_entered(outcome.history)[0] == "Validate"
    assert "Configure" not in states_entered(outcome.history)
    assert nothing_deployed(registry)
    # refused at Validate, it still says where it came from
    trigger = remote.report(registry.stepfunctions, outcome.execution_arn)["Trigger"]
    assert (trigger["Source"], trigger["ManifestUri"].endswith("/manifests/bad.json")) == (
        "manifest",
        True,
    )


def test_an_object_outside_the_prefix_starts_nothing(registry):
    installation = registry.installation
    assert installation is not None

    started = registry.triggered(
        lambda: registry.client("s3").put_object(
            Bucket=installation.bucket,
            Key="elsewhere/request.json",
            Body=(EXAMPLES / "request.json").read_bytes(),
        )
    )

    assert started == []


# --- notifications -------------------------------------------------------------------------


def subscribe_queues(account: LocalDeployment) -> tuple[str, str]:
    """A queue subscribed to the outcome topic, and one behind a rule on smdeploy's events."""
    installation = account.installation
    assert installation is not None
    sqs, sns, events = account.client("sqs"), account.client("sns"), account.client("events")

    def queue(name: str) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    topic_url, topic_queue = queue("from-topic")
    sns.subscribe(
        TopicArn=installation.topic_arn,
        Protocol="sqs",
        Endpoint=topic_queue,
        Attributes={"RawMessageDelivery": "true"},
    )
    bus_url, bus_queue = queue("from-bus")
    events.put_rule(Name="outcomes", EventPattern=json.dumps({"source": ["smdeploy"]}))
    events.put_targets(Rule="outcomes", Targets=[{"Id": "queue", "Arn": bus_queue}])
    return topic_url, bus_url


def drain(account: LocalDeployment, url: str) -> list[dict[str, Any]]:
    sqs = account.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        messages.extend(json.loads(m["Body"]) for m in batch)
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return messages


def test_every_outcome_is_published_once_on_the_bus_and_the_topic(registry):
    topic_url, bus_url = subscribe_queues(registry)
    arn = register(registry, ModelApprovalStatus="PendingManualApproval")

    [succeeded] = set_status(registry, arn, "Approved")
    [failed] = upload(registry, "bad.json", (EXAMPLES / "invalid-request.json").read_bytes())

    assert (succeeded.status, failed.status) == ("SUCCEEDED", "FAILED")
    on_topic = drain(registry, topic_url)
    on_bus = drain(registry, bus_url)
    assert [m["ExecutionArn"] for m in on_topic] == [succeeded.execution_arn, failed.execution_arn]
    assert [e["detail-type"] for e in on_bus] == [
        "Endpoint Deployment Succeeded",
        "Endpoint Deployment Failed",
    ]
    assert all(e["source"] == "smdeploy" for e in on_bus)
    assert [e["detail"] for e in on_bus] == on_topic  # the same detail, told twice

    good, bad = on_topic
    assert good["Status"] == "Succeeded"
    assert good["Trigger"] == "approval"
    assert good["EndpointName"] == ENDPOINT
    assert good["EndpointConfigName"] == succeeded.EndpointConfigName
    assert good["ModelPackageArn"] == arn
    assert good["DurationSeconds"] == pytest.approx(succeeded.stats.simulated_seconds, abs=1)
    assert good["Error"] is None and good["Cause"] is None
    assert bad["Status"] == "Failed"
    assert bad["Trigger"] == "manifest"
    assert bad["Error"] == "RequestInvalid"
    assert "ProductionVariant: unknown field" in bad["Cause"]
