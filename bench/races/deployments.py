"""The races between deployments: approvals, direct executions, crashes, throttling at scale,
a Failed endpoint, an abandoned deployment, shared models and configs, guardrails overtaken."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from bench.races.actions import (
    ENDPOINT,
    RUN_BOUND,
    approve,
    endpoint_created,
    example,
    register,
    start,
    wait_all,
    with_count,
    with_model,
)
from bench.races.checks import Check, in_service, serves_count, serves_model, serves_package
from smdeploy.runtime.faults import COUNTED_OPERATIONS
from smdeploy.runtime.local import LocalDeployment

# throttling at scale: this many endpoints, each deployed this many times at once, with the
# first THROTTLED calls of every SageMaker operation on every resource (each endpoint, config,
# model) throttled
SCALE_ENDPOINTS = 10
SCALE_DEPLOYMENTS = 10
THROTTLED = 8
# every operation the emulator counts but the two lists, which the deployer calls only to
# prune configs (no retention here) and the run's own measurement calls at its end
SCALE_THROTTLED = tuple(
    op for op in COUNTED_OPERATIONS if op not in ("ListEndpointConfigs", "ListEndpoints")
)


def approvals(order: tuple[int, ...]) -> Callable[[LocalDeployment], Check]:
    """Register v1 and v2, then approve them in ``order`` (version numbers) at once."""

    def act(account: LocalDeployment) -> Check:
        arns = {1: register(account), 2: register(account)}
        for version in order:
            approve(account, arns[version])
        return serves_package(arns[order[-1]])

    return act


def reapproval(account: LocalDeployment) -> Check:
    """v1 deployed; then v2 approved and, at once, v1 approved again on purpose."""
    v1, v2 = register(account), register(account)
    approve(account, v1)
    wait_all(account)
    approve(account, v2)
    account.sagemaker.update_model_package(
        ModelPackageArn=v1, ModelApprovalStatus="PendingManualApproval"
    )
    approve(account, v1)
    return serves_package(v1)


def five_direct(account: LocalDeployment) -> Check:
    """Five executions of one endpoint, each with its own config, started together."""
    counts = (1, 2, 3, 4, 5)
    for count in counts:
        start(account, with_count(example("request.json"), count))
    return serves_count(counts[-1])


def crash_retried(operation: str) -> Callable[[LocalDeployment], Check]:
    """A deployment whose Lambda dies after ``operation``: the state machine retries the task,
    and the deployment converges with no re-run."""

    def act(account: LocalDeployment) -> Check:
        request = example("request.json")
        if operation == "UpdateEndpoint":  # an update needs an endpoint to update
            account.deploy(request)
            request = example("request-v2.json")
        account.deploy(request)
        return serves_count(request["ProductionVariants"][0]["InitialInstanceCount"])

    return act


def crashed_approval(account: LocalDeployment) -> Check:
    """An approval whose deployment's Lambda dies after CreateModel: nobody re-runs it."""
    arn = register(account)
    approve(account, arn)
    return serves_package(arn)


def scale_endpoint(index: int) -> str:
    return ENDPOINT if index == 0 else f"{ENDPOINT}-{index}"


def throttled_at_scale(account: LocalDeployment) -> Check:
    """SCALE_ENDPOINTS endpoints, each deployed SCALE_DEPLOYMENTS times, all started at once
    (round by round: every endpoint's newest request is started last)."""
    for count in range(1, SCALE_DEPLOYMENTS + 1):
        for index in range(SCALE_ENDPOINTS):
            request = with_count(example("request.json"), count)
            request["EndpointName"] = scale_endpoint(index)
            start(account, request)

    def check(account: LocalDeployment) -> bool:
        return all(
            serves_count(SCALE_DEPLOYMENTS, scale_endpoint(index))(account)
            for index in range(SCALE_ENDPOINTS)
        )

    return check


