"""CloudWatch alarms watching SageMaker updates, as AWS has it and moto does not.

moto (pinned exactly) keeps the alarms; this service, an
:class:`~.sagemaker.endpoints.EndpointObserver` registered with each endpoint store, adds:

- **Rollback alarms.** The alarms an update's ``AutoRollbackConfiguration`` lists are watched
  while it runs: one in ALARM when the update would finish rolls it back, InService on the
  previous config, with a FailureReason naming the alarm
  (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
  ``Faults.alarm_during_update`` puts one into ALARM during the next such update; it returns
  to OK once the rollback is done (the simulated metric recovers). Inference component
  updates use the same alarms (:func:`fire`, :func:`in_alarm`, :func:`recover`;
  :mod:`.sagemaker.components`).
"""

from __future__ import annotations

from moto.cloudwatch.models import cloudwatch_backends

from smdeploy.runtime.emulator.sagemaker.endpoints import (
    Change,
    Endpoint,
    EndpointObserver,
    Key,
    StoreView,
    Update,
    key,
)
from smdeploy.runtime.faults import FaultBudget, Faults


def listed_alarms(endpoint: Endpoint) -> list[str]:
    """The alarms of the endpoint's AutoRollbackConfiguration."""
    config = endpoint.deployment_config or {}
    alarms = (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    return [str(a["AlarmName"]) for a in alarms]


class RollbackAlarms(EndpointObserver):
    """Rolls back an update whose listed alarm is in ALARM when it would finish."""

    def __init__(self, faults: Faults, budget: FaultBudget) -> None:
        self.faults, self.budget = faults, budget
        # (account, region, endpoint key) -> the alarm the fault put into ALARM
        self.fired: dict[Key, str] = {}

    def updated(self, store: StoreView, endpoint: Endpoint, update: Update) -> None:
        change = endpoint.change
        if change is None or change.outcome != "serve":
            return
        fired = fire(self.faults, self.budget, store.account, store.region, listed_alarms(endpoint))
        if fired is not None:
            self.fired[key(store, endpoint.name)] = fired

    def settling(self, store: StoreView, endpoint: Endpoint, change: Change) -> None:
        if endpoint.status != "Updating" or change.outcome != "serve":
            return
        name = in_alarm(store.account, store.region, listed_alarms(endpoint))
        if name is not None:
            change.outcome = "rollback"
            change.reason = (
                f"The deployment was rolled back: CloudWatch alarm {name} of the "
                f"AutoRollbackConfiguration went into ALARM during the update."
            )

    def settled(self, store: StoreView, endpoint: Endpoint, change: Change, updating: bool) -> None:
        fired = self.fired.pop(key(store, endpoint.name), None)
        if fired is not None:
            recover(store.account, store.region, fired)


def fire(
    faults: Faults, budget: FaultBudget, account: str, region: str, listed: list[str]
) -> str | None:
    """``Faults.alarm_during_update``: as an update that lists ``listed`` alarms starts, put
    the chosen one (or, when "", the first listed) into ALARM, if it exists; the alarm's name,
    or None when no alarm fired. Endpoint updates and inference component updates share it."""
    wanted = faults.alarm_during_update
    if wanted is None or not listed:
        return None
    name = wanted or listed[0]
    backend = cloudwatch_backends[account][region]
    if name not in listed or name not in backend.alarms:
        return None
    if not budget.take("alarm_during_update"):
        return None
    backend.set_alarm_state(
        name,
        "Threshold Crossed (simulated by smdeploy emulator during the update)",
        "{}",
        "ALARM",
    )
    return name


def in_alarm(account: str, region: str, listed: list[str]) -> str | None:
    """The first of the ``listed`` alarms in ALARM now (None: none is)."""
    backend = cloudwatch_backends[account][region]
    for name in listed:
        alarm = backend.alarms.get(name)
        if alarm is not None and alarm.state_value == "ALARM":
            return name
    return None


def recover(account: str, region: str, name: str) -> None:
    """The alarm a fault fired returns to OK once its update is over (the simulated metric
    recovered)."""
    cloudwatch_backends[account][region].set_alarm_state(
        name, "Threshold no longer crossed (simulated recovery)", "{}", "OK"
    )
