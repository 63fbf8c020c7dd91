"""The scenario matrix of the deployer's state machine on moto's interpreter, recorded for a
second one (issue 21, item 1).

Each scenario runs the real ``deployer.asl.json`` and the real handlers against the embedded
emulator (moto's Step Functions interpreter, which is LocalStack's, ported), checks the
outcome it must have, and writes a recording of one execution: the definition as installed,
the execution's input, every Lambda invocation the interpreter made (its function, its
payload, and what answered it: the function's output or error, and for a
``.waitForTaskToken`` task the callback that came or the timeout), and what the execution
did (its status, the states it entered in order, its output or error and cause).

``test_localstack.py``, in LocalStack's own virtual environment, replays each recording on
LocalStack's Step Functions engine: the same definition, the same input, each invocation
answered as recorded. The two interpreters agree when LocalStack sends the same payloads,
enters the same states and ends with the same output or error.

    python tests/interpreters/record.py OUT_DIR      # make interpreters runs it

Exits non-zero, naming the scenario, when moto's run does not have its expected outcome.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from e2e_helpers import (  # noqa: E402
    disable_sweep,
    load_example,
    start,
    states_entered,
    wait_until_entered,
)
from test_guardrails import SCALING, SMOKE, guarded  # noqa: E402

from smdeploy.executions import history  # noqa: E402
from smdeploy.runtime.emulator import Faults  # noqa: E402
from smdeploy.runtime.local import LocalDeployment  # noqa: E402

Run = Callable[[LocalDeployment], str]  # runs the scenario; the ARN of the execution to record


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Run
    status: str  # SUCCEEDED or FAILED
    error: str | None = None  # the execution's error, when it failed
    faults: dict[str, Any] = field(default_factory=dict)
    # states the recorded execution must enter (beyond the end its status implies)
    through: tuple[str, ...] = ()
    # errors its tasks must have met on the way (each retried or caught)
    met: tuple[str, ...] = ()
    deadline_seconds: int | None = None


def deployed(account: LocalDeployment, *requests: dict[str, Any]) -> str:
    """Deploy each request in turn; the last one's execution."""
    for request in requests:
        outcome = account.deploy(request)
    return outcome.execution_arn


def v1_then_v2(account: LocalDeployment) -> str:
    return deployed(account, load_example("request.json"), load_example("request-v2.json"))


def first(account: LocalDeployment) -> str:
    return deployed(account, load_example("request.json"))


def events_lost(account: LocalDeployment) -> str:
    disable_sweep(account.client("scheduler"))  # nothing wakes the park: it times out
    return first(account)


def sized(count: int) -> dict[str, Any]:
    request = copy.deepcopy(load_example("request.json"))
    request["ProductionVariants"][0]["InitialInstanceCount"] = count
    return request


def superseded(account: LocalDeployment) -> str:
    """Three deployments of one endpoint meet: while the first holds it, the third supersedes
    the second, which waits for the first."""
    with account.emulator.scheduler.held():
        holder = start(account, sized(1))
        wait_until_entered(account, holder, "ParkUntilSettled")
        waiting, newest = start(account, sized(2)), start(account, sized(3))
    for arn in (holder, waiting, newest):
        account.follow(arn)
    return waiting


def smoke_test_fails_on_update(account: LocalDeployment) -> str:
    return deployed(
        account,
        guarded(1, guardrails={"AutoScaling": SCALING}),
        guarded(
            2, instance_type="ml.c5.xlarge", guardrails={"AutoScaling": SCALING, "SmokeTest": SMOKE}
        ),
    )


def components(account: LocalDeployment) -> str:
    """An endpoint and its inference components, looked at every 15 s until done."""
    return deployed(account, load_example("inference-components-request.json"))


def invalid(account: LocalDeployment) -> str:
    request = load_example("request.json")
    request["ProductionVariants"][0]["InitialInstanceCount"] = 0
    return deployed(account, request)


SCENARIOS = (
    Scenario(
        "first-deployment-woken-by-its-event", first, "SUCCEEDED", through=("ParkUntilSettled",)
    ),
    Scenario("update", v1_then_v2, "SUCCEEDED", through=("ParkUntilSettled",)),
    Scenario("invalid-request", invalid, "FAILED", "RequestInvalid"),
    Scenario(
        "config-not-yet-visible",
        first,
        "SUCCEEDED",
        faults={"config_visibility_lag": 2},
        met=("EndpointConfigNotVisible",) * 2,
    ),
    Scenario(
        "throttled",
        first,
        "SUCCEEDED",
        faults={"throttle": {"DescribeEndpoint": 2, "CreateEndpointConfig": 1}},
        met=("SageMakerThrottled",) * 3,
    ),
    Scenario(
        "crash-then-retry",
        first,
        "SUCCEEDED",
        faults={"crash_after": "CreateEndpoint", "times": 1},
        met=("Runtime.ExitError",),
    ),
    Scenario(
        "park-timeout",
        events_lost,
        "SUCCEEDED",
        faults={"drop_endpoint_events": 1.0},
        met=("States.Timeout",),
    ),
    Scenario("superseded", superseded, "SUCCEEDED", through=("Superseded", "NotifySuperseded")),
    Scenario(
        "endpoint-failed",
        first,
        "FAILED",
        "EndpointFailed",
        faults={"fail_endpoint": "insufficient capacity"},
    ),
    Scenario(
        "silent-rollback",
        v1_then_v2,
        "FAILED",
        "EndpointUpdateRolledBack",
        faults={"rollback_update": "alarm tripped"},
    ),
    Scenario(
        "smoke-test-failed-old-config-restored",
        smoke_test_fails_on_update,
        "FAILED",
        "SmokeTestFailed",
        faults={"fail_invoke": "model not loaded"},
        through=("SmokeTest", "WaitForRestore", "CheckRestore"),
    ),
    Scenario(
        "inference-components",
        components,
        "SUCCEEDED",
        through=("DeployComponents", "WaitForComponents", "ComponentsReady?"),
    ),
    Scenario(
        "inference-component-failed",
        components,
        "FAILED",
        "ComponentFailed",
        faults={"fail_component": "CUDA out of memory"},
        through=("DeployComponents", "WaitForComponents"),
    ),
    Scenario(
        "deadline",
        first,
        "FAILED",
        "DeploymentTimedOut",
        faults={"creation_seconds": 7200},
    ),
)