def failed_then_rerun(account: LocalDeployment) -> Check:
    """The endpoint's creation ends Failed once; the same request again."""
    request = example("request.json")
    account.deploy(request)
    account.deploy(request)
    return serves_count(request["ProductionVariants"][0]["InitialInstanceCount"])


def abandoned(account: LocalDeployment) -> Check:
    """A deployment stopped (StopExecution) while it holds the endpoint; then another one."""
    first = start(account, example("request.json"))
    sfn = account.stepfunctions
    began = time.monotonic()
    while not endpoint_created(account):
        if time.monotonic() - began > RUN_BOUND:
            raise RuntimeError("the first deployment never created the endpoint")
        time.sleep(0.005)
    sfn.stop_execution(executionArn=first, error="Abandoned", cause="stopped by the race test")
    second = example("request-v2.json")
    account.deploy(second)
    return serves_count(second["ProductionVariants"][0]["InitialInstanceCount"])


SCALING_FOUND = {"MinCapacity": 2, "MaxCapacity": 6, "TargetValue": 100}


def guarded(request: dict[str, Any], guardrails: dict[str, Any], **variant: Any) -> dict[str, Any]:
    """``request`` with ``guardrails`` and its variants changed by ``variant``."""
    changed = copy.deepcopy(request)
    changed["Guardrails"] = guardrails
    for each in changed["ProductionVariants"]:
        each.update(variant)
    return changed


def scaled_as_found(account: LocalDeployment) -> bool:
    """Every variant the endpoint serves is a scalable target with the capacities it had
    before the deployments that did not deploy (v1's and the one that rolled out's)."""
    sm: Any = account.sagemaker
    served = sm.describe_endpoint(EndpointName=ENDPOINT)["ProductionVariants"]
    listed = account.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    found = sorted((t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in listed)
    low, high = SCALING_FOUND["MinCapacity"], SCALING_FOUND["MaxCapacity"]
    want = sorted((f"endpoint/{ENDPOINT}/variant/{v['VariantName']}", low, high) for v in served)
    return found == want


def superseded_after_prepare_then_newer_fails(account: LocalDeployment) -> Check:
    """v1 autoscaled; A (an instance-type change: its guardrails deregister the targets before
    the update) and B (newer, with other capacities and a smoke test that fails: its update is
    put back) started together. A ends superseded (at Admit, or at Deploy after its guardrails
    ran) or rolls out first; either way, B's failure leaves autoscaling as it was found."""
    v1 = example("request.json")
    account.deploy(guarded(v1, {"AutoScaling": SCALING_FOUND}))
    start(account, guarded(v1, {"AutoScaling": SCALING_FOUND}, InstanceType="ml.c5.xlarge"))
    other = dict(SCALING_FOUND, MinCapacity=1, MaxCapacity=3)
    smoke = {"Body": {"instances": [[1, 2]]}}
    start(account, with_count(guarded(v1, {"AutoScaling": other, "SmokeTest": smoke}), 3))
    return scaled_as_found


SHARING = ("fraud-scorer", "churn-shadow")  # the endpoints that share churn-predictor's


def shared(waves: tuple[tuple[int, ...], ...]) -> Callable[[LocalDeployment], Check]:
    """churn-predictor deployed (model v1); fraud-scorer deployed with churn-predictor's own
    config (so with its model too) and churn-shadow with a config of its own on that model;
    then churn-predictor updated to new models, wave after wave, each wave's all at once."""

    def act(account: LocalDeployment) -> Check:
        first = example("request.json")
        config = account.deploy(first).EndpointConfigName
        account.deploy({**first, "EndpointName": SHARING[0], "EndpointConfigName": config})
        account.deploy(with_count({**first, "EndpointName": SHARING[1]}, 3))
        for wave in waves:
            for version in wave:
                start(account, with_model(first, version))
            wait_all(account)
        serves = serves_model(f"churn-xgboost-v{waves[-1][-1]}")
        return lambda done: serves(done) and all(in_service(done, name) for name in SHARING)

    return act
