"""EventBridge Scheduler's schedules fire on the simulated clock.

moto keeps the schedules (CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule) but
never invokes a target. Here a rate-based schedule invokes its Lambda target at each
interval of simulated time, on the :class:`.scheduler.Scheduler`: a tick is a timed change
like an endpoint transition, so while every running execution is parked the driver jumps to
the next tick as it jumps to the next change. As AWS runs them
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html): a rate-based
schedule with no ``StartDate`` begins invoking its target at once, then once per interval
(AWS invokes within the minute of each moment, "60 second precision"; here at the moment
itself, with no flexible time window); the target's ``Input`` has its context attributes
filled in (``<aws.scheduler.scheduled-time>``, ...:
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html);
Lambda targets are invoked asynchronously, so a function error is retried as Lambda retries
one (:meth:`.events.EventsHooks.invoke_target`). Each tick reads the schedule again: a
schedule DISABLED skips its ticks, a deleted one has no more. Cron and one-time (``at``)
expressions are not emulated: such a schedule is kept, never fired, and the emulator's log
says so.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import re
import uuid
from collections.abc import Callable
from typing import Any

from moto.scheduler.exceptions import ScheduleNotFound
from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule, scheduler_backends
from moto.utilities.arns import parse_arn

from smdeploy.runtime.emulator.state import EmulatorState

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """The interval of a ``rate(value unit)`` expression in seconds; None for another kind."""
    match = _RATE.match(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def with_context(text: str, schedule_arn: str, scheduled: float, attempt: int = 1) -> str:
    """The target's input with EventBridge Scheduler's context attributes filled in."""
    moment = _dt.datetime.fromtimestamp(scheduled, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {
        "schedule-arn": schedule_arn,
        "scheduled-time": moment,
        "execution-id": uuid.uuid4().hex[:16],
        "attempt-number": str(attempt),
    }
    for name, value in values.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text


class SchedulesHooks(EmulatorState):
    """The emulator's EventBridge Scheduler: each rate-based schedule's ticks."""

    def schedule_created(self, account: str, region: str, schedule: Schedule) -> None:
        """A new schedule: its first tick now (no StartDate), if its expression is a rate."""
        if rate_seconds(schedule.schedule_expression) is None:
            self.logs.append(
                f"scheduler: {schedule.name}: {schedule.schedule_expression!r} is not "
                f"emulated (only rate expressions fire)\n"
            )
            return
        target = str(dict(schedule.target).get("Arn", ""))
        if parse_arn(target).service != "lambda":
            self.logs.append(
                f"scheduler: {schedule.name}: its target {target} is not emulated (only Lambda "
                f"targets are invoked)\n"
            )
            return
        self._tick_at(account, region, schedule.group_name, schedule.name, self.clock.now())

    def _tick_at(self, account: str, region: str, group: str, name: str, when: float) -> None:
        self.scheduler.at(
            when, functools.partial(self.schedule_tick, account, region, group, name, when), name
        )

    def schedule_tick(self, account: str, region: str, group: str, name: str, when: float) -> None:
        """The schedule's moment ``when``: invoke its target (if it is still ENABLED), and
        set its next tick (if it still exists and is a rate)."""
        try:
            schedule = scheduler_backends[account][region].get_schedule(group, name)
        except ScheduleNotFound:
            return  # deleted: no more ticks
        seconds = rate_seconds(schedule.schedule_expression)
        if seconds is None:
            return
        target = dict(schedule.target)
        if parse_arn(str(target.get("Arn", ""))).service != "lambda":  # updated to another
            self.logs.append(f"scheduler: {name}: its new target is not emulated; it stops\n")
            return
        if schedule.state == "ENABLED":
            text = with_context(str(target.get("Input", "{}")), schedule.arn, when)
            self.invoke_target(name, {"Arn": target["Arn"], "Input": text}, {})
        self._tick_at(account, region, group, name, when + seconds)


def create_schedule(emulator: EmulatorState, original: Any) -> Callable[..., Schedule]:
    """CreateSchedule (a row of :data:`.hooks.HOOKS`): moto keeps the schedule, the emulator
    starts its ticks (:meth:`SchedulesHooks.schedule_created`)."""
    created: Callable[[str, str, Schedule], None] = emulator.schedule_created

    def create_schedule(
        backend: EventBridgeSchedulerBackend, *args: Any, **kwargs: Any
    ) -> Schedule:
        schedule = original(backend, *args, **kwargs)
        created(backend.account_id, backend.region_name, schedule)
        return schedule

    return create_schedule


# What the ticks read of moto's schedule (its constructor's parameters, kept as attributes).
SCHEDULE_FIELDS = ("group_name", "name", "schedule_expression", "target", "state")


def keeps_schedule_fields() -> str | None:
    taken = set(inspect.signature(Schedule.__init__).parameters)
    missing = [field for field in SCHEDULE_FIELDS if field not in taken]
    if missing or "get_schedule" not in vars(EventBridgeSchedulerBackend):
        return f"moto's scheduler Schedule no longer takes {missing} (or get_schedule is gone)"
    return None
