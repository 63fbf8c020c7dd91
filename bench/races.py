"""Races: deployments that meet, run many times on fresh emulated accounts with seeded jitter.

Each scenario runs in a fresh :class:`~smdeploy.runtime.local.LocalDeployment` whose emulator
delays every Lambda invocation by a random real 0 to ``JITTER`` seconds (``Faults
.invocation_jitter``, drawn from the run's seed), so concurrent executions interleave
differently from one seed to the next, and the same seed draws the same delays. A run waits
for every execution to end, then measures the account:

- **correct**: the endpoint is InService, without a FailureReason, on the config the scenario
  expects (the newest intent: the last approval, the last execution started; never a
  version rejected while it was being deployed);
- **failed**: executions that ended FAILED; ``expected_failed`` of them are the scenario's
  own injected fault (the first attempt of a crash or of a Failed endpoint);
- **failed by transient errors**: executions FAILED with an error AWS documents as
  retryable (throttling, a lost conditional write: :class:`deployer.errors.Transient`), which
  the state machine retries until the deadline, so never before it;
- **false alarms**: executions FAILED with ``EndpointUpdateRolledBack``,
  ``EndpointConfigNotVisible`` or ``EndpointBusy`` although no scenario injects a rollback or
  a visibility lag: a deployment overtaken by another, reported as a failure;
- **left over**: endpoint configs of the endpoint beyond the retention (when it is set), but
  those another endpoint serves;
- **orphans**: models that no endpoint config references;
- **deleted while referenced**: configs that an endpoint of the account serves or rolls out,
  and models such a config uses, that no longer exist (retention must never delete them:
  SageMaker cannot patch or scale out such an endpoint).

``python -m bench`` prints them as a table (:func:`race_rows`); tests/e2e/test_races.py runs
each scenario for a few seeds and asserts the target: every run correct, no unexpected
FAILED, no false alarms, nothing left over, no orphans, nothing deleted while referenced.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from deployer import errors
from smdeploy.resources import EXAMPLES
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.faults import COUNTED_OPERATIONS
from smdeploy.runtime.local import ACCOUNT, REGION, LocalDeployment

JITTER = 0.02  # real seconds: the most a Lambda invocation is delayed
ENDPOINT = "churn-predictor"
GROUP = "churn-predictor"  # examples/profiles.json
FALSE_ALARMS = ("EndpointUpdateRolledBack", "EndpointConfigNotVisible", "EndpointBusy")
# the errors the state machine retries until the deadline (deployer.errors.Transient)
TRANSIENT = tuple(sorted(cls.__name__ for cls in errors.Transient.__subclasses__()))
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
RUN_BOUND = 300.0  # real seconds a run may take before it is reported stuck (never asserted)


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return loaded


def with_count(request: dict[str, Any], count: int) -> dict[str, Any]:
    """``request`` with its first variant at ``count`` instances: a config of its own."""
    changed = copy.deepcopy(request)
    changed["ProductionVariants"][0]["InitialInstanceCount"] = count
    return changed


def with_model(request: dict[str, Any], version: int) -> dict[str, Any]:
    """``request`` with every variant on a model of its own, ``churn-xgboost-v<version>``."""
    changed = copy.deepcopy(request)
    name = f"churn-xgboost-v{version}"
    changed["Models"] = [{**changed["Models"][0], "ModelName": name}]
    for variant in changed["ProductionVariants"]:
        variant["ModelName"] = name
    return changed


# --- what a run checks at its end ------------------------------------------------------------

Check = Callable[[LocalDeployment], bool]
T = TypeVar("T")


def patiently(call: Callable[[], T]) -> T:
    """The run's own look at the account, retried while the emulator throttles it (the
    throttling-at-scale scenario throttles the first calls on every resource)."""
    for _ in range(50):
        try:
            return call()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ThrottlingException":
                raise
    return call()


def serves_package(arn: str) -> Check:
    """The endpoint serves the model package ``arn`` on every variant."""

    def check(account: LocalDeployment) -> bool:
        sm = account.sagemaker
        config = sm.describe_endpoint_config(
            EndpointConfigName=sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
        )
        served = [
            container.get("ModelPackageName")
            for variant in config["ProductionVariants"]
            for container in sm.describe_model(ModelName=variant["ModelName"])["Containers"]
        ]
        return bool(served) and all(package == arn for package in served)

    return check


def serves_model(model: str) -> Check:
    """The endpoint serves ``model`` on every variant."""

    def check(account: LocalDeployment) -> bool:
        sm = account.sagemaker
        config = sm.describe_endpoint_config(
            EndpointConfigName=sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
        )
        return all(v["ModelName"] == model for v in config["ProductionVariants"])

    return check


def in_service(account: LocalDeployment, name: str) -> bool:
    """Endpoint ``name`` is InService without a FailureReason."""
    try:
        endpoint = patiently(lambda: account.sagemaker.describe_endpoint(EndpointName=name))
    except account.sagemaker.exceptions.ClientError:
        return False
    return endpoint["EndpointStatus"] == "InService" and "FailureReason" not in endpoint


def serves_count(count: int, endpoint: str = ENDPOINT) -> Check:
    """The endpoint serves the config whose first variant has ``count`` instances."""

    def check(account: LocalDeployment) -> bool:
        sm = account.sagemaker
        try:
            served = patiently(lambda: sm.describe_endpoint(EndpointName=endpoint))
        except sm.exceptions.ClientError:
            return False  # no endpoint at all
        if served["EndpointStatus"] != "InService" or "FailureReason" in served:
            return False
        name = served["EndpointConfigName"]
        config = patiently(lambda: sm.describe_endpoint_config(EndpointConfigName=name))
        return bool(config["ProductionVariants"][0]["InitialInstanceCount"] == count)

    return check


# --- scenarios -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """``act`` does what the users do (approve, start, stop, re-run) and returns the check of
    the final state; ``expected_failed``: executions the scenario's own fault fails."""

    name: str
    act: Callable[[LocalDeployment], Check]
    faults: dict[str, Any] = field(default_factory=dict)
    profiles: bool = False
    config_retention: int | None = None
    expected_failed: int = 0
    rollback: bool = True  # the profile's RollbackOnRejection (with ``profiles``)
    # the check alone decides (the endpoint may rightly not exist at the end)
    own_check: bool = False
    deadline_seconds: int | None = None  # None: the deployer's default (3600)


