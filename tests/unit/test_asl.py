"""The state machine definition (statemachine/deployer.asl.json), checked as data.

Its Retry/Catch error names are the deployer's exception class names, and its ${...}
placeholders are what the stack and the embedded runtime fill: both contracts are checked here.
"""

import inspect
import json
from collections import deque
from pathlib import Path

import pytest

from deployer import errors, interface
from deployer.decide import components
from smdeploy import resources
from smdeploy.runtime.install import function_name, substitute

STACK_DEFINITION = Path(__file__).resolve().parents[2] / "statemachine" / "deployer.asl.json"
TEXT = resources.DEFINITION.read_text()
FUNCTIONS = {spec.placeholder: function_name(spec) for spec in interface.FUNCTIONS}
ASL = json.loads(TEXT)
STATES = ASL["States"]
TASKS = sorted(name for name, state in STATES.items() if state["Type"] == "Task")
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
# the tasks that park on a task token: they name their function in Parameters
PARKS = [task for task in TASKS if STATES[task]["Resource"] == CALLBACK]


def function_of(state):
    """The ${...} placeholder of the function a Task runs (direct or through lambda:invoke)."""
    if state["Resource"] == CALLBACK:
        return state["Parameters"]["FunctionName"]
    return state["Resource"]


NOTIFIERS = [task for task in TASKS if STATES[task]["Resource"] == "${NotifyFunctionArn}"]
STAGES = [task for task in TASKS if task not in NOTIFIERS]
LEASE_TASKS = [task for task in TASKS if STATES[task]["Resource"] == "${LeaseFunctionArn}"]
RELEASES = [task for task in LEASE_TASKS if STATES[task]["Parameters"]["Action"] == "Release"]
FAIL_STATE = "DeploymentFailed"
NOTIFY_FAILED = "NotifyFailed"
RELEASE_AFTER_FAILURE = "ReleaseAfterFailure"
# after Deploy, a failure puts the autoscaling back as Prepare found it before the release
RESCALE_AFTER_FAILURE = "RescaleAfterFailure"
# ... when the guardrails ran (their result is present)
RESCALE_IF_GUARDED = "RescaleAfterFailure?"
RESCALE_SUPERSEDED = "RescaleSuperseded"
# the tasks that put back what Prepare deregistered
RESCALES = [RESCALE_AFTER_FAILURE, RESCALE_SUPERSEDED]
# the stages but the clean-up (the releases and the rescales)
WORK_STAGES = [task for task in STAGES if task not in RELEASES and task not in RESCALES]
LAMBDA_TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
RETRIERS = [
    (task, index, retrier)
    for task in TASKS
    for index, retrier in enumerate(STATES[task].get("Retry", []))
]
RETRIED_OWN_NAMES = sorted(
    {
        (task, name)
        for task, _, retrier in RETRIERS
        for name in retrier["ErrorEquals"]
        if not name.startswith(("Lambda.", "States.", "Runtime.", "Sandbox."))
    }
)


def transitions(state):
    """Every state name this state can move to."""
    targets = []
    if "Next" in state:
        targets.append(state["Next"])
    if "Default" in state:
        targets.append(state["Default"])
    targets.extend(choice["Next"] for choice in state.get("Choices", []))
    targets.extend(catcher["Next"] for catcher in state.get("Catch", []))
    return targets


def test_definition_is_the_file_the_runtime_deploys():
    """One source: the definition smdeploy reads is the very file the stack deploys."""
    assert Path(str(resources.DEFINITION)).resolve() == STACK_DEFINITION
    assert isinstance(ASL, dict)
    assert set(ASL) >= {"StartAt", "States"}


def test_starts_at_validate():
    assert ASL["StartAt"] == "Validate"
    assert STATES["Validate"]["Type"] == "Task"


def test_the_stages_are_tasks():
    assert STAGES == [
        "Admit",
        "CheckRestore",
        "Configure",
        "Deploy",
        "DeployComponents",
        "DescribeEndpoint",
        "ParkAgain",
        "ParkUntilSettled",
        "PrepareGuardrails",
        "PrepareRestore",
        "Release",
        "ReleaseAfterFailure",
        "ReleaseSuperseded",
        "RescaleAfterFailure",
        "RescaleSuperseded",
        "ScaleVariants",
        "SmokeTest",
        "Validate",
    ]
    assert NOTIFIERS == ["NotifyFailed", "NotifySucceeded", "NotifySuperseded"]
    assert LEASE_TASKS == ["Admit", "Release", "ReleaseAfterFailure", "ReleaseSuperseded"]


