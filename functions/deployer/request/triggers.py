"""Every door into the deployer leads to one deployment request.

The state machine's input is one of:

- a **direct request** (the console, ``aws stepfunctions start-execution``, ``smdeploy start``);
- a **model package approval** (EventBridge, source ``aws.sagemaker``): the package in the
  event is deployed with its group's deployment profile;
- a **model package rejection** of a group that has a profile: when the profile rolls back on
  rejection and another version is Approved, a deployment of the newest other Approved
  version, whose intent names the rejected package; the lease (:func:`deployer.decide.lease.reject`)
  runs it only when the endpoint serves the rejected version, or is getting it (a deployment
  of it in flight, which the rejection stops). Otherwise a rejection that only stops a
  deployment of the rejected version in flight (:func:`deployer.decide.lease.stop`);
- an **S3 manifest** (EventBridge "Object Created"): a direct request stored as a JSON object.

:func:`resolve` turns any of them into a :class:`Resolution`: a checked request to deploy, or
a reason to deploy nothing (a stale approval).
:func:`trigger_of` (:mod:`deployer.payloads.pieces`) describes an input without calling AWS
(the Notify stage and ``smdeploy status`` use it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from deployer import interface
from deployer.aws import clients
from deployer.aws.component_models import describe_component, model_names
from deployer.aws.profile_store import StoredProfiles
from deployer.aws.sagemaker import AwsCallFailed, SageMakerGateway, other_call
from deployer.decide.lease_record import Intent, Order
from deployer.errors import (
    ManifestNotFound,
    ModelPackageNotFound,
    NoDeploymentProfile,
    RequestInvalid,
)
from deployer.observability import logger, tracer
from deployer.payloads.pieces import Trigger, trigger_of
from deployer.request import jsontext
from deployer.request.deployment import MAX_PAYLOAD_BYTES, DeploymentRequest, parse_request
from deployer.request.profiles import DeploymentProfile, ModelPackage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class Resolution:
    trigger: Trigger
    request: DeploymentRequest | None = None
    skip: str | None = None  # why nothing is deployed
    # the deployment's order when the registry gives it (see deployer.decide.lease): an approval's
    # or a rejection's time; None: the execution's start time decides
    order: Order | None = None
    intent: Intent = field(default_factory=Intent)  # a rejection's: the package rejected


class Profiles(Protocol):
    """Where the Validate function finds a group's deployment profile."""

    def profile_of(self, group: str) -> DeploymentProfile | None:
        """``group``'s profile, or None when it has none."""
        ...

    def groups(self) -> list[str]:
        """Every group that has a profile (asked only when one has none, for the message)."""
        ...


class FixedProfiles(dict[str, DeploymentProfile]):
    """Profiles held in memory, checked (none, when the function is given no path)."""

    def profile_of(self, group: str) -> DeploymentProfile | None:
        return super().get(group)

    def groups(self) -> list[str]:
        return sorted(self)


@dataclass(frozen=True)
class Settings:
    """The Validate function's configuration, from its environment (see interface.py)."""

    profiles: Profiles
    name_prefix: str = ""
    model_role_arn: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        name_prefix = environ.get(interface.ENV_NAME_PREFIX, "")
        path = environ.get(interface.ENV_PROFILES_PATH, "")
        return cls(
            StoredProfiles(path, name_prefix) if path else FixedProfiles(),
            name_prefix,
            environ.get(interface.ENV_MODEL_ROLE) or None,
        )


# --- what came in -------------------------------------------------------------------------


# trigger_of (describe an input without calling AWS) is the payloads' own: the CLI reads it too.


# --- turning it into a request ------------------------------------------------------------


@tracer.capture_method
def resolve(
    raw: Any, settings: Settings, sagemaker: SageMakerGateway, s3: Callable[[], S3Client]
) -> Resolution:
    """The checked request this input asks for, or why it asks for nothing.

    ``s3`` gives the S3 client; it is asked for only when a manifest must be read, so that
    no other invocation pays for creating one.
    """
    trigger = trigger_of(raw)
    if trigger.Source == "approval":
        return _approval(raw["detail"], trigger, settings, sagemaker)
    if trigger.Source == "rejection":
        return _rejection(raw["detail"], trigger, settings, sagemaker)
    if trigger.Source == "manifest":
        raw = _read_manifest(raw["detail"], s3())
    request = parse_request(raw)
    _check_prefix(request, settings.name_prefix)
    return Resolution(trigger=trigger, request=request)


