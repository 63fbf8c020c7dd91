"""The simulated clock and the scheduler of timed changes on it (a discrete-event simulation).

Wait states and Retry intervals advance simulated time instead of sleeping; state-entered
times (``$$.State.EnteredTime``), history timestamps and execution start/stop dates read it.
Each StartExecution, and each change moto's SageMaker stamps (a model package approved),
moves the clock one millisecond: executions get distinct start times in the order they
started, approvals distinct LastModifiedTimes in the order they were made. A stopped
execution ends ABORTED.

The :class:`Scheduler` holds timed changes (endpoint transitions, deployment steps, event
deliveries). Whoever moves the clock fires the changes due by then, in order; a task parked
on its token (``.waitForTaskToken``) waits on the simulated clock, and while every running
execution is parked the driver jumps to the next change or park timeout. One clock per
process: in server mode every execution shares it.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
import traceback
import types
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions.parser import models as sfn_models
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from smdeploy.runtime.emulator.pin import MotoChanged
from smdeploy.runtime.emulator.scheduler import SimClock
from smdeploy.runtime.emulator.state import EmulatorState


def _datetime_module(clock: SimClock) -> types.ModuleType:
    """A stand-in for the ``datetime`` module whose ``datetime.now()`` reads ``clock``."""

    class SimDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> SimDatetime:
            moment = clock.datetime()
            if tz is None:
                moment = moment.astimezone().replace(tzinfo=None)
            else:
                moment = moment.astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), tz=moment.tzinfo)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(_dt.__dict__)
    shim.__dict__["datetime"] = SimDatetime
    return shim


START_TICK = 0.001  # seconds the simulated clock moves on each StartExecution
PARK_POLL_SECONDS = 0.002  # real seconds between a parked task's looks at its deadline
DRIVER_POLL_SECONDS = 0.002  # real seconds between the driver's looks at the executions


def sagemaker_utcnow(emulator: EmulatorState, original: Any) -> Callable[[], _dt.datetime]:
    """moto's SageMaker stamps what it creates and changes (models, model packages: their
    CreationTime, LastModifiedTime) with ``utcnow()``. Here it reads the simulated clock, as
    everything else does, and moves it one millisecond, so that two changes made in a row
    (two approvals within a second) have distinct times in the order they were made, as
    SageMaker's millisecond times would."""
    clock = emulator.clock

    def utcnow() -> _dt.datetime:
        millis = int(clock.tick(START_TICK) * 1000)
        return _dt.datetime.fromtimestamp(millis / 1000, tz=_dt.UTC).replace(tzinfo=None)

    return utcnow


def start_datetime(emulator: EmulatorState, original: Any) -> types.ModuleType:
    """The ``datetime`` module of moto's Step Functions backend, which reads the time only to
    stamp a new execution's start date: each StartExecution moves the simulated clock one
    millisecond and takes that moment, to the millisecond (Step Functions reports start
    times in milliseconds; here no two executions share one, and their order is the order
    they were started: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    """
    clock = emulator.clock

    class StartDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> StartDatetime:
            if tz is None:
                raise RuntimeError("moto's start_execution changed: it asks for a naive time")
            millis = int(clock.tick(START_TICK) * 1000)
            moment = _dt.datetime.fromtimestamp(millis / 1000, tz=_dt.UTC).astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), tz=moment.tzinfo)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(_dt.__dict__)
    shim.__dict__["datetime"] = StartDatetime
    return shim


class ExecutionStopped(Exception):
    """Raised in a stopped execution's interpreter to end the state it was in."""


