"""LocalStack's Step Functions engine, in-process, answering each Lambda invocation from a
recording (tests/interpreters/record.py), on a clock that does not sleep.

Runs only in LocalStack's own virtual environment (``make interpreters``): localstack-core
brings its own fork of moto, which the project's exact moto pin excludes.

What is replaced, and only that (each hook checks the function it replaces is still there, and
fails loudly when localstack-core changes):

- the Lambda call (``lambda_eval_utils._invoke_lambda_function``): the next recorded
  invocation must be to the same function with the same payload (once the values only a run
  can make are masked: task tokens and times); it answers as the function did;
- the callback of a ``.waitForTaskToken`` task: where the recording's came, it is sent with the
  provider's own ``SendTaskSuccess``/``SendTaskFailure`` as the function returns; where the
  task timed out, none is sent;
- time: a Retry's interval (``retrier_decl.time.sleep``), a Wait state
  (``WaitFunction._wait_interval``) and the wait for a callback (``CallbackEndpoint.wait``)
  return at once, adding the seconds to a simulated clock. LocalStack's own logic still decides
  what each wait leads to (a callback that never came is a ``States.Timeout``, decided by
  LocalStack);
- speed only: a JSONPath is parsed once (``json_path.parse``, cached). jsonpath-ng 1.7.0, the
  version LocalStack's runtime pins, builds its parser's tables again for every path it parses,
  a fifth of a second each; the same path always parses to the same expression;
- the execution's status-change event, which LocalStack sends through a gateway that does not
  exist in-process.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from localstack.aws.api import RequestContext
from localstack.services.stepfunctions import provider as provider_module
from localstack.services.stepfunctions.asl.component.common.retry import retrier_decl
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task import (
    lambda_eval_utils,
)
from localstack.services.stepfunctions.asl.component.state.state_wait.wait_function.wait_function import (  # noqa: E501
    WaitFunction,
)
from localstack.services.stepfunctions.asl.eval.callback.callback import CallbackEndpoint
from localstack.services.stepfunctions.asl.utils import json_path
from localstack.services.stepfunctions.backend.execution import Execution

ACCOUNT = "123456789012"
REGION = "us-east-1"

TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")


class LocalStackChanged(RuntimeError):
    """A function this harness replaces is no longer where it was: localstack-core changed."""


class Diverged(AssertionError):
    """LocalStack asked for something the recorded run did not."""


def masked(value: Any) -> Any:
    """``value`` with what only a run makes (a task token, a time) replaced by a mark."""
    if isinstance(value, dict):
        return {k: "<token>" if k == "TaskToken" else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return TIME.sub("<time>", value)
    return value


def _replace(owner: Any, name: str, replacement: Any) -> Any:
    original = getattr(owner, name, None)
    if original is None:
        raise LocalStackChanged(f"{getattr(owner, '__name__', owner)}.{name} is gone")
    setattr(owner, name, replacement)
    return original


@dataclass
class Replay:
    """One recording being replayed."""

    recording: dict[str, Any]
    provider: Any
    context: Any
    position: int = 0
    simulated_seconds: float = 0.0
    waits: list[tuple[str, float]] = field(default_factory=list)
    # what LocalStack asked that the recorded run did not (each also raised into the engine,
    # where it fails the task; kept here so the test names it)
    diverged: list[str] = field(default_factory=list)

    def _diverge(self, message: str) -> Diverged:
        self.diverged.append(message)
        return Diverged(message)

    def next_invocation(self, parameters: dict[str, Any]) -> dict[str, Any]:
        invocations = self.recording["Invocations"]
        payload = json.loads(parameters.get("Payload") or b"{}")
        if self.position >= len(invocations):
            raise self._diverge(f"an invocation the recorded run did not make: {parameters}")
        expected = invocations[self.position]
        self.position += 1
        asked = (parameters["FunctionName"], masked(payload))
        recorded = (expected["FunctionName"], masked(expected["Payload"]))
        if asked != recorded:
            raise self._diverge(
                f"invocation {self.position} (state {expected['State']}) differs:\n"
                f"LocalStack: {json.dumps(asked, sort_keys=True)}\n"
                f"recorded:   {json.dumps(recorded, sort_keys=True)}"
            )
        answer = expected["Answer"]
        if "Callback" in expected:
            self._call_back(payload["TaskToken"], expected["Callback"])
        if "Error" in answer:
            try:
                error_payload = json.loads(answer["Cause"])
            except (TypeError, ValueError):
                error_payload = {"errorType": answer["Error"], "errorMessage": answer["Cause"]}
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": error_payload}
        return {"StatusCode": 200, "Payload": answer["Payload"]}

    def _call_back(self, token: str, callback: dict[str, Any]) -> None:
        if "Output" in callback:
            self.provider.send_task_success(
                self.context, task_token=token, output=json.dumps(callback["Output"])
            )
        elif "Error" in callback:
            self.provider.send_task_failure(
                self.context, task_token=token, error=callback["Error"], cause=callback["Cause"]
            )
        # a timeout: no callback; the wait finds none and LocalStack times the task out


_active: Replay | None = None
_lock = threading.Lock()


def _invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
    assert _active is not None, "no replay is running"
    return _active.next_invocation(parameters)


def _sleep(seconds: float) -> None:
    assert _active is not None
    _active.simulated_seconds += seconds
    _active.waits.append(("Retry", seconds))


def _wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    assert _active is not None
    _active.simulated_seconds += wait_seconds
    _active.waits.append(("Wait", wait_seconds))


def _callback_wait(self: CallbackEndpoint, timeout: float | None = None) -> Any:
    outcome = self.get_outcome()
    if outcome is None and _active is not None and timeout is not None:
        _active.simulated_seconds += timeout
        _active.waits.append(("Callback timeout", timeout))
    return outcome


def install() -> None:
    """Put the replacements in place (once per process)."""
    _replace(lambda_eval_utils, "_invoke_lambda_function", _invoke)
    _replace(json_path, "parse", functools.cache(json_path.parse))
    if not hasattr(retrier_decl, "time"):
        raise LocalStackChanged("retrier_decl no longer sleeps with time.sleep")
    retrier_decl.time = type("SimulatedTime", (), {"sleep": staticmethod(_sleep)})
    _replace(WaitFunction, "_wait_interval", _wait_interval)
    _replace(CallbackEndpoint, "wait", _callback_wait)
    _replace(Execution, "publish_execution_status_change_event", lambda self: None)


def request_context() -> Any:
    context = RequestContext(None)
    context.account_id = ACCOUNT
    context.region = REGION
    context.partition = "aws"
    return context


@dataclass
class Result:
    status: str
    states_entered: list[str]
    end: dict[str, Any]
    history: list[dict[str, Any]]
    simulated_seconds: float
    waits: list[tuple[str, float]]
    invocations_answered: int
    diverged: list[str]


@contextmanager
def replaying(recording: dict[str, Any]) -> Iterator[Replay]:
    global _active
    provider = provider_module.StepFunctionsProvider()
    with _lock:
        _active = Replay(recording, provider, request_context())
        try:
            yield _active
        finally:
            _active = None


def replay(recording: dict[str, Any], timeout: float = 60.0) -> Result:
    """Run the recorded execution on LocalStack's engine, to its end."""
    with replaying(recording) as run:
        provider, context = run.provider, run.context
        store = provider.get_store(context)
        # an execution name is used once per state machine: the recordings' are the emulator's,
        # and the same in every run, so the last replay's execution of this name goes first
        for old in [a for a, e in store.executions.items() if e.name == recording["ExecutionName"]]:
            del store.executions[old]
        machine = provider.create_state_machine(
            context,
            {
                "name": recording["StateMachineName"],
                "roleArn": recording["RoleArn"],
                "definition": recording["Definition"],
            },
        )
        started = provider.start_execution(
            context,
            state_machine_arn=machine["stateMachineArn"],
            name=recording["ExecutionName"],
            input=json.dumps(recording["Input"]),
        )
        arn = started["executionArn"]
        deadline = time.monotonic() + timeout
        while (described := provider.describe_execution(context, arn))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s: {described}")
            time.sleep(0.005)
        events = provider.get_execution_history(context, arn)["events"]
        end: dict[str, Any] = {"Status": described["status"]}
        if described.get("output") is not None:
            end["Output"] = json.loads(described["output"])
        for key in ("error", "cause"):
            if described.get(key) is not None:
                end[key.capitalize()] = described[key]
        return Result(
            status=described["status"],
            states_entered=[
                e["stateEnteredEventDetails"]["name"]
                for e in events
                if "stateEnteredEventDetails" in e
            ],
            end=end,
            history=events,
            simulated_seconds=run.simulated_seconds,
            waits=list(run.waits),
            invocations_answered=run.position,
            diverged=list(run.diverged),
        )
