"""``smdeploy plan``: what a deployment would do, decided by the deployer's own pieces, read-only.

Reading comes before deciding: :func:`read` reads what the plan needs from the account once,
through the SageMaker gateway's read side (DescribeModel of each model the request names,
DescribeEndpointConfig of its config, DescribeEndpoint and its tags, the config it serves,
with a retention, what the clean-up reads: ``retention.read``, and DescribeInferenceComponent
of each IC the request names), into a frozen
``plan_decision.Snapshot``; then ``plan_decision.decide``, a pure function, makes the report
from the request and that snapshot alone, with the Configure stage's decisions
(``deployer.decide.configure``), Deploy's action (``deployer.decide.plan``) and the clean-up's
mark and sweep (``retention.sweep``). The request is checked by the Validate stage's validator
(for an approval: built from the group's deployment profile and the package's overrides, as
Validate builds it). Every call made here is a Describe or a List: nothing is created,
updated, tagged or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deployer.aws.components import ComponentGateway
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide import configure
from deployer.errors import DeployerError, RequestInvalid
from deployer.perform import retention
from deployer.request.profiles import DeploymentProfile, ModelPackage
from smdeploy.plan_decision import PlanReport, Snapshot, decide, invalid
from smdeploy.validation import Request, Validation

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


__all__ = ["CannotPlan", "PlanReport", "Target", "plan", "plan_approval", "read", "rejected"]


def rejected(validation: Validation) -> PlanReport:
    """The report on an invalid request: its problems (nothing is read)."""
    return invalid((v.path, v.message) for v in validation.violations)


def plan(
    validation: Validation,
    sagemaker: SageMakerClient,
    keep: int = 0,
) -> PlanReport:
    """What deploying the validated request would do in the account ``sagemaker`` reads."""
    if validation.request is None:
        return rejected(validation)
    gateway = SageMakerGateway(lambda: sagemaker)
    snapshot = read(validation.request, gateway, keep, ComponentGateway(lambda: sagemaker))
    return decide(validation.request, snapshot, keep)


def read(
    request: Request,
    gateway: SageMakerGateway,
    keep: int,
    components: ComponentGateway | None = None,
) -> Snapshot:
    """Read what the plan of ``request`` decides from, in the order Configure and Deploy read
    it; a read that fails ends the reading, and the snapshot says which."""
    fields = request.fields
    requested = [model["ModelName"] for model in fields.get("Models", [])]
    models: dict[str, dict[str, Any] | None] = {}
    known: dict[str, Any] = {"models": models, "config_read": False}
    try:
        for name in [*requested, *configure.unknown_variant_models(fields, requested)]:
            if name not in models:
                models[name] = gateway.describe_model(name)
        known["config"] = gateway.describe_endpoint_config(request.endpoint_config_name)
        known["config_read"] = True
        current = known["endpoint"] = gateway.describe_endpoint(request.endpoint_name)
        if current is not None:
            known["tags"] = tuple(gateway.list_tags(current["EndpointArn"]))
            known["served"] = gateway.describe_endpoint_config(
                str(current.get("EndpointConfigName"))
            )
        if keep > 0:
            known["seen"] = retention.read(gateway, request.endpoint_name, ())
        if components is not None:
            known["components"] = {
                str(ic["InferenceComponentName"]): components.describe(
                    str(ic["InferenceComponentName"])
                )
                for ic in request.inference_components
            }
    except DeployerError as error:
        known["failure"] = (type(error).__name__, str(error))
    return Snapshot(**known)


# --- approvals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRequest:
    """The request an approval of ``package`` would deploy, or why it would deploy nothing."""

    package: ModelPackage
    request: dict[str, Any] | None
    problems: list[str]


def approval_request(
    package: ModelPackage, profile: DeploymentProfile, role_arn: str | None
) -> ApprovalRequest:
    """Build the request as Validate builds it for an approval (profile + overrides)."""
    try:
        return ApprovalRequest(package, profile.request_for(package, role_arn), [])
    except RequestInvalid as error:
        return ApprovalRequest(package, None, list(error.problems))


class CannotPlan(Exception):
    """The plan cannot be made: exit 2 (misuse) or 1 (the approval would deploy nothing)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Target:
    """Where to plan: the Region (a package ARN names its own: this one must be it; None: the
    package ARN's or the AWS configuration's), an
    AWS-compatible endpoint, the deployer's config retention, and the AWS config's named
    profile (None: ``AWS_PROFILE``, else the default)."""

    region: str | None = None
    endpoint_url: str | None = None
    keep: int = 0
    profile: str | None = None


def plan_approval(
    package_arn: str, target: Target, raw_profiles: dict[str, Any], role_arn: str | None
) -> PlanReport:
    """What approving ``package_arn`` would deploy: the request its group's profile and the
    package's overrides make (as Validate makes it), planned like any request."""
    from deployer.errors import ProfileInvalid
    from deployer.request.profiles import parse_profiles
    from smdeploy import approvals, remote
    from smdeploy.validation import load_validator

    try:
        region = remote.region_for(package_arn, approvals.region_of(package_arn), target.region)
    except approvals.BadPackageArn:
        raise CannotPlan(f"not a model package ARN (with its version): {package_arn}") from None
    try:
        profiles = parse_profiles(raw_profiles)
    except ProfileInvalid as error:
        raise CannotPlan(f"the profiles: {error}") from None
    sagemaker = remote.client("sagemaker", region, target.endpoint_url, target.profile)
    described = SageMakerGateway(lambda: sagemaker).describe_model_package(package_arn)
    if described is None:
        raise CannotPlan(f"DescribeModelPackage {package_arn}: no such model package")
    package = ModelPackage.from_description(described)
    profile = profiles.get(package.group)
    if profile is None:
        groups = ", ".join(sorted(profiles)) or "none"
        raise CannotPlan(
            f"model package group {package.group} has no deployment profile (groups with one: "
            f"{groups}); its approval would start no deployment",
            1,
        )
    role = role_arn or profile.model_role_arn
    if role is None:
        role = approvals.deployer_role(
            remote.client("lambda", region, target.endpoint_url, target.profile)
        )
    if role is None:
        raise CannotPlan(
            "no SageMaker execution role for the package's model: the profile names no "
            "ModelExecutionRoleArn and the installed deployer's cannot be read; give "
            "--sagemaker-role-arn ARN"
        )
    built = approval_request(package, profile, role)
    if built.request is None:
        errors = [_split(problem) for problem in built.problems]
        return invalid(errors, package_arn=package.arn, approval_status=package.approval_status)
    report = plan(load_validator()(built.request), sagemaker, target.keep)
    report.package_arn, report.approval_status = package.arn, package.approval_status
    return report


def _split(problem: str) -> tuple[str, str]:
    path, _, message = problem.partition(": ")
    return (path, message) if message else ("(approval)", problem)
