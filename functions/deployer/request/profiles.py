"""Deployment profiles: how an approved model package of a group becomes a deployment request.

The platform team configures one profile per model package group (the stack: ``cdk.json``
context; local runs: a JSON file). A profile is a deployment request without its model: the
endpoint name, the production variants (instance type and count, or serverless), data
capture, deployment policy, tags... Each variant's ``ModelName`` is filled in with the model
made from the approved package. Two keys are the profile's own:

- ``RollbackOnRejection`` (default false): when the version serving the endpoint is marked
  Rejected, redeploy the newest other Approved version of the group (see
  :func:`deployer.decide.lease.reject`). Whatever it says, a rejection stops a deployment of the
  rejected version in flight, and puts back the config served before when its UpdateEndpoint
  was made (:func:`deployer.decide.lease.stop`): false only keeps a version that finished deploying.
- ``ModelExecutionRoleArn``: the role SageMaker assumes for the package's model (default: the
  deployer's configured SageMaker execution role).

A package may override a few settings through its CustomerMetadataProperties, under the keys
of :data:`OVERRIDES` (for example ``smdeploy:InstanceType`` = ``ml.c5.xlarge``).

``parse_profiles`` checks every profile with the same validator as a direct request, so a
profile that Validate would refuse stops ``cdk synth`` (and ``smdeploy emulator``) first.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ConfigDict

from deployer import interface
from deployer.basemodel import Model
from deployer.errors import ProfileInvalid, RequestInvalid
from deployer.request import shapes
from deployer.request.deployment import known_fields, parse_request

# The profile's own keys; every other key is a request field.
ROLLBACK_KEY = "RollbackOnRejection"
ROLE_KEY = "ModelExecutionRoleArn"
# Request fields a profile may not set: the package decides the model, the content the name.
NOT_IN_PROFILE = ("Models", "EndpointConfigName", "ShadowProductionVariants")

# A model package group's name (EntityName in the SageMaker model) and a package ARN.
_GROUP = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_PACKAGE_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:model-package/"
    r"(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[0-9]+)"
)
_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
# Stand-in for the package's model when a profile is checked on its own.
_STAND_IN_MODEL = "profile-check"


def _as_int(value: str) -> int:
    if not re.fullmatch(r"[0-9]+", value.strip()):
        raise ValueError("must be a whole number")
    return int(value)


def _set_instance_type(request: dict[str, Any], value: str) -> None:
    for variant in request["ProductionVariants"]:
        if "ServerlessConfig" not in variant:
            variant["InstanceType"] = value


def _set_instance_count(request: dict[str, Any], value: str) -> None:
    for variant in request["ProductionVariants"]:
        if "ServerlessConfig" not in variant:
            variant["InitialInstanceCount"] = _as_int(value)


def _set_serverless(member: str) -> Callable[[dict[str, Any], str], None]:
    def apply(request: dict[str, Any], value: str) -> None:
        for variant in request["ProductionVariants"]:
            if "ServerlessConfig" in variant:
                variant["ServerlessConfig"][member] = _as_int(value)

    return apply


def _set_sampling(request: dict[str, Any], value: str) -> None:
    if "DataCaptureConfig" in request:
        request["DataCaptureConfig"]["InitialSamplingPercentage"] = _as_int(value)


# CustomerMetadataProperties key -> what it overrides (documented in
# docs/guides/approvals-and-profiles.md).
OVERRIDES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "smdeploy:InstanceType": _set_instance_type,
    "smdeploy:InitialInstanceCount": _set_instance_count,
    "smdeploy:ServerlessMemorySizeInMB": _set_serverless("MemorySizeInMB"),
    "smdeploy:ServerlessMaxConcurrency": _set_serverless("MaxConcurrency"),
    "smdeploy:InitialSamplingPercentage": _set_sampling,
}


class ModelPackage(Model):
    """What the deployer needs to know of a model package (from DescribeModelPackage)."""

    model_config = ConfigDict(frozen=True)

    arn: str
    group: str
    version: int
    approval_status: str
    metadata: dict[str, str] = {}  # noqa: RUF012 (pydantic copies it for each instance)
    # when its approval status last changed: LastModifiedTime (CreationTime until modified)
    modified: datetime | None = None

    @classmethod
    def from_description(cls, described: dict[str, Any]) -> ModelPackage:
        arn = str(described["ModelPackageArn"])
        match = _PACKAGE_ARN.fullmatch(arn)
        version = described.get("ModelPackageVersion") or (match and match["version"]) or 0
        return cls(
            arn=arn,
            group=str(described.get("ModelPackageGroupName") or (match and match["group"]) or ""),
            version=int(version),
            approval_status=str(described.get("ModelApprovalStatus", "")),
            metadata=dict(described.get("CustomerMetadataProperties") or {}),
            modified=described.get("LastModifiedTime") or described.get("CreationTime"),
        )


def model_name_for(endpoint_name: str, package: ModelPackage) -> str:
    """``<endpoint>-v<version>-<hash of the package ARN>``: one model per package and endpoint.

    Deterministic, so a replayed approval finds the model it made before; it starts with the
    endpoint name, so it carries the deployer's name prefix (which the IAM policies scope to).
    """
    max_len, _ = shapes.name_rule("ModelName")
    digest = hashlib.sha256(package.arn.encode()).hexdigest()[:8]
    suffix = f"-v{package.version}-{digest}"
    stem = endpoint_name[: max_len - len(suffix)].rstrip("-")
    return f"{stem}{suffix}"


class DeploymentProfile(Model):
    """One group's profile, checked."""

    model_config = ConfigDict(frozen=True)

    group: str
    fields: dict[str, Any]  # request fields, variants without ModelName
    rollback_on_rejection: bool = False
    model_role_arn: str | None = None

    @property
    def endpoint_name(self) -> str:
        return str(self.fields["EndpointName"])

    def request_for(self, package: ModelPackage, default_role: str | None) -> dict[str, Any]:
        """The deployment request that deploys ``package`` with this profile.

        Raises RequestInvalid when no role is known or an override breaks a rule; the result
        is checked by ``parse_request`` like any other request.
        """
        role = self.model_role_arn or default_role
        problems: list[str] = []
        if not role:
            problems.append(
                f"{ROLE_KEY}: no SageMaker execution role for the model of {package.arn}: set "
                f"{ROLE_KEY} in the profile of group {self.group}, or the deployer's role"
            )
        request = copy.deepcopy(self.fields)
        for key, value in sorted(package.metadata.items()):
            if not key.startswith("smdeploy:"):
                continue
            apply = OVERRIDES.get(key)
            if apply is None:
                hint = shapes.suggest(key, tuple(OVERRIDES))
                problems.append(
                    f"CustomerMetadataProperties.{key}: unknown override{hint} (the package's "
                    f"smdeploy: keys are {', '.join(OVERRIDES)})"
                )
                continue
            try:
                apply(request, value)
            except ValueError as error:
                problems.append(
                    f"CustomerMetadataProperties.{key}: {error}, got {json.dumps(value)}"
                )
        if problems:
            raise RequestInvalid(problems)
        model_name = model_name_for(self.endpoint_name, package)
        _fill_model(request, model_name)
        model: dict[str, Any] = {
            "ModelName": model_name,
            "ExecutionRoleArn": role,
            "Containers": [{"ModelPackageName": package.arn}],
        }
        if request.get("Tags"):
            model["Tags"] = request["Tags"]
        request["Models"] = [model]
        return request


