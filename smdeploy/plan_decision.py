"""What ``smdeploy plan`` decides, a pure function of the request and of a :class:`Snapshot` of
the account (``planning.py`` reads it): the Configure stage's decisions
(``deployer.decide.configure``), Deploy's action (``deployer.decide.plan``) and the clean-up's
mark and sweep (``retention.sweep``), as a :class:`PlanReport`. No AWS call is made here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from deployer import interface
from deployer.decide import components, configure
from deployer.decide import plan as deploy_plan
from deployer.errors import DeployerError
from deployer.payloads.pieces import Action
from deployer.perform import retention
from deployer.request import inference_components

if TYPE_CHECKING:
    from smdeploy.validation import Request


@dataclass(frozen=True)
class Snapshot:
    """What a plan reads, before deciding anything: ``models``, DescribeModel of every model
    the request names (its Models and its variants'), None for none of that name;
    ``config``, DescribeEndpointConfig of the request's config name; ``endpoint``,
    DescribeEndpoint, with its ``tags``; ``served``, the config the endpoint serves;
    ``seen``, what retention reads (with ``keep`` > 0 only); ``failure``, (error, message) of
    a read that failed (what follows it is not read; ``config_read`` says whether the config
    was)."""

    models: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    endpoint: dict[str, Any] | None = None
    tags: tuple[dict[str, str], ...] = ()
    served: dict[str, Any] | None = None
    seen: retention.Seen | None = None
    failure: tuple[str, str] | None = None
    config_read: bool = True
    # DescribeInferenceComponent of each IC the request names (None: none of that name)
    components: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)


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
    # the request's variants (ProductionVariants, then ShadowProductionVariants), shown by
    # the human report with each instance pool in fallback order
    variants: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # what the Components stage would do to each IC of the request, once the endpoint serves
    components: list[dict[str, Any]] = field(default_factory=list)

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
                or any(c["Action"] != "NONE" for c in self.components)
            )
        )

    def to_json(self) -> dict[str, Any]:
        """The object ``smdeploy plan --json`` prints (its keys:
        :data:`smdeploy.documents.PLAN`)."""
        return {
            "Valid": self.valid,
            "Errors": [{"Path": e["path"], "Message": e["message"]} for e in self.errors],
            "ModelPackageArn": self.package_arn,
            "ModelApprovalStatus": self.approval_status,
            "EndpointName": self.endpoint_name,
            "EndpointConfigName": self.endpoint_config_name,
            "Action": self.action,
            "Reason": self.reason,
            "Blocked": (
                {
                    "Error": self.blocked["error"],
                    "Message": self.blocked["message"],
                    "Retryable": self.blocked["retryable"],
                }
                if self.blocked
                else None
            ),
            "Serving": self.serving,
            "Differences": self.differences,
            "EndpointConfigAction": self.endpoint_config,
            "ModelsToCreate": self.models_create,
            "ModelsToReuse": self.models_reuse,
            "UpdatePolicy": self.policy,
            "Retention": {
                "Keep": self.keep,
                "DeleteEndpointConfigs": self.delete,
                "DeleteModels": self.delete_models,
            },
            "InferenceComponents": [
                {
                    "InferenceComponentName": c["name"],
                    "Action": c["Action"],
                    "Reason": c["reason"],
                    "Differences": c["differences"],
                }
                for c in self.components
            ],
            "Changes": self.changes,
        }


def invalid(errors: Iterable[tuple[str, str]], **known: Any) -> PlanReport:
    return PlanReport(valid=False, errors=[{"path": p, "message": m} for p, m in errors], **known)


def decide(request: Request, snapshot: Snapshot, keep: int = 0) -> PlanReport:
    """What deploying ``request`` would do in the account ``snapshot`` describes."""
    fields = request.fields
    report = PlanReport(
        valid=True,
        endpoint_name=request.endpoint_name,
        endpoint_config_name=request.endpoint_config_name,
        keep=keep,
        variants=[
            (kind, variant)
            for kind in ("ProductionVariants", "ShadowProductionVariants")
            for variant in fields.get(kind) or []
        ],
    )
    blocked = _models(fields, snapshot.models, report)
    if blocked is None and snapshot.config_read:
        blocked = _config(request, snapshot.config, report)
    if blocked is None and snapshot.failure is not None:
        name, message = snapshot.failure
        blocked = _blocked(name, message, name in retried_errors())
    if blocked is not None:
        report.blocked = blocked
        return report
    existing = snapshot.config
    target = existing["EndpointConfigName"] if existing else request.endpoint_config_name
    current = snapshot.endpoint
    managed = any(t["Key"] == interface.MANAGED_TAG for t in snapshot.tags)
    try:
        decision = deploy_plan.plan(current, target, managed=managed)
    except DeployerError as error:
        name = type(error).__name__
        report.blocked = _blocked(name, str(error), name in retried_errors())
        return report
    report.action, report.reason = decision.action.value, decision.reason
    if current is not None and decision.action is Action.NONE:
        desired = configure.marked(fields.get("Tags"), request.endpoint_name)
        added, removed = deploy_plan.tag_changes(list(snapshot.tags), desired, managed)
        if added or removed:
            report.action = Action.RETAG.value
            changed = [f"+{t['Key']}" for t in added] + [f"-{k}" for k in removed]
            report.reason += f"; its tags would be brought up to date ({', '.join(changed)})"
    if current is not None:
        report.serving = {
            "EndpointConfigName": current.get("EndpointConfigName"),
            "EndpointStatus": current.get("EndpointStatus"),
        }
        served = snapshot.served
        if served is not None and not deploy_plan.same_name(served["EndpointConfigName"], target):
            wanted = configure.config_content(fields)
            report.differences = configure.config_changes(served, wanted)
            report.differences += tags_line(fields.get("Tags") or [])
    if decision.action is Action.UPDATE:
        report.policy = update_policy(fields, exists=True)
    report.components = component_plan(request.inference_components, snapshot.components)
    rolls_out = (Action.CREATE, Action.UPDATE, Action.REPLACE)
    if decision.action in rolls_out and keep > 0 and snapshot.seen is not None:
        swept = _retention(snapshot.seen, target, fields, current, keep)
        report.delete, report.delete_models = list(swept.EndpointConfigs), list(swept.Models)
    return report


def _models(
    fields: Mapping[str, Any],
    described: Mapping[str, dict[str, Any] | None],
    report: PlanReport,
) -> dict[str, Any] | None:
    """Which models Configure would create or reuse; a conflict or a missing one blocks."""
    requested = [model["ModelName"] for model in fields.get("Models", [])]
    for model in fields.get("Models", []):
        name = model["ModelName"]
        if name not in described:
            return None  # not read: a read failed before
        existing = described[name]
        if existing is None:
            report.models_create.append(name)
            continue
        found = configure.model_differences(model, existing)
        if found:
            return _blocked(
                "ModelConflict",
                f"model {name} already exists with a different definition: " + "; ".join(found),
            )
        report.models_reuse.append(name)
    unknown = configure.unknown_variant_models(fields, requested)
    if any(name not in described for name in unknown):
        return None
    exist = {name for name in unknown if described[name] is not None}
    missing = sorted(
        {name for _, name in configure.missing_variant_models(fields, {*requested, *exist})}
    )
    if missing:
        return _blocked(
            "ModelNotFound",
            f"model(s) {', '.join(missing)} do not exist and the request's Models does not "
            "create them",
        )
    return None


def _config(
    request: Request, existing: dict[str, Any] | None, report: PlanReport
) -> dict[str, Any] | None:
    """Whether Configure would create the config or reuse it; other content blocks."""
    if existing is None:
        report.endpoint_config = "create"
        return None
    conflict = configure.config_differences(configure.config_content(request.fields), existing)
    if conflict:
        return _blocked(
            "EndpointConfigConflict",
            f"endpoint config {request.endpoint_config_name} already exists with different "
            "content: " + "; ".join(conflict),
        )
    report.endpoint_config = "reuse"
    return None


def _retention(
    seen: retention.Seen,
    target: str,
    fields: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    keep: int,
) -> retention.Sweep:
    """What the clean-up after this deployment would delete: the deployer's own mark and sweep
    on the account as it is now, with the new config marking the models the request names (it
    may not exist yet). The configs that served are taken to be the deployer's configs of the
    endpoint newest first (the deployer's table knows exactly; a plan does not read it)."""
    newest_first = sorted(seen.owned_configs, key=lambda c: c["CreationTime"], reverse=True)
    previous = current.get("EndpointConfigName") if current else None
    kept = retention.to_keep(
        target, [c["EndpointConfigName"] for c in newest_first], keep, [previous]
    )
    uses = {**seen.uses, target.lower(): frozenset(retention.variant_models(fields))}
    return retention.sweep(replace(seen, referenced=seen.referenced | kept, uses=uses))


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


def tags_line(wanted: list[dict[str, str]]) -> list[str]:
    """Tags on an update: UpdateEndpoint takes none, so only the new config gets them
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html)."""
    if not wanted:
        return []
    tags = ", ".join(f"{tag['Key']}={tag.get('Value', '')}" for tag in wanted)
    return [f"Tags: the new config gets {tags}; the endpoint keeps its own tags"]


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


# What the Components stage's decision becomes in a plan: the call it would make, or NONE
# (already as requested), or WAIT (the IC is changing now: the stage would wait for it).
COMPONENT_ACTIONS = {"DONE": "NONE", "FAIL": "BLOCKED"}


def component_plan(
    requested: Sequence[dict[str, Any]], described: Mapping[str, dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """Each IC of the request, in the order the stage takes them (bases first), with what the
    Components stage's first look would do (``deployer.decide.components.decide``): an
    adapter whose base is created or changed waits for it; the copy count an autoscaler owns
    is not read here (the stage keeps it)."""
    planned: list[dict[str, Any]] = []
    done: set[str] = set()
    for ic in requested:
        name = str(ic["InferenceComponentName"])
        live = described.get(name)
        base = inference_components.base_of(ic)
        step = components.decide(ic, live, None, base is None or base.lower() in done, False)
        if step.act == "DONE":
            done.add(name.lower())
        changes = components.specification_changes(ic, live) if live is not None else []
        action = COMPONENT_ACTIONS.get(step.act, step.act)
        planned.append(
            {"name": name, "Action": action, "reason": step.message, "differences": changes}
        )
    return planned