@pytest.mark.parametrize("task", TASKS)
def test_task_first_retrier_covers_lambda_transient_errors(task):
    retriers = STATES[task]["Retry"]

    assert retriers, f"{task} has no Retry"
    assert set(retriers[0]["ErrorEquals"]) >= LAMBDA_TRANSIENT
    assert retriers[0].get("MaxAttempts", 3) >= 1


@pytest.mark.parametrize("task", TASKS)
def test_task_catches_everything_as_its_last_catcher(task):
    catchers = STATES[task]["Catch"]
    catch_all = [c for c in catchers if c["ErrorEquals"] == ["States.ALL"]]

    assert len(catch_all) == 1, f"{task} has no single States.ALL catcher"
    assert catchers[-1] is catch_all[0], "States.ALL must be the last catcher"


@pytest.mark.parametrize("task", WORK_STAGES)
def test_a_stage_failure_is_published_then_fails_the_execution(task):
    # DeploymentFailed reads $.Failure.Error and $.Failure.Cause: every stage's catcher puts
    # its {Error, Cause} there (Validate through a Pass, as its input may not be an object);
    # once Validate has passed, the endpoint is released on the way (ReleaseAfterFailure).
    catcher = STATES[task]["Catch"][-1]
    if catcher["Next"] in (RELEASE_AFTER_FAILURE, RESCALE_IF_GUARDED):
        assert catcher.get("ResultPath") == "$.Failure"
        assert STATES[RELEASE_AFTER_FAILURE]["Next"] == NOTIFY_FAILED
    else:
        assert catcher.get("ResultPath", "$") == "$"
        carrier = STATES[catcher["Next"]]
        assert carrier["Type"] == "Pass"
        assert carrier["Parameters"] == {"Failure.$": "$"}
        assert carrier["Next"] == NOTIFY_FAILED
    assert STATES[NOTIFY_FAILED]["Next"] == FAIL_STATE


@pytest.mark.parametrize("task", NOTIFIERS)
def test_notify_keeps_the_state_and_its_own_failure_apart(task):
    state = STATES[task]
    catcher = state["Catch"][-1]

    assert state["ResultPath"] is None, "the output must stay the deployment's"
    # a publishing error never overwrites the deployment's own error under $.Failure
    assert catcher["ResultPath"] == "$.NotificationFailure"
    assert state["Parameters"]["State.$"] == "$"
    assert state["Parameters"]["Input.$"] == "$$.Execution.Input"
    assert "NotificationFailed" in {n for r in state["Retry"] for n in r["ErrorEquals"]}


@pytest.mark.parametrize(
    ("task", "release"),
    [(RESCALE_AFTER_FAILURE, RELEASE_AFTER_FAILURE), (RESCALE_SUPERSEDED, "ReleaseSuperseded")],
)
def test_a_path_that_does_not_deploy_puts_autoscaling_back_then_releases(task, release):
    # the guardrails' putting back never hides the deployment's own error ($.Failure)
    rescale = STATES[task]
    assert rescale["Parameters"]["Action"] == "Rescale"
    assert rescale["Parameters"]["Prepared.$"] == "$.Guardrails"
    assert rescale["ResultPath"] == "$.Rescaled"
    assert rescale["Catch"][-1] == {
        "ErrorEquals": ["States.ALL"],
        "ResultPath": "$.RescaleFailure",
        "Next": release,
    }
    assert rescale["Next"] == release


def test_a_failure_after_prepare_puts_autoscaling_back_when_the_guardrails_ran():
    for task in (
        "Deploy",
        "ParkUntilSettled",
        "ParkAgain",
        "DescribeEndpoint",
        "SmokeTest",
        "CheckRestore",
        "ScaleVariants",
    ):
        assert STATES[task]["Catch"][-1]["Next"] == RESCALE_IF_GUARDED, task
    guarded = STATES[RESCALE_IF_GUARDED]
    assert guarded["Choices"] == [
        {"Variable": "$.Guardrails", "IsPresent": True, "Next": RESCALE_AFTER_FAILURE}
    ]
    assert guarded["Default"] == RELEASE_AFTER_FAILURE
    # Prepare puts back its own deregistrations when it fails: nothing of it to restore
    assert STATES["PrepareGuardrails"]["Catch"][-1]["Next"] == RELEASE_AFTER_FAILURE


