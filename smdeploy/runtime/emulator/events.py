"""EventBridge delivers to Step Functions state machines and Lambda functions.

moto matches rule patterns but cannot deliver to a state machine or a Lambda target; here a
matching rule starts an execution of the target state machine, named as EventBridge names
them (a generated UUID: a target has no name field), with the whole event as input (or the
target's ``Input``, a simple ``InputPath``, or an ``InputTransformer``), and invokes a Lambda
target asynchronously (retried twice on a function error, as Lambda does). The event's
``time`` is written as AWS writes it. Every delivery is recorded; so is each invocation of a
function that answers with the execution it started (``ExecutionArn``: smdeploy's Start
function, the deployer's trigger rules' target), or that failed. Other target kinds stay
moto's own.

S3 "Object Created" events need no hook: moto already sends them to EventBridge rules for
buckets whose notification configuration has ``EventBridgeConfiguration``. moto gives every
S3 event the same ``id``; delivery gives such events a fresh one.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.core.exceptions import JsonRESTError
from moto.events.models import Rule
from moto.events.utils import _BASE_EVENT_MESSAGE, EventTemplateParser
from moto.stepfunctions.responses import get_backend as stepfunctions_backend
from moto.utilities.arns import parse_arn

from smdeploy.runtime.emulator.state import Delivery, EmulatorState

ASYNC_ATTEMPTS = 3  # an asynchronous invocation and Lambda's two retries of it


def aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event as EventBridge hands it to a target.

    moto keeps ``time`` in epoch seconds (AWS writes ISO 8601, to the second, in UTC), adds
    an ``ingestion-time`` of its own, and gives every S3 event one constant ``id``.
    """
    out = {key: value for key, value in event.items() if key != "ingestion-time"}
    when = out.get("time")
    if isinstance(when, int | float) or (isinstance(when, str) and _is_number(when)):
        moment = _dt.datetime.fromtimestamp(float(when), tz=_dt.UTC)
        out["time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if out.get("id") == _BASE_EVENT_MESSAGE["id"]:
        out["id"] = str(uuid.uuid4())
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """The execution input a target gets: its constant ``Input``, the part of the event its
    ``InputPath`` selects, what its ``InputTransformer`` makes, or else the whole event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return json.dumps(_select(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        made = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
        return json.dumps(made)
    return json.dumps(event)


def _select(event: dict[str, Any], path: str) -> Any:
    """A simple JSONPath: ``$`` or ``$.a.b`` (what an ``InputPath`` usually is)."""
    if path != "$" and not path.startswith("$."):
        raise ValueError(f"InputPath {path!r}: only $ and $.a.b paths are emulated")
    value: Any = event
    for key in path.split(".")[1:]:
        if not isinstance(value, dict) or key not in value:
            raise ValueError(f"InputPath {path!r} selects nothing in the event")
        value = value[key]
    return value


class EventsHooks(EmulatorState):
    """The emulator's EventBridge delivery."""

    def deliver(self, rule: str, target: dict[str, Any], event: dict[str, Any]) -> Delivery:
        """Start an execution of the target state machine for ``event``, as EventBridge does:
        a generated name, the target's input. A failure is recorded, never raised (EventBridge
        counts a failed invocation; the PutEvents call that caused it still succeeds).

        (moto's S3 notifications ask rules not to transform their events; that is about
        moto's default template, so the target's Input/InputPath still apply here, as on AWS.)
        """
        event = aws_event(event)
        arn = target["Arn"]
        parsed = parse_arn(arn)
        try:
            text = target_input(target, event)
            execution = stepfunctions_backend(parsed.account, parsed.region).start_execution(
                arn, str(uuid.uuid4()), text
            )
            execution_arn, error = str(execution.execution_arn), None
        except (JsonRESTError, ValueError) as failure:
            execution_arn, error = None, f"{type(failure).__name__}: {failure}"
        delivery = Delivery(rule, event["source"], event["detail-type"], arn, execution_arn, error)
        self._delivered(delivery)
        return delivery

    def _delivered(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)

    def invoke_target(
        self, rule: str, target: dict[str, Any], event: dict[str, Any], attempt: int = 1
    ) -> None:
        """Invoke a Lambda target asynchronously, as EventBridge does: the function gets the
        event (or the target's input); a function error is retried twice, one and then two
        simulated minutes later, as Lambda retries asynchronous invocations
        (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
        """
        arn = target["Arn"]
        parsed = parse_arn(arn)
        event = aws_event(event)
        error: str | None = None
        answer: Any = None
        try:
            function = lambda_backend(parsed.account, parsed.region).get_function(arn)
            payload = json.loads(target_input(target, event))
        except (JsonRESTError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        else:
            headers: dict[str, str] = {}
            answer = json.loads(self.run_handler(function, payload, headers))
            if headers.get("x-amz-function-error"):
                error = f"{answer.get('errorType')}: {answer.get('errorMessage')}"
                if attempt < ASYNC_ATTEMPTS:
                    self.scheduler.after(
                        60.0 * attempt,
                        functools.partial(self.invoke_target, rule, target, event, attempt + 1),
                        "lambda retry",
                    )
        self.invocations.append((rule, arn, error))
        started = answer.get("ExecutionArn") if isinstance(answer, dict) and not error else None
        if error is not None or isinstance(started, str):
            existing = bool(answer.get("AlreadyStarted")) if started else False
            source, detail_type = event.get("source", ""), event.get("detail-type", "")
            self._delivered(Delivery(rule, source, detail_type, arn, started, error, existing))


def send_to_targets(emulator: EmulatorState, original: Any) -> Callable[..., None]:
    """A rule's delivery (a row of :data:`.hooks.HOOKS`): state machine and Lambda targets
    are the emulator's (:meth:`EventsHooks.deliver`, :meth:`EventsHooks.invoke_target`),
    every other target kind stays moto's own."""

    def send_to_targets(
        rule: Rule, original_event: dict[str, Any], transform_input: bool = True
    ) -> None:
        if not rule.event_pattern.matches_event(original_event):
            return
        others = []
        for target in rule.targets:
            arn = parse_arn(target["Arn"])
            if arn.service == "states" and arn.resource_type == "stateMachine":
                emulator.deliver(rule.name, target, original_event)
            elif arn.service == "lambda":
                emulator.invoke_target(rule.name, target, original_event)
            else:
                others.append(target)
        if others:  # moto delivers the rest (queues, log groups, buses, ...)
            view = copy.copy(rule)
            view.targets = others
            original(view, original_event, transform_input)

    return send_to_targets
