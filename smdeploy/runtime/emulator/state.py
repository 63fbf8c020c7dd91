"""The emulator's state: what every concern shares, held by one :class:`EmulatorState` (data
only; each concern's hooks own their behaviour), and the records it keeps."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smdeploy.runtime.emulator.sagemaker.endpoints import EndpointObserver
from smdeploy.runtime.emulator.sagemaker.models import Counters, EndpointStore
from smdeploy.runtime.emulator.scheduler import Scheduler, SimClock
from smdeploy.runtime.faults import FaultBudget, Faults


@dataclass(frozen=True)
class Delivery:
    """An event a rule delivered to a state machine, or to a function that starts executions
    (smdeploy's Start function, whose answer names the execution): the execution it started
    (or found started by an earlier delivery of the event: ``existing``), or the error."""

    rule: str
    source: str
    detail_type: str
    target_arn: str  # the state machine, or the function
    execution_arn: str | None
    error: str | None = None
    existing: bool = False


@dataclass
class Invocation:
    """A Lambda handler running in-process."""

    request_id: str
    thread: threading.Thread
    crashed_after: str | None = None  # the operation after which the runtime died


class EmulatorState:
    """What the emulator holds: its faults, clock and scheduler, the random draws (each its
    own, so that one seed replays a run), counters, logs and what was delivered."""

    def __init__(
        self,
        faults: Faults | None = None,
        seed: int | None = None,
        clock: SimClock | None = None,
        settle_when_idle: bool = False,
    ) -> None:
        self.faults = faults or Faults()
        self.clock = clock or SimClock()
        self.random = random.Random(seed)  # retry jitter
        self.budget = FaultBudget(self.faults.times)
        # the real delays before Lambda invocations (--jitter), drawn in the order asked for
        self._jitter = random.Random(seed)
        self._jitter_lock = threading.Lock()
        self._running: Invocation | None = None  # the handler running now (one at a time)
        self.stats = Counters()
        self.logs: list[str] = []
        self.deliveries: list[Delivery] = []
        # called with each delivery as it happens (the emulator server prints them)
        self.on_delivery: Callable[[Delivery], None] | None = None
        # whether an endpoint change also comes on its own while no execution runs (the
        # emulator server, which clients outside any execution use: a DeleteEndpoint from the
        # CLI ends); in-process runs move time only for their executions
        self.settle_when_idle = settle_when_idle
        self._stores: dict[tuple[str, str], EndpointStore] = {}
        # the services that watch endpoints (Application Auto Scaling, CloudWatch), shared
        # with every store
        self.endpoint_observers: list[EndpointObserver] = []
        # the variants' current instance counts: (account, region, lower-cased endpoint name)
        # -> variant -> count (Application Auto Scaling sets them; DescribeEndpoint reports them)
        self.instance_counts: dict[tuple[str, str, str], dict[str, int]] = {}
        self._env_lock = threading.RLock()
        self._undo: list[Callable[[], None]] = []
        self.scheduler = Scheduler(self.clock)
        # which endpoint events are lost (--drop-endpoint-events), drawn in emission order
        self._drops = random.Random(seed)
        # what rules delivered to Lambda functions: (rule, function ARN, error or None)
        self.invocations: list[tuple[str, str, str | None]] = []
        self._driver: threading.Thread | None = None
        self._stop = threading.Event()

    if TYPE_CHECKING:
        # what one concern calls on another (each defined by the concern that owns it)

        def store(self, account: str, region: str) -> EndpointStore: ...

        def run_handler(
            self, function: Any, event: Any, response_headers: dict[str, str]
        ) -> bytes: ...

        def performed(self, operation: str, response: Any) -> None: ...

        def package_changed(self, account: str, region: str, arn: str) -> None: ...

        def deliver(self, rule: str, target: dict[str, Any], event: dict[str, Any]) -> Delivery: ...

        def invoke_target(
            self, rule: str, target: dict[str, Any], event: dict[str, Any], attempt: int = 1
        ) -> None: ...

        def schedule_created(self, account: str, region: str, schedule: Any) -> None: ...
