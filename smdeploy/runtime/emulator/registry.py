"""SageMaker Model Registry events.

When CreateModelPackage sets a ModelApprovalStatus, or UpdateModelPackage changes it, a
"SageMaker Model Package State Change" event is put on the default bus, in the shape AWS
documents. ``Faults(duplicate_package_events=True)`` sends each one twice, as SageMaker may.
UpdateModelPackage changes only what the call gives, as in SageMaker (moto's own clears the
approval status and the CustomerMetadataProperties the call leaves out).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.events.models import events_backends
from moto.sagemaker.models import sagemaker_backends

from deployer import interface
from smdeploy.runtime.emulator.state import EmulatorState

_PACKAGE_EVENT_FIELDS = (
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageDescription",
    "CreationTime",
    "InferenceSpecification",
    "ModelPackageStatus",
    "ModelPackageStatusDetails",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "MetadataProperties",
    "ModelMetrics",
    "CustomerMetadataProperties",
    "LastModifiedTime",
)


def package_event_detail(description: dict[str, Any]) -> dict[str, Any]:
    """The ``detail`` of a Model Package State Change event, from DescribeModelPackage's
    fields (times as AWS writes them in events: ISO 8601, to the second, in UTC)."""
    detail: dict[str, Any] = {}
    for key in _PACKAGE_EVENT_FIELDS:
        value = description.get(key)
        if value is None:
            continue
        if isinstance(value, _dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
            value = moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        detail[key] = value
    if "CreationTime" in detail:
        detail.setdefault("LastModifiedTime", detail["CreationTime"])
    return detail


def update_package(package: Any, params: dict[str, Any]) -> None:
    """UpdateModelPackage as SageMaker does it: change only what the call gives, merge
    CustomerMetadataProperties, then remove CustomerMetadataPropertiesToRemove. (moto's own
    clears the approval status, its description and the metadata the call leaves out.)"""
    if "ModelApprovalStatus" in params:
        package.set_model_approval_status(params["ModelApprovalStatus"])
    if "ApprovalDescription" in params:
        package.approval_description = params["ApprovalDescription"]
    metadata = dict(package.customer_metadata_properties or {})
    metadata.update(params.get("CustomerMetadataProperties") or {})
    for key in params.get("CustomerMetadataPropertiesToRemove") or []:
        metadata.pop(key, None)
    package.customer_metadata_properties = metadata or None
    if params.get("AdditionalInferenceSpecificationsToAdd"):
        package.add_additional_inference_specifications(
            params["AdditionalInferenceSpecificationsToAdd"]
        )
    package.modifications_done()


class RegistryHooks(EmulatorState):
    """The emulator's Model Registry events."""

    def package_changed(self, account: str, region: str, arn: str) -> None:
        """Put a Model Package State Change event for the package on the default bus (twice
        under ``Faults.duplicate_package_events``)."""
        package = sagemaker_backends[account][region].describe_model_package(arn)
        detail = package_event_detail(package.gen_response_object())
        entry = {
            "Source": interface.APPROVAL_SOURCE,
            "DetailType": interface.APPROVAL_DETAIL_TYPE,
            "Detail": json.dumps(detail, default=str),
            "Resources": [detail["ModelPackageArn"]],
            "Time": self.clock.now(),
        }
        duplicate = self.faults.duplicate_package_events and self.budget.take(
            "duplicate_package_events"
        )
        copies = 2 if duplicate else 1
        events_backends[account][region].put_events([entry] * copies)


# SageMaker's CreateModelPackage and UpdateModelPackage (rows of :data:`.hooks.HOOKS`): an
# approval status set or changed puts the package's event on the default bus.


def create_model_package(emulator: EmulatorState, original: Any) -> Callable[[Any], Any]:
    def create_model_package(response: Any) -> Any:
        result = original(response)
        if json.loads(response.body or "{}").get("ModelApprovalStatus") is not None:
            arn = result.result["ModelPackageArn"]
            emulator.package_changed(response.current_account, response.region, arn)
        return result

    return create_model_package


def update_model_package(emulator: EmulatorState, original: Any) -> Callable[[Any], ActionResult]:
    def update_model_package(response: Any) -> ActionResult:
        params = json.loads(response.body or "{}")
        backend = sagemaker_backends[response.current_account][response.region]
        package = backend.describe_model_package(params["ModelPackageArn"])
        before = package.model_approval_status
        update_package(package, params)
        if package.model_approval_status != before:
            emulator.package_changed(response.current_account, response.region, package.arn)
        return ActionResult({"ModelPackageArn": package.arn})

    return update_model_package


def describe_model_package(_emulator: EmulatorState, original: Any) -> Callable[[Any], Any]:
    """DescribeModelPackage with ``ModelPackageName``, which SageMaker always returns: for a
    versioned package, its group's name (moto leaves it out; it is a required member of
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackage.html#API_DescribeModelPackage_ResponseSyntax)."""

    def describe_model_package(response: Any) -> Any:
        result = original(response)
        described = result.result
        if "ModelPackageName" not in described and described.get("ModelPackageGroupName"):
            result = ActionResult(
                {**described, "ModelPackageName": described["ModelPackageGroupName"]}
            )
        return result

    return describe_model_package


def describe_model_package_group(_emulator: EmulatorState, original: Any) -> Callable[[Any], Any]:
    """DescribeModelPackageGroup with ``CreatedBy``, a required member of
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackageGroup.html#API_DescribeModelPackageGroup_ResponseSyntax
    (moto leaves it out). Its members name a SageMaker Studio user; a group made by an IAM
    principal outside Studio has none of them, so it is empty."""

    def describe_model_package_group(response: Any) -> Any:
        result = original(response)
        return ActionResult({"CreatedBy": {}, **result.result})

    return describe_model_package_group