def _fill_model(request: dict[str, Any], model_name: str) -> None:
    """Give the approved package's model to what serves it: the profile's inference component
    when it has one (its endpoint's variants name no model), else every variant."""
    components = request.get(interface.COMPONENTS_FIELD)
    if isinstance(components, list) and components and isinstance(components[0], dict):
        spec = components[0].setdefault("Specification", {})
        if isinstance(spec, dict):
            spec["ModelName"] = model_name
        return
    variants = request.get("ProductionVariants")
    for variant in variants if isinstance(variants, list) else []:
        if isinstance(variant, dict):
            variant["ModelName"] = model_name


def _component_problems(path: str, components: Any) -> list[str]:
    """A profile may target one inference component: each approval of its group updates that
    IC's model (the package's), on an endpoint that may host others."""
    if components is None:
        return []
    where = f"{path}.{interface.COMPONENTS_FIELD}"
    if not isinstance(components, list) or len(components) != 1:
        return [
            f"{where}: must hold exactly one inference component, the one an approval of the "
            f"group updates (the approved package is its model), got {json.dumps(components)}"
        ]
    spec = components[0].get("Specification") if isinstance(components[0], dict) else None
    found = [
        f"{where}[0].Specification.{key}: not allowed in a profile (the approved package's "
        f"model is filled in), got {json.dumps(spec[key])}"
        for key in ("ModelName", "Container", "BaseInferenceComponentName")
        if isinstance(spec, dict) and key in spec
    ]
    return found


