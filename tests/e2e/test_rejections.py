"""A rejection wins over a deployment in flight, through the real state machine.

v1 is approved and deployed; v2 is approved, and rejected while its own deployment runs. The
endpoint ends on v1, never on the rejected v2; the deployment of v2 ends Superseded by the
rejection, and the rejection's output says what it did. Each case runs with seeded random
invocation delays (bench/races/ runs more of them, at more points, for the table).
"""

from __future__ import annotations

import pytest
from e2e_helpers import states_entered

from bench.races import actions
from smdeploy.runtime.local import LocalDeployment, Outcome

pytestmark = pytest.mark.e2e

SEEDS = (1, 2, 3)
JITTER = 0.02
ENDPOINT = actions.ENDPOINT


# a creation long enough that a deployment waiting for the lease is still waiting when the
# rejection (started in real time right after) reaches Admit, whatever the machine's load
WHILE_V1_CREATES = {"creation_seconds": 1800}


def open_registry(make_account, seed: int, **faults) -> LocalDeployment:
    account: LocalDeployment = make_account(
        seed=seed, invocation_jitter=JITTER, profiles=actions.profiles(), **faults
    )
    return account


def serving(account: LocalDeployment) -> str:
    sm = account.sagemaker
    config = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    )
    [package] = {
        container["ModelPackageName"]
        for variant in config["ProductionVariants"]
        for container in sm.describe_model(ModelName=variant["ModelName"])["Containers"]
    }
    return str(package)


def name_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_rejection_while_the_update_runs_is_followed_by_the_rollback(make_account, seed):
    account = open_registry(make_account, seed)
    v1, v2 = actions.register(account), actions.register(account)
    [first] = account.triggered(lambda: actions.approve(account, v1))
    with account.emulator.scheduler.held():  # v2's update is made, and parked, when rejected
        [deploying] = actions.started(account, lambda: actions.approve(account, v2))
        actions.reached(account, deploying, "ParkUntilSettled")
        [rejection] = actions.started(account, lambda: actions.reject(account, v2))

    d, r = account.follow(deploying), account.follow(rejection)

    assert [first.status, d.status, r.status] == ["SUCCEEDED"] * 3, (d.cause, r.cause)
    assert serving(account) == v1
    # the update of v2 could not be stopped: once settled, it ends Superseded by the rejection
    assert d.output is not None and d.output["Action"] == "SUPERSEDED"
    assert d.output["SupersededBy"]["Execution"] == rejection
    assert d.output["Message"].startswith(f"superseded by {name_of(rejection)}: {v2} was rejected")
    assert "DeploymentSucceeded" not in states_entered(d.history)
    # the rejection waited for it, then put v1 back, and says so
    assert r.output is not None and r.output["Action"] == "UPDATE"
    assert r.output["Trigger"]["ModelPackageArn"] == v1
    assert r.output["Trigger"]["RejectedModelPackageArn"] == v2
    assert r.output["Message"].startswith(
        f"rejection of {v2}: stopped the in-flight deployment {name_of(deploying)} (superseded "
        f"at its next check); rolled back to {v1}: UpdateEndpoint"
    )
    assert "WaitForLease" in states_entered(r.history)


def rejected_while_waiting(account: LocalDeployment) -> tuple[str, str, Outcome]:
    """v1's deployment parked; v2 approved, waiting for the lease, is rejected (its rejection
    in the endpoint's record before v2 asks again): (v2, v2's execution, the rejection's
    outcome), once asserted that every execution SUCCEEDED, v1 serves, and v2's deployment was
    superseded by the rejection before it created anything."""
    v1, v2 = actions.register(account), actions.register(account)
    with account.emulator.scheduler.held():
        [first] = actions.started(account, lambda: actions.approve(account, v1))
        actions.reached(account, first, "ParkUntilSettled")
        [waiting] = actions.started(account, lambda: actions.approve(account, v2))
        actions.reached(account, waiting, "WaitForLease")
        [rejection] = actions.started(account, lambda: actions.reject(account, v2))
        actions.reached(account, rejection, "Admitted?")

    a, w, r = (account.follow(arn) for arn in (first, waiting, rejection))

    assert [a.status, w.status, r.status] == ["SUCCEEDED"] * 3, (w.cause, r.cause)
    assert serving(account) == v1
    assert w.output is not None and w.output["Action"] == "SUPERSEDED"
    assert w.output["SupersededBy"]["Execution"] == rejection
    assert "Configure" not in states_entered(w.history)  # it created nothing
    return v2, waiting, r