def register(account: LocalDeployment) -> str:
    sm: Any = account.sagemaker
    return str(
        sm.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification=example("inference-specification.json"),
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]
    )


def approve(account: LocalDeployment, arn: str) -> None:
    """Approve (the Model Registry's event starts an execution, which runs on its own)."""
    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")


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


def start(account: LocalDeployment, request: dict[str, Any]) -> str:
    text = json.dumps(request)
    return account.stepfunctions.start_execution(
        stateMachineArn=account.state_machine_arn,
        name=account.execution_name(text),
        input=text,
    )["executionArn"]


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


def endpoint_created(account: LocalDeployment) -> bool:
    """Whether CreateEndpoint has been called: a look straight at the emulated store (moto
    cannot serve an execution's history while its interpreter writes it, in-process)."""
    return bool(account.emulator.store(ACCOUNT, REGION).endpoints)


def started(account: LocalDeployment, action: Callable[[], object]) -> list[str]:
    """Do ``action``; the executions it started (their ARNs, in the order they started)."""
    known = set(account.execution_arns())
    action()
    return [arn for arn in account.execution_arns() if arn not in known]


def reached(account: LocalDeployment, arn: str, state: str) -> None:
    """Poll (real time, bounded) until the execution ``arn`` has entered ``state``."""
    sfn = account.stepfunctions
    began = time.monotonic()
    while True:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        names = {
            e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
        }
        if state in names:
            return
        if time.monotonic() - began > RUN_BOUND:
            raise RuntimeError(f"{arn} never entered {state}")
        time.sleep(0.005)


