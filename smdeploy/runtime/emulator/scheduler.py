"""The simulated clock and the scheduler of timed changes on it (a discrete-event simulation).

The :class:`Scheduler` holds timed changes (endpoint transitions, deployment steps, event
deliveries). Whoever moves the clock fires the changes due by then, in order; while every
running execution is parked on its task token, the driver (:mod:`.clock`) jumps to the next
change or park timeout. Pure data and behaviour: nothing here touches moto.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class SimClock:
    """Simulated time: starts at the real time (whole seconds), moves only when advanced."""

    def __init__(self, start: float | None = None) -> None:
        self._start = float(int(start if start is not None else _dt.datetime.now().timestamp()))
        self._offset = 0.0
        self._ticked = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, simulated."""
        with self._lock:
            return self._start + self._offset

    @property
    def elapsed(self) -> float:
        """Simulated seconds since the clock was made."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._offset += seconds

    def advance_to(self, moment: float) -> None:
        """Move to ``moment`` (seconds since the epoch), never back."""
        with self._lock:
            self._offset = max(self._offset, moment - self._start)

    def tick(self, seconds: float) -> float:
        """Advance by ``seconds`` and return the new time, in one step: concurrent callers
        get distinct times, increasing in the order they called."""
        with self._lock:
            self._offset += seconds
            self._ticked += seconds
            return self._start + self._offset

    @property
    def ticked(self) -> float:
        """Simulated seconds moved by ticks (not waits) since the clock was made."""
        with self._lock:
            return self._ticked

    def datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now(), tz=_dt.UTC)


ENDPOINT_CHANGE = "endpoint"  # the label of an endpoint change's end


@dataclass(order=True)
class _Timed:
    when: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")


@dataclass(eq=False)
class Park:
    """An execution parked on a task token (``.waitForTaskToken``) until ``deadline``."""

    endpoint: Any  # moto's CallbackEndpoint
    deadline: float
    expired: bool = False

    @property
    def waiting(self) -> bool:
        return not self.expired and not self.endpoint._notify_event.is_set()


class Scheduler:
    """Timed changes on the simulated clock: a discrete-event simulation.

    Endpoint transitions, deployment steps and event deliveries are scheduled at simulated
    moments. Whoever moves the clock (a Wait state, a Retry interval, the driver) fires, in
    order, every change due by then. When every running execution is parked on a task token,
    the driver jumps the clock to the next scheduled change or park timeout, whichever comes
    first: a 30-minute endpoint creation is one jump, not 30 minutes of real time.
    """

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._heap: list[_Timed] = []
        self._seq = 0
        self._heap_lock = threading.Lock()
        self._fire_lock = threading.RLock()
        self.parks: list[Park] = []
        self._parks_lock = threading.Lock()
        self._holds = 0
        self.failure: BaseException | None = None  # what a scheduled change raised

    def at(self, when: float, action: Callable[[], None], label: str = "") -> None:
        with self._heap_lock:
            self._seq += 1
            heapq.heappush(self._heap, _Timed(when, self._seq, action, label))

    def after(self, seconds: float, action: Callable[[], None], label: str = "") -> None:
        self.at(self.clock.now() + max(0.0, seconds), action, label)

    def _pop_due(self, moment: float) -> _Timed | None:
        with self._heap_lock:
            if self._heap and self._heap[0].when <= moment:
                return heapq.heappop(self._heap)
        return None

    def _next_labelled(self, label: str) -> float | None:
        """When the next change labelled ``label`` is due (None: none is scheduled)."""
        with self._heap_lock:
            return min((t.when for t in self._heap if t.label == label), default=None)

    def next_change(self) -> float | None:
        with self._heap_lock:
            return self._heap[0].when if self._heap else None

    def check(self) -> None:
        """Raise what a scheduled change raised: the run stops with that exception."""
        if self.failure is not None:
            raise self.failure

    def advance_to(self, moment: float) -> None:
        """Fire every change due by ``moment``, each at its own time, then stand at it.

        A change that raises stops the simulation: its exception is raised here and by every
        later move of the clock (and :meth:`check`), and no later change fires."""
        with self._fire_lock:
            self.check()
            while (due := self._pop_due(moment)) is not None:
                self.clock.advance_to(due.when)
                try:
                    due.action()
                except BaseException as error:
                    self.failure = error
                    raise
            self.clock.advance_to(moment)
            self._expire_parks()

    def advance_by(self, seconds: float) -> None:
        if seconds > 0:
            self.advance_to(self.clock.now() + seconds)

    # parks

    def park(self, endpoint: Any, timeout: float | None) -> Park:
        deadline = self.clock.now() + (timeout if timeout is not None else 99999999)
        park = Park(endpoint, deadline)
        with self._parks_lock:
            self.parks.append(park)
        return park

    def unpark(self, park: Park) -> None:
        with self._parks_lock:
            if park in self.parks:
                self.parks.remove(park)

    def _expire_parks(self) -> None:
        now = self.clock.now()
        with self._parks_lock:
            for park in self.parks:
                if park.deadline <= now:
                    park.expired = True

    @contextmanager
    def held(self) -> Iterator[None]:
        """While held, the driver does not jump: what the outside world does meanwhile (start
        executions, approve packages) happens at the current simulated moment, before any
        parked execution's time runs on."""
        with self._parks_lock:
            self._holds += 1
        try:
            yield
        finally:
            with self._parks_lock:
                self._holds -= 1

    def step_if_idle(
        self, running: Callable[[], tuple[int, set[str]]], settle_when_idle: bool = False
    ) -> bool:
        """Jump to the next change when every running execution is parked (the driver).

        ``running`` gives how many executions are RUNNING, and the task tokens they may be
        parked on: the park of an execution stopped meanwhile (StopExecution does not wake
        its task) counts for nothing. With ``settle_when_idle``, when no execution runs at
        all, jump to the end of the next endpoint change (a creation, update or deletion a
        client made outside any execution), firing what comes due on the way."""
        if self._holds:
            return False
        with self._fire_lock:
            count, tokens = running()
            if count == 0 and settle_when_idle:
                settled = self._next_labelled(ENDPOINT_CHANGE)
                if settled is not None:
                    self.advance_to(max(settled, self.clock.now()))
                    return True
            with self._parks_lock:
                waiting = [p for p in self.parks if p.waiting and p.endpoint.callback_id in tokens]
            if not waiting or count != len(waiting):
                return False
            target = min(p.deadline for p in waiting)
            upcoming = self.next_change()
            if upcoming is not None:
                target = min(target, upcoming)
            self.advance_to(max(target, self.clock.now()))
            return True
