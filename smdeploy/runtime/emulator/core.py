"""The emulator: every concern's hooks installed around a running moto mock, and removed."""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

from smdeploy.runtime.emulator.applicationautoscaling import ApplicationAutoScalingHooks
from smdeploy.runtime.emulator.awslambda import LambdaHooks, _snapshot_environ
from smdeploy.runtime.emulator.clock import ClockHooks
from smdeploy.runtime.emulator.cloudwatch import CloudWatchHooks
from smdeploy.runtime.emulator.events import EventsHooks
from smdeploy.runtime.emulator.hooks import MotoChanged, listed, verify
from smdeploy.runtime.emulator.registry import RegistryHooks
from smdeploy.runtime.emulator.sagemaker.responses import SageMakerHooks
from smdeploy.runtime.emulator.sagemakerruntime import SageMakerRuntimeHooks


class Emulator(
    ClockHooks,
    LambdaHooks,
    SageMakerHooks,
    ApplicationAutoScalingHooks,
    CloudWatchHooks,
    SageMakerRuntimeHooks,
    EventsHooks,
    RegistryHooks,
):
    """Install and remove the hooks above around a running moto mock.

    The functions' handler strings are resolved as Lambda resolves them, by importing their
    modules: the Lambda package ``deployer`` is installed with smdeploy.
    """

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
        self._install_application_autoscaling()
        self._install_cloudwatch()  # rollback alarms
        self._install_sagemaker_runtime()
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
        if exc[0] is None:
            self.scheduler.check()  # a scheduled change that raised stops the run with it

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
