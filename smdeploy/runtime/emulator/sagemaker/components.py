"""SageMaker inference components (ICs) with AWS's behaviour: moto has no IC API at all.

One :class:`ComponentStore` per endpoint store (account and Region; :func:`components_of`).
Each IC is ``Creating``, then ``InService`` (or ``Failed`` with its FailureReason) after
``Faults.component_seconds``; an update is ``Updating`` batch by batch
(:mod:`.component_operations`), then ``InService`` on its new Specification, or rolled back
onto its old one; DeleteInferenceComponent makes it ``Deleting`` for
``Faults.deletion_seconds``, then gone
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html).
Copies are placed on the variant's instances (:mod:`.capacity`). What SageMaker refuses is
in :mod:`.component_rules` and :mod:`.component_operations`; :mod:`.component_responses`
serves the operations.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from moto.sagemaker.exceptions import ValidationError

from smdeploy.runtime.emulator import cloudwatch
from smdeploy.runtime.emulator.sagemaker import capacity
from smdeploy.runtime.emulator.sagemaker import component_rules as rules
from smdeploy.runtime.emulator.sagemaker.endpoints import Endpoint, EndpointObserver, StoreView
from smdeploy.runtime.emulator.sagemaker.models import EndpointStore
from smdeploy.runtime.emulator.scheduler import ENDPOINT_CHANGE

CHANGING = ("Creating", "Updating", "Deleting")


@dataclass
class Rollout:
    """A change under way, and what the IC is when it ends: ``outcome`` serve (InService on
    ``spec``, ``desired`` and ``current`` copies), fail (Failed with ``reason``), rollback
    (InService on what it had, with ``reason``) or delete (gone)."""

    kind: str  # "create" | "update" | "scale" | "delete"
    started_at: float
    done_at: float
    outcome: str
    reason: str | None
    spec: dict[str, Any]
    desired: int
    current: int
    checks: list[float] = field(default_factory=list)  # each batch's end (its baking's)
    batch: int = 1  # copies a batch replaces
    rollback: dict[str, Any] | None = None  # RollbackMaximumBatchSize
    alarms: list[str] = field(default_factory=list)  # AutoRollbackConfiguration's
    fired: str | None = None  # the alarm Faults.alarm_during_update put into ALARM
    injected: tuple[str, str] | None = None  # a fault ("fail" or "rollback", reason)
    checked: int = 0  # batches done


@dataclass
class Component:
    name: str
    arn: str
    endpoint: str
    endpoint_arn: str
    variant: str
    spec: dict[str, Any]
    desired: int = 0
    current: int = 0
    status: str = "Creating"
    created: float = 0.0
    modified: float = 0.0
    deployed_at: float = 0.0  # when its Specification was deployed (its image resolved)
    tags: list[dict[str, str]] = field(default_factory=list)
    base: str | None = None  # an adapter's base IC (its name)
    deployment_config: dict[str, Any] | None = None  # LastDeploymentConfig
    failure_reason: str | None = None
    rollout: Rollout | None = None


class ComponentStore:
    """The inference components of one account and Region, beside its endpoint store."""

    def __init__(self, endpoints: EndpointStore) -> None:
        self.endpoints = endpoints
        self.components: dict[str, Component] = {}  # key: lower-cased name
        self.lock = threading.RLock()

    def arn(self, name: str) -> str:
        return self.endpoints._arn("inference-component", name)

    def now(self) -> float:
        return self.endpoints.clock.now()

    # the lifecycle: each change ends when read after its time, or when the scheduler fires

    def start(self, c: Component, r: Rollout, status: str) -> None:
        c.rollout, c.status, c.modified, c.failure_reason = r, status, r.started_at, None
        self._schedule(c, r)

    def _schedule(self, c: Component, r: Rollout) -> None:
        scheduler = self.endpoints.scheduler
        if scheduler is None:
            return
        tick = functools.partial(self._tick, c, r)
        for at in r.checks:
            scheduler.at(at, tick, "inference component batch")
        scheduler.at(r.done_at, tick, ENDPOINT_CHANGE)

    def _tick(self, c: Component, r: Rollout) -> None:
        with self.lock:
            if c.rollout is r:
                self.advance(c)

    def advance(self, c: Component) -> None:
        """Bring ``c`` to now: each batch end due, then the end of its change."""
        now = self.now()
        while (r := c.rollout) is not None:
            if r.checks and r.checks[0] <= now:
                self._check(c, r, r.checks.pop(0))
                continue
            if now >= r.done_at:
                self._finish(c, r)
            break

    def _check(self, c: Component, r: Rollout, at: float) -> None:
        """A batch's baking ends: "the baking period, during which SageMaker AI monitors
        alarms for each batch on the new fleet"
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html).
        A listed alarm in ALARM (or ``Faults.rollback_component``) rolls the update back: the
        copies updated so far return to the old Specification in batches of
        RollbackMaximumBatchSize ("If this field is absent, the value is set to the default,
        which is 100% of the total capacity"); ``Faults.fail_component`` fails it there."""
        r.checked += 1
        if r.outcome != "serve":
            return
        kind, reason = r.injected or ("", "")
        account, region = self.endpoints.account, self.endpoints.region
        alarm = cloudwatch.in_alarm(account, region, r.alarms)
        if kind == "fail":
            r.outcome, r.reason, r.done_at = "fail", reason, at
            r.checks.clear()
        elif kind == "rollback" or alarm is not None:
            if alarm is not None and kind != "rollback":
                # AWS publishes no wording for it: the alarm, named as the endpoint's is
                reason = (
                    f"CloudWatch alarm {alarm} of the AutoRollbackConfiguration went into "
                    f"ALARM during the update."
                )
            updated = min(max(c.current, 1), r.batch * r.checked)
            size = rules.batch_copies(r.rollback, updated)
            r.outcome, r.reason = "rollback", reason
            r.done_at = at + math.ceil(updated / size) * self.endpoints.faults.component_seconds
            r.checks.clear()
            self._schedule(c, r)

    def _finish(self, c: Component, r: Rollout) -> None:
        c.rollout, c.modified = None, r.done_at
        if r.outcome == "delete":
            self.components.pop(c.name.lower(), None)
        elif r.outcome == "serve":
            c.status, c.failure_reason = "InService", None
            c.spec, c.desired, c.current = r.spec, r.desired, r.current
            c.deployed_at = r.started_at if r.kind == "update" else c.deployed_at
        elif r.outcome == "fail":
            c.status, c.failure_reason = "Failed", r.reason
            c.spec, c.desired, c.current = r.spec, r.desired, 0
        else:  # rollback: InService on what it had
            c.status, c.failure_reason = "InService", r.reason
        if r.fired is not None:
            cloudwatch.recover(self.endpoints.account, self.endpoints.region, r.fired)

    # reads

    def get(self, name: str) -> Component:
        """The IC of that name (names ignore case); SageMaker's ValidationException when
        there is none, "Could not find inference component" (terraform-provider-aws reads
        that message as "not found": internal/service/sagemaker/inference_component.go of
        https://github.com/hashicorp/terraform-provider-aws)."""
        c = self.components.get(name.lower())
        if c is not None:
            self.advance(c)
        if c is None or name.lower() not in self.components:
            raise ValidationError(f'Could not find inference component "{self.arn(name)}".')
        return c

    def existing(self) -> list[Component]:
        """Every IC that exists now, oldest first."""
        for c in list(self.components.values()):
            self.advance(c)
        return sorted(self.components.values(), key=lambda c: c.created)

    def on_endpoint(self, endpoint: str) -> list[Component]:
        return [c for c in self.existing() if c.endpoint.lower() == endpoint.lower()]

    def serving_copies(self, c: Component) -> int:
        """The copies that serve ``c``: an adapter's are its base's (it "uses the compute
        resources of the base inference component")."""
        if c.base is not None:
            base = self.components.get(c.base.lower())
            return 0 if base is None else self.serving_copies(base)
        return c.current if c.status in ("InService", "Updating") else 0

    # placement of copies on a variant's instances (capacity.py)

    def variant_of(self, endpoint: Endpoint, variant: str) -> dict[str, Any] | None:
        config = self.endpoints.configs.get(endpoint.config_name.lower(), {})
        found = [v for v in config.get("ProductionVariants", []) if v["VariantName"] == variant]
        return found[0] if found else None

    def _held(self, c: Component) -> int:
        """The copies ``c`` holds on its instances now (or soon: a change under way)."""
        if c.base is not None or c.status == "Failed":
            return 0
        r = c.rollout
        if r is not None and r.outcome == "serve" and r.kind != "delete":
            return max(c.current, r.current)
        return c.current

    def placement(
        self,
        endpoint: Endpoint,
        variant: dict[str, Any],
        skip: str | None,
        demands: list[tuple[dict[str, Any], int]],
    ) -> tuple[capacity.Placement | None, str | None]:
        """The placement of the variant's other ICs' copies, then ``demands`` (each a
        ComputeResourceRequirements and a count), on every instance the variant may have;
        or why none can be made (an instance type EC2's data lacks, a copy larger than an
        instance)."""
        instance_type = str(variant.get("InstanceType", ""))
        instance = capacity.instance_resources(instance_type) if instance_type else None
        if instance is None:
            return None, (
                f"The capacity of instance type {instance_type or '(none)'} of variant "
                f"{variant['VariantName']} is not known to smdeploy's emulator."
            )
        for requirements, _count in demands:
            needs = capacity.copy_needs(requirements)
            if not needs.fits_in(instance):
                return None, (
                    f"One copy needs {needs.described()}; an {instance_type} instance has "
                    f"{instance.described()}."
                )
        others = [
            (capacity.copy_needs(c.spec.get("ComputeResourceRequirements") or {}), self._held(c))
            for c in self.on_endpoint(endpoint.name)
            if c.variant == variant["VariantName"] and c.name.lower() != (skip or "").lower()
        ]
        wanted = [(capacity.copy_needs(req), count) for req, count in demands]
        _low, high = capacity.instance_pool(variant)
        return capacity.place(instance, high, others + wanted), None

    def instances_in_use(self, endpoint: Endpoint, variant: dict[str, Any]) -> int:
        """The instances a variant with managed instance scaling runs: those its copies need,
        at least MinInstanceCount (0 when every IC is at 0 copies and MinInstanceCount is 0,
        https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html)."""
        low, _high = capacity.instance_pool(variant)
        placed, _problem = self.placement(endpoint, variant, None, [])
        return max(low, placed.instances if placed is not None else low)


_STORES: weakref.WeakKeyDictionary[EndpointStore, ComponentStore] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def components_of(endpoints: EndpointStore) -> ComponentStore:
    """The IC store beside an account and Region's endpoint store: from a test,
    ``components_of(emulator.store(account, region))``."""
    with _STORES_LOCK:
        if endpoints not in _STORES:
            _STORES[endpoints] = ComponentStore(endpoints)
        return _STORES[endpoints]


class ComponentHost(EndpointObserver):
    """What an endpoint's ICs change of the endpoint: DeleteEndpoint is refused while it
    hosts any, and DescribeEndpoint reports the instances their copies use."""

    def deleting(self, store: StoreView, endpoint: Endpoint) -> None:
        """The console deletes an endpoint's ICs first, then the endpoint
        (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-delete-resources.html);
        the API refuses the endpoint while any is attached ("Endpoint has inference components
        attached"; https://github.com/aws/amazon-sagemaker-examples/issues/3432 waits for an IC
        stuck Creating to delete its endpoint)."""
        if not isinstance(store, EndpointStore):
            return
        components = components_of(store)
        with components.lock:
            hosted = components.on_endpoint(endpoint.name)
        if hosted:
            names = ", ".join(c.name for c in hosted)
            raise ValidationError(
                f'Cannot delete endpoint "{endpoint.arn}": it has inference components attached '
                f"({names}). Delete them first (DeleteInferenceComponent)."
            )

    def described(self, store: StoreView, out: dict[str, Any]) -> None:
        if not isinstance(store, EndpointStore):
            return
        endpoint = store.endpoints.get(out["EndpointName"].lower())
        config = store.configs.get(out["EndpointConfigName"].lower(), {})
        if endpoint is None or not rules.hosts_components(config):
            return
        components = components_of(store)
        for summary in out.get("ProductionVariants", []):
            variant = components.variant_of(endpoint, summary["VariantName"])
            scaling = (variant or {}).get("ManagedInstanceScaling") or {}
            if variant is not None and scaling.get("Status") == "ENABLED":
                with components.lock:
                    n = components.instances_in_use(endpoint, variant)
                summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = n
