"""The emulator: the table of hooks (:mod:`.hooks`) installed around a running moto mock, the
services that observe endpoints, and all of it removed on exit."""

from __future__ import annotations

import functools
import logging
import threading
import warnings

from smdeploy.runtime.emulator import hooks
from smdeploy.runtime.emulator.applicationautoscaling import VariantCounts
from smdeploy.runtime.emulator.awslambda import LambdaHooks, _snapshot_environ
from smdeploy.runtime.emulator.clock import ClockHooks
from smdeploy.runtime.emulator.cloudwatch import RollbackAlarms
from smdeploy.runtime.emulator.events import EventsHooks
from smdeploy.runtime.emulator.registry import RegistryHooks
from smdeploy.runtime.emulator.sagemaker.components import ComponentHost
from smdeploy.runtime.emulator.sagemaker.responses import SageMakerHooks
from smdeploy.runtime.emulator.schedules import SchedulesHooks


class Emulator(
    ClockHooks,
    LambdaHooks,
    SageMakerHooks,
    EventsHooks,
    RegistryHooks,
    SchedulesHooks,
):
    """Install and remove the hooks of :data:`.hooks.HOOKS` around a running moto mock.

    The functions' handler strings are resolved as Lambda resolves them, by importing their
    modules: the Lambda package ``deployer`` is installed with smdeploy.
    """

    def __enter__(self) -> Emulator:
        try:
            environ = _snapshot_environ()
            environ.__enter__()

            def restore_environ() -> None:
                environ.__exit__(None, None, None)

            self._undo.append(restore_environ)
            self._new_execution_environments()
            self._install_crash_hook()
            self._quiet_interpreter()
            self._watch_endpoints()
            # moto is the pinned version and every hooked attribute is where it was, then each
            # row's replacement
            self._undo.append(hooks.install(self))
        except BaseException:
            self._undo_all()
            raise
        self._stop.clear()
        self._driver = threading.Thread(target=self._drive, name="smdeploy-scheduler", daemon=True)
        self._driver.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._driver is not None:
            self._driver.join()
            self._driver = None
        self._undo_all()
        if exc[0] is None:
            self.scheduler.check()  # a scheduled change that raised stops the run with it

    def _undo_all(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _watch_endpoints(self) -> None:
        """The services that observe endpoint changes: Application Auto Scaling's instance
        counts, then CloudWatch's rollback alarms, then the endpoints' inference components
        (in that order, each store calls them)."""
        self.instance_counts.clear()  # one owner (the state); the observer shares it
        observers = (
            VariantCounts(self.instance_counts),
            RollbackAlarms(self.faults, self.budget),
            ComponentHost(),
        )
        for observer in observers:
            self.endpoint_observers.append(observer)
            self._undo.append(functools.partial(self.endpoint_observers.remove, observer))

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
        # SageMaker's model does not list ThrottlingException; moto says so on every one.
        warnings.filterwarnings(
            "ignore", message=r"Exception\(ThrottlingError\)", category=UserWarning
        )
