"""Application Auto Scaling of SageMaker variants, as AWS has it and moto does not.

moto (pinned exactly) keeps scalable targets and scaling policies. This service adds, through
moto hooks listed in :mod:`.hooks` and an :class:`~.sagemaker.endpoints.EndpointObserver`
registered with each endpoint store:

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
- **Every scalable dimension the service has.** moto checks a request's ScalableDimension
  against a list of its own, which lacks ``sagemaker:inference-component:DesiredCopyCount``
  (an inference component's copy count:
  https://docs.aws.amazon.com/sagemaker/latest/dg/inference-component-auto-scaling.html);
  the emulator checks it against the values of Application Auto Scaling's own model.
- **Deregistering** a scalable target deletes its scaling policies
  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html);
  **DeleteEndpoint** deregisters the endpoint's targets
  (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html);
  **RegisterScalableTarget** of a variant that no endpoint serves is refused.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    applicationautoscaling_backends,
)
from moto.core.exceptions import JsonRESTError
from moto.sagemaker.exceptions import ValidationError

from smdeploy.runtime.emulator import shapes
from smdeploy.runtime.emulator.sagemaker.endpoints import (
    Change,
    Endpoint,
    EndpointObserver,
    Key,
    StoreView,
    Update,
    key,
)
from smdeploy.runtime.emulator.state import EmulatorState

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def targets(account: str, region: str, endpoint: str) -> dict[str, tuple[int, int]]:
    """Variant -> (min, max) of the endpoint's registered scalable targets."""
    backend = applicationautoscaling_backends[account][region]
    prefix = f"endpoint/{endpoint.lower()}/variant/"
    found: dict[str, tuple[int, int]] = {}
    for rid, target in backend.targets.get(DIMENSION, {}).items():
        if rid.lower().startswith(prefix):
            found[rid[len(prefix) :]] = (target.min_capacity, target.max_capacity)
    return found


def dimensions(_emulator: EmulatorState, original: Any) -> type[Enum]:
    """moto's ``ScalableDimensionValueSet`` (a row of :data:`.hooks.HOOKS`), with every value of
    the ``ScalableDimension`` enum in Application Auto Scaling's model
    (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html)."""
    values = [d.value for d in original]
    model = shapes.model_of("application-autoscaling").shape_for("ScalableDimension")
    values += [v for v in getattr(model, "enum", []) if v not in values]
    members = {re.sub(r"\W", "_", value).upper(): value for value in values}
    return Enum("ScalableDimensionValueSet", members)  # type: ignore[return-value]


def lists_dimensions() -> str | None:
    """What :func:`dimensions` relies on: moto's list is an Enum of dimension strings."""
    from moto.applicationautoscaling import models

    if DIMENSION not in [d.value for d in models.ScalableDimensionValueSet]:
        return "moto.applicationautoscaling.models.ScalableDimensionValueSet lacks SageMaker's"
    return None


def drop_policies(backend: ApplicationAutoscalingBackend, rid: str) -> None:
    """Delete the scaling policies of the scalable target ``rid``."""
    for policy_key, policy in list(backend.policies.items()):
        if policy.resource_id == rid and policy.scalable_dimension == DIMENSION:
            del backend.policies[policy_key]


class VariantCounts(EndpointObserver):
    """The variants' current instance counts, kept as the endpoints change."""

    def __init__(self, counts: dict[Key, dict[str, int]]) -> None:
        # (account, region, endpoint key) -> variant -> current instance count (the
        # emulator's, which RegisterScalableTarget also sets)
        self.counts = counts
        self.pending: dict[Key, dict[str, int]] = {}  # an update's counts, once it serves

    def updating(self, store: StoreView, endpoint: Endpoint, update: Update) -> None:
        old, new = update.old, update.new
        if new is None or endpoint.status != "InService":
            return
        before = {
            v["VariantName"]: v.get("InstanceType") for v in old.get("ProductionVariants", [])
        }
        after = {v["VariantName"]: v.get("InstanceType") for v in new.get("ProductionVariants", [])}
        for variant in sorted(targets(store.account, store.region, endpoint.name)):
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

    def updated(self, store: StoreView, endpoint: Endpoint, update: Update) -> None:
        old, new, params = update.old, update.new, update.params
        now = self.counts.get(key(store, endpoint.name), {})
        before = {v["VariantName"]: v for v in old.get("ProductionVariants", [])}
        excluded = {
            e.get("VariantPropertyType")
            for e in params.get("ExcludeRetainedVariantProperties") or []
        }
        retain = bool(params.get("RetainAllVariantProperties")) and (
            "DesiredInstanceCount" not in excluded
        )
        planned: dict[str, int] = {}
        for variant in (new or {}).get("ProductionVariants", []):
            name = variant["VariantName"]
            if "InitialInstanceCount" not in variant:
                continue
            if retain and name in before:
                planned[name] = now.get(name, before[name].get("InitialInstanceCount", 1))
            else:
                planned[name] = int(variant["InitialInstanceCount"])
        self.pending[key(store, endpoint.name)] = planned

    def settled(self, store: StoreView, endpoint: Endpoint, change: Change, updating: bool) -> None:
        at = key(store, endpoint.name)
        if change.outcome == "serve" and updating:
            self.counts[at] = self.pending.pop(at, {})
        elif change.outcome == "serve" or change.outcome == "delete":
            self.counts.pop(at, None)
            self.pending.pop(at, None)
        else:
            self.pending.pop(at, None)

    def described(self, store: StoreView, out: dict[str, Any]) -> None:
        counts = self.counts.get(key(store, out["EndpointName"]), {})
        for summary in out.get("ProductionVariants", []):
            if summary["VariantName"] in counts:
                n = counts[summary["VariantName"]]
                summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = n
                for index, pool in enumerate(summary.get("InstancePools") or []):
                    pool["CurrentInstanceCount"] = n if index == 0 else 0  # the first type's

    def deleted(self, store: StoreView, endpoint: Endpoint) -> None:
        backend = applicationautoscaling_backends[store.account][store.region]
        for variant in targets(store.account, store.region, endpoint.name):
            rid = f"endpoint/{endpoint.name}/variant/{variant}"
            for actual in [
                r for r in backend.targets.get(DIMENSION, {}) if r.lower() == rid.lower()
            ]:
                drop_policies(backend, actual)
                del backend.targets[DIMENSION][actual]


