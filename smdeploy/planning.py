"""``smdeploy plan``: what a deployment would do, decided by the deployer's own pieces, read-only.

The request is checked by the Validate stage's validator (for an approval: built from the
group's deployment profile and the package's overrides, as Validate builds it); the action is
``deployer.decide.plan`` on what DescribeEndpoint says; the differences
(``deployer.decide.differences``) are between the config the endpoint serves and the one the
request makes, variant by variant;
the models and the config are looked up as Configure would; what retention would delete is
the clean-up's own mark and sweep (``retention.read`` and ``retention.sweep``). Every call
made here is a Describe or a List: nothing is created, updated, tagged or deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from deployer import interface
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide import plan as deploy_plan
from deployer.decide.differences import differences as request_differences
from deployer.errors import DeployerError, RequestInvalid
from deployer.payloads.pieces import Action
from deployer.perform import retention
from deployer.perform.configure import _MODEL_COMPARED as MODEL_COMPARED
from deployer.perform.configure import marked
from deployer.request import shapes, variant_rules
from deployer.request.profiles import DeploymentProfile, ModelPackage
from smdeploy.validation import Validation

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

_VARIANT_KINDS = ("ProductionVariants", "ShadowProductionVariants")
# What DescribeEndpointConfig returns that is no part of what a request asks for.
_NOT_CONTENT = frozenset({"EndpointConfigName", "EndpointConfigArn", "CreationTime", "Tags"})


@dataclass
class PlanReport:
    """What ``plan`` found; :meth:`to_json` is the object ``smdeploy plan --json`` prints."""

    valid: bool
    errors: list[dict[str, str]] = field(default_factory=list)
    package_arn: str | None = None
    approval_status: str | None = None
    endpoint_name: str | None = None
    endpoint_config_name: str | None = None
    action: str | None = None
    reason: str | None = None
    blocked: dict[str, Any] | None = None
    serving: dict[str, Any] | None = None
    differences: list[str] = field(default_factory=list)
    endpoint_config: str | None = None
    models_create: list[str] = field(default_factory=list)
    models_reuse: list[str] = field(default_factory=list)
    policy: str | None = None
    keep: int = 0
    delete: list[str] = field(default_factory=list)
    delete_models: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether the deployment would change anything in the account."""
        return (
            self.valid
            and self.blocked is None
            and (
                self.action != Action.NONE.value
                or self.endpoint_config == "create"
                or bool(self.models_create)
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": self.errors,
            "ModelPackageArn": self.package_arn,
            "ModelApprovalStatus": self.approval_status,
            "EndpointName": self.endpoint_name,
            "EndpointConfigName": self.endpoint_config_name,
            "action": self.action,
            "reason": self.reason,
            "blocked": self.blocked,
            "serving": self.serving,
            "differences": self.differences,
            "endpointConfig": self.endpoint_config,
            "models": {"create": self.models_create, "reuse": self.models_reuse},
            "policy": self.policy,
            "retention": {
                "keep": self.keep,
                "delete": self.delete,
                "deleteModels": self.delete_models,
            },
            "changes": self.changes,
        }


def invalid(errors: Iterable[tuple[str, str]], **known: Any) -> PlanReport:
    return PlanReport(valid=False, errors=[{"path": p, "message": m} for p, m in errors], **known)


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
    request = validation.request
    fields = request.fields
    gateway = SageMakerGateway(lambda: sagemaker)
    report = PlanReport(
        valid=True,
        endpoint_name=request.endpoint_name,
        endpoint_config_name=request.endpoint_config_name,
        keep=keep,
    )
    target = request.endpoint_config_name
    wanted = _config_content(fields)
    try:
        _models(gateway, fields, report)
        existing = gateway.describe_endpoint_config(target)
        if existing is None:
            report.endpoint_config = "create"
        else:
            conflict = request_differences(wanted, existing)
            if conflict:
                report.blocked = _blocked(
                    "EndpointConfigConflict",
                    f"endpoint config {target} already exists with different content: "
                    + "; ".join(conflict),
                )
                return report
            report.endpoint_config = "reuse"
            target = existing["EndpointConfigName"]  # names match without regard to case
        current = gateway.describe_endpoint(request.endpoint_name)
        tags = gateway.list_tags(current["EndpointArn"]) if current else []
        managed = any(t["Key"] == interface.MANAGED_TAG for t in tags)
        decision = deploy_plan.plan(current, target, managed=managed)
        retag: tuple[list[dict[str, str]], list[str]] = ([], [])
        if current is not None and decision.action in (Action.NONE, Action.UPDATE):
            retag = deploy_plan.tag_changes(
                tags, marked(fields.get("Tags"), request.endpoint_name), managed
            )
    except DeployerError as error:
        if report.blocked is None:
            name = type(error).__name__
            report.blocked = _blocked(name, str(error), name in retried_errors())
        return report
    report.action = decision.action.value
    report.reason = decision.reason
    if decision.action is Action.NONE and (retag[0] or retag[1]):
        report.action = Action.RETAG.value
        changed = [f"+{t['Key']}" for t in retag[0]] + [f"-{k}" for k in retag[1]]
        report.reason += f"; its tags would be brought up to date ({', '.join(changed)})"
    if current is not None:
        report.serving = {
            "EndpointConfigName": current.get("EndpointConfigName"),
            "EndpointStatus": current.get("EndpointStatus"),
        }
        served = gateway.describe_endpoint_config(str(current.get("EndpointConfigName")))
        if served is not None and not deploy_plan.same_name(served["EndpointConfigName"], target):
            report.differences = differences(served, wanted)
            report.differences += _tags_line(fields.get("Tags") or [])
    if decision.action is Action.UPDATE:
        report.policy = update_policy(fields, exists=True)
    rolls_out = (Action.CREATE, Action.UPDATE, Action.REPLACE)
    if decision.action in rolls_out and keep > 0:
        swept = _retention(gateway, request.endpoint_name, target, fields, current, keep)
        report.delete = list(swept.EndpointConfigs)
        report.delete_models = list(swept.Models)
    return report


def _retention(
    gateway: SageMakerGateway,
    endpoint_name: str,
    target: str,
    fields: dict[str, Any],
    current: dict[str, Any] | None,
    keep: int,
) -> retention.Sweep:
    """What the clean-up after this deployment would delete: the deployer's own mark and sweep
    (``retention.read`` then ``retention.sweep``), on the account as it is now, with the new
    config marking the models the request names (it may not exist yet). The configs that
    served are taken to be the deployer's configs of the endpoint newest first (the deployer's
    table knows exactly; a plan does not read it)."""
    owned = [
        c
        for c in gateway.list_endpoint_configs(endpoint_name)
        if retention.is_ours(gateway, c["EndpointConfigArn"], endpoint_name)
    ]
    newest_first = sorted(owned, key=lambda c: c["CreationTime"], reverse=True)
    previous = current.get("EndpointConfigName") if current else None
    kept = retention.to_keep(
        target, [c["EndpointConfigName"] for c in newest_first], keep, [previous]
    )
    seen = retention.read(gateway, endpoint_name, kept)
    uses = {**seen.uses, target.lower(): frozenset(retention.variant_models(fields))}
    return retention.sweep(replace(seen, uses=uses))


@cache
def retried_errors() -> frozenset[str]:
    """The deployer's errors the state machine retries (its ASL's Retry ErrorEquals): a plan
    blocked by one of them is blocked for now, not for good."""
    from smdeploy import resources

    states = json.loads(resources.DEFINITION.read_text())["States"]
    return frozenset(
        name
        for state in states.values()
        for retrier in state.get("Retry", [])
        for name in retrier["ErrorEquals"]
    )


def _blocked(error: str, message: str, retryable: bool = False) -> dict[str, Any]:
    return {"error": error, "message": message, "retryable": retryable}


def _config_content(fields: dict[str, Any]) -> dict[str, Any]:
    members = shapes.members(shapes.CONFIG_OPERATION)
    return {k: v for k, v in fields.items() if k in members and k not in _NOT_CONTENT}


def _models(gateway: SageMakerGateway, fields: dict[str, Any], report: PlanReport) -> None:
    """Which models Configure would create or reuse; a conflict or a missing one blocks."""
    requested = {model["ModelName"] for model in fields.get("Models", [])}
    for model in fields.get("Models", []):
        name = model["ModelName"]
        existing = gateway.describe_model(name)
        if existing is None:
            report.models_create.append(name)
            continue
        wanted = {k: v for k, v in model.items() if k in MODEL_COMPARED}
        found = request_differences(wanted, existing)
        if found:
            report.blocked = _blocked(
                "ModelConflict",
                f"model {name} already exists with a different definition: " + "; ".join(found),
            )
            raise _Stop
        report.models_reuse.append(name)
    missing = sorted(
        {
            variant["ModelName"]
            for kind in _VARIANT_KINDS
            for variant in fields.get(kind, [])
            if variant["ModelName"] not in requested
            and gateway.describe_model(variant["ModelName"]) is None
        }
    )
    if missing:
        report.blocked = _blocked(
            "ModelNotFound",
            f"model(s) {', '.join(missing)} do not exist and the request's Models does not "
            "create them",
        )
        raise _Stop


class _Stop(DeployerError):
    """Internal: the report says why the deployment would stop; nothing more to look up."""


def differences(served: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """What changes from the served config to the wanted one: field by field, and variant
    by variant (matched by VariantName), with each variant's share of the traffic."""
    found: list[str] = []
    for kind in _VARIANT_KINDS:
        old = {v["VariantName"]: v for v in served.get(kind) or []}
        new = {v["VariantName"]: v for v in wanted.get(kind) or []}
        old_shares = (
            variant_rules.traffic_shares({"ProductionVariants": list(old.values())})
            if kind == _VARIANT_KINDS[0]
            else {}
        )
        new_shares = (
            variant_rules.traffic_shares({"ProductionVariants": list(new.values())})
            if kind == _VARIANT_KINDS[0]
            else {}
        )
        for name, variant in new.items():
            where = f"{kind}[{name}]"
            if name not in old:
                found.append(f"{where}: added ({_capacity(variant)})")
            else:
                fields = {k: v for k, v in variant.items() if k != "InitialVariantWeight"}
                found.extend(request_differences(fields, old[name], where))
            before, after = old_shares.get(name), new_shares.get(name)
            if after is not None and (before is None or abs(before - after) > 1e-9):
                was = f"{before * 100:.1f}%" if before is not None else "none"
                found.append(f"{where}: traffic share {was} -> {after * 100:.1f}%")
        for name in old:
            if name not in new:
                share = old_shares.get(name)
                shown = f", {share * 100:.1f}% of the traffic" if share is not None else ""
                found.append(f"{kind}[{name}]: removed ({_capacity(old[name])}{shown})")
    for key in sorted(set(wanted) | (set(served) - _NOT_CONTENT)):
        if key in _VARIANT_KINDS or key not in shapes.members(shapes.CONFIG_OPERATION):
            continue
        if key not in wanted:
            found.append(f"{key}: removed (serving {served[key]!r}, request leaves it out)")
            continue
        found.extend(request_differences({key: wanted[key]}, served))
    return found


def _tags_line(wanted: list[dict[str, str]]) -> list[str]:
    """Tags on an update: UpdateEndpoint takes none, so only the new config gets them
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html)."""
    if not wanted:
        return []
    tags = {tag["Key"]: tag.get("Value", "") for tag in wanted}
    return [f"Tags: the new config gets {tags!r}; the endpoint keeps its own tags"]


def _capacity(variant: dict[str, Any]) -> str:
    if "ServerlessConfig" in variant:
        config = variant["ServerlessConfig"]
        return f"serverless {config.get('MemorySizeInMB')} MB"
    return f"{variant.get('InitialInstanceCount')} x {variant.get('InstanceType')}"


def update_policy(fields: dict[str, Any], exists: bool) -> str | None:
    """The update policy that would apply (None for a create: it has none)."""
    if not exists:
        return None
    config = fields.get("DeploymentConfig")
    if not config:
        if fields.get("RetainDeploymentConfig"):
            return "the endpoint's current DeploymentConfig (RetainDeploymentConfig)"
        return "none given: SageMaker's default blue/green update, all at once"
    parts: list[str] = []
    blue_green = config.get("BlueGreenUpdatePolicy")
    if blue_green:
        routing = blue_green.get("TrafficRoutingConfiguration", {})
        kind = routing.get("Type", "?")
        size = routing.get("CanarySize") or routing.get("LinearStepSize")
        step = f" {size.get('Value')} {size.get('Type')}" if isinstance(size, dict) else ""
        wait = routing.get("WaitIntervalInSeconds")
        parts.append(
            f"blue/green {kind}{step}" + (f", {wait} s between steps" if wait is not None else "")
        )
    rolling = config.get("RollingUpdatePolicy")
    if rolling:
        batch = rolling.get("MaximumBatchSize", {})
        parts.append(f"rolling, batches of {batch.get('Value')} {batch.get('Type')}")
    alarms = (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if alarms:
        names = ", ".join(str(a.get("AlarmName")) for a in alarms)
        parts.append(f"auto-rollback on {names}")
    return "; ".join(parts) or "DeploymentConfig without a policy"


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
    """Where to plan: the Region (None: from the package ARN or the AWS configuration), an
    AWS-compatible endpoint, and the deployer's config retention."""

    region: str | None = None
    endpoint_url: str | None = None
    keep: int = 0


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
        region = target.region or approvals.region_of(package_arn)
    except approvals.BadPackageArn:
        raise CannotPlan(f"not a model package ARN (with its version): {package_arn}") from None
    try:
        profiles = parse_profiles(raw_profiles)
    except ProfileInvalid as error:
        raise CannotPlan(f"the profiles: {error}") from None
    sagemaker = remote.client("sagemaker", region, target.endpoint_url)
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
        role = approvals.deployer_role(remote.client("lambda", region, target.endpoint_url))
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
