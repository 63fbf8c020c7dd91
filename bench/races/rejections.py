"""The races of a rejection with a deployment in flight: at each state of the rejected
version's execution, with or without a version to roll back to."""

from __future__ import annotations

import json
from collections.abc import Callable

from bench.races.actions import (
    ENDPOINT,
    approve,
    endpoint_created,
    reached,
    register,
    reject,
    started,
    wait_all,
)
from bench.races.checks import Check, serves_package
from smdeploy.runtime.local import LocalDeployment


def rejection_at(state: str, then_v3: bool = False) -> Callable[[LocalDeployment], Check]:
    """v1 approved and deployed; v2 approved, and rejected once its execution entered
    ``state`` (``then_v3``: v3 approved right after). A rejection wins over a deployment in
    flight: the endpoint ends on v1 (or v3), never on the rejected v2."""

    def act(account: LocalDeployment) -> Check:
        v1, v2 = register(account), register(account)
        approve(account, v1)
        wait_all(account)
        [deploying] = started(account, lambda: approve(account, v2))
        reached(account, deploying, state)
        reject(account, v2)
        if then_v3:
            v3 = register(account)
            approve(account, v3)
            return serves_package(v3)
        return serves_package(v1)

    return act


def rejection_while_parked(account: LocalDeployment) -> Check:
    """v1 deployed; v2's UpdateEndpoint made, its execution parked, when v2 is rejected: the
    update cannot be stopped, so the rollback follows it."""
    v1, v2 = register(account), register(account)
    approve(account, v1)
    wait_all(account)
    with account.emulator.scheduler.held():  # v2 stays parked until the rejection is in
        [deploying] = started(account, lambda: approve(account, v2))
        reached(account, deploying, "ParkUntilSettled")
        reject(account, v2)
    return serves_package(v1)


def rejection_with_no_other_approved(state: str) -> Callable[[LocalDeployment], Check]:
    """v1 approved and deployed, then no longer Approved; v2 approved, and rejected once its
    execution entered ``state``: nothing to roll back to, so the rejection only stops v2 (and
    puts v1's config back if v2's update was made). The endpoint ends on v1."""

    def act(account: LocalDeployment) -> Check:
        v1, v2 = register(account), register(account)
        approve(account, v1)
        wait_all(account)
        account.sagemaker.update_model_package(
            ModelPackageArn=v1, ModelApprovalStatus="PendingManualApproval"
        )
        with account.emulator.scheduler.held():
            [deploying] = started(account, lambda: approve(account, v2))
            reached(account, deploying, state)
            reject(account, v2)
        return serves_package(v1)

    return act


def first_version_rejected(state: str) -> Callable[[LocalDeployment], Check]:
    """The first version ever, approved, and rejected once its execution entered ``state``:
    nothing served before, nothing else Approved. Correct: the endpoint was never created, or
    the rejection failed NoRollbackTarget naming the endpoint and the package (an operator is
    told), and the deployment of v1 ended Superseded (never a success of the rejected version);
    never an endpoint serving the rejected version silently."""

    def act(account: LocalDeployment) -> Check:
        v1 = register(account)
        with account.emulator.scheduler.held():
            [deploying] = started(account, lambda: approve(account, v1))
            reached(account, deploying, state)
            [rejection] = started(account, lambda: reject(account, v1))

        def check(account: LocalDeployment) -> bool:
            sfn = account.stepfunctions
            output = json.loads(
                sfn.describe_execution(executionArn=deploying).get("output") or "{}"
            )
            if output.get("Action") != "SUPERSEDED":  # v1's deployment never ends a success
                return False
            if not endpoint_created(account):
                return True
            ended = sfn.describe_execution(executionArn=rejection)
            cause = str(ended.get("cause") or "")
            return bool(
                ended.get("error") == "NoRollbackTarget" and v1 in cause and ENDPOINT in cause
            )

        return check

    return act


def rejection_while_waiting(account: LocalDeployment) -> Check:
    """v1's deployment holds the endpoint (parked); v2, approved, waits for the lease when it
    is rejected."""
    v1, v2 = register(account), register(account)
    with account.emulator.scheduler.held():
        [first] = started(account, lambda: approve(account, v1))
        reached(account, first, "ParkUntilSettled")
        [waiting] = started(account, lambda: approve(account, v2))
        reached(account, waiting, "WaitForLease")
        [rejection] = started(account, lambda: reject(account, v2))
        reached(account, rejection, "Admitted?")  # recorded before v2 asks again
    return serves_package(v1)