def keeps_targets_and_policies() -> str | None:
    """What the hooks below rely on: moto's backend keeps ``.targets`` and ``.policies``."""
    source = inspect.getsource(ApplicationAutoscalingBackend.__init__)
    if "self.policies" not in source or "self.targets" not in source:
        return "moto's Application Auto Scaling no longer keeps .targets and .policies"
    return None


def service_linked_role(account: str) -> str:
    """The role Application Auto Scaling scales SageMaker variants with, when the call names
    none: its service-linked role, which DescribeScalableTargets gives as the target's
    required ``RoleARN``
    (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html)."""
    return (
        f"arn:aws:iam::{account}:role/aws-service-role/"
        "sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )


def register_scalable_target(emulator: EmulatorState, original: Any) -> Callable[..., Any]:
    """RegisterScalableTarget of a SageMaker variant (a row of :data:`.hooks.HOOKS`): refused
    for a variant no endpoint serves; brings the variant's instance count within the target's
    MinCapacity and MaxCapacity (``Faults.scaled_to``: to N, when newly registered); a
    target registered without a role gets the service-linked one."""
    signature = inspect.signature(original)

    def register(backend: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(backend, *args, **kwargs)
        namespace, rid = bound.arguments["namespace"], bound.arguments["r_id"]
        dimension = bound.arguments["dimension"]
        if namespace != NAMESPACE:
            return original(backend, *args, **kwargs)
        if dimension != DIMENSION:  # an inference component's copy count
            target = original(backend, *args, **kwargs)
            if not target.role_arn:
                target.role_arn = service_linked_role(backend.account_id)
            return target
        parts = str(rid).split("/")
        if len(parts) != 4 or parts[0] != "endpoint" or parts[2] != "variant":
            raise AWSValidationException(
                f"Unsupported resource ID {rid}: a SageMaker variant's is "
                f"endpoint/<EndpointName>/variant/<VariantName>"
            )
        store = emulator.store(backend.account_id, backend.region_name)
        try:
            endpoint = store.get_endpoint(parts[1])
        except ValidationError:
            raise AWSValidationException(
                f"The endpoint {parts[1]} does not exist (resource ID {rid})"
            ) from None
        config = store.configs.get(endpoint.config_name.lower(), {})
        served = {v["VariantName"]: v for v in config.get("ProductionVariants", [])}
        if parts[3] not in served or endpoint.status in ("Failed", "Creating"):
            raise AWSValidationException(
                f"The variant {parts[3]} of endpoint {parts[1]} cannot be registered: the "
                f"endpoint is {endpoint.status} on {endpoint.config_name}"
            )
        existed = rid in backend.targets.get(DIMENSION, {})
        target = original(backend, *args, **kwargs)
        if not target.role_arn:
            target.role_arn = service_linked_role(backend.account_id)
        counts = emulator.instance_counts.setdefault(key(store, endpoint.name), {})
        current = counts.get(parts[3], int(served[parts[3]].get("InitialInstanceCount", 1)))
        scaled = emulator.faults.scaled_to
        if scaled is not None and not existed:
            current = scaled
        low, high = target.min_capacity, target.max_capacity
        counts[parts[3]] = max(low or current, min(high or current, current))
        return target

    return register


class ObjectNotFound(JsonRESTError):  # type: ignore[misc]
    """What Application Auto Scaling answers when what a call deletes or deregisters cannot be
    found: ObjectNotFoundException, not the ValidationException moto raises (its message is
    kept: "No scalable target found ...", "No scaling policy found ..."). The API references
    list it for both calls:
    https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html,
    https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScalingPolicy.html."""

    def __init__(self, message: str) -> None:
        super().__init__("ObjectNotFoundException", message)


def _not_found(error: AWSValidationException, starts: str) -> None:
    if str(error.message).startswith(starts):
        raise ObjectNotFound(str(error.message)) from None


def deregister_scalable_target(emulator: EmulatorState, original: Any) -> Callable[..., Any]:
    """DeregisterScalableTarget (a row of :data:`.hooks.HOOKS`) deletes the target's scaling
    policies, as Application Auto Scaling does; a target that is not there is
    ObjectNotFoundException (:class:`ObjectNotFound`)."""
    signature = inspect.signature(original)

    def deregister(backend: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(backend, *args, **kwargs)
        try:
            result = original(backend, *args, **kwargs)
        except AWSValidationException as error:
            _not_found(error, "No scalable target found")
            raise
        if bound.arguments["dimension"] == DIMENSION:
            drop_policies(backend, str(bound.arguments["r_id"]))
        return result

    return deregister


def delete_scaling_policy(emulator: EmulatorState, original: Any) -> Callable[..., Any]:
    """DeleteScalingPolicy (a row of :data:`.hooks.HOOKS`): a policy that is not there is
    ObjectNotFoundException (:class:`ObjectNotFound`)."""

    def delete(backend: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(backend, *args, **kwargs)
        except AWSValidationException as error:
            _not_found(error, "No scaling policy found")
            raise

    return delete