def test_superseded_at_deploy_puts_back_what_prepare_deregistered_before_letting_go():
    assert STATES["SupersededAtDeploy"]["Next"] == "RescaleSuperseded?"
    choice = STATES["RescaleSuperseded?"]
    assert choice["Choices"] == [
        {"Variable": "$.Guardrails", "IsPresent": True, "Next": RESCALE_SUPERSEDED}
    ]
    assert choice["Default"] == "ReleaseSuperseded"
    assert STATES["SupersededAtDescribe"]["Next"] == "ReleaseSuperseded"
    assert STATES["ReleaseSuperseded"]["Next"] == "Superseded"


def test_no_guardrail_step_runs_when_none_is_configured_nor_left_on_the_endpoint():
    assert STATES["Configure"]["Next"] == "GuardrailsToRun?"
    before = STATES["GuardrailsToRun?"]
    assert before["Choices"] == [
        {"Variable": "$.Lease.Guardrails", "BooleanEquals": True, "Next": "PrepareGuardrails"}
    ]
    assert before["Default"] == "Deploy"
    after = STATES["GuardrailsAfterUpdate?"]
    assert after["Choices"] == [
        {"Variable": "$.Guardrails", "IsPresent": True, "Next": "SmokeTest"}
    ]
    assert after["Default"] == "Release"


def test_the_inference_components_are_looked_at_until_done_with_a_wait_between():
    # only a request with inference components (Validate starts their progress) has any
    to_components = STATES["EndpointReady?"]["Choices"][1]
    assert to_components["Next"] == "DeployComponents"
    assert {"Variable": "$.Components", "IsNull": False} in to_components["And"]
    assert STATES["DeployComponents"]["Next"] == "ComponentsReady?"
    assert STATES["DeployComponents"]["ResultPath"] == "$.Components"
    assert STATES["DeployComponents"]["Catch"][-1]["Next"] == "RescaleAfterFailure?"
    assert STATES["ComponentsReady?"]["Default"] == "WaitForComponents"
    wait = STATES["WaitForComponents"]
    assert (wait["Type"], wait["Next"]) == ("Wait", "DeployComponents")
    # no event tells an IC's change: the outcome is known within 30 s of it
    assert wait["Seconds"] == components.POLL_SECONDS <= 30
    # its throttling is SageMaker's (the IC calls) or Application Auto Scaling's (whether an
    # autoscaler owns the copy count): both retried until the deadline
    throttled = [r["ErrorEquals"] for r in STATES["DeployComponents"]["Retry"]]
    assert ["GuardrailThrottled", "SageMakerThrottled"] in throttled


def test_the_guardrails_run_under_the_lease_around_deploy():
    assert STATES["GuardrailsToRun?"]["Choices"][0]["Next"] == "PrepareGuardrails"
    assert STATES[STATES["PrepareGuardrails"]["Next"]]["Next"] == "Deploy"
    done = [c for c in STATES["EndpointReady?"]["Choices"] if "Outcome" not in json.dumps(c)]
    # the inference components (if any) are deployed on the endpoint first, then the same way
    assert [c["Next"] for c in done] == ["DeployComponents", "GuardrailsAfterUpdate?"]
    assert STATES["ComponentsReady?"]["Choices"][0]["Next"] == "GuardrailsAfterUpdate?"
    passed = STATES["SmokeTestPassed?"]
    assert passed["Choices"][0]["Next"] == "ScaleVariants"
    assert passed["Default"] == "WaitForRestore"
    assert STATES["ScaleVariants"]["Next"] == "Release"
    assert STATES["CheckRestore"]["Next"] == "WaitForRestore"


@pytest.mark.parametrize("task", RELEASES)
def test_a_release_failure_never_hides_the_outcome(task):
    # A failed release is harmless (a lease whose holder has ended is taken over): it is kept
    # apart from the deployment's own error and the execution goes on along its path.
    state = STATES[task]
    catcher = state["Catch"][-1]

    assert state["ResultPath"] is None
    assert catcher["ResultPath"] == "$.ReleaseFailure"
    assert catcher["Next"] == state["Next"]


def _reachable(start, avoiding):
    seen, queue = {start}, deque([start])
    while queue:
        for target in transitions(STATES[queue.popleft()]):
            if target not in seen and target not in avoiding:
                seen.add(target)
                queue.append(target)
    return seen


