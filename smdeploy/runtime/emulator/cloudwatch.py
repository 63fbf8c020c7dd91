"""CloudWatch alarms watching SageMaker updates, as AWS has it and moto does not.

moto (pinned exactly) keeps the alarms; this service, an
:class:`~.sagemaker.endpoints.EndpointObserver` registered with each endpoint store, adds:

- **Rollback alarms.** The alarms an update's ``AutoRollbackConfiguration`` lists are watched
  while it runs: one in ALARM when the update would finish rolls it back, InService on the
  previous config, with a FailureReason naming the alarm
  (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
  ``Faults.alarm_during_update`` puts one into ALARM during the next such update; it returns
  to OK once the rollback is done (the simulated metric recovers).
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
        wanted = self.faults.alarm_during_update
        listed = listed_alarms(endpoint)
        change = endpoint.change
        if wanted is None or not listed or change is None or change.outcome != "serve":
            return
        name = wanted or listed[0]
        backend = cloudwatch_backends[store.account][store.region]
        if name not in listed or name not in backend.alarms:
            return
        if not self.budget.take("alarm_during_update"):
            return
        backend.set_alarm_state(
            name,
            "Threshold Crossed (simulated by smdeploy emulator during the update)",
            "{}",
            "ALARM",
        )
        self.fired[key(store, endpoint.name)] = name

    def settling(self, store: StoreView, endpoint: Endpoint, change: Change) -> None:
        if endpoint.status != "Updating" or change.outcome != "serve":
            return
        backend = cloudwatch_backends[store.account][store.region]
        for name in listed_alarms(endpoint):
            alarm = backend.alarms.get(name)
            if alarm is not None and alarm.state_value == "ALARM":
                change.outcome = "rollback"
                change.reason = (
                    f"The deployment was rolled back: CloudWatch alarm {name} of the "
                    f"AutoRollbackConfiguration went into ALARM during the update."
                )
                return

    def settled(self, store: StoreView, endpoint: Endpoint, change: Change, updating: bool) -> None:
        fired = self.fired.pop(key(store, endpoint.name), None)
        if fired is not None:
            cloudwatch_backends[store.account][store.region].set_alarm_state(
                fired, "Threshold no longer crossed (simulated recovery)", "{}", "OK"
            )
