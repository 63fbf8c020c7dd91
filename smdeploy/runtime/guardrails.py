"""What AWS does around the deployer's guardrails and moto does not, added to the emulator.

moto (pinned exactly) provides Application Auto Scaling and CloudWatch alarms. This module
adds, through hooks that check moto's shape first and fail loudly when it changed:

- **UpdateEndpoint refused for an autoscaled variant.** An update that changes the instance
  type of, or removes, a variant registered as a scalable target fails with SageMaker's
  ValidationException; changing only its model is allowed
  (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
- **Instance counts.** A variant's current instance count can differ from its config's
  InitialInstanceCount: registering a scalable target brings the count within MinCapacity and
  MaxCapacity, and ``Faults.scaled_to`` scales a newly registered variant to N (within them),
  as Application Auto Scaling would under load
  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
  UpdateEndpoint resets each variant to the new config's InitialInstanceCount unless
  ``RetainAllVariantProperties`` (without DesiredInstanceCount in
  ``ExcludeRetainedVariantProperties``) keeps the same-named variants' counts
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html).
  DescribeEndpoint reports the counts.
- **Deregistering** a scalable target deletes its scaling policies
  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html);
  **DeleteEndpoint** deregisters the endpoint's targets
  (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html);
  **RegisterScalableTarget** of a variant that no endpoint serves is refused.
- **Rollback alarms.** The alarms an update's ``AutoRollbackConfiguration`` lists are watched
  while it runs: one in ALARM when the update would finish rolls it back, InService on the
  previous config, with a FailureReason naming the alarm
  (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
  ``Faults.alarm_during_update`` puts one into ALARM during the next such update; it returns
  to OK once the rollback is done (the simulated metric recovers).
- **InvokeEndpoint**: :mod:`smdeploy.runtime.emulator.sagemakerruntime`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    applicationautoscaling_backends,
)
from moto.cloudwatch.models import cloudwatch_backends
from moto.sagemaker.exceptions import ValidationError

from smdeploy.runtime.emulator.sagemaker.models import EndpointStore

if TYPE_CHECKING:
    from smdeploy.runtime.emulator.sagemaker.models import _Endpoint
    from smdeploy.runtime.emulator.state import EmulatorState as Emulator

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def _require(owner: Any, name: str, parameters: tuple[str, ...]) -> Callable[..., Any]:
    """``owner.name``, after checking that it still takes ``parameters`` (moto is pinned; a
    new version that changed them must be looked at, not silently mis-hooked)."""
    found = owner.__dict__.get(name)
    if not callable(found):
        raise RuntimeError(f"moto changed: {owner.__name__}.{name} is gone; the hook needs a look")
    have = tuple(inspect.signature(found).parameters)
    if have[: len(parameters)] != parameters:
        raise RuntimeError(
            f"moto changed: {owner.__name__}.{name}{have} no longer takes {parameters}; "
            f"the hook needs a look"
        )
    return found  # type: ignore[no-any-return]


class Guardrails:
    """The hooks, installed into an :class:`~smdeploy.runtime.emulator.Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        # (account, region, endpoint key) -> variant -> current instance count
        self.counts: dict[tuple[str, str, str], dict[str, int]] = {}
        self.pending: dict[tuple[str, str, str], dict[str, int]] = {}
        self.fired: dict[tuple[str, str, str], str] = {}  # alarms the fault put into ALARM

    @staticmethod
    def key(store: EndpointStore, name: str) -> tuple[str, str, str]:
        return (store.account, store.region, name.lower())

    # -- Application Auto Scaling, read ------------------------------------------------

    @staticmethod
    def targets(account: str, region: str, endpoint: str) -> dict[str, tuple[int, int]]:
        """Variant -> (min, max) of the endpoint's registered scalable targets."""
        backend = applicationautoscaling_backends[account][region]
        prefix = f"endpoint/{endpoint.lower()}/variant/"
        found: dict[str, tuple[int, int]] = {}
        for rid, target in backend.targets.get(DIMENSION, {}).items():
            if rid.lower().startswith(prefix):
                found[rid[len(prefix) :]] = (target.min_capacity, target.max_capacity)
        return found

    # -- install ----------------------------------------------------------------------

    def install(self) -> None:
        patch = self.emulator._patch
        hooks: dict[tuple[Any, str], tuple[tuple[str, ...], Callable[..., Callable[..., Any]]]] = {
            (EndpointStore, "update_endpoint"): (("self", "params"), self._update_endpoint),
            (EndpointStore, "_settle"): (("self", "endpoint"), self._settle),
            (EndpointStore, "describe_endpoint"): (("self", "name"), self._describe_endpoint),
            (EndpointStore, "delete_endpoint"): (("self", "name"), self._delete_endpoint),
            (ApplicationAutoscalingBackend, "register_scalable_target"): (
                ("self", "namespace", "r_id", "dimension", "min_capacity", "max_capacity"),
                self._register,
            ),
            (ApplicationAutoscalingBackend, "deregister_scalable_target"): (
                ("self", "namespace", "r_id", "dimension"),
                self._deregister,
            ),
        }
        for (owner, name), (parameters, make) in hooks.items():
            original = _require(owner, name, parameters)
            patch(owner, name, make(original))
        source = inspect.getsource(ApplicationAutoscalingBackend.__init__)
        if "self.policies" not in source or "self.targets" not in source:
            raise RuntimeError(
                "moto changed: Application Auto Scaling no longer keeps .targets and .policies"
            )

    # -- SageMaker -------------------------------------------------------------------------

    def _update_endpoint(self, original: Callable[..., str]) -> Callable[..., str]:
        guard = self

        def update_endpoint(store: EndpointStore, params: dict[str, Any]) -> str:
            endpoint = store.get_endpoint(params["EndpointName"])
            new = store.configs.get(str(params["EndpointConfigName"]).lower())
            old = store.configs.get(endpoint.config_name.lower(), {})
            if new is not None and endpoint.status == "InService":
                guard._refuse_breaking(store, endpoint, old, new)
            arn = original(store, params)
            guard._plan_counts(store, endpoint, old, new or {}, params)
            guard._alarm_fault(store, endpoint)
            return arn

        return update_endpoint

    def _refuse_breaking(
        self,
        store: EndpointStore,
        endpoint: _Endpoint,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> None:
        before = {
            v["VariantName"]: v.get("InstanceType") for v in old.get("ProductionVariants", [])
        }
        after = {v["VariantName"]: v.get("InstanceType") for v in new.get("ProductionVariants", [])}
        for variant in sorted(self.targets(store.account, store.region, endpoint.name)):
            if variant not in after:
                change = "removes"
            elif before.get(variant) != after[variant]:
                change = f"changes the instance type ({before.get(variant)} -> {after[variant]}) of"
            else:
                continue
            raise ValidationError(
                f"The update {change} production variant {variant} of endpoint "
                f'"{endpoint.arn}", which is registered as an Application Auto Scaling '
                f"scalable target. Delete its scaling policies and deregister it "
                f"(DeregisterScalableTarget) before updating the endpoint."
            )

    def _plan_counts(
        self,
        store: EndpointStore,
        endpoint: _Endpoint,
        old: dict[str, Any],
        new: dict[str, Any],
        params: dict[str, Any],
    ) -> None:
        key = self.key(store, endpoint.name)
        now = self.counts.get(key, {})
        before = {v["VariantName"]: v for v in old.get("ProductionVariants", [])}
        excluded = {
            e.get("VariantPropertyType")
            for e in params.get("ExcludeRetainedVariantProperties") or []
        }
        retain = bool(params.get("RetainAllVariantProperties")) and (
            "DesiredInstanceCount" not in excluded
        )
        planned: dict[str, int] = {}
        for variant in new.get("ProductionVariants", []):
            name = variant["VariantName"]
            if "InitialInstanceCount" not in variant:
                continue
            if retain and name in before:
                planned[name] = now.get(name, before[name].get("InitialInstanceCount", 1))
            else:
                planned[name] = int(variant["InitialInstanceCount"])
        self.pending[key] = planned

    @staticmethod
    def _listed_alarms(endpoint: _Endpoint) -> list[str]:
        config = endpoint.deployment_config or {}
        alarms = (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
        return [str(a["AlarmName"]) for a in alarms]

    def _alarm_fault(self, store: EndpointStore, endpoint: _Endpoint) -> None:
        wanted = self.emulator.faults.alarm_during_update
        listed = self._listed_alarms(endpoint)
        change = endpoint.change
        if wanted is None or not listed or change is None or change.outcome != "serve":
            return
        name = wanted or listed[0]
        backend = cloudwatch_backends[store.account][store.region]
        if name not in listed or name not in backend.alarms:
            return
        if not self.emulator.budget.take("alarm_during_update"):
            return
        backend.set_alarm_state(
            name,
            "Threshold Crossed (simulated by smdeploy emulator during the update)",
            "{}",
            "ALARM",
        )
        self.fired[self.key(store, endpoint.name)] = name

    def _settle(self, original: Callable[..., None]) -> Callable[..., None]:
        guard = self

        def settle(store: EndpointStore, endpoint: _Endpoint) -> None:
            change = endpoint.change
            due = change is not None and store.clock.now() >= change.done_at
            if change is None or not due:
                original(store, endpoint)
                return
            key = guard.key(store, endpoint.name)
            updating = endpoint.status == "Updating"
            if updating and change.outcome == "serve":
                backend = cloudwatch_backends[store.account][store.region]
                for name in guard._listed_alarms(endpoint):
                    alarm = backend.alarms.get(name)
                    if alarm is not None and alarm.state_value == "ALARM":
                        change.outcome = "rollback"
                        change.reason = (
                            f"The deployment was rolled back: CloudWatch alarm {name} of the "
                            f"AutoRollbackConfiguration went into ALARM during the update."
                        )
                        break
            original(store, endpoint)
            if change.outcome == "serve" and updating:
                guard.counts[key] = guard.pending.pop(key, {})
            elif change.outcome == "serve" or change.outcome == "delete":
                guard.counts.pop(key, None)
                guard.pending.pop(key, None)
            else:
                guard.pending.pop(key, None)
            fired = guard.fired.pop(key, None)
            if fired is not None:
                cloudwatch_backends[store.account][store.region].set_alarm_state(
                    fired, "Threshold no longer crossed (simulated recovery)", "{}", "OK"
                )

        return settle

    def _describe_endpoint(self, original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        guard = self

        def describe_endpoint(store: EndpointStore, name: str) -> dict[str, Any]:
            out = original(store, name)
            counts = guard.counts.get(guard.key(store, out["EndpointName"]), {})
            for summary in out.get("ProductionVariants", []):
                if summary["VariantName"] in counts:
                    n = counts[summary["VariantName"]]
                    summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = n
            return out

        return describe_endpoint

    def _delete_endpoint(self, original: Callable[..., None]) -> Callable[..., None]:
        guard = self

        def delete_endpoint(store: EndpointStore, name: str) -> None:
            endpoint = store.get_endpoint(name)
            original(store, name)
            backend = applicationautoscaling_backends[store.account][store.region]
            for variant in guard.targets(store.account, store.region, endpoint.name):
                rid = f"endpoint/{endpoint.name}/variant/{variant}"
                for actual in [
                    r for r in backend.targets.get(DIMENSION, {}) if r.lower() == rid.lower()
                ]:
                    guard._drop_policies(backend, actual)
                    del backend.targets[DIMENSION][actual]

        return delete_endpoint

    # -- Application Auto Scaling ------------------------------------------------------

    @staticmethod
    def _drop_policies(backend: ApplicationAutoscalingBackend, rid: str) -> None:
        for policy_key, policy in list(backend.policies.items()):
            if policy.resource_id == rid and policy.scalable_dimension == DIMENSION:
                del backend.policies[policy_key]

    def _register(self, original: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def register(backend: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> Any:
            bound = inspect.signature(original).bind(backend, *args, **kwargs)
            namespace, rid = bound.arguments["namespace"], bound.arguments["r_id"]
            dimension = bound.arguments["dimension"]
            if namespace != NAMESPACE or dimension != DIMENSION:
                return original(backend, *args, **kwargs)
            parts = str(rid).split("/")
            if len(parts) != 4 or parts[0] != "endpoint" or parts[2] != "variant":
                raise AWSValidationException(
                    f"Unsupported resource ID {rid}: a SageMaker variant's is "
                    f"endpoint/<EndpointName>/variant/<VariantName>"
                )
            store = guard.emulator.store(backend.account_id, backend.region_name)
            try:
                endpoint = store.get_endpoint(parts[1])
            except ValidationError:
                raise AWSValidationException(
                    f"The endpoint {parts[1]} does not exist (resource ID {rid})"
                ) from None
            config = store.configs.get(endpoint.config_name.lower(), {})
            variants = {v["VariantName"]: v for v in config.get("ProductionVariants", [])}
            if parts[3] not in variants or endpoint.status in ("Failed", "Creating"):
                raise AWSValidationException(
                    f"The variant {parts[3]} of endpoint {parts[1]} cannot be registered: the "
                    f"endpoint is {endpoint.status} on {endpoint.config_name}"
                )
            existed = rid in backend.targets.get(DIMENSION, {})
            target = original(backend, *args, **kwargs)
            key = guard.key(store, endpoint.name)
            counts = guard.counts.setdefault(key, {})
            current = counts.get(parts[3], int(variants[parts[3]].get("InitialInstanceCount", 1)))
            scaled = guard.emulator.faults.scaled_to
            if scaled is not None and not existed:
                current = scaled
            low, high = target.min_capacity, target.max_capacity
            counts[parts[3]] = max(low or current, min(high or current, current))
            return target

        return register

    def _deregister(self, original: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def deregister(backend: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> Any:
            bound = inspect.signature(original).bind(backend, *args, **kwargs)
            result = original(backend, *args, **kwargs)
            if bound.arguments["dimension"] == DIMENSION:
                guard._drop_policies(backend, str(bound.arguments["r_id"]))
            return result

        return deregister


def install(emulator: Emulator) -> None:
    """Add the guardrail behaviours to an emulator being entered (undone on its exit)."""
    Guardrails(emulator).install()