def test_the_lease_is_released_on_every_path_that_may_hold_it():
    # From Admit on, the only ways to an ending go through a Release state, or through Admit's
    # superseded decision, which already let the endpoint go (Admit writes it so), or a
    # rejection that needed no rollback (Admit recorded the rejection, and no claim of it).
    # Deploy's yield keeps the lease: its path releases it (after putting autoscaling back).
    let_go = {*RELEASES, "SupersededAtAdmit", "NothingToRollBack"}
    ends = {name for name, state in STATES.items() if state.get("End") or state["Type"] == "Fail"}
    ends |= set(NOTIFIERS)

    assert _reachable("Admit", let_go) & ends == set()


def test_a_waiting_deployment_asks_for_the_lease_again():
    choice = STATES[STATES["Admit"]["Next"]]
    wait = STATES["WaitForLease"]

    assert {c["StringEquals"]: c["Next"] for c in choice["Choices"]} == {
        "SUPERSEDED": "SupersededAtAdmit",
        "WAIT": "WaitForLease",
        "NOT_NEEDED": "NothingToRollBack",
        "RESTORE": "PrepareRestore",
    }
    assert choice["Default"] == "Configure"
    assert wait["SecondsPath"] == "$.Lease.WaitSeconds"
    assert wait["Next"] == "Admit"


def test_a_rejection_that_holds_the_endpoint_puts_the_config_served_before_back_as_a_request():
    # RESTORE: the Configure function builds the request of the config to put back; it
    # replaces the execution's request, and the usual stages (Configure on) deploy it
    prepare = STATES["PrepareRestore"]
    use = STATES[prepare["Next"]]

    assert prepare["Resource"] == STATES["Configure"]["Resource"]
    assert prepare["Parameters"]["Action"] == "Restore"
    assert prepare["Parameters"]["EndpointConfigName.$"] == "$.Lease.Claim.EndpointConfigName"
    assert prepare["Catch"][-1]["Next"] == "ReleaseAfterFailure"  # it holds the lease
    assert (use["InputPath"], use["ResultPath"], use["Next"]) == (
        "$.Restoring.Request",
        "$.Request",
        "Configure",
    )


def test_a_superseded_deployment_is_published_as_such_and_succeeds():
    assert STATES["Superseded"]["Next"] == "NotifySuperseded"
    assert STATES["NotifySuperseded"]["Parameters"]["Status"] == "Superseded"
    assert STATES["NotifySuperseded"]["End"] is True


def test_no_lease_outlives_the_execution_time_limit():
    assert ASL["TimeoutSeconds"] == interface.EXECUTION_TIMEOUT_SECONDS


def test_failed_deployment_ends_failed_even_when_publishing_fails():
    assert STATES[NOTIFY_FAILED]["Catch"][-1]["Next"] == FAIL_STATE


def test_succeeded_deployment_whose_outcome_cannot_be_published_fails_loudly():
    target = STATES["NotifySucceeded"]["Catch"][-1]["Next"]

    assert STATES[target]["Type"] == "Fail"
    assert STATES[target]["Error"] == "NotificationFailed"
    assert STATES[target]["CausePath"] == "$.NotificationFailure.Cause"


def test_every_success_is_published_and_nothing_else_ends_well():
    ends = sorted(name for name, state in STATES.items() if state.get("End"))

    assert ends == ["NotifySucceeded", "NotifySuperseded"]
    assert STATES["DeploymentSucceeded"]["Next"] == "NotifySucceeded"
    assert STATES["NothingToDeploy"]["Next"] == "NotifySucceeded"


def test_a_skip_from_validate_deploys_nothing():
    choice = STATES[STATES["Validate"]["Next"]]

    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [
        {"Variable": "$.Skip", "IsPresent": True, "Next": "NothingToDeploy"}
    ]
    assert choice["Default"] == "Admit"


def test_fail_state_reports_error_and_cause():
    fail = STATES[FAIL_STATE]

    assert fail["Type"] == "Fail"
    assert fail["ErrorPath"] == "$.Failure.Error"
    assert fail["CausePath"] == "$.Failure.Cause"


@pytest.mark.parametrize(
    ("task", "name"), RETRIED_OWN_NAMES, ids=[f"{t}-{n}" for t, n in RETRIED_OWN_NAMES]
)
def test_retried_name_is_a_deployer_error(task, name):
    error = getattr(errors, name, None)

    assert inspect.isclass(error), f"{task} retries {name}, which deployer.errors lacks"
    assert issubclass(error, errors.DeployerError)


