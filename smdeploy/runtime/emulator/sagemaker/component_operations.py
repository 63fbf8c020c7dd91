"""The inference component (IC) operations on a :class:`~.components.ComponentStore`: what
each accepts and refuses, the change it starts, and what it describes.

API reference: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html,
API_UpdateInferenceComponent.html, API_UpdateInferenceComponentRuntimeConfig.html,
API_DeleteInferenceComponent.html, API_DescribeInferenceComponent.html (same directory).
Refusals are SageMaker's ValidationException (400); a message whose wording AWS does not
publish names the rule instead.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends

from smdeploy.runtime.emulator import cloudwatch
from smdeploy.runtime.emulator.sagemaker import component_rules as rules
from smdeploy.runtime.emulator.sagemaker.components import Component, ComponentStore, Rollout
from smdeploy.runtime.emulator.sagemaker.endpoints import Endpoint

# InvokeEndpoint for an IC with no copies (scaled to zero)
# (https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-sagemaker-inference/)
NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may "
    "be in-progress (if configured) or try to increase the capacity by invoking "
    "UpdateInferenceComponentRuntimeConfig API."
)


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise ValidationError(problem)


def _ts(seconds: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)


def _serving_endpoint(store: ComponentStore, name: str, what: str) -> Endpoint:
    """The IC's endpoint, which must be InService to take an IC or its update (AWS states no
    wording: the message names the rule)."""
    endpoint = store.endpoints.get_endpoint(name)
    if endpoint.status != "InService":
        raise ValidationError(
            f'Cannot {what}: endpoint "{endpoint.arn}" is {endpoint.status}, not InService.'
        )
    return endpoint


def _base(store: ComponentStore, spec: dict[str, Any], endpoint: Endpoint) -> Component | None:
    """An adapter's base: "an existing inference component that is to contain the inference
    component that you're creating", on the same endpoint; strict where AWS states nothing
    (the base InService, not itself an adapter)
    (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-adapt.html)."""
    name = spec.get("BaseInferenceComponentName")
    if not name:
        return None
    base = store.get(name)  # "Could not find inference component ..."
    if base.endpoint.lower() != endpoint.name.lower():
        raise ValidationError(
            f'Base inference component "{base.arn}" is hosted by endpoint '
            f'"{base.endpoint_arn}", not "{endpoint.arn}": an adapter is hosted with its base.'
        )
    if base.base is not None or base.status != "InService":
        raise ValidationError(
            f'Base inference component "{base.arn}" must be an InService inference component '
            f"that is not itself an adapter (it is {base.status})."
        )
    return base


def _spec_checks(store: ComponentStore, spec: dict[str, Any], adapter: bool) -> None:
    problems = rules.spec_problems(spec, adapter)
    _refuse(problems[0] if problems else None)
    model = spec.get("ModelName")
    endpoints = store.endpoints
    if model and model not in sagemaker_backends[endpoints.account][endpoints.region]._models:
        raise ValidationError(f'Could not find model "{endpoints._arn("model", model)}".')


def _not_placed(c: Component, variant: dict[str, Any], placed: int, wanted: int) -> str:
    return (
        f"Could not place {wanted} copies of inference component {c.name} on variant "
        f"{c.variant} of endpoint {c.endpoint}: only {placed} fit on its instances "
        f"({variant.get('InstanceType')})."
    )


def create(store: ComponentStore, params: dict[str, Any]) -> str:
    """CreateInferenceComponent: Creating, then InService after ``Faults.component_seconds``
    with its copies placed, or Failed when they do not all fit (AWS documents no outcome for
    copies that do not fit: Failed, with the reason, is the strict one) or under
    ``Faults.fail_component``."""
    endpoints, faults = store.endpoints, store.endpoints.faults
    with store.lock:
        name = str(params["InferenceComponentName"])
        if name.lower() in store.components:
            store.advance(store.components[name.lower()])  # a finished deletion frees it
        if name.lower() in store.components:
            raise ValidationError(
                f'Cannot create already existing inference component "{store.arn(name)}".'
            )
        _refuse(rules.requests_problem(params))
        endpoint = _serving_endpoint(store, params["EndpointName"], f"create {name}")
        if not rules.hosts_components(endpoints.configs.get(endpoint.config_name.lower(), {})):
            raise ValidationError(rules.NOT_IC_ENDPOINT)
        spec = params.get("Specification")
        if not spec:
            raise ValidationError("Specification is required to create an inference component.")
        base = _base(store, spec, endpoint)
        _spec_checks(store, spec, base is not None)
        desired = 0
        if base is not None:
            # an adapter takes its base's variant and copies: a VariantName is refused for it
            # (terraform-provider-aws, inference_component.go: the API "forbids it for an
            # adapter component"), and a RuntimeConfig too (AWS documents none for it: strict)
            for member in ("VariantName", "RuntimeConfig"):
                if member in params:
                    raise ValidationError(
                        f"{member} is not accepted for an adapter inference component: it runs "
                        f"in the copies of its base inference component {base.name}."
                    )
            variant_name = base.variant
        else:
            variant_name = str(params.get("VariantName") or "")
            if not variant_name or store.variant_of(endpoint, variant_name) is None:
                raise ValidationError(
                    f'Could not find variant "{variant_name}" in endpoint "{endpoint.arn}" '
                    f"(VariantName is required for an inference component that is not an "
                    f"adapter)."
                )
            if "RuntimeConfig" not in params:
                raise ValidationError("RuntimeConfig (its CopyCount) is required.")
            desired = int(params["RuntimeConfig"]["CopyCount"])
            if desired < 1:
                raise ValidationError(rules.ZERO_COPIES)
        now = store.now()
        c = Component(name, store.arn(name), endpoint.name, endpoint.arn, variant_name, dict(spec))
        c.desired, c.created, c.modified, c.deployed_at = desired, now, now, now
        c.tags, c.base = list(params.get("Tags", [])), base.name if base else None
        store.components[name.lower()] = c
        outcome, reason = "serve", None
        variant = store.variant_of(endpoint, variant_name)
        if base is None and variant is not None:
            demand = [(spec["ComputeResourceRequirements"], desired)]
            placed, reason = store.placement(endpoint, variant, name, demand)
            if placed is not None and placed.placed[-1] < desired:
                reason = _not_placed(c, variant, placed.placed[-1], desired)
            outcome = "serve" if reason is None else "fail"
        if (
            outcome == "serve"
            and faults.fail_component
            and store.endpoints.budget.take("fail_component")
        ):
            outcome, reason = "fail", faults.fail_component
        done = now + faults.component_seconds
        store.start(
            c, Rollout("create", now, done, outcome, reason, c.spec, desired, desired), "Creating"
        )
        return c.arn


def update(store: ComponentStore, params: dict[str, Any]) -> str:
    """UpdateInferenceComponent: Updating batch by batch (MaximumBatchSize copies, each
    provisioned in ``Faults.component_seconds`` and baked WaitIntervalInSeconds; without a
    RollingUpdatePolicy, all copies at once), then InService on the new Specification; a
    RuntimeConfig left out keeps the desired copy count (the one
    UpdateInferenceComponentRuntimeConfig set). Each batch needs room beside the copies it
    replaces (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html:
    "For each step, SageMaker AI provisions capacity on the new endpoint fleet, routes
    traffic to that fleet, and terminates capacity on the old endpoint fleet")."""
    faults, budget = store.endpoints.faults, store.endpoints.budget
    with store.lock:
        c = store.get(params["InferenceComponentName"])
        if "Specification" not in params and "RuntimeConfig" not in params:
            # "it rejects a request carrying only the name or only a DeploymentConfig"
            # (terraform-provider-aws, internal/service/sagemaker/inference_component.go)
            raise ValidationError(
                "UpdateInferenceComponent needs a Specification or a RuntimeConfig."
            )
        _refuse(rules.requests_problem(params))
        if c.status != "InService":
            raise ValidationError(
                f'Cannot update inference component "{c.arn}" in status {c.status}: only an '
                f"InService inference component can be updated."
            )
        endpoint = _serving_endpoint(store, c.endpoint, f"update {c.name}")
        spec = dict(params.get("Specification") or c.spec)
        adapter = c.base is not None
        if "Specification" in params:
            if str(spec.get("BaseInferenceComponentName") or "").lower() != (c.base or "").lower():
                raise ValidationError("An update cannot change an inference component's base.")
            _spec_checks(store, spec, adapter)
        if adapter and "RuntimeConfig" in params:
            raise ValidationError(
                "RuntimeConfig is not accepted for an adapter inference component."
            )
        desired = (
            int(params["RuntimeConfig"]["CopyCount"]) if "RuntimeConfig" in params else c.desired
        )
        if "RuntimeConfig" in params and desired < 1:
            raise ValidationError(rules.ZERO_COPIES)  # 0 copies: by the runtime config (strict)
        deployment = params.get("DeploymentConfig")
        _refuse(rules.batch_problem(deployment, desired))
        rolling = (deployment or {}).get("RollingUpdatePolicy") or {}
        batch = rules.batch_copies(rolling.get("MaximumBatchSize"), desired)
        batches = 1 if adapter else max(1, math.ceil(desired / batch))
        step = faults.component_seconds + float(rolling.get("WaitIntervalInSeconds", 0))
        now = store.now()
        alarms = (deployment or {}).get("AutoRollbackConfiguration", {}).get("Alarms") or []
        r = Rollout("update", now, now + batches * step, "serve", None, spec, desired, desired)
        r.checks = [now + k * step for k in range(1, batches + 1)]
        r.batch, r.rollback = batch, rolling.get("RollbackMaximumBatchSize")
        r.alarms = [str(a["AlarmName"]) for a in alarms]
        problem = _batch_room(store, c, endpoint, spec, min(batch, desired), desired)
        if problem is not None:
            r.injected = ("fail", problem)
        elif faults.rollback_component and budget.take("rollback_component"):
            r.injected = ("rollback", faults.rollback_component)
        elif faults.fail_component and budget.take("fail_component"):
            r.injected = ("fail", faults.fail_component)
        account, region = store.endpoints.account, store.endpoints.region
        r.fired = cloudwatch.fire(faults, budget, account, region, r.alarms)
        c.deployment_config = deployment
        store.start(c, r, "Updating")
        return c.arn


def _batch_room(
    store: ComponentStore,
    c: Component,
    endpoint: Endpoint,
    spec: dict[str, Any],
    batch: int,
    desired: int,
) -> str | None:
    """Why the update cannot place its first batch beside the copies it replaces, or its
    copies once done (None: both fit)."""
    variant = store.variant_of(endpoint, c.variant)
    if c.base is not None or variant is None:
        return None
    old, new = c.spec["ComputeResourceRequirements"], spec["ComputeResourceRequirements"]
    during, problem = store.placement(endpoint, variant, c.name, [(old, c.current), (new, batch)])
    if during is not None and during.placed[-1] < batch:
        return _not_placed(c, variant, during.placed[-1], batch) + " (a batch of the update)"
    after, problem = store.placement(endpoint, variant, c.name, [(new, desired)])
    if after is not None and after.placed[-1] < desired:
        return _not_placed(c, variant, after.placed[-1], desired)
    return problem


def update_runtime(store: ComponentStore, params: dict[str, Any]) -> str:
    """UpdateInferenceComponentRuntimeConfig, what an autoscaler calls: Updating for
    ``Faults.component_seconds``, then InService with DesiredCopyCount copies (0 included:
    https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html),
    or as many as fit (AWS documents no outcome for copies that do not fit: fewer current
    copies, the autoscaler's desired count kept)."""
    with store.lock:
        c = store.get(params["InferenceComponentName"])
        if c.base is not None:
            raise ValidationError(
                f"Inference component {c.name} is an adapter: it runs in the copies of its base "
                f"inference component {c.base}, and has no copy count of its own."
            )
        if c.status != "InService":
            raise ValidationError(
                f'Cannot update inference component "{c.arn}" in status {c.status}: only an '
                f"InService inference component can be updated."
            )
        desired = int(params["DesiredRuntimeConfig"]["CopyCount"])
        endpoint = store.endpoints.get_endpoint(c.endpoint)
        variant = store.variant_of(endpoint, c.variant)
        current = desired
        if variant is not None:
            demand = [(c.spec["ComputeResourceRequirements"], desired)]
            placed, _problem = store.placement(endpoint, variant, c.name, demand)
            current = min(desired, placed.placed[-1]) if placed is not None else c.current
        now = store.now()
        done = now + store.endpoints.faults.component_seconds
        store.start(
            c, Rollout("scale", now, done, "serve", None, c.spec, desired, current), "Updating"
        )
        return c.arn


def delete(store: ComponentStore, name: str) -> None:
    """DeleteInferenceComponent: Deleting for ``Faults.deletion_seconds``, then gone. Refused
    while Creating or Updating (https://github.com/aws/amazon-sagemaker-examples/issues/3432),
    while already Deleting ("DELETE_IN_PROGRESS"), and for a base with adapters ("is a base
    inference component for one or more associated" ones; both as
    terraform-provider-aws's inference_component.go reads SageMaker's messages)."""
    with store.lock:
        c = store.get(name)
        if c.status == "Deleting":
            raise ValidationError(f'Inference component "{c.arn}" is DELETE_IN_PROGRESS.')
        if c.status in ("Creating", "Updating"):
            raise ValidationError(
                f'Cannot delete inference component "{c.arn}" while it is {c.status}.'
            )
        adapters = [a.name for a in store.existing() if (a.base or "").lower() == c.name.lower()]
        if adapters:
            raise ValidationError(
                f'Inference component "{c.arn}" is a base inference component for one or more '
                f"associated inference components ({', '.join(adapters)}): delete them first."
            )
        now = store.now()
        done = now + store.endpoints.faults.deletion_seconds
        r = Rollout("delete", now, done, "delete", None, c.spec, c.desired, c.current)
        store.start(c, r, "Deleting")
        store.advance(c)  # gone at once when deletion_seconds is 0


def describe(store: ComponentStore, name: str) -> dict[str, Any]:
    """DescribeInferenceComponent: status, the Specification deployed (as the summary
    shape), the requested and current copy counts, LastDeploymentConfig once an update gave
    one, FailureReason when there is one. An adapter has its base's variant and compute
    resources, and no copy count of its own."""
    with store.lock:
        c = store.get(name)
        base = store.components.get(c.base.lower()) if c.base else None
        r = c.rollout
        changing = r is not None and r.outcome in ("serve", "fail") and r.kind != "delete"
        out: dict[str, Any] = {
            "InferenceComponentName": c.name,
            "InferenceComponentArn": c.arn,
            "EndpointName": c.endpoint,
            "EndpointArn": c.endpoint_arn,
            "VariantName": c.variant,
            "Specification": rules.spec_summary(
                c.spec, _ts(c.deployed_at), base.spec if base else None
            ),
            "CreationTime": _ts(c.created),
            "LastModifiedTime": _ts(c.modified),
            "InferenceComponentStatus": c.status,
        }
        if c.base is None:
            desired = r.desired if changing and r is not None else c.desired
            out["RuntimeConfig"] = {"DesiredCopyCount": desired, "CurrentCopyCount": c.current}
        if c.failure_reason:
            out["FailureReason"] = c.failure_reason
        if c.deployment_config:
            out["LastDeploymentConfig"] = c.deployment_config
        return out


def summaries(store: ComponentStore) -> list[dict[str, Any]]:
    """ListInferenceComponents' summaries, one for each IC that exists now."""
    with store.lock:
        return [
            {
                "InferenceComponentName": c.name,
                "InferenceComponentArn": c.arn,
                "EndpointName": c.endpoint,
                "EndpointArn": c.endpoint_arn,
                "VariantName": c.variant,
                "InferenceComponentStatus": c.status,
                "CreationTime": _ts(c.created),
                "LastModifiedTime": _ts(c.modified),
            }
            for c in store.existing()
        ]


def invocation(store: ComponentStore, endpoint: str, name: str, account: str) -> tuple[str, str]:
    """InvokeEndpoint with an InferenceComponentName: ("", the IC's variant) when it serves,
    else (the refusal, ""): an IC with no copies is refused with NO_CAPACITY; one the endpoint
    does not host with a not-found message (AWS's wording is not published)."""
    with store.lock:
        c = store.components.get(name.lower())
        if c is not None:
            store.advance(c)
        if (
            name.lower() not in store.components
            or c is None
            or c.endpoint.lower() != endpoint.lower()
            or c.status == "Deleting"
        ):
            missing = f"Inference component {name} of endpoint {endpoint} of account {account}"
            return f"{missing} not found.", ""
        if store.serving_copies(c) == 0:
            return NO_CAPACITY, ""
        return "", c.variant