class ClockHooks(EmulatorState):
    """The emulator's driver of the simulated clock, which watches moto's executions (the
    replacements of moto's time are the factories below, rows of :data:`.hooks.HOOKS`)."""

    def running_executions(self) -> tuple[int, set[str]]:
        """How many executions are RUNNING in every emulated account and Region, and the task
        tokens their interpreters hold (moto's callback pool of each execution)."""
        count, tokens = 0, set()
        for regions in list(stepfunctions_parser_backends.values()):
            for backend in list(regions.values()):
                for machine in list(backend.state_machines):
                    for execution in list(machine.executions):
                        if execution.status != "RUNNING":
                            continue
                        count += 1
                        worker = getattr(execution, "exec_worker", None)
                        if worker is None or worker.env is None:  # not started yet
                            continue
                        pool = getattr(worker.env.callback_pool_manager, "_pool", None)
                        if pool is None:
                            raise MotoChanged("moto's callback pool manager has no _pool")
                        tokens.update(list(pool))
        return count, tokens

    def _drive(self) -> None:
        """The driver: whenever every running execution is parked, jump to the next change.

        A scheduled change that raises ends the driver; the scheduler keeps the exception,
        and the run stops with it (:meth:`Scheduler.check`, at the next AWS call of the
        run's clients and when the emulator exits)."""
        while not self._stop.wait(DRIVER_POLL_SECONDS):
            try:
                self.scheduler.step_if_idle(
                    self.running_executions, settle_when_idle=self.settle_when_idle
                )
            except Exception:
                if self.scheduler.failure is not None:  # a scheduled change raised: stop
                    return
                # a look at moto's executions that raced with them: look again
                self.logs.append("scheduler: " + traceback.format_exc())


# The replacements of moto's time (rows of :data:`.hooks.HOOKS`): each factory is given the
# emulator and moto's original attribute, and returns what stands in for it.


def wait_interval(emulator: EmulatorState, original: Any) -> Callable[..., None]:
    """A Wait state advances the simulated clock instead of sleeping."""
    scheduler = emulator.scheduler

    def wait_interval(_self: Any, env: Any, wait_seconds: float) -> None:
        scheduler.advance_by(wait_seconds)

    return wait_interval


def retry_time(emulator: EmulatorState, original: Any) -> types.SimpleNamespace:
    """The ``time`` module of Retry: its intervals advance the simulated clock."""
    return types.SimpleNamespace(sleep=emulator.scheduler.advance_by)


def jitter_random(emulator: EmulatorState, original: Any) -> Any:
    """The ``random`` module of Retry's jitter: the emulator's seeded generator."""
    return emulator.random


def state_datetime(emulator: EmulatorState, original: Any) -> types.ModuleType:
    """The ``datetime`` module of states and executions: ``now()`` reads the clock."""
    return _datetime_module(emulator.clock)


def starts_once() -> str | None:
    """moto's Step Functions backend reads the time once, for a new execution's start date;
    if that changes, each StartExecution would no longer be one tick."""
    if inspect.getsource(sfn_models).count("datetime.datetime.now(") != 1:
        return (
            "moto's Step Functions backend reads the time in more places than "
            "StartExecution: the start-time hook needs a look"
        )
    return None


def history_timestamp(emulator: EmulatorState, original: Any) -> staticmethod[[], _dt.datetime]:
    """The history's timestamps read the simulated clock."""
    return staticmethod(emulator.clock.datetime)


# StopExecution ends an execution ABORTED, whatever state it was in
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
# moto's interpreter goes on with the state it was stopped in, skipping each part of it that
# has not run yet, while the parts that ran go on using what those parts should have
# computed: a Task then popped the wrong values (a history event whose ``timeoutInSeconds``
# was the task's input, which no client could read), or none (``pop from empty list``, which
# replaced the stop: the execution ended FAILED). Here a stopped execution's next part raises
# instead (:func:`stopped_eval`), and an error after the stop leaves the execution stopped
# (:func:`stopped_set_error`).


def stopped_set_error(emulator: EmulatorState, original: Any) -> Callable[[Any, Any], None]:
    def set_error(env: Any, error: Any) -> None:
        if isinstance(env.program_state(), ProgramStopped):
            return
        original(env, error)

    return set_error


# set on a stopped execution's event manager: it records nothing more but ExecutionAborted
STOPPED_MARK = "_smdeploy_stopped"


