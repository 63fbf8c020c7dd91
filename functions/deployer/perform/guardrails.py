"""The guardrails, performed (the decisions are :mod:`deployer.decide.guardrails`'s).

- :func:`prepare`, before Deploy: create or update the rollback alarms and name them in the
  request's ``DeploymentConfig.AutoRollbackConfiguration``; deregister the scalable targets
  the update would break; retain the instance counts of the variants that stay autoscaled.
- :func:`verify`, once the endpoint is InService on the new config: the smoke test, each
  production variant invoked once (``TargetVariant``). On a failed update the endpoint is put
  back on the config it served before, and :func:`restored` follows that to its end.
- :func:`scale`, after a success: the scalable targets and policies brought to the setting
  (targets the setting no longer covers are deregistered).
- :func:`put_back`, on every path that does not deploy (failed, rolled back, superseded
  before its rollout): the scalable targets Prepare deregistered registered again as it found
  them (their capacities and the deployer's policy), on the variants the endpoint serves.

Each runs while the execution holds the endpoint's lease (between Admit and Release).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deployer.aws import clients
from deployer.aws.guardrails import AlarmGateway, InvokeGateway, ScalingGateway
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide import guardrails
from deployer.decide.deadline import restore_deadline
from deployer.decide.plan import TRANSITIONAL, same_name
from deployer.errors import (
    EndpointFailed,
    GuardrailCallFailed,
    GuardrailThrottled,
    SmokeTestFailed,
)
from deployer.observability import MetricUnit, logger, metrics, tracer
from deployer.payloads.events import GuardrailsEvent
from deployer.payloads.pieces import Action
from deployer.payloads.results import (
    DeploymentRef,
    FoundTarget,
    Prepared,
    RestoreProgress,
    Scaled,
    SmokeTested,
)
from deployer.perform.component_guardrails import COMPONENT_ACTIONS, run_components
from deployer.request.deployment import DeploymentRequest, checked_request, parse_request
from deployer.request.guardrails import alarm_names, settings


def _variant_names(fields: dict[str, Any]) -> list[str]:
    return [str(v["VariantName"]) for v in fields.get("ProductionVariants") or []]


@tracer.capture_method
def prepare(
    request: DeploymentRequest,
    sagemaker: SageMakerGateway,
    scaling: ScalingGateway,
    alarms: AlarmGateway,
) -> Prepared:
    fields = request.to_payload()
    guard = settings(fields)
    endpoint = request.endpoint_name
    made = guardrails.alarm_requests(endpoint, _variant_names(fields), guard)
    for params in made:
        alarms.put(params)
    names = [params["AlarmName"] for params in made]
    fields = guardrails.with_rollback_alarms(fields, names)
    deregistered: list[str] = []
    found: list[FoundTarget] = []
    # variant -> its scalable target; no target (the usual case), nothing more to read
    targets = scaling.targets(endpoint)
    registered = sorted(targets)
    current = sagemaker.describe_endpoint(endpoint) if registered else None
    if (
        current is not None
        and current["EndpointStatus"] == "InService"
        and not same_name(current.get("EndpointConfigName"), request.endpoint_config_name)
    ):
        endpoint = current["EndpointName"]
        served = sagemaker.describe_endpoint_config(current["EndpointConfigName"]) or {}
        deregistered = guardrails.to_deregister(
            registered,
            guardrails.instance_types(served.get("ProductionVariants") or []),
            guardrails.instance_types(fields.get("ProductionVariants") or []),
        )
        found = _as_found(endpoint, deregistered, targets, scaling)
        done: list[FoundTarget] = []
        try:
            for target in found:
                scaling.deregister(endpoint, target.Variant)
                done.append(target)
        except (GuardrailCallFailed, GuardrailThrottled):
            _register_as_found(endpoint, done, scaling)  # as found, then the failure
            raise
        fields |= guardrails.retained_properties(fields, registered, deregistered)
    message = (
        f"{len(names)} rollback alarm(s) in place; deregistered before the update: "
        f"{', '.join(deregistered) or 'none'}"
    )
    logger.info(message, extra={"alarms": names, "deregistered": deregistered})
    return Prepared(
        Request=fields,
        Alarms=names,
        Registered=registered,
        Deregistered=deregistered,
        RetainedCounts=bool(fields.get("RetainAllVariantProperties")),
        Message=message,
        Found=found,
    )


def _as_found(
    endpoint: str,
    variants: list[str],
    targets: dict[str, tuple[int, int]],
    scaling: ScalingGateway,
) -> list[FoundTarget]:
    """The scalable targets of ``variants`` as they are now, with the deployer's policy."""
    policies = scaling.policies(endpoint, variants) if variants else {}
    return [
        FoundTarget(
            Variant=variant,
            MinCapacity=targets[variant][0],
            MaxCapacity=targets[variant][1],
            Policy=policies.get(variant),
        )
        for variant in variants
    ]


def _register_as_found(endpoint: str, found: list[FoundTarget], scaling: ScalingGateway) -> None:
    for target in found:
        scaling.register(endpoint, target.Variant, target.MinCapacity, target.MaxCapacity)
        if target.Policy is not None:
            scaling.put_policy(endpoint, target.Variant, target.Policy)


