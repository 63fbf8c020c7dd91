"""The Lease stage performed: admit a deployment to its endpoint (or make it wait, or supersede
it), saying why in words, and release the endpoint when the deployment ends, on every path
(dropping the waiter a park left behind, when its events were lost). The decisions are
:mod:`deployer.decide.lease`'s; the table is :mod:`deployer.aws.lease_table`.
"""

from __future__ import annotations

from typing import Any

from deployer import interface
from deployer.aws import clients
from deployer.aws.lease_table import Ledger, running
from deployer.decide.deadline import lease_wait
from deployer.decide.lease import admit, executions_to_check, rejection_summary, release
from deployer.decide.lease_record import Claim, Decision, Intent
from deployer.decide.wake import unregister
from deployer.errors import DeploymentTimedOut, NoRollbackTarget
from deployer.observability import MetricUnit, logger, metrics, tracer
from deployer.payloads.events import LeaseEvent
from deployer.payloads.results import Admitted, Released


def ledger() -> Ledger:
    return Ledger.from_environment()


def claim_of(stage: LeaseEvent) -> Claim:
    """This execution's claim on the endpoint (its lease ends with its own time limit)."""
    # LeaseEvent checked that Admit has both
    assert stage.Order is not None
    assert stage.EndpointConfigName is not None
    intent = stage.Intent or Intent()
    return Claim(
        Execution=stage.ExecutionArn,
        Order=stage.Order,
        EndpointConfigName=stage.EndpointConfigName,
        Expires=stage.StartTime.timestamp() + interface.EXECUTION_TIMEOUT_SECONDS,
        Package=intent.Package,
        Rejects=intent.Rejects,
        Guarded=stage.Guarded,
    )


@tracer.capture_method
def admit_deployment(stage: LeaseEvent) -> dict[str, Any]:
    me = claim_of(stage)
    now = stage.EnteredTime.timestamp()
    table = ledger()
    record = table.read(stage.EndpointName)
    alive = running(clients.stepfunctions, executions_to_check(record, me, now))
    intent = stage.Intent or Intent()
    admission = admit(
        record, me, now, alive, serving_rejected=intent.Serving, roll_back=intent.RollBack
    )
    me = admission.Claimed or me
    if admission.Record != record:
        table.write(admission.Record)
    if admission.Decision is Decision.NO_TARGET:  # remembered: the deployment of it stops
        logger.warning(admission.Note)
        raise NoRollbackTarget(admission.Note)
    if admission.TookOver is not None:
        logger.warning(
            "lease taken over from an execution that is no longer running or has expired",
            extra={"previous_holder": admission.TookOver.Execution},
        )
        metrics.add_metric(name="LeasesTakenOver", unit=MetricUnit.Count, value=1)
    by = admission.By
    wait = admission.WaitSeconds
    if admission.Decision is Decision.WAIT:
        assert by is not None
        capped = lease_wait(wait, stage.EnteredTime, stage.Deadline)
        if capped is None:
            raise DeploymentTimedOut(
                f"the deployment deadline ({stage.Deadline}) passed while waiting for "
                f"{by.name}, which holds endpoint {stage.EndpointName} (deploying "
                f"{by.EndpointConfigName}, ordered {by.Order.describe()}); nothing deployed"
            )
        wait = capped
    if admission.Decision is Decision.SUPERSEDED:
        assert by is not None
        message = (
            f"superseded by {by.name} (ordered {by.Order.describe()}, config "
            f"{by.EndpointConfigName}), newer than this deployment (ordered "
            f"{me.Order.describe()}); nothing deployed"
        )
        metrics.add_metric(name="DeploymentsSuperseded", unit=MetricUnit.Count, value=1)
    elif admission.Decision is Decision.WAIT:
        assert by is not None
        doing = "rolling out" if by.Phase == "DEPLOYING" else "configuring"
        message = (
            f"waiting for {by.name}, which holds endpoint {stage.EndpointName} ({doing} "
            f"{by.EndpointConfigName}); looking again in {wait} s"
            + (f", waiting at most until {stage.Deadline.isoformat()}" if stage.Deadline else "")
        )
    elif admission.Decision in (Decision.NOT_NEEDED, Decision.RESTORE):
        message = admission.Note or (
            f"{me.Rejects} was rejected, but endpoint {stage.EndpointName} neither serves it "
            f"nor is getting it; nothing to roll back"
        )
    else:
        message = f"this execution holds the lease on endpoint {stage.EndpointName}"
    if me.Rejects is not None and admission.Decision in (
        Decision.ACQUIRED,
        Decision.WAIT,
        Decision.SUPERSEDED,
    ):
        message = f"{rejection_summary(me)}; {message}"
    logger.info(message, extra={"decision": admission.Decision.value})
    return Admitted(
        Decision=admission.Decision,
        Claim=me,
        By=by,
        WaitSeconds=wait,
        Message=message,
        Guardrails=admission.Guardrails,
    ).to_json()


@tracer.capture_method
def release_endpoint(stage: LeaseEvent) -> dict[str, Any]:
    table = ledger()
    # First this execution's waiter, if one is left (its events were lost and its park timed
    # out, or it ended on a failure or a supersession while parked): nothing finished waits.
    waits = table.read_waits(stage.EndpointName)
    if stage.Execution in waits.Waiters:
        table.write_waits(unregister(waits, {stage.Execution}))
    record = table.read(stage.EndpointName)
    mine = next(
        (c for c in (record.Holder, *record.Intents) if c and c.Execution == stage.ExecutionArn),
        None,
    )
    if mine is None:
        return Released(Released=False).to_json()  # nothing of this execution's is held
    succeeded = stage.Outcome == "Succeeded"
    table.write(release(record, mine, succeeded, stage.ServedConfig if succeeded else None))
    logger.info("endpoint released", extra={"outcome": stage.Outcome})
    return Released(Released=True).to_json()