def shared_endpoints(raw: dict[str, Any]) -> list[str]:
    """Profiles that target inference components on an endpoint another group's profile
    deploys too: the deployer orders deployments per endpoint, newest approval first, so an
    approval of one group would supersede the other's. Refused until deployments are ordered
    per inference component."""
    groups: dict[str, list[str]] = {}
    for group, profile in raw.items():
        if isinstance(profile, dict) and isinstance(profile.get("EndpointName"), str):
            groups.setdefault(profile["EndpointName"].lower(), []).append(str(group))
    return [
        f"{', '.join(sorted(named))}: these groups' profiles all deploy endpoint {endpoint} and "
        f"one targets an inference component; an approval of one group would supersede the "
        f"others' (deployments are ordered per endpoint): give each group its own endpoint"
        for endpoint, named in sorted(groups.items())
        if len(named) > 1 and any(interface.COMPONENTS_FIELD in raw[group] for group in named)
    ]


def _profile_problems(group: str, raw: Any, name_prefix: str) -> list[str]:
    path = f"{group}"
    if not _GROUP.fullmatch(group):
        return [
            f"{path}: is not a model package group name (1 to 63 letters, digits and hyphens, "
            f"starting with a letter or digit)"
        ]
    if not isinstance(raw, dict):
        return [f"{path}: must be an object (a deployment request without its model)"]
    problems: list[str] = []
    known = (*known_fields(), ROLLBACK_KEY, ROLE_KEY)
    for key in raw:
        if key in NOT_IN_PROFILE:
            problems.append(
                f"{path}.{key}: not allowed in a profile (the approved package is the model; "
                f"the config name is derived from the content)"
            )
        elif key not in known:
            problems.append(f"{path}.{key}: unknown field{shapes.suggest(key, known)}")
    rollback = raw.get(ROLLBACK_KEY, False)
    if not isinstance(rollback, bool):
        problems.append(f"{path}.{ROLLBACK_KEY}: must be true or false, got {json.dumps(rollback)}")
    role = raw.get(ROLE_KEY)
    if role is not None and not (isinstance(role, str) and _ROLE_ARN.fullmatch(role)):
        problems.append(
            f"{path}.{ROLE_KEY}: must be an IAM role ARN "
            f"(arn:aws:iam::123456789012:role/SageMakerExecution), got {json.dumps(role)}"
        )
    endpoint = raw.get("EndpointName")
    if isinstance(endpoint, str) and name_prefix and not endpoint.startswith(name_prefix):
        problems.append(
            f"{path}.EndpointName: must start with the deployer's name prefix "
            f"{json.dumps(name_prefix)} (its permissions cover only such names), "
            f"got {json.dumps(endpoint)}"
        )
    variants = raw.get("ProductionVariants")
    if isinstance(variants, list):
        for i, variant in enumerate(variants):
            if isinstance(variant, dict) and "ModelName" in variant:
                problems.append(
                    f"{path}.ProductionVariants[{i}].ModelName: not allowed in a profile (the "
                    f"approved package's model is filled in), "
                    f"got {json.dumps(variant['ModelName'])}"
                )
    problems += _component_problems(path, raw.get(interface.COMPONENTS_FIELD))
    # The rest is the request validator's: check the profile as the request it becomes.
    stand_in = copy.deepcopy(
        {k: v for k, v in raw.items() if k in known_fields() and k not in NOT_IN_PROFILE}
    )
    _fill_model(stand_in, _STAND_IN_MODEL)
    try:
        parse_request(stand_in)
    except RequestInvalid as error:
        reported = {p.split(":", 1)[0] for p in problems}
        problems.extend(
            f"{path}.{p}" for p in error.problems if f"{path}.{p.split(':', 1)[0]}" not in reported
        )
    return problems


def parse_profiles(raw: Any, name_prefix: str = "") -> dict[str, DeploymentProfile]:
    """Check every profile (all problems at once) and return them by group name.

    ``raw`` is the JSON text or the decoded object ``{"<group>": {profile}, ...}``.
    """
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise ProfileInvalid([f"(profiles): not valid JSON: {error}"]) from None
    if not isinstance(raw, dict):
        raise ProfileInvalid(
            [f"(profiles): must be an object of model package group -> profile, got {raw!r:.80}"]
        )
    problems: list[str] = []
    for group, profile in raw.items():
        problems.extend(_profile_problems(str(group), profile, name_prefix))
    problems.extend(shared_endpoints(raw))
    if problems:
        raise ProfileInvalid(problems)
    return {
        group: DeploymentProfile(
            group=group,
            fields={k: v for k, v in profile.items() if k not in (ROLLBACK_KEY, ROLE_KEY)},
            rollback_on_rejection=bool(profile.get(ROLLBACK_KEY, False)),
            model_role_arn=profile.get(ROLE_KEY),
        )
        for group, profile in raw.items()
    }