@tracer.capture_method
def put_back(
    prepared: Prepared, endpoint: str, sagemaker: SageMakerGateway, scaling: ScalingGateway
) -> Scaled:
    """The scalable targets Prepare deregistered, registered again as it found them, on the
    variants the endpoint serves now: the path did not deploy (it failed, was rolled back, or
    was superseded before its rollout), so autoscaling is left as it was."""
    if not prepared.Found:
        return Scaled(Registered=[], Deregistered=[], Message="nothing was deregistered")
    described = sagemaker.describe_endpoint(endpoint)
    status = described["EndpointStatus"] if described else "gone"
    if described is None or status in ("Failed", "Creating"):
        return Scaled(
            Registered=[], Deregistered=[], Message=f"nothing to put back: the endpoint is {status}"
        )
    name = described["EndpointName"]
    serving = {str(v["VariantName"]) for v in described.get("ProductionVariants") or []}
    back = [t for t in prepared.Found if t.Variant in serving]
    _register_as_found(name, back, scaling)
    registered = [t.Variant for t in back]
    message = (
        f"autoscaling of {name} put back as found: registered {', '.join(registered) or 'nothing'}"
        f" (the endpoint serves {', '.join(sorted(serving)) or 'no variant'})"
    )
    logger.info(message)
    return Scaled(
        Registered=registered,
        Policies=[t.Variant for t in back if t.Policy is not None],
        Deregistered=[],
        Message=message,
    )


@tracer.capture_method
def verify(
    request: DeploymentRequest,
    deployment: DeploymentRef,
    sagemaker: SageMakerGateway,
    invoker: InvokeGateway,
    now: datetime,
) -> SmokeTested:
    test = settings(request.fields).SmokeTest
    if test is None:
        return SmokeTested(Passed=True, Message="no smoke test in the profile")
    described = sagemaker.describe_endpoint(deployment.EndpointName)
    if described is None:
        raise EndpointFailed(f"endpoint {deployment.EndpointName} disappeared")
    name = described["EndpointName"]
    variants = [str(v["VariantName"]) for v in described.get("ProductionVariants") or []]
    failures: list[str] = []
    for variant in variants:
        answer = invoker.invoke(name, variant, test)
        why = guardrails.smoke_failure(test, answer.status, answer.body)
        if why is not None:
            failures.append(f"variant {variant} {why} (response: {answer.shown()})")
    if not failures:
        message = f"smoke test passed: {', '.join(variants)} answered as expected"
        logger.info(message)
        return SmokeTested(Passed=True, Message=message)
    report = f"the smoke test of {name} on {deployment.EndpointConfigName} failed: " + "; ".join(
        failures
    )
    previous = deployment.PreviousEndpointConfigName
    if (
        deployment.Action is not Action.UPDATE
        or previous is None
        or same_name(previous, deployment.EndpointConfigName)
    ):
        raise SmokeTestFailed(f"{report}. Nothing to put back: {name} served no other config")
    sagemaker.update_endpoint(
        {
            "EndpointName": name,
            "EndpointConfigName": previous,
            "RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": guardrails.KEEP_COUNTS,
        }
    )
    logger.warning(report, extra={"restoring": previous})
    return SmokeTested(Passed=False, Restoring=previous, Failure=report, RestoringSince=now)


@tracer.capture_method
def restored(
    deployment: DeploymentRef, smoke: SmokeTested, sagemaker: SageMakerGateway, now: datetime
) -> RestoreProgress:
    """Not done yet, or the SmokeTestFailed that says how the putting back ended, or that it
    ran past its deadline (:func:`deployer.decide.deadline.restore_deadline`, from
    ``RestoringSince``):
    the loop that looks again has a bound of its own, well inside the execution's."""
    previous, failure = str(smoke.Restoring), str(smoke.Failure)
    described = sagemaker.describe_endpoint(deployment.EndpointName)
    if described is None:
        raise SmokeTestFailed(f"{failure}; the endpoint disappeared while it was put back")
    status = described["EndpointStatus"]
    if status in TRANSITIONAL:
        since = smoke.RestoringSince or now
        elapsed = int((now - since).total_seconds())
        deadline = restore_deadline()
        if elapsed >= deadline:
            raise SmokeTestFailed(
                f"{failure}. Putting the endpoint back on {previous} is still {status} after "
                f"{elapsed} s (the deadline is {deadline} s); the deployer stops watching it"
            )
        return RestoreProgress(Message=f"putting back {previous}: {status}")
    serving = described.get("EndpointConfigName")
    if status == "InService" and same_name(serving, previous):
        raise SmokeTestFailed(
            f"{failure}. The endpoint was put back on {previous}, the config it served "
            f"before, and is InService"
        )
    reason = described.get("FailureReason")
    raise SmokeTestFailed(
        f"{failure}. Putting the endpoint back on {previous} ended {status} on {serving}"
        + (f": {reason}" if reason else "")
    )