def reject(account: LocalDeployment, arn: str) -> None:
    """Reject (the Model Registry's event starts the rollback's execution, on its own)."""
    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")


def rejection_at(state: str, then_v3: bool = False) -> Callable[[LocalDeployment], Check]:
    """v1 approved and deployed; v2 approved, and rejected once its execution entered
    ``state`` (``then_v3``: v3 approved right after). A rejection wins over a deployment in
    flight: the endpoint ends on v1 (or v3), never on the rejected v2."""

    def act(account: LocalDeployment) -> Check:
        v1, v2 = register(account), register(account)
        approve(account, v1)
        wait_all(account)
        [deploying] = started(account, lambda: approve(account, v2))
        reached(account, deploying, state)
        reject(account, v2)
        if then_v3:
            v3 = register(account)
            approve(account, v3)
            return serves_package(v3)
        return serves_package(v1)

    return act


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


def rejection_while_parked(account: LocalDeployment) -> Check:
    """v1 deployed; v2's UpdateEndpoint made, its execution parked, when v2 is rejected: the
    update cannot be stopped, so the rollback follows it."""
    v1, v2 = register(account), register(account)
    approve(account, v1)
    wait_all(account)
    with account.emulator.scheduler.held():  # v2 stays parked until the rejection is in
        [deploying] = started(account, lambda: approve(account, v2))
        reached(account, deploying, "ParkUntilSettled")
        reject(account, v2)
    return serves_package(v1)


def rejection_with_no_other_approved(state: str) -> Callable[[LocalDeployment], Check]:
    """v1 approved and deployed, then no longer Approved; v2 approved, and rejected once its
    execution entered ``state``: nothing to roll back to, so the rejection only stops v2 (and
    puts v1's config back if v2's update was made). The endpoint ends on v1."""

    def act(account: LocalDeployment) -> Check:
        v1, v2 = register(account), register(account)
        approve(account, v1)
        wait_all(account)
        account.sagemaker.update_model_package(
            ModelPackageArn=v1, ModelApprovalStatus="PendingManualApproval"
        )
        with account.emulator.scheduler.held():
            [deploying] = started(account, lambda: approve(account, v2))
            reached(account, deploying, state)
            reject(account, v2)
        return serves_package(v1)

    return act


def first_version_rejected(state: str) -> Callable[[LocalDeployment], Check]:
    """The first version ever, approved, and rejected once its execution entered ``state``:
    nothing served before, nothing else Approved. Correct: the endpoint was never created, or
    the rejection failed NoRollbackTarget naming the endpoint and the package (an operator is
    told), and the deployment of v1 ended Superseded (never a success of the rejected version);
    never an endpoint serving the rejected version silently."""

    def act(account: LocalDeployment) -> Check:
        v1 = register(account)
        with account.emulator.scheduler.held():
            [deploying] = started(account, lambda: approve(account, v1))
            reached(account, deploying, state)
            [rejection] = started(account, lambda: reject(account, v1))

        def check(account: LocalDeployment) -> bool:
            sfn = account.stepfunctions
            output = json.loads(
                sfn.describe_execution(executionArn=deploying).get("output") or "{}"
            )
            if output.get("Action") != "SUPERSEDED":  # v1's deployment never ends a success
                return False
            if not endpoint_created(account):
                return True
            ended = sfn.describe_execution(executionArn=rejection)
            cause = str(ended.get("cause") or "")
            return bool(
                ended.get("error") == "NoRollbackTarget" and v1 in cause and ENDPOINT in cause
            )

        return check

    return act


def rejection_while_waiting(account: LocalDeployment) -> Check:
    """v1's deployment holds the endpoint (parked); v2, approved, waits for the lease when it
    is rejected."""
    v1, v2 = register(account), register(account)
    with account.emulator.scheduler.held():
        [first] = started(account, lambda: approve(account, v1))
        reached(account, first, "ParkUntilSettled")
        [waiting] = started(account, lambda: approve(account, v2))
        reached(account, waiting, "WaitForLease")
        [rejection] = started(account, lambda: reject(account, v2))
        reached(account, rejection, "Admitted?")  # recorded before v2 asks again
    return serves_package(v1)