def stopped_eval(emulator: EmulatorState, original: Any) -> Callable[[Any, Any], None]:
    def eval_component(component: Any, env: Any) -> None:
        if isinstance(env.program_state(), ProgramStopped):
            setattr(env.event_manager, STOPPED_MARK, True)
            raise ExecutionStopped()
        original(component, env)

    return eval_component


# EventManager.add_event's parameters, which stopped_add_event passes on in this order
ADD_EVENT_PARAMETERS = (
    "self",
    "context",
    "event_type",
    "event_details",
    "timestamp",
    "update_source_event_id",
)


def stopped_add_event(emulator: EmulatorState, original: Any) -> Callable[..., int]:
    """EventManager.add_event: once an execution is stopped, its history gets its
    ExecutionAborted event and nothing else, as on AWS (StopExecution:
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
    The engine records the exception that ends the state a stopped execution was in
    (:func:`stopped_eval`) as a TaskFailed with States.Runtime and no resource, an event
    AWS never shows and whose required members no client finds."""

    def add_event(
        manager: Any,
        context: Any,
        event_type: Any,
        event_details: Any = None,
        timestamp: Any = None,
        update_source_event_id: bool = True,
    ) -> int:
        if getattr(manager, STOPPED_MARK, False) and event_type != "ExecutionAborted":
            return int(context.last_published_event_id or 0)
        return int(
            original(manager, context, event_type, event_details, timestamp, update_source_event_id)
        )

    return add_event


def park(emulator: EmulatorState, original: Any) -> Callable[..., Any]:
    """A task that waits for its token (``.waitForTaskToken``) waits on the simulated
    clock: its TimeoutSeconds is simulated time, and while every running execution is
    parked the scheduler moves time on (moto waits that long in real time)."""
    scheduler = emulator.scheduler

    def wait(endpoint: CallbackEndpoint, timeout: float | None = None) -> Any:
        park = scheduler.park(endpoint, timeout)
        try:
            while not endpoint._notify_event.wait(PARK_POLL_SECONDS):
                if park.expired:
                    break
        finally:
            scheduler.unpark(park)
        return endpoint._outcome

    return wait


def send_task_failure(emulator: EmulatorState, original: Any) -> Callable[[Any], EmptyResult]:
    """SendTaskFailure carries an error and a cause to the parked task
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html);
    moto's response handler passes the error on and drops the cause."""

    def send_task_failure(response: Any) -> EmptyResult:
        response.stepfunction_backend.send_task_failure(
            response._get_param("taskToken"),
            error=response._get_param("error"),
            cause=response._get_param("cause"),
        )
        return EmptyResult()

    return send_task_failure


def stop_execution(emulator: EmulatorState, original: Any) -> Callable[[Any], Any]:
    """StopExecution answers the date it stopped the execution, a required member
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html#API_StopExecution_ResponseSyntax).
    moto answers before its worker has set the execution's stop date, so with none, and
    stops it with an empty error and cause where the call gave them (ExecutionAborted carries
    them: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionAbortedEventDetails.html).
    From then on the execution's history gets nothing but its ExecutionAborted
    (:func:`stopped_add_event`): not the success of a task whose token comes after it."""

    def stop_execution(response: Any) -> Any:
        request = json.loads(response.body or "{}")
        arn = request["executionArn"]
        # the backend that stops it; an execution the engine runs has a worker (without
        # execute_state_machine, moto's plain backend keeps executions no engine runs)
        execution = response.stepfunction_backend.describe_execution(arn)
        worker = getattr(execution, "exec_worker", None)
        if worker is not None:
            # stopped first with the call's error and cause, which ExecutionAborted carries on
            # AWS; moto's own stop (next) gives empty ones, and a stopped program stays stopped
            execution.stop(emulator.clock.datetime(), request.get("error"), request.get("cause"))
        result = original(response)
        if worker is not None and worker.env is not None:
            setattr(worker.env.event_manager, STOPPED_MARK, True)
        if result.result.get("stopDate") is None:
            result = ActionResult({**result.result, "stopDate": emulator.clock.datetime()})
        return result

    return stop_execution
