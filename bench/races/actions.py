"""What the users of an emulated account do in a race (register, approve, reject, start an
execution), and the waits on its executions: every race starts from these."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

from smdeploy.resources import EXAMPLES
from smdeploy.runtime.local import ACCOUNT, REGION, LocalDeployment

JITTER = 0.02  # real seconds: the most a Lambda invocation is delayed
ENDPOINT = "churn-predictor"
GROUP = "churn-predictor"  # examples/profiles.json
RUN_BOUND = 300.0  # real seconds a run may take before it is reported stuck (never asserted)


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return loaded


def profiles() -> dict[str, Any]:
    """examples/profiles.json, its GROUP deploying ENDPOINT: approvals and direct requests
    (examples/request.json's endpoint) race on one endpoint. The emulator's deployer has no
    name prefix; the example's own endpoint carries a stack's (smdeploy-)."""
    loaded = example("profiles.json")
    loaded[GROUP]["EndpointName"] = ENDPOINT
    return loaded


def with_count(request: dict[str, Any], count: int) -> dict[str, Any]:
    """``request`` with its first variant at ``count`` instances: a config of its own."""
    changed = copy.deepcopy(request)
    changed["ProductionVariants"][0]["InitialInstanceCount"] = count
    return changed


def with_model(request: dict[str, Any], version: int) -> dict[str, Any]:
    """``request`` with every variant on a model of its own, ``churn-xgboost-v<version>``."""
    changed = copy.deepcopy(request)
    name = f"churn-xgboost-v{version}"
    changed["Models"] = [{**changed["Models"][0], "ModelName": name}]
    for variant in changed["ProductionVariants"]:
        variant["ModelName"] = name
    return changed


def register(account: LocalDeployment) -> str:
    sm: Any = account.sagemaker
    return str(
        sm.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification=example("inference-specification.json"),
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]
    )


def approve(account: LocalDeployment, arn: str) -> None:
    """Approve (the Model Registry's event starts an execution, which runs on its own)."""
    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")


def start(account: LocalDeployment, request: dict[str, Any]) -> str:
    text = json.dumps(request)
    return account.stepfunctions.start_execution(
        stateMachineArn=account.state_machine_arn,
        name=account.execution_name(text),
        input=text,
    )["executionArn"]


def endpoint_created(account: LocalDeployment) -> bool:
    """Whether CreateEndpoint has been called: a look straight at the emulated store (moto
    cannot serve an execution's history while its interpreter writes it, in-process)."""
    return bool(account.emulator.store(ACCOUNT, REGION).endpoints)


def started(account: LocalDeployment, action: Callable[[], object]) -> list[str]:
    """Do ``action``; the executions it started (their ARNs, in the order they started)."""
    known = set(account.execution_arns())
    action()
    return [arn for arn in account.execution_arns() if arn not in known]


def reached(account: LocalDeployment, arn: str, state: str) -> None:
    """Poll (real time, bounded) until the execution ``arn`` has entered ``state``."""
    sfn = account.stepfunctions
    began = time.monotonic()
    while True:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        names = {
            e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
        }
        if state in names:
            return
        if time.monotonic() - began > RUN_BOUND:
            raise RuntimeError(f"{arn} never entered {state}")
        time.sleep(0.005)


def reject(account: LocalDeployment, arn: str) -> None:
    """Reject (the Model Registry's event starts the rollback's execution, on its own)."""
    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")


def wait_all(account: LocalDeployment) -> list[dict[str, Any]]:
    """Every execution of the deployer, described, once none is running (oldest first)."""
    sfn = account.stepfunctions
    began = time.monotonic()
    while True:
        # a look at the emulator's own executions while any runs, not an AWS call: the
        # executions themselves need the interpreter and its clients (at the 20 ms of this
        # loop, ListExecutions made a quarter of a race's AWS calls)
        running, _ = account.emulator.running_executions()
        if not running:
            described: list[dict[str, Any]] = [
                dict(sfn.describe_execution(executionArn=arn)) for arn in account.execution_arns()
            ]
            if all(d["status"] != "RUNNING" for d in described):
                return described
        if time.monotonic() - began > RUN_BOUND:
            raise RuntimeError(f"executions still running after {RUN_BOUND:.0f} s")
        time.sleep(0.02)
