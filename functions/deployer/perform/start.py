"""A trigger's execution started: the approval, rejection or manifest event that an
EventBridge rule delivered becomes an execution of the state machine, named after its trigger
(:func:`deployer.decide.names.execution_name`), with the whole event as its input (Validate
turns any trigger into one request).

EventBridge delivers an event at least once: a second delivery of one event derives the same
name, and the execution it started is returned, as started already. A different input under
that name (two events given one name) raises :class:`~deployer.errors.ExecutionNameTaken`:
it is loud, never a deployment skipped in silence. Step Functions' failures raise the
deployer's errors, so that Lambda retries the invocation and, in the end, the event lands in
the trigger dead-letter queue.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from deployer import interface
from deployer.aws import clients
from deployer.aws.executions import Executions
from deployer.decide.names import execution_name
from deployer.errors import ExecutionNameTaken, StartRefused
from deployer.observability import logger, tracer


@dataclass(frozen=True)
class Started:
    """What the Start function returns: the execution of the event, and whether an earlier
    delivery of the same event had started it."""

    ExecutionArn: str
    ExecutionName: str
    AlreadyStarted: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def input_text(event: Mapping[str, Any]) -> str:
    """The execution's input: the whole event, as compact JSON."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def state_machine_arn(environ: Mapping[str, str] = os.environ) -> str:
    arn = environ.get(interface.ENV_STATE_MACHINE_ARN)
    if not arn:
        raise StartRefused(f"{interface.ENV_STATE_MACHINE_ARN} is not set: no state machine")
    return arn


@tracer.capture_method
def start(event: Mapping[str, Any], executions: Executions | None = None) -> Started:
    """Start the execution of ``event`` (or find the one an earlier delivery started)."""
    executions = executions or Executions(state_machine_arn(), clients.stepfunctions)
    name = execution_name(event)
    text = input_text(event)
    started = executions.start(name, text)
    if started is not None:
        logger.info("execution started", extra={"execution": name})
        return Started(started.execution_arn, name, AlreadyStarted=False)
    arn, existing = executions.input_of(name)
    if existing is None or json.loads(existing) != event:
        raise ExecutionNameTaken(
            f"{arn} exists with another input than this event's (event id "
            f"{event.get('id')!r}), or one Step Functions did not return: two events were "
            f"given the name {name!r}; nothing started"
        )
    logger.info("execution already started by this event", extra={"execution": name})
    return Started(arn, name, AlreadyStarted=True)