# The deployer's errors that mean "try again": the state machine retries each somewhere, and
# no other (a request SageMaker refused, or an endpoint that cannot be updated, is final).
TRANSIENT = {
    "EndpointConfigNotVisible",
    "EndpointBusy",
    "EndpointReplacing",
    "LeaseContention",
    "EndpointCreateRace",
    "SageMakerThrottled",
    "GuardrailThrottled",
    "NotificationFailed",
}


def test_exactly_the_transient_errors_are_retried():
    assert {name for _, name in RETRIED_OWN_NAMES} == TRANSIENT
    assert "EndpointNotUpdatable" not in TRANSIENT


@pytest.mark.parametrize("task", ["Configure", "Deploy", "DescribeEndpoint"])
def test_stages_that_call_sagemaker_retry_throttling(task):
    names = {name for retrier in STATES[task]["Retry"] for name in retrier["ErrorEquals"]}

    assert "SageMakerThrottled" in names


def test_deploy_retries_config_visibility_with_bounded_jittered_backoff():
    [retrier] = [
        r for r in STATES["Deploy"]["Retry"] if r["ErrorEquals"] == ["EndpointConfigNotVisible"]
    ]

    assert retrier["BackoffRate"] > 1
    assert retrier["JitterStrategy"] == "FULL"
    assert 1 <= retrier["MaxAttempts"] <= 20
    assert retrier["IntervalSeconds"] >= 1


@pytest.mark.parametrize(
    ("task", "index", "retrier"),
    RETRIERS,
    ids=[f"{task}-{index}" for task, index, _ in RETRIERS],
)
def test_retrier_is_well_formed(task, index, retrier):
    assert "States.ALL" not in retrier["ErrorEquals"]
    assert retrier["ErrorEquals"], "ErrorEquals must not be empty"
    assert isinstance(retrier.get("MaxAttempts", 3), int)
    # EndpointBusy is retried for as long as an update policy may run (8 hours and more), the
    # transient errors until the deadline (at most the execution's 24 hours)
    assert 0 <= retrier.get("MaxAttempts", 3) <= 3000
    assert retrier.get("BackoffRate", 2.0) >= 1
    assert retrier.get("JitterStrategy", "NONE") in ("FULL", "NONE")


def test_placeholders_are_exactly_the_runtime_functions():
    assert set(interface.placeholders(TEXT)) == set(FUNCTIONS)


def test_each_stage_resource_is_one_placeholder():
    named = {function_of(STATES[task]) for task in TASKS}

    assert sorted(named) == sorted(f"${{{name}}}" for name in FUNCTIONS)


def test_substitute_fills_every_placeholder_and_keeps_context_paths():
    arns = {
        name: f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
        for name, function in FUNCTIONS.items()
    }

    filled = substitute(TEXT, arns)
    definition = json.loads(filled)

    assert "${" not in filled
    for task in TASKS:
        state = definition["States"][task]
        assert function_of(state) == arns[function_of(STATES[task])[2:-1]]
        parameters = state["Parameters"].get("Payload", state["Parameters"])
        assert parameters["Execution.$"] == "$$.Execution.Name"
    assert filled.count("$$.Execution.Name") == TEXT.count("$$.Execution.Name") == len(TASKS)
    assert filled.count("$$.State.EnteredTime") == TEXT.count("$$.State.EnteredTime") > 0


def test_substitute_names_a_missing_placeholder():
    values = {name: "arn" for name in FUNCTIONS if name != "DeployFunctionArn"}

    with pytest.raises(KeyError, match=r"\$\{DeployFunctionArn\}"):
        substitute(TEXT, values)


@pytest.mark.parametrize("name", sorted(STATES))
def test_every_transition_names_an_existing_state(name):
    for target in transitions(STATES[name]):
        assert target in STATES, f"{name} moves to unknown state {target!r}"


@pytest.mark.parametrize("name", sorted(STATES))
def test_every_state_either_moves_on_or_ends(name):
    state = STATES[name]
    if state["Type"] in ("Fail", "Succeed"):
        assert "Next" not in state
    elif state["Type"] == "Choice":
        assert state["Choices"]
        assert "Default" in state
    else:
        assert ("Next" in state) != bool(state.get("End")), name


def test_every_state_is_reachable_from_start():
    seen = {ASL["StartAt"]}
    queue = deque(seen)
    while queue:
        for target in transitions(STATES[queue.popleft()]):
            if target not in seen:
                seen.add(target)
                queue.append(target)

    assert seen == set(STATES)