SCENARIOS = [
    Scenario("approve v1, v2 at once", approvals((1, 2)), profiles=True),
    Scenario("approve v2, v1 at once", approvals((2, 1)), profiles=True),
    Scenario("v2, then v1 approved again", reapproval, profiles=True),
    Scenario("5 direct executions at once", five_direct),
    Scenario("5 at once, retention 2", five_direct, config_retention=2),
    *(
        Scenario(
            f"crash after {operation}, retried",
            crash_retried(operation),
            faults={"crash_after": operation, "times": 1},
        )
        for operation in ("CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint")
    ),
    Scenario(
        "approval, crash after CreateModel",
        crashed_approval,
        faults={"crash_after": "CreateModel", "times": 1},
        profiles=True,
    ),
    Scenario(
        "endpoint Failed once, re-run",
        failed_then_rerun,
        faults={"fail_endpoint": "insufficient capacity", "times": 1},
        expected_failed=1,
    ),
    Scenario(
        "shared model and config, 3 updates in a row",
        shared(((2,), (3,), (4,))),
        config_retention=2,
    ),
    Scenario(
        "shared model and config, 2 x 2 updates at once",
        shared(((2, 3), (4, 5))),
        config_retention=2,
    ),
    Scenario(
        "abandoned, then another",
        abandoned,
        faults={"creation_seconds": 1800},
    ),
    Scenario("v2 rejected while it waits for the lease", rejection_while_waiting, profiles=True),
    Scenario("v2 rejected as approved", rejection_at("Validate"), profiles=True),
    Scenario("v2 rejected at Configure", rejection_at("Configure"), profiles=True),
    Scenario("v2 rejected at Deploy", rejection_at("Deploy"), profiles=True),
    Scenario("v2 rejected while parked", rejection_while_parked, profiles=True),
    Scenario(
        "v2 rejected at Configure, v3 approved",
        rejection_at("Configure", then_v3=True),
        profiles=True,
    ),
    Scenario(
        "superseded after its guardrails, then the newer fails",
        superseded_after_prepare_then_newer_fails,
        faults={"fail_invoke": "model not loaded"},
        expected_failed=1,
    ),
    # a rejection with no rollback still stops the rejected version's deployment
    *(
        Scenario(
            f"v2 rejected at {state}, nothing else Approved",
            rejection_with_no_other_approved(state),
            profiles=True,
        )
        for state in ("Configure", "ParkUntilSettled")
    ),
    *(
        Scenario(f"v2 rejected at {state}, rollback off", act, profiles=True, rollback=False)
        for state, act in (
            ("Configure", rejection_at("Configure")),
            ("Deploy", rejection_at("Deploy")),
            ("ParkUntilSettled", rejection_while_parked),
        )
    ),
    *(
        Scenario(
            f"first version rejected at {state}",
            first_version_rejected(state),
            profiles=True,
            expected_failed=1,
            own_check=True,
        )
        for state in ("ParkUntilSettled",)
    ),
]
# Throttling at scale (issue 18): run apart from SCENARIOS (it is a hundred executions), by
# ``python -m bench`` and, for one seed, by tests/e2e/test_races.py.
THROTTLED_AT_SCALE = Scenario(
    f"{SCALE_ENDPOINTS} endpoints x {SCALE_DEPLOYMENTS} at once, every call throttled "
    f"{THROTTLED} times per resource",
    throttled_at_scale,
    faults={
        "throttle": dict.fromkeys(SCALE_THROTTLED, THROTTLED),
        "throttle_each_resource": True,
    },
    # The emulator's simulated clock moves by every Wait and Retry interval of every
    # execution, one after another, so a hundred executions waiting at once see simulated
    # time run far faster than AWS's would (their waits add up instead of overlapping): the
    # deadline is set to the longest allowed, so that what is measured is throttling alone.
    deadline_seconds=86400,
)


