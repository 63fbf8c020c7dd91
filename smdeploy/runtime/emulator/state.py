"""What every concern of the emulator shares: the state :class:`core.Emulator` holds, and the
methods one concern calls on another (declared here for the type checker)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from random import Random
from typing import TYPE_CHECKING, Any

from smdeploy.runtime.faults import FaultBudget, Faults

if TYPE_CHECKING:
    from smdeploy.runtime.emulator.awslambda import _Invocation
    from smdeploy.runtime.emulator.clock import Scheduler, SimClock
    from smdeploy.runtime.emulator.events import Delivery
    from smdeploy.runtime.emulator.sagemaker import Counters, EndpointStore


class EmulatorState:
    faults: Faults
    clock: SimClock
    scheduler: Scheduler
    random: Random  # retry jitter
    budget: FaultBudget
    stats: Counters
    logs: list[str]
    deliveries: list[Delivery]
    on_delivery: Callable[[Delivery], None] | None
    invocations: list[tuple[str, str, str | None]]
    _jitter: Random
    _jitter_lock: threading.Lock
    _running: _Invocation | None
    _stores: dict[tuple[str, str], EndpointStore]
    _env_lock: threading.RLock
    _undo: list[Callable[[], None]]
    _drops: Random
    _driver: threading.Thread | None
    _stop: threading.Event

    if TYPE_CHECKING:

        def _patch(self, owner: Any, name: str, value: Any) -> None: ...

        def store(self, account: str, region: str) -> EndpointStore: ...

        def run_handler(
            self, function: Any, event: Any, response_headers: dict[str, str]
        ) -> bytes: ...

        def performed(self, operation: str, response: Any) -> None: ...

        def package_changed(self, account: str, region: str, arn: str) -> None: ...