def test_the_parks_hand_their_token_to_the_wait_function_and_time_out_into_a_describe():
    assert sorted(PARKS) == ["ParkAgain", "ParkUntilSettled"]
    # how long each park lasts: what Deploy, then Describe, said (never past the deadline)
    assert STATES["ParkUntilSettled"]["TimeoutSecondsPath"] == "$.Deployment.ParkSeconds"
    assert STATES["ParkAgain"]["TimeoutSecondsPath"] == "$.Endpoint.ParkSeconds"
    assert STATES["Deploy"]["ResultPath"] == "$.Deployment"
    assert STATES["DescribeEndpoint"]["ResultPath"] == "$.Endpoint"
    for park in PARKS:
        state = STATES[park]
        assert "TimeoutSeconds" not in state
        assert state["Parameters"]["FunctionName"] == "${WaitFunctionArn}"
        assert state["Parameters"]["Payload"]["TaskToken.$"] == "$$.Task.Token"
        catchers = {tuple(c["ErrorEquals"]): c for c in state["Catch"]}
        # the safety net: no event in time, the Describe state looks itself
        assert catchers[("States.Timeout",)]["Next"] == "DescribeEndpoint"
        assert catchers[("States.Timeout",)]["ResultPath"] == state["ResultPath"]
        # a failure while parked: autoscaling registered again, then the endpoint released
        assert catchers[("States.ALL",)]["Next"] == RESCALE_IF_GUARDED
        assert state["Next"] == "DescribeEndpoint"
        assert STATES["DescribeEndpoint"]["Parameters"]["Woken.$"] == state["ResultPath"]
    assert STATES["AlreadyDeployed?"]["Default"] == "ParkUntilSettled"
    assert STATES["EndpointReady?"]["Default"] == "ParkAgain"


# What Lambda reports when the function's runtime dies: a crash or a kill (Runtime.ExitError),
# out of memory (Runtime.OutOfMemory), its timeout (Sandbox.Timedout), or an unhandled runtime
# failure as Step Functions names it (Lambda.Unknown); the Task's own TimeoutSeconds is
# States.Timeout. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
# https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
# https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html
CRASHES = {"Runtime.ExitError", "Runtime.OutOfMemory", "Sandbox.Timedout", "Lambda.Unknown"}
TRANSIENT_OWN = {
    name
    for name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.Transient) and cls is not errors.Transient
}


@pytest.mark.parametrize("task", TASKS)
def test_every_task_retries_a_crashed_runtime_with_bounded_jittered_backoff(task):
    [retrier] = [r for r in STATES[task]["Retry"] if set(r["ErrorEquals"]) >= CRASHES]

    assert 2 <= retrier["MaxAttempts"] <= 10  # a crash every time still ends, and is reported
    assert retrier["BackoffRate"] > 1
    assert retrier["JitterStrategy"] == "FULL"
    # a park's timeout is its wake, never a crash; another task's timeout is retried
    assert ("States.Timeout" in retrier["ErrorEquals"]) is (task not in PARKS)


def test_the_transient_errors_are_the_throttling_and_lease_races():
    assert {"SageMakerThrottled", "GuardrailThrottled", "LeaseContention"} == TRANSIENT_OWN


# The work stages retry transient errors until the deployment's deadline (the clean-up, and the
# notifications, keep a bounded number of attempts: they run after the deadline too).
@pytest.mark.parametrize("task", WORK_STAGES)
def test_transient_errors_are_retried_until_the_deadline_not_a_number_of_times(task):
    state = STATES[task]
    retriers = [r for r in state["Retry"] if set(r["ErrorEquals"]) & TRANSIENT_OWN]
    params = state["Parameters"].get("Payload", state["Parameters"])

    assert retriers, f"{task} retries no transient error"
    for retrier in retriers:
        assert set(retrier["ErrorEquals"]) <= TRANSIENT_OWN
        assert retrier["JitterStrategy"] == "FULL"
        assert retrier["MaxDelaySeconds"] <= 60  # capped: no retry waits long past a recovery
        # full jitter waits half the cap on average: the attempts outlast the longest deadline
        assert retrier["MaxAttempts"] * retrier["MaxDelaySeconds"] / 2 >= (
            interface.DEADLINE_MAX_SECONDS
        )
    # the stage has the deadline, to stop retrying once it has passed
    if task == "Validate":
        assert params["StartTime.$"] == "$$.Execution.StartTime"
    else:
        assert params["Deadline.$"] == "$.Deadline"


def test_the_deadline_counts_from_the_execution_start():
    assert STATES["StartDeadline"]["Parameters"]["StartedAt.$"] == "$$.Execution.StartTime"
