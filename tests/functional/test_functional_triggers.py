"""Validate stage, event doors: approvals, rejections and S3 manifests become one request.

Each test builds the emulated account (a model package group with versions, an endpoint,
a manifest bucket), hands the Validate handler the event exactly as EventBridge delivers it,
and checks the request (or the refusal) it produces.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from deployer import interface
from deployer.aws import clients, profile_store
from deployer.errors import (
    ManifestNotFound,
    ModelPackageNotFound,
    NoDeploymentProfile,
    RequestInvalid,
)
from smdeploy import resources
from smdeploy.runtime.install import put_profiles

GROUP = "churn-predictor"
# the endpoint of GROUP's profile (smdeploy-churn-predictor: the name prefix a stack requires)
ENDPOINT = json.loads((resources.EXAMPLES / "profiles.json").read_text())[GROUP]["EndpointName"]
BUCKET = "smdeploy-manifests"


PROFILES_PATH = interface.profiles_path("smdeploy")


def use_profiles(monkeypatch: pytest.MonkeyPatch, profiles: dict[str, Any]) -> None:
    """The deployer's profiles, where the stack stores them: one SSM parameter per group."""
    ssm = boto3.client("ssm", region_name="us-east-1")
    stored = ssm.get_parameters_by_path(Path=PROFILES_PATH.rstrip("/"))["Parameters"]
    if stored:
        ssm.delete_parameters(Names=[p["Name"] for p in stored])
    put_profiles(ssm, PROFILES_PATH, profiles)
    monkeypatch.setenv(interface.ENV_PROFILES_PATH, PROFILES_PATH)


@pytest.fixture
def registry(aws, monkeypatch):
    """The group of examples/profiles.json, the deployer's settings, and an S3 client."""
    use_profiles(monkeypatch, json.loads((resources.EXAMPLES / "profiles.json").read_text()))
    monkeypatch.setenv(interface.ENV_MODEL_ROLE, aws.ROLE_ARN)
    monkeypatch.delenv(interface.ENV_NAME_PREFIX, raising=False)
    aws.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    clients.use_client("s3", s3)
    yield Registry(aws, s3)
    clients.use_client("s3", None)


