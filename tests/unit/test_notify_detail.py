"""The outcome detail is built from what the execution knows when it ends, on every path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deployer.payloads.events import NotifyEvent
from deployer.perform.notify import MAX_CAUSE_CHARS, _subject, outcome_detail

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(seconds=312.5)
ARN = "arn:aws:states:us-east-1:123456789012:execution:smdeploy-deployer:run-1"
PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-predictor/2"
APPROVAL = {
    "source": "aws.sagemaker",
    "detail-type": "SageMaker Model Package State Change",
    "detail": {
        "ModelPackageGroupName": "churn-predictor",
        "ModelPackageArn": PACKAGE,
        "ModelApprovalStatus": "Approved",
    },
}


def detail(status, execution_input, state):
    """The detail of the Notify event the state machine would send with this state."""
    event = NotifyEvent(
        Execution="run-1",
        ExecutionArn=ARN,
        Status=status,
        StartTime=START,
        EnteredTime=END,
        Input=execution_input,
        State=state,
    )
    return outcome_detail(event)


def deployed(**fields):
    """The output of the state DeploymentSucceeded."""
    return {
        "EndpointName": "churn-predictor",
        "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-predictor",
        "EndpointConfigName": "churn-predictor-0123456789",
        "EndpointConfigArn": (
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/churn-predictor-0123456789"
        ),
        "EndpointStatus": "InService",
        "Action": "UPDATE",
        "Message": "UpdateEndpoint: ...",
        "ModelsCreated": [],
        "Trigger": {"Source": "direct"},
        **fields,
    }


def test_a_success_carries_the_endpoint_the_package_and_the_duration():
    serving = [
        {"VariantName": "primary", "InstanceType": "ml.g6.2xlarge", "CurrentInstanceCount": 2}
    ]
    output = deployed(
        Trigger={"Source": "approval", "ModelPackageArn": PACKAGE}, ServingInstances=serving
    )

    found = detail("Succeeded", APPROVAL, output)

    assert found.model_dump(exclude_none=True) == {
        "Status": "Succeeded",
        "ExecutionArn": ARN,
        "ExecutionName": "run-1",
        "Trigger": "approval",
        "EndpointName": "churn-predictor",
        "EndpointArn": output["EndpointArn"],
        "EndpointConfigName": "churn-predictor-0123456789",
        "EndpointStatus": "InService",
        "ModelPackageGroupName": "churn-predictor",
        "ModelPackageArn": PACKAGE,
        "Action": "UPDATE",
        "Message": "UpdateEndpoint: ...",
        "StartedAt": START,
        "FinishedAt": END,
        "DurationSeconds": 312.5,
        "ServingInstances": serving,
    }


def test_a_failure_after_validate_names_the_endpoint_and_the_error():
    state = {
        "EndpointName": "churn-predictor",
        "EndpointConfigName": "churn-predictor-0123456789",
        "Trigger": {"Source": "approval", "ModelPackageArn": PACKAGE},
        "Config": {
            "EndpointConfigName": "churn-predictor-0123456789",
            "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c",
            "ConfigCreated": True,
            "ModelsCreated": [],
            "ModelsReused": [],
        },
        "Deployment": {
            "Action": "CREATE",
            "Reason": "CreateEndpoint: ...",
            "EndpointName": "churn-predictor",
            "EndpointConfigName": "churn-predictor-0123456789",
        },
        "Failure": {"Error": "EndpointFailed", "Cause": "endpoint churn-predictor is Failed"},
    }

    found = detail("Failed", APPROVAL, state)

    assert (found.Status, found.Error, found.Cause) == (
        "Failed",
        "EndpointFailed",
        "endpoint churn-predictor is Failed",
    )
    assert (found.EndpointName, found.ModelPackageArn, found.Action) == (
        "churn-predictor",
        PACKAGE,
        "CREATE",
    )


def test_a_request_refused_at_validate_still_says_where_it_came_from():
    failure = {"Failure": {"Error": "RequestInvalid", "Cause": "2 problems ..."}}
    manifest = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {
            "bucket": {"name": "b"},
            "object": {"key": "manifests/x.json", "version-id": "3HL4kqtJlcpXroDTDmJ"},
        },
    }

    from_manifest = detail("Failed", manifest, failure)
    direct = detail("Failed", {"EndpointName": "churn", "ProductionVariant": []}, failure)
    not_an_object = detail("Failed", "EndpointName: churn", failure)

    assert (from_manifest.Trigger, from_manifest.ManifestUri, from_manifest.ManifestVersionId) == (
        "manifest",
        "s3://b/manifests/x.json",
        "3HL4kqtJlcpXroDTDmJ",
    )
    assert (direct.Trigger, direct.EndpointName) == ("direct", "churn")
    assert (not_an_object.Trigger, not_an_object.EndpointName) == ("direct", None)


def test_a_rejection_names_both_packages():
    rejection = {**APPROVAL, "detail": {**APPROVAL["detail"], "ModelApprovalStatus": "Rejected"}}
    older = PACKAGE.replace("/2", "/1")

    skipped = {
        "Action": "SKIPPED",
        "Message": "nothing to deploy",
        "Trigger": {"Source": "rejection", "ModelPackageArn": older},
    }

    found = detail("Succeeded", rejection, skipped)

    assert (found.Trigger, found.ModelPackageArn, found.RejectedModelPackageArn) == (
        "rejection",
        older,
        PACKAGE,
    )


def test_a_long_cause_is_clipped_and_says_so():
    state = {"Failure": {"Error": "RequestInvalid", "Cause": "x" * (MAX_CAUSE_CHARS + 10)}}

    cause = detail("Failed", {}, state).Cause

    assert cause == "x" * MAX_CAUSE_CHARS + "... (10 more characters)"


@pytest.mark.parametrize(
    ("status", "state", "expected"),
    [
        ("Succeeded", deployed(EndpointName="churn"), "smdeploy: churn deployed"),
        (
            "Failed",
            {"EndpointName": "churn", "Failure": {"Error": "EndpointFailed", "Cause": "c"}},
            "smdeploy: churn deployment failed (EndpointFailed)",
        ),
        (
            "Succeeded",
            {"Action": "SKIPPED", "Message": "stale", "Trigger": {"Source": "approval"}},
            "smdeploy: run-1 nothing to deploy",
        ),
        ("Succeeded", deployed(EndpointName="é" * 200), "smdeploy: " + "?" * 90),
    ],
)
def test_the_subject_is_short_ascii_and_says_what_happened(status, state, expected):
    assert _subject(detail(status, {}, state)) == expected