@pytest.mark.parametrize("seed", SEEDS)
def test_a_rejection_while_the_deployment_waits_for_the_lease_stops_it(make_account, seed):
    # v1's creation is long: v2's looks at the lease advance the simulated clock (a held clock
    # only stops the driver's jumps), so the rejection must meet v2 while v1 still creates
    account = open_registry(make_account, seed, **WHILE_V1_CREATES)
    v2, waiting, r = rejected_while_waiting(account)
    assert r.output is not None and r.output["Action"] == "NONE"  # v1 serves: nothing to change
    assert r.output["Message"].startswith(
        f"rejection of {v2}: stopped the in-flight deployment {name_of(waiting)}"
    )


def test_a_rejection_of_a_version_neither_served_nor_in_flight_changes_nothing(make_account):
    account = open_registry(make_account, 1)
    v1, v2 = actions.register(account), actions.register(account)
    account.triggered(lambda: actions.approve(account, v1))
    config = account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]

    [rejection] = account.triggered(lambda: actions.reject(account, v2))

    assert rejection.status == "SUCCEEDED", rejection.cause
    assert rejection.output == {
        "Action": "SKIPPED",
        "Message": f"{v2} was rejected, but endpoint {ENDPOINT} neither serves it nor is getting "
        f"it; nothing to roll back",
        "Trigger": {
            "Source": "rejection",
            "ModelPackageGroupName": actions.GROUP,
            "ModelPackageArn": v1,
            "RejectedModelPackageArn": v2,
        },
    }
    assert "Configure" not in states_entered(rejection.history)
    assert account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == (
        config
    )


# --- a rejection with no rollback: nothing else Approved, or RollbackOnRejection off ----------


def rollback_off(make_account, seed: int, **faults) -> LocalDeployment:
    profiles = actions.profiles()
    profiles[actions.GROUP]["RollbackOnRejection"] = False
    account: LocalDeployment = make_account(
        seed=seed, invocation_jitter=JITTER, profiles=profiles, **faults
    )
    return account