# --- running and measuring -----------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One run of a scenario, measured at its end."""

    scenario: str
    seed: int
    correct: bool
    executions: int
    failed: int
    expected_failed: int
    failed_transient: int  # FAILED by an error the state machine retries until the deadline
    false_alarms: int
    left_over: int | None  # None: no retention set (every config is kept on purpose)
    orphans: int
    deleted_referenced: int  # configs or models some endpoint references that are gone
    errors: tuple[str, ...]  # the error of each FAILED execution, in start order
    wall_seconds: float

    @property
    def unexpected_failed(self) -> int:
        return max(0, self.failed - self.expected_failed)


def wait_all(account: LocalDeployment) -> list[dict[str, Any]]:
    """Every execution of the deployer, described, once none is running (oldest first)."""
    sfn = account.stepfunctions
    began = time.monotonic()
    while True:
        described: list[dict[str, Any]] = [
            dict(sfn.describe_execution(executionArn=arn)) for arn in account.execution_arns()
        ]
        if all(d["status"] != "RUNNING" for d in described):
            return described
        if time.monotonic() - began > RUN_BOUND:
            raise RuntimeError(f"executions still running after {RUN_BOUND:.0f} s")
        time.sleep(0.02)


def run(scenario: Scenario, seed: int, jitter: float = JITTER) -> Run:
    """Run ``scenario`` once, on a fresh emulated account, with ``seed``."""
    faults = Faults(**{"invocation_jitter": jitter, **scenario.faults})
    profiles = example("profiles.json") if scenario.profiles else None
    if profiles is not None and not scenario.rollback:
        profiles[GROUP]["RollbackOnRejection"] = False
    began = time.perf_counter()
    with LocalDeployment(
        faults=faults,
        seed=seed,
        profiles=profiles,
        config_retention=scenario.config_retention,
        deadline_seconds=scenario.deadline_seconds,
    ) as account:
        check = scenario.act(account)
        executions = wait_all(account)
        correct = (scenario.own_check or _endpoint_ok(account)) and check(account)
        configs, orphans = _leftovers(account)
        deleted_referenced = _deleted_while_referenced(account)
    errors = tuple(str(e.get("error")) for e in executions if e["status"] == "FAILED")
    retention = scenario.config_retention
    return Run(
        scenario=scenario.name,
        seed=seed,
        correct=correct,
        executions=len(executions),
        failed=len(errors),
        expected_failed=scenario.expected_failed,
        failed_transient=sum(1 for error in errors if error in TRANSIENT),
        false_alarms=sum(1 for error in errors if error in FALSE_ALARMS),
        left_over=None if not retention else max(0, configs - retention),
        orphans=orphans,
        deleted_referenced=deleted_referenced,
        errors=errors,
        wall_seconds=round(time.perf_counter() - began, 2),
    )


def _endpoint_ok(account: LocalDeployment) -> bool:
    return in_service(account, ENDPOINT)


def _listed(sm: Any, operation: str, key: str) -> list[dict[str, Any]]:
    """Every item of a SageMaker list call, page after page (each page looked at patiently)."""
    items: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = patiently(lambda: getattr(sm, operation)(MaxResults=100, **token))  # noqa: B023
        items.extend(page[key])
        if not page.get("NextToken"):
            return items
        token = {"NextToken": page["NextToken"]}


def _referenced(account: LocalDeployment) -> dict[str, set[str]]:
    """Every endpoint's configs (served, and pending during an update), by endpoint name."""
    sm = account.sagemaker
    found: dict[str, set[str]] = {}
    for summary in _listed(sm, "list_endpoints", "Endpoints"):
        name = summary["EndpointName"]
        described = patiently(lambda: sm.describe_endpoint(EndpointName=name))  # noqa: B023
        pending = described.get("PendingDeploymentSummary") or {}
        names = {described.get("EndpointConfigName"), pending.get("EndpointConfigName")}
        found[summary["EndpointName"]] = {name for name in names if name}
    return found