def _profile(settings: Settings, group: str | None) -> DeploymentProfile:
    profile = settings.profiles.profile_of(group or "")
    if profile is None:
        configured = ", ".join(settings.profiles.groups())
        having = f"groups with a profile: {configured}" if configured else "no group has one"
        raise NoDeploymentProfile(
            f"model package group {group!r} has no deployment profile ({having}); to deploy "
            f"its approvals, add its profile to the profiles file and install it again (on "
            f"AWS: cdk deploy -c profilesFile=FILE; the emulator: smdeploy emulator "
            f"--profiles FILE)"
        )
    return profile


def _package(sagemaker: SageMakerGateway, arn: str) -> ModelPackage:
    described = sagemaker.describe_model_package(arn)
    if described is None:
        raise ModelPackageNotFound(f"DescribeModelPackage {arn}: no such model package")
    return ModelPackage.from_description(described)


def _request_for(
    profile: DeploymentProfile, package: ModelPackage, settings: Settings
) -> DeploymentRequest:
    request = parse_request(profile.request_for(package, settings.model_role_arn))
    _check_prefix(request, settings.name_prefix)
    return request


def _approval(
    detail: dict[str, Any], trigger: Trigger, settings: Settings, sagemaker: SageMakerGateway
) -> Resolution:
    profile = _profile(settings, trigger.ModelPackageGroupName)
    arn = str(detail.get("ModelPackageArn", ""))
    # The registry, not the event, is the truth: an event may be late or delivered twice.
    package = _package(sagemaker, arn)
    if package.approval_status != "Approved":
        return Resolution(
            trigger=trigger,
            skip=(
                f"{arn} is {package.approval_status} now (the approval event is stale); "
                f"nothing to deploy"
            ),
        )
    return Resolution(
        trigger=trigger,
        request=_request_for(profile, package, settings),
        order=_approval_order(package),
        intent=Intent(Package=package.arn),
    )


def _approval_order(package: ModelPackage, decided_by: ModelPackage | None = None) -> Order:
    """An approval's order: when the package was approved (its LastModifiedTime), the version
    breaking ties. A rejection rollback's: when ``decided_by`` was rejected."""
    moment = (decided_by or package).modified
    if moment is None:
        raise ModelPackageNotFound(
            f"DescribeModelPackage {package.arn}: neither LastModifiedTime nor CreationTime"
        )
    source = decided_by or package
    return Order(At=moment, Version=source.version, Tiebreak=source.arn)


def _serving_packages(
    sagemaker: SageMakerGateway, profile: DeploymentProfile
) -> tuple[str, set[str]]:
    """(the status of what the profile deploys, the model package ARNs it serves): the
    endpoint's production variants, or, for a profile that targets an inference component,
    that IC's model."""
    targets = profile.fields.get(interface.COMPONENTS_FIELD) or []
    if targets:
        ic = describe_component(clients.sagemaker, str(targets[0]["InferenceComponentName"]))
        if ic is None:
            return "absent", set()
        status = str(ic["InferenceComponentStatus"])
        names = model_names(ic)
    else:
        endpoint = sagemaker.describe_endpoint(profile.endpoint_name)
        if endpoint is None:
            return "absent", set()
        status = str(endpoint["EndpointStatus"])
        config = sagemaker.describe_endpoint_config(endpoint["EndpointConfigName"]) or {}
        names = {variant["ModelName"] for variant in config.get("ProductionVariants", [])}
    packages: set[str] = set()
    # variants often share a model: describe each model once
    for name in names:
        model = sagemaker.describe_model(name) or {}
        containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
        packages.update(
            c["ModelPackageName"].lower() for c in containers if c.get("ModelPackageName")
        )
    return status, packages