def config_of(account: LocalDeployment) -> str:
    return str(account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"])


def rejected_while_parked(account: LocalDeployment, v2: str) -> tuple[str, str]:
    """v2 approved; rejected once its UpdateEndpoint was made and its execution parked:
    (the deployment of v2, the rejection's execution)."""
    with account.emulator.scheduler.held():
        [deploying] = actions.started(account, lambda: actions.approve(account, v2))
        actions.reached(account, deploying, "ParkUntilSettled")
        [rejection] = actions.started(account, lambda: actions.reject(account, v2))
    return deploying, rejection


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("why", ["nothing else Approved", "rollback off"])
def test_a_rejection_with_no_rollback_puts_back_the_config_served_before_the_update(
    make_account, seed, why
):
    if why == "rollback off":
        account = rollback_off(make_account, seed)
        v1, v2 = actions.register(account), actions.register(account)
        account.triggered(lambda: actions.approve(account, v1))
    else:  # v1 served, and is no longer Approved when v2 is rejected
        account = open_registry(make_account, seed)
        v1, v2 = actions.register(account), actions.register(account)
        account.triggered(lambda: actions.approve(account, v1))
        account.sagemaker.update_model_package(
            ModelPackageArn=v1, ModelApprovalStatus="PendingManualApproval"
        )
    before = config_of(account)
    deploying, rejection = rejected_while_parked(account, v2)

    d, r = account.follow(deploying), account.follow(rejection)

    assert [d.status, r.status] == ["SUCCEEDED"] * 2, (d.cause, r.cause)
    assert serving(account) == v1 and config_of(account) == before
    assert d.output is not None and d.output["Action"] == "SUPERSEDED"
    assert d.output["SupersededBy"]["Execution"] == rejection
    assert d.output["Message"].endswith(
        f"until the rejection puts back {before}, the config served before"
    )
    assert "DeploymentSucceeded" not in states_entered(d.history)
    # the rejection waited for v2's update, then put v1's config back, and says so
    assert r.output is not None and r.output["Action"] == "UPDATE"
    assert r.output["EndpointConfigName"] == before
    assert r.output["Trigger"]["RejectedModelPackageArn"] == v2
    assert r.output["Message"].startswith(
        f"rejection of {v2}: stopped the in-flight deployment {name_of(deploying)} (superseded "
        f"at its next check); put back {before}, the config the endpoint served before: "
        f"UpdateEndpoint"
    )
    assert {"WaitForLease", "PrepareRestore", "Configure"} <= set(states_entered(r.history))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_first_version_rejected_while_it_creates_the_endpoint_fails_the_rejection_loudly(
    make_account, seed
):
    # nothing served before, nothing else Approved: the endpoint the deployer created serves
    # only the rejected version; the rejection fails NoRollbackTarget (notified), naming both
    account = open_registry(make_account, seed)
    v1 = actions.register(account)
    with account.emulator.scheduler.held():
        [deploying] = actions.started(account, lambda: actions.approve(account, v1))
        actions.reached(account, deploying, "ParkUntilSettled")
        [rejection] = actions.started(account, lambda: actions.reject(account, v1))

    d, r = account.follow(deploying), account.follow(rejection)

    assert d.status == "SUCCEEDED" and d.output is not None, d.cause
    assert d.output["Action"] == "SUPERSEDED"  # never recorded as a success of v1
    assert d.output["Message"].endswith(
        "with nothing that served before to put back (the rejection fails loudly)"
    )
    assert (r.status, r.error) == ("FAILED", "NoRollbackTarget")
    assert r.cause is not None
    assert f"{v1} was rejected while its deployment {name_of(deploying)}" in r.cause
    assert f"endpoint {ENDPOINT}" in r.cause and "left serving the rejected version" in r.cause
    assert "NotifyFailed" in states_entered(r.history)
    assert "Configure" not in states_entered(r.history)


@pytest.mark.parametrize("seed", SEEDS)
def test_with_rollback_off_a_deployment_waiting_for_the_lease_is_stopped(make_account, seed):
    account = rollback_off(make_account, seed, **WHILE_V1_CREATES)  # as above
    v2, waiting, r = rejected_while_waiting(account)
    assert r.output is not None and r.output["Action"] == "SKIPPED"
    assert r.output["Message"] == (
        f"rejection of {v2}: stopped the in-flight deployment {name_of(waiting)} (superseded at "
        f"its next check); it had not changed endpoint {ENDPOINT} yet: nothing to put back"
    )


def test_with_rollback_off_a_version_that_finished_deploying_keeps_serving(make_account):
    account = rollback_off(make_account, 1)
    v1, v2 = actions.register(account), actions.register(account)
    account.triggered(lambda: actions.approve(account, v1))
    account.triggered(lambda: actions.approve(account, v2))
    config = config_of(account)

    [rejection] = account.triggered(lambda: actions.reject(account, v2))

    assert rejection.status == "SUCCEEDED", rejection.cause
    assert rejection.output is not None and rejection.output["Action"] == "SKIPPED"
    assert rejection.output["Message"] == (
        f"{v2} was rejected; rollback on rejection is off, so endpoint {ENDPOINT} keeps serving "
        f"it (it had finished deploying)"
    )
    assert serving(account) == v2 and config_of(account) == config