class Registry:
    def __init__(self, aws: Any, s3: Any) -> None:
        self.aws = aws
        self.s3 = s3

    def package(self, status: str = "Approved", metadata: dict[str, str] | None = None) -> str:
        params: dict[str, Any] = {
            "ModelPackageGroupName": GROUP,
            "InferenceSpecification": {
                "Containers": [{"Image": self.aws.IMAGE_V1}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelApprovalStatus": status,
        }
        if metadata:
            params["CustomerMetadataProperties"] = metadata
        arn: str = self.aws.sagemaker.create_model_package(**params)["ModelPackageArn"]
        return arn

    def set_status(self, arn: str, status: str) -> None:
        self.aws.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    def deploy(self, arn: str) -> None:
        """Deploy ``arn`` as its approval would, and let the endpoint settle."""
        request = self.aws.validate(event(arn, "Approved"))["Request"]
        self.aws.configure_and_deploy(request)
        self.aws.settle()


def event(arn: str, status: str, group: str = GROUP) -> dict[str, Any]:
    """A "SageMaker Model Package State Change" event, shaped as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "844e2571-0000-4000-8000-000000000000",
        "detail-type": interface.APPROVAL_DETAIL_TYPE,
        "source": interface.APPROVAL_SOURCE,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": int(arn.rsplit("/", 1)[1]),
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
            "ModelPackageStatus": "Completed",
        },
    }


def s3_event(key: str, size: int = 100) -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": interface.S3_OBJECT_CREATED,
        "source": interface.S3_SOURCE,
        "account": "123456789012",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": BUCKET},
            "object": {"key": key, "size": size},
            "reason": "PutObject",
        },
    }


# --- approvals ----------------------------------------------------------------------------


def test_an_approval_deploys_the_package_in_the_event_with_the_groups_profile(registry, aws):
    registry.package()  # version 1: approved, but not the one in the event
    arn = registry.package()

    result = aws.validate(event(arn, "Approved"))

    request = result["Request"]
    [model] = request["Models"]
    assert model["Containers"] == [{"ModelPackageName": arn}]
    assert model["ExecutionRoleArn"] == aws.ROLE_ARN
    assert model["ModelName"].startswith(f"{ENDPOINT}-v2-")
    profile = json.loads((resources.EXAMPLES / "profiles.json").read_text())[GROUP]
    assert request["EndpointName"] == profile["EndpointName"]
    assert request["ProductionVariants"] == [
        {**variant, "ModelName": model["ModelName"]} for variant in profile["ProductionVariants"]
    ]
    assert request["DeploymentConfig"] == profile["DeploymentConfig"]
    assert request["DataCaptureConfig"] == profile["DataCaptureConfig"]
    assert result["Trigger"] == {
        "Source": "approval",
        "ModelPackageGroupName": GROUP,
        "ModelPackageArn": arn,
    }
    # Validate creates nothing
    assert aws.sagemaker.list_models()["Models"] == []


def test_the_same_approval_twice_gives_the_same_request(registry, aws):
    arn = registry.package()

    first = aws.validate(event(arn, "Approved"))
    second = aws.validate(event(arn, "Approved"))

    assert first == second


def test_package_overrides_come_from_its_customer_metadata(registry, aws):
    arn = registry.package(
        metadata={"smdeploy:InstanceType": "ml.c5.xlarge", "smdeploy:InitialInstanceCount": "4"}
    )

    [variant] = aws.validate(event(arn, "Approved"))["Request"]["ProductionVariants"]

    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.c5.xlarge", 4)


@pytest.mark.parametrize(
    ("metadata", "path", "message"),
    [
        (
            {"smdeploy:InstanceCount": "4"},
            "CustomerMetadataProperties.smdeploy:InstanceCount",
            "did you mean smdeploy:InitialInstanceCount",
        ),
        (
            {"smdeploy:InitialInstanceCount": "four"},
            "CustomerMetadataProperties.smdeploy:InitialInstanceCount",
            'must be a whole number, got "four"',
        ),
    ],
)
def test_a_bad_override_is_refused_naming_the_key(registry, aws, metadata, path, message):
    arn = registry.package(metadata=metadata)

    with pytest.raises(RequestInvalid) as caught:
        aws.validate(event(arn, "Approved"))

    [problem] = caught.value.problems
    assert problem.startswith(f"{path}: ")
    assert message in problem


def test_an_approval_that_is_stale_deploys_nothing(registry, aws):
    arn = registry.package()
    registry.set_status(arn, "Rejected")

    result = aws.validate(event(arn, "Approved"))

    assert "Request" not in result
    assert result["Skip"] == (
        f"{arn} is Rejected now (the approval event is stale); nothing to deploy"
    )


def test_an_approval_in_a_group_without_profile_is_refused(registry, aws):
    aws.sagemaker.create_model_package_group(ModelPackageGroupName="fraud-detector")
    arn = aws.sagemaker.create_model_package(
        ModelPackageGroupName="fraud-detector",
        InferenceSpecification={
            "Containers": [{"Image": aws.IMAGE_V1}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]

    with pytest.raises(NoDeploymentProfile) as refused:
        aws.validate(event(arn, "Approved", group="fraud-detector"))
    assert str(refused.value).startswith(
        "model package group 'fraud-detector' has no deployment profile (groups with a "
        "profile: churn-predictor, fraud-scorer); to deploy its approvals, add its profile to "
        "the profiles file and install it again (on AWS: cdk deploy -c profilesFile=FILE; "
    )


def test_with_no_profile_at_all_an_approval_is_refused_saying_so(registry, aws, monkeypatch):
    use_profiles(monkeypatch, {})
    arn = registry.package()

    with pytest.raises(NoDeploymentProfile, match=r"profile \(no group has one\); to deploy"):
        aws.validate(event(arn, "Approved"))


def test_a_warm_environment_keeps_a_profile_it_read_for_a_minute(registry, aws, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(profile_store.time, "monotonic", lambda: clock[0])
    arn = registry.package()
    assert aws.validate(event(arn, "Approved"))["EndpointName"] == ENDPOINT

    use_profiles(monkeypatch, {GROUP: {**_profile(), "EndpointName": "churn-changed"}})
    clock[0] += profile_store.MAX_AGE_SECONDS  # not older than the max age yet: kept
    assert aws.validate(event(arn, "Approved"))["EndpointName"] == ENDPOINT
    clock[0] += 1  # older: read again
    assert aws.validate(event(arn, "Approved"))["EndpointName"] == "churn-changed"


def test_a_profile_changed_in_its_parameter_is_read_by_a_new_environment(
    registry, aws, monkeypatch
):
    arn = registry.package()
    assert aws.validate(event(arn, "Approved"))["EndpointName"] == _profile()["EndpointName"]

    use_profiles(monkeypatch, {GROUP: {**_profile(), "EndpointName": "churn-changed"}})
    clients.forget_clients()  # a new execution environment (a warm one keeps a value 60 s)

    assert aws.validate(event(arn, "Approved"))["EndpointName"] == "churn-changed"


def test_an_approval_of_a_deleted_package_is_refused(registry, aws):
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-predictor/9"

    with pytest.raises(ModelPackageNotFound, match="churn-predictor/9"):
        aws.validate(event(arn, "Approved"))


def test_an_approval_is_refused_when_no_role_is_configured(registry, aws, monkeypatch):
    monkeypatch.delenv(interface.ENV_MODEL_ROLE)
    arn = registry.package()

    with pytest.raises(RequestInvalid, match="ModelExecutionRoleArn: no SageMaker execution"):
        aws.validate(event(arn, "Approved"))


def test_names_outside_the_deployers_prefix_are_refused(registry, aws, monkeypatch):
    monkeypatch.setenv(interface.ENV_NAME_PREFIX, "smdeploy-")
    use_profiles(monkeypatch, {GROUP: {**_profile(), "EndpointName": "smdeploy-x"}})
    arn = registry.package()

    assert aws.validate(event(arn, "Approved"))["EndpointName"] == "smdeploy-x"
    with pytest.raises(RequestInvalid) as caught:
        aws.validate({"EndpointName": "churn", "ProductionVariants": _variants("m")})
    assert caught.value.problems == [
        'EndpointName: must start with the deployer\'s name prefix "smdeploy-" (its '
        'permissions cover only such names), got "churn"'
    ]


def _profile() -> dict[str, Any]:
    profile: dict[str, Any] = json.loads((resources.EXAMPLES / "profiles.json").read_text())[GROUP]
    return profile


def _variants(model: str) -> list[dict[str, Any]]:
    return [
        {
            "VariantName": "primary",
            "ModelName": model,
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        }
    ]


# --- rejections ---------------------------------------------------------------------------


def test_rejecting_the_serving_version_redeploys_the_newest_other_approved(registry, aws):
    v1 = registry.package()
    v2 = registry.package()
    v3 = registry.package()
    registry.set_status(v1, "Rejected")  # not a candidate any more
    registry.deploy(v3)
    registry.set_status(v3, "Rejected")

    result = aws.validate(event(v3, "Rejected"))

    [model] = result["Request"]["Models"]
    assert model["Containers"] == [{"ModelPackageName": v2}]
    assert result["Trigger"] == {
        "Source": "rejection",
        "ModelPackageGroupName": GROUP,
        "ModelPackageArn": v2,
        "RejectedModelPackageArn": v3,
    }
    assert result["Intent"] == {"Package": v2, "Rejects": v3, "Serving": True, "RollBack": True}


def test_rejecting_a_version_that_is_not_serving_leaves_the_decision_to_the_lease(registry, aws):
    # A deployment of v2 may be in flight: only the endpoint's record knows (deployer.decide.lease).
    v1 = registry.package()
    v2 = registry.package()
    registry.deploy(v1)
    registry.set_status(v2, "Rejected")

    result = aws.validate(event(v2, "Rejected"))

    assert "Skip" not in result
    assert result["Intent"] == {"Package": v1, "Rejects": v2, "Serving": False, "RollBack": True}


def test_rejecting_with_nothing_to_roll_back_to_stops_whatever_deploys_it(registry, aws):
    # No endpoint yet: the first deployment of v1 may be creating it (only the lease knows).
    # The rejection names no package to deploy; its request is v1's, for the profile's settings.
    v1 = registry.package("Rejected")

    result = aws.validate(event(v1, "Rejected"))

    assert "Skip" not in result
    assert result["Intent"] == {
        "Package": None,
        "Rejects": v1,
        "Serving": False,
        "RollBack": True,
    }
    [model] = result["Request"]["Models"]
    assert model["Containers"] == [{"ModelPackageName": v1}]
    assert result["Trigger"].get("ModelPackageArn") is None  # nothing deployed by name


def test_an_approval_names_the_package_it_deploys(registry, aws):
    v1 = registry.package()

    assert aws.validate(event(v1, "Approved"))["Intent"] == {
        "Package": v1,
        "Rejects": None,
        "Serving": False,
        "RollBack": True,
    }


def test_rejecting_the_only_approved_version_while_it_serves_is_left_to_the_lease(registry, aws):
    # whether it finished deploying (NoRollbackTarget) or is still in flight (stopped, the
    # config served before put back) only the endpoint's record knows: deployer.decide.lease.stop
    v1 = registry.package()
    registry.deploy(v1)
    registry.set_status(v1, "Rejected")

    result = aws.validate(event(v1, "Rejected"))

    assert result["Intent"] == {"Package": None, "Rejects": v1, "Serving": True, "RollBack": True}


def test_a_rejection_with_rollback_off_still_reaches_the_lease_to_stop_a_deployment_of_it(
    registry, aws, monkeypatch
):
    use_profiles(monkeypatch, {GROUP: {**_profile(), "RollbackOnRejection": False}})
    v1, v2 = registry.package(), registry.package()
    registry.deploy(v1)
    registry.set_status(v1, "Rejected")

    result = aws.validate(event(v1, "Rejected"))

    # no rollback target looked for (no ListModelPackages): v2 is not deployed
    assert result["Intent"] == {"Package": None, "Rejects": v1, "Serving": True, "RollBack": False}
    assert result["Trigger"].get("ModelPackageArn") is None  # nothing deployed by name
    assert v2 not in json.dumps(result["Request"])


# --- S3 manifests -------------------------------------------------------------------------


def test_a_manifest_is_read_and_checked_like_a_direct_request(registry, aws, make_request):
    request = make_request()
    registry.s3.put_object(Bucket=BUCKET, Key="manifests/churn.json", Body=json.dumps(request))

    result = aws.validate(s3_event("manifests/churn.json"))

    assert result["Request"] == request
    assert result["Trigger"] == {
        "Source": "manifest",
        "ManifestUri": f"s3://{BUCKET}/manifests/churn.json",
    }


def test_a_manifest_s_trigger_names_the_version_uploaded(registry, aws, make_request):
    registry.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    key = "manifests/churn.json"
    first = registry.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(make_request()))
    registry.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(make_request(Tags=[])))
    event = s3_event(key)
    event["detail"]["object"]["version-id"] = first["VersionId"]

    result = aws.validate(event)

    assert result["Request"] == make_request()  # the version the event names, not the newest
    assert result["Trigger"] == {
        "Source": "manifest",
        "ManifestUri": f"s3://{BUCKET}/{key}",
        "ManifestVersionId": first["VersionId"],
    }


def test_a_malformed_manifest_lists_its_problems(registry, aws, make_request):
    body = json.dumps(make_request(ProductionVariant=[]))
    registry.s3.put_object(Bucket=BUCKET, Key="manifests/bad.json", Body=body)

    with pytest.raises(RequestInvalid) as caught:
        aws.validate(s3_event("manifests/bad.json"))

    assert caught.value.problems == [
        "ProductionVariant: unknown field; did you mean ProductionVariants?"
    ]


def test_a_manifest_that_is_not_json_is_refused(registry, aws):
    registry.s3.put_object(Bucket=BUCKET, Key="manifests/bad.json", Body=b"EndpointName: x")

    with pytest.raises(RequestInvalid, match=r"manifest s3://.*/manifests/bad.json\): is not"):
        aws.validate(s3_event("manifests/bad.json"))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(
            b'{"EndpointName": "a", "EndpointName": "b"}',
            "EndpointName: is given more than once in the same object",
            id="repeated-key",
        ),
        pytest.param('{"EndpointName": "x"}'.encode("utf-16"), "): is UTF-16 text", id="utf-16"),
    ],
)
def test_a_manifest_is_read_by_the_json_rules_of_every_door(registry, aws, body, problem):
    registry.s3.put_object(Bucket=BUCKET, Key="manifests/odd.json", Body=body)

    with pytest.raises(RequestInvalid) as caught:
        aws.validate(s3_event("manifests/odd.json"))

    [line] = caught.value.problems
    assert problem in line


def test_a_manifest_too_large_for_step_functions_is_refused_unread(registry, aws):
    with pytest.raises(RequestInvalid, match="is 300000 bytes"):
        aws.validate(s3_event("manifests/never-uploaded.json", size=300_000))


def test_a_manifest_deleted_before_it_is_read_is_an_error(registry, aws):
    with pytest.raises(ManifestNotFound, match="NoSuchKey"):
        aws.validate(s3_event("manifests/gone.json"))
