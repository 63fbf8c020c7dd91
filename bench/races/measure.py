"""Running a scenario once on a fresh emulated account, and measuring the account at its end."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.races.actions import ENDPOINT, GROUP, JITTER, wait_all
from bench.races.actions import profiles as race_profiles
from bench.races.checks import in_service, patiently
from bench.races.scenarios import Scenario
from deployer import errors
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.local import LocalDeployment

FALSE_ALARMS = ("EndpointUpdateRolledBack", "EndpointConfigNotVisible", "EndpointBusy")
# the errors the state machine retries until the deadline (deployer.errors.Transient)
TRANSIENT = tuple(sorted(cls.__name__ for cls in errors.Transient.__subclasses__()))


@dataclass(frozen=True)
class Run:
    """One run of a scenario, measured at its end."""

    scenario: str
    seed: int
    correct: bool
    executions: int
    failed: int
    expected_failed: int
    failed_transient: int  # FAILED by an error the state machine retries until the deadline
    false_alarms: int
    left_over: int | None  # None: no retention set (every config is kept on purpose)
    orphans: int
    deleted_referenced: int  # configs or models some endpoint references that are gone
    errors: tuple[str, ...]  # the error of each FAILED execution, in start order
    wall_seconds: float

    @property
    def unexpected_failed(self) -> int:
        return max(0, self.failed - self.expected_failed)


def run(scenario: Scenario, seed: int, jitter: float = JITTER) -> Run:
    """Run ``scenario`` once, on a fresh emulated account, with ``seed``."""
    faults = Faults(**{"invocation_jitter": jitter, **scenario.faults})
    profiles = race_profiles() if scenario.profiles else None
    if profiles is not None and not scenario.rollback:
        profiles[GROUP]["RollbackOnRejection"] = False
    began = time.perf_counter()
    with LocalDeployment(
        faults=faults,
        seed=seed,
        profiles=profiles,
        config_retention=scenario.config_retention,
        deadline_seconds=scenario.deadline_seconds,
    ) as account:
        check = scenario.act(account)
        executions = wait_all(account)
        correct = (scenario.own_check or _endpoint_ok(account)) and check(account)
        configs, orphans = _leftovers(account)
        deleted_referenced = _deleted_while_referenced(account)
    errors = tuple(str(e.get("error")) for e in executions if e["status"] == "FAILED")
    retention = scenario.config_retention
    return Run(
        scenario=scenario.name,
        seed=seed,
        correct=correct,
        executions=len(executions),
        failed=len(errors),
        expected_failed=scenario.expected_failed,
        failed_transient=sum(1 for error in errors if error in TRANSIENT),
        false_alarms=sum(1 for error in errors if error in FALSE_ALARMS),
        left_over=None if not retention else max(0, configs - retention),
        orphans=orphans,
        deleted_referenced=deleted_referenced,
        errors=errors,
        wall_seconds=round(time.perf_counter() - began, 2),
    )


def _endpoint_ok(account: LocalDeployment) -> bool:
    return in_service(account, ENDPOINT)


def _listed(sm: Any, operation: str, key: str) -> list[dict[str, Any]]:
    """Every item of a SageMaker list call, page after page (each page looked at patiently)."""
    items: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = patiently(lambda: getattr(sm, operation)(MaxResults=100, **token))  # noqa: B023
        items.extend(page[key])
        if not page.get("NextToken"):
            return items
        token = {"NextToken": page["NextToken"]}


def _referenced(account: LocalDeployment) -> dict[str, set[str]]:
    """Every endpoint's configs (served, and pending during an update), by endpoint name."""
    sm = account.sagemaker
    found: dict[str, set[str]] = {}
    for summary in _listed(sm, "list_endpoints", "Endpoints"):
        name = summary["EndpointName"]
        described = patiently(lambda: sm.describe_endpoint(EndpointName=name))  # noqa: B023
        pending = described.get("PendingDeploymentSummary") or {}
        names = {described.get("EndpointConfigName"), pending.get("EndpointConfigName")}
        found[summary["EndpointName"]] = {name for name in names if name}
    return found


def _deleted_while_referenced(account: LocalDeployment) -> int:
    """Configs some endpoint references, and models those configs use, that do not exist."""
    sm = account.sagemaker
    configs = {c["EndpointConfigName"].lower() for c in _configs(sm)}
    models = {m["ModelName"].lower() for m in _listed(sm, "list_models", "Models")}
    missing = 0
    for name in set().union(*_referenced(account).values()):
        if name.lower() not in configs:
            missing += 1
            continue
        for kind in ("ProductionVariants", "ShadowProductionVariants"):
            used = {v["ModelName"].lower() for v in _variants(sm, name, kind)}
            missing += len(used - models)
    return missing


def _configs(sm: Any) -> list[dict[str, Any]]:
    return _listed(sm, "list_endpoint_configs", "EndpointConfigs")


def _leftovers(account: LocalDeployment) -> tuple[int, int]:
    """(endpoint configs of the endpoint but those another endpoint references, models that no
    endpoint config references)."""
    sm = account.sagemaker
    listed = _configs(sm)
    others = {
        config.lower()
        for endpoint, configs in _referenced(account).items()
        if endpoint != ENDPOINT
        for config in configs
    }
    configs = [
        c["EndpointConfigName"]
        for c in listed
        if c["EndpointConfigName"].lower().startswith(f"{ENDPOINT}-")
        and c["EndpointConfigName"].lower() not in others
    ]
    referenced = {
        variant["ModelName"].lower()
        for c in listed
        for kind in ("ProductionVariants", "ShadowProductionVariants")
        for variant in _variants(sm, c["EndpointConfigName"], kind)
    }
    models = [m["ModelName"] for m in _listed(sm, "list_models", "Models")]
    return len(configs), sum(1 for m in models if m.lower() not in referenced)


def _variants(sm: Any, config: str, kind: str) -> list[dict[str, Any]]:
    described = patiently(lambda: sm.describe_endpoint_config(EndpointConfigName=config))
    found: list[dict[str, Any]] = described.get(kind, [])
    return found
