"""The emulator: every concern's hooks installed around a running moto mock, and removed."""

from __future__ import annotations

import logging
import random
import threading
import warnings
from collections.abc import Callable
from typing import Any

from smdeploy.runtime import guardrails as guardrails_hooks
from smdeploy.runtime.emulator.awslambda import LambdaHooks, _Invocation, _snapshot_environ
from smdeploy.runtime.emulator.clock import ClockHooks, Scheduler, SimClock
from smdeploy.runtime.emulator.events import Delivery, EventsHooks
from smdeploy.runtime.emulator.hooks import MotoChanged, listed, verify
from smdeploy.runtime.emulator.registry import RegistryHooks
from smdeploy.runtime.emulator.sagemaker import Counters, EndpointStore, SageMakerHooks
from smdeploy.runtime.faults import FaultBudget, Faults


class Emulator(ClockHooks, LambdaHooks, SageMakerHooks, EventsHooks, RegistryHooks):
    """Install and remove the hooks above around a running moto mock.

    The functions' handler strings are resolved as Lambda resolves them, by importing their
    modules: the Lambda package ``deployer`` is installed with smdeploy.
    """

    def __init__(
        self,
        faults: Faults | None = None,
        seed: int | None = None,
        clock: SimClock | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self.clock = clock or SimClock()
        self.random = random.Random(seed)
        self.budget = FaultBudget(self.faults.times)
        # the real delays before Lambda invocations (--jitter), drawn in the order asked for
        self._jitter = random.Random(seed)
        self._jitter_lock = threading.Lock()
        self._running: _Invocation | None = None  # the handler running now (one at a time)
        self.stats = Counters()
        self.logs: list[str] = []
        self.deliveries: list[Delivery] = []
        # called with each delivery as it happens (the emulator server prints them)
        self.on_delivery: Callable[[Delivery], None] | None = None
        self._stores: dict[tuple[str, str], EndpointStore] = {}
        self._env_lock = threading.RLock()
        self._undo: list[Callable[[], None]] = []
        self.scheduler = Scheduler(self.clock)
        # which endpoint events are lost (--drop-endpoint-events), drawn in emission order
        self._drops = random.Random(seed)
        # what rules delivered to Lambda functions: (rule, function ARN, error or None)
        self.invocations: list[tuple[str, str, str | None]] = []
        self._driver: threading.Thread | None = None
        self._stop = threading.Event()

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        """Set ``owner.name`` (a class's own attribute, a module's global) until __exit__."""
        ours = str(getattr(owner, "__module__", "")).startswith("smdeploy.")
        if not ours and not listed(owner, name):  # the emulator's own classes are no moto hook
            raise MotoChanged(f"{owner!r}.{name} is not in the table of hooks (hooks.HOOKS)")
        namespace = owner.__dict__
        had = name in namespace
        original = namespace.get(name)
        setattr(owner, name, value)

        def undo() -> None:
            if had:
                setattr(owner, name, original)
            else:
                delattr(owner, name)

        self._undo.append(undo)

    def __enter__(self) -> Emulator:
        verify()  # moto is the pinned version and every hooked attribute is where it was
        environ = _snapshot_environ()
        environ.__enter__()

        def restore_environ() -> None:
            environ.__exit__(None, None, None)

        self._undo.append(restore_environ)
        self._install_crash_hook()
        self._quiet_interpreter()
        self._install_clock()
        self._install_lambda()
        self._install_sagemaker()
        guardrails_hooks.install(self)  # Application Auto Scaling, alarms, InvokeEndpoint
        self._install_event_delivery()
        self._install_model_registry_events()
        self._install_parks()
        self._stop.clear()
        self._driver = threading.Thread(target=self._drive, name="smdeploy-scheduler", daemon=True)
        self._driver.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._driver is not None:
            self._driver.join()
            self._driver = None
        while self._undo:
            self._undo.pop()()

    def _quiet_interpreter(self) -> None:
        """The ASL interpreter logs every state failure at ERROR level; the execution history
        already records them (with error and cause), so keep them off the user's terminal."""
        interpreter = logging.getLogger("moto.stepfunctions.parser")
        level = interpreter.level
        interpreter.setLevel(logging.CRITICAL)
        self._undo.append(lambda: interpreter.setLevel(level))
        # Powertools warns when a handler failed before adding a metric: on AWS that warning
        # is in the function's log, not on the screen of whoever started the deployment.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