@tracer.capture_method
def scale(
    request: DeploymentRequest,
    sagemaker: SageMakerGateway,
    scaling: ScalingGateway,
    alarms: AlarmGateway,
    succeeded: bool,
) -> Scaled:
    """The autoscaling brought to the setting; after a success, also the rollback alarms the
    request no longer names (a variant removed, an alarm dropped from the profile) deleted."""
    scaled = _scale(request, sagemaker, scaling, succeeded)
    return scaled.with_alarms_deleted(prune_alarms(request, alarms) if succeeded else [])


def prune_alarms(request: DeploymentRequest, alarms: AlarmGateway) -> list[str]:
    """Delete the endpoint's rollback alarms that the deployed request does not name. Best
    effort: a failure here leaves them for the next deployment and fails nothing."""
    endpoint = request.endpoint_name
    kept = alarm_names(endpoint, _variant_names(request.fields), settings(request.fields))
    try:
        found = alarms.named(guardrails.alarm_search_prefix(endpoint))
        stale = guardrails.stale_alarms(endpoint, found, kept)
        if stale:
            alarms.delete(stale)
    except (GuardrailCallFailed, GuardrailThrottled) as error:
        logger.warning("rollback alarms not cleaned up", extra={"error": str(error)})
        return []
    return stale


def _scale(
    request: DeploymentRequest,
    sagemaker: SageMakerGateway,
    scaling: ScalingGateway,
    succeeded: bool,
) -> Scaled:
    setting = settings(request.fields).AutoScaling
    # the endpoint's targets, its name matched without regard to case (as SageMaker does)
    registered = scaling.targets(request.endpoint_name)
    if setting is None and not registered:
        return Scaled(Registered=[], Deregistered=[], Message="no autoscaling to keep")
    described = sagemaker.describe_endpoint(request.endpoint_name)
    if described is None or described["EndpointStatus"] != "InService":
        status = described["EndpointStatus"] if described else "gone"
        return Scaled(Registered=[], Deregistered=[], Message=f"the endpoint is {status}")
    name = described["EndpointName"]
    config = sagemaker.describe_endpoint_config(described["EndpointConfigName"]) or {}
    serving = guardrails.instance_types(config.get("ProductionVariants") or [])
    covered = [v for v in serving if setting is not None and setting.covers(v)]
    policies = scaling.policies(name, [v for v in covered if v in registered])
    plan = guardrails.scaling_plan(setting, serving, registered, policies, succeeded)
    for variant in plan.deregister:
        scaling.deregister(name, variant)
    for variant, (low, high) in sorted(plan.to_register.items()):
        scaling.register(name, variant, low, high)
    if setting is not None:
        for variant in plan.policies:
            scaling.put_policy(name, variant, setting.policy_configuration())
    message = (
        f"autoscaling of {name}: registered {', '.join(sorted(plan.to_register)) or 'nothing new'}"
        f"; policy put on {', '.join(plan.policies) or 'nothing new'}"
        f"; deregistered {', '.join(plan.deregister) or 'nothing'}"
    )
    logger.info(message)
    return Scaled(
        Registered=sorted(plan.to_register),
        Policies=plan.policies,
        Deregistered=plan.deregister,
        Message=message,
    )


@tracer.capture_method
def run(stage: GuardrailsEvent) -> dict[str, Any]:
    """The step the state machine names (Prepare, Scale, Rescale, Verify or Restored)."""
    # Prepare's is Validate's request; the other steps' is the one Prepare added its alarms
    # to, which Deploy checks (and Rescale may follow Deploy's refusal of it)
    request = (
        checked_request(stage.Request)
        if stage.Action == "Prepare"
        else parse_request(stage.Request)
    )
    if request.inference_components and stage.Action in COMPONENT_ACTIONS:
        return run_components(stage, request)
    sagemaker = SageMakerGateway(clients.sagemaker)
    if stage.Action == "Prepare":
        return prepare(
            request,
            sagemaker,
            ScalingGateway(clients.application_autoscaling()),
            AlarmGateway(clients.cloudwatch),
        ).to_json()
    if stage.Action == "Scale":
        return scale(
            request,
            sagemaker,
            ScalingGateway(clients.application_autoscaling()),
            AlarmGateway(clients.cloudwatch),
            succeeded=True,
        ).to_json()
    if stage.Action == "Rescale":
        assert stage.Prepared is not None  # GuardrailsEvent checked it
        return put_back(
            stage.Prepared,
            request.endpoint_name,
            sagemaker,
            ScalingGateway(clients.application_autoscaling()),
        ).to_json()
    # GuardrailsEvent checked them
    assert stage.Deployment is not None
    assert stage.EnteredTime is not None
    if stage.Action == "Verify":
        result = verify(
            request,
            stage.Deployment,
            sagemaker,
            InvokeGateway(clients.sagemaker_runtime),
            stage.EnteredTime,
        )
        metrics.add_metric(
            name="SmokeTestsPassed" if result.Passed else "SmokeTestsFailed",
            unit=MetricUnit.Count,
            value=1,
        )
        return result.to_json()
    assert stage.SmokeTest is not None  # GuardrailsEvent checked it
    return restored(stage.Deployment, stage.SmokeTest, sagemaker, stage.EnteredTime).to_json()