def _rejection(
    detail: dict[str, Any], trigger: Trigger, settings: Settings, sagemaker: SageMakerGateway
) -> Resolution:
    """Every rejection reaches the lease, which decides (:func:`deployer.decide.lease.admit`): a
    rollback to the newest other Approved version when the profile asks for one and one
    exists; else a rejection that only stops a deployment of the rejected version in flight
    (and puts back the config served before it, when its rollout had begun). Its request is
    the one the rejected version was deployed with: it gives the profile's settings (tags,
    deployment policy, guardrails) to what is put back."""
    profile = _profile(settings, trigger.ModelPackageGroupName)
    rejected = str(detail.get("ModelPackageArn", ""))
    _status, serving = _serving_packages(sagemaker, profile)
    is_serving = rejected.lower() in serving
    # the registry, not the event, is the truth: the rejection's time orders it
    rejected_package = _package(sagemaker, rejected)
    order = _approval_order(rejected_package)
    candidates = (
        [
            summary
            for summary in sagemaker.list_approved_packages(profile.group)
            if str(summary["ModelPackageArn"]).lower() != rejected.lower()
        ]
        if profile.rollback_on_rejection
        else []
    )
    if not candidates:
        logger.info(
            "rejection: stopping any deployment of the rejected version (no rollback)",
            extra={"rejected": rejected, "serving": is_serving},
        )
        return Resolution(
            trigger=trigger,
            request=_request_for(profile, rejected_package, settings),
            order=order,
            intent=Intent(
                Rejects=rejected, Serving=is_serving, RollBack=profile.rollback_on_rejection
            ),
        )
    newest = max(candidates, key=lambda s: int(s.get("ModelPackageVersion") or 0))
    package = _package(sagemaker, str(newest["ModelPackageArn"]))
    logger.info(
        "rejection: rolling back unless nothing serves or gets the rejected version",
        extra={"rejected": rejected, "rollback_to": package.arn, "serving": is_serving},
    )
    rollback = trigger.model_copy(update={"ModelPackageArn": package.arn})
    return Resolution(
        trigger=rollback,
        request=_request_for(profile, package, settings),
        order=order,
        intent=Intent(Package=package.arn, Rejects=rejected, Serving=is_serving),
    )


def _read_manifest(detail: dict[str, Any], s3: S3Client) -> Any:
    """The manifest's text; its content is checked like any direct request."""
    bucket = str((detail.get("bucket") or {}).get("name", ""))
    obj = detail.get("object") or {}
    key = str(obj.get("key", ""))
    uri = f"s3://{bucket}/{key}"
    size = obj.get("size")
    if isinstance(size, int) and size > MAX_PAYLOAD_BYTES:
        raise RequestInvalid(
            [
                f"(manifest {uri}): is {size} bytes; a request carries at most "
                f"{MAX_PAYLOAD_BYTES} bytes (256 KiB, the Step Functions payload limit)"
            ]
        )
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if obj.get("version-id"):
        params["VersionId"] = obj["version-id"]  # exactly the upload that sent this event
    try:
        body = other_call(lambda: s3.get_object(**params)["Body"].read(MAX_PAYLOAD_BYTES + 1))
    except AwsCallFailed as error:
        raise ManifestNotFound(f"GetObject {uri}: {error.code}: {error}") from error
    try:  # the rules every door applies to JSON text (UTF-8, each key once, 32 levels...)
        return jsontext.loads(body, f"(manifest {uri})")
    except jsontext.JsonRefused as refused:
        raise RequestInvalid([str(problem) for problem in refused.problems]) from None


def _check_prefix(request: DeploymentRequest, prefix: str) -> None:
    """The deployer's permissions cover only names with its prefix: say so before AWS does."""
    if not prefix:
        return
    names = [("EndpointName", request.endpoint_name)]
    if not request.config_name_derived:
        names.append(("EndpointConfigName", request.endpoint_config_name))
    names += [(f"Models[{i}].ModelName", m["ModelName"]) for i, m in enumerate(request.models)]
    names += [
        (f"InferenceComponents[{i}].InferenceComponentName", ic["InferenceComponentName"])
        for i, ic in enumerate(request.fields.get(interface.COMPONENTS_FIELD) or [])
    ]
    problems = [
        f"{path}: must start with the deployer's name prefix {json.dumps(prefix)} (its permissions "
        f"cover only such names), got {json.dumps(name)}"
        for path, name in names
        if not name.startswith(prefix)
    ]
    if problems:
        raise RequestInvalid(problems)