def invocations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every Lambda invocation in an execution's history, in order, with what answered it."""
    found: list[dict[str, Any]] = []
    state = None
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            state = event["stateEnteredEventDetails"]["name"]
        elif kind == "LambdaFunctionScheduled":
            details = event["lambdaFunctionScheduledEventDetails"]
            found.append(
                {
                    "State": state,
                    "FunctionName": details["resource"],
                    "Payload": json.loads(details["input"]),
                }
            )
        elif kind == "LambdaFunctionSucceeded":
            found[-1]["Answer"] = {
                "Payload": json.loads(event["lambdaFunctionSucceededEventDetails"]["output"])
            }
        elif kind == "LambdaFunctionFailed":
            details = event["lambdaFunctionFailedEventDetails"]
            found[-1]["Answer"] = {"Error": details["error"], "Cause": details["cause"]}
        elif kind == "TaskScheduled":
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            found.append(
                {
                    "State": state,
                    "FunctionName": parameters["FunctionName"],
                    "Payload": parameters["Payload"],
                    "WaitForTaskToken": True,
                }
            )
        elif kind == "TaskSubmitted":
            output = json.loads(event["taskSubmittedEventDetails"]["output"])
            found[-1]["Answer"] = {"Payload": output["Payload"]}
        elif kind == "TaskSucceeded":
            output = json.loads(event["taskSucceededEventDetails"]["output"])
            found[-1]["Callback"] = {"Output": output}
        elif kind == "TaskTimedOut":
            found[-1]["Callback"] = {"TimedOut": True}
        elif kind == "TaskFailed":
            details = event["taskFailedEventDetails"]
            failure = {"Error": details.get("error"), "Cause": details.get("cause")}
            found[-1]["Callback" if "Answer" in found[-1] else "Answer"] = failure
        elif kind == "LambdaFunctionTimedOut":
            raise SystemExit(f"a Lambda task timed out: not replayable ({event})")
    return found


def ended(account: LocalDeployment, arn: str) -> dict[str, Any]:
    described = account.stepfunctions.describe_execution(executionArn=arn)
    end: dict[str, Any] = {"Status": described["status"]}
    if "output" in described:
        end["Output"] = json.loads(described["output"])
    for key in ("error", "cause"):
        if key in described:
            end[key.capitalize()] = described[key]
    return end


def problems(scenario: Scenario, events: list[dict[str, Any]], end: dict[str, Any]) -> list[str]:
    """How moto's run differs from what the scenario must do."""
    entered = states_entered(events)
    met = [
        details["error"]
        for e in events
        for key in (
            "lambdaFunctionFailedEventDetails",
            "taskFailedEventDetails",
            "taskTimedOutEventDetails",
        )
        if (details := e.get(key)) is not None
    ]
    found = []
    if end["Status"] != scenario.status or end.get("Error") != scenario.error:
        found.append(f"ended {end['Status']} {end.get('Error')}: {end.get('Cause')}")
    found += [f"never entered {s}" for s in scenario.through if s not in entered]
    if scenario.met and [e for e in met if e in scenario.met] != list(scenario.met):
        found.append(f"met {met}, expected {list(scenario.met)} among them")
    return found


def record(scenario: Scenario) -> dict[str, Any]:
    with LocalDeployment(
        faults=Faults(**scenario.faults), seed=1, deadline_seconds=scenario.deadline_seconds
    ) as account:
        arn = scenario.run(account)
        events = history(account.stepfunctions, arn)
        end = ended(account, arn)
        found = problems(scenario, events, end)
        if found:
            raise SystemExit(f"{scenario.name} on moto: " + "; ".join(found))
        described = account.stepfunctions.describe_execution(executionArn=arn)
        machine = account.stepfunctions.describe_state_machine(
            stateMachineArn=described["stateMachineArn"]
        )
        return {
            "Scenario": scenario.name,
            "StateMachineName": machine["name"],
            "RoleArn": machine["roleArn"],
            "Definition": machine["definition"],
            "ExecutionName": described["name"],
            "Input": json.loads(described["input"]),
            "Invocations": invocations(events),
            "StatesEntered": states_entered(events),
            "End": end,
        }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for scenario in SCENARIOS:
        recording = record(scenario)
        (out / f"{scenario.name}.json").write_text(json.dumps(recording, indent=1) + "\n")
        calls = len(recording["Invocations"])
        print(f"{scenario.name}: {recording['End']['Status']}, {calls} invocations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