def _deleted_while_referenced(account: LocalDeployment) -> int:
    """Configs some endpoint references, and models those configs use, that do not exist."""
    sm = account.sagemaker
    configs = {c["EndpointConfigName"].lower() for c in _configs(sm)}
    models = {m["ModelName"].lower() for m in _listed(sm, "list_models", "Models")}
    missing = 0
    for name in set().union(*_referenced(account).values()):
        if name.lower() not in configs:
            missing += 1
            continue
        for kind in ("ProductionVariants", "ShadowProductionVariants"):
            used = {v["ModelName"].lower() for v in _variants(sm, name, kind)}
            missing += len(used - models)
    return missing


def _configs(sm: Any) -> list[dict[str, Any]]:
    return _listed(sm, "list_endpoint_configs", "EndpointConfigs")


def _leftovers(account: LocalDeployment) -> tuple[int, int]:
    """(endpoint configs of the endpoint but those another endpoint references, models that no
    endpoint config references)."""
    sm = account.sagemaker
    listed = _configs(sm)
    others = {
        config.lower()
        for endpoint, configs in _referenced(account).items()
        if endpoint != ENDPOINT
        for config in configs
    }
    configs = [
        c["EndpointConfigName"]
        for c in listed
        if c["EndpointConfigName"].lower().startswith(f"{ENDPOINT}-")
        and c["EndpointConfigName"].lower() not in others
    ]
    referenced = {
        variant["ModelName"].lower()
        for c in listed
        for kind in ("ProductionVariants", "ShadowProductionVariants")
        for variant in _variants(sm, c["EndpointConfigName"], kind)
    }
    models = [m["ModelName"] for m in _listed(sm, "list_models", "Models")]
    return len(configs), sum(1 for m in models if m.lower() not in referenced)


def _variants(sm: Any, config: str, kind: str) -> list[dict[str, Any]]:
    described = patiently(lambda: sm.describe_endpoint_config(EndpointConfigName=config))
    found: list[dict[str, Any]] = described.get(kind, [])
    return found


RACE_COLUMNS = (
    "scenario",
    "runs",
    "final config correct",
    "executions",
    "executions FAILED",
    "unexpected FAILED",
    "failed by transient errors",
    "false alarms",
    "configs left over",
    "orphans",
    "deleted while referenced",
    "errors",
)
RACE_TITLE = f"smdeploy: races, each run on a fresh emulator (invocation jitter 0-{JITTER} s)"


def race_rows(runs: list[Run]) -> list[tuple[str, ...]]:
    """Per scenario: runs, final config correct, executions (FAILED: all / beyond the
    scenario's own fault / by a transient error), false alarms, configs left over beyond
    retention, orphans, configs and models deleted while an endpoint referenced them.

    The expected final state: the last approval's version (approve v1, v2 at once: v2; v2,
    v1: v1; v2 then v1 again: v1), the config of the execution started last, the request
    re-run after a Failed endpoint, the request (or approval) whose crash was retried, the
    deployment after the abandoned one, every endpoint's newest request at scale; when v2 is
    rejected during its own deployment, v1 (or v3, approved after the rejection), with or
    without a rollback target, rollback on or off; when the first version is rejected while
    it creates the endpoint, no endpoint, or the rejection FAILED NoRollbackTarget."""
    by_scenario: dict[str, list[Run]] = {}
    for one in runs:
        by_scenario.setdefault(one.scenario, []).append(one)
    rows: list[tuple[str, ...]] = []
    for name, group in by_scenario.items():
        left = [r.left_over for r in group if r.left_over is not None]
        errors = sorted({error for r in group for error in r.errors})
        rows.append(
            (
                name,
                str(len(group)),
                f"{sum(r.correct for r in group)}/{len(group)}",
                str(sum(r.executions for r in group)),
                str(sum(r.failed for r in group)),
                str(sum(r.unexpected_failed for r in group)),
                str(sum(r.failed_transient for r in group)),
                str(sum(r.false_alarms for r in group)),
                str(sum(left)) if left else "-",
                str(sum(r.orphans for r in group)),
                str(sum(r.deleted_referenced for r in group)),
                ", ".join(errors) or "",
            )
        )
    return rows
