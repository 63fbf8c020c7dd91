"""One deployment per endpoint at a time, and the newest intent wins: the decisions.

Every endpoint has one record in the deployer's table (:mod:`deployer.aws.lease_table`; its
data: :mod:`deployer.decide.lease_record`), keyed by its lower-cased name (SageMaker matches
endpoint names without regard to case). The record holds the **lease** (the one execution
allowed to change the endpoint), the **intents** that wait for it, the newest deployment that
**succeeded**, and the configs that served. It is the DynamoDB-semaphore pattern of the AWS
Compute Blog ("Controlling concurrency in distributed systems using AWS Step Functions",
https://aws.amazon.com/blogs/compute/controlling-concurrency-in-distributed-systems-using-aws-step-functions/),
with an order on the holders:

- Every deployment carries an **order** (:class:`Order`): an approval's is the time the
  package was approved (its LastModifiedTime), the version breaking ties; a rejection
  rollback's is the rejection's time; a direct or manifest execution's is the execution's
  start time. Ties fall to the last part of the key (the package ARN or the execution name),
  so the order is total.
- A deployment that finds a newer one succeeded, holding the lease, or waiting for it, is
  **superseded**: it ends successfully having created nothing more.
- A deployment that finds an older one holding the lease registers its intent and waits.
  The holder checks for newer intents once more right before CreateEndpoint/UpdateEndpoint
  (:func:`begin_rollout`): if one is waiting, it yields. After that call it cannot be
  cancelled, and the newer one waits for it to end.
- A lease whose holder is no longer RUNNING (aborted, timed out, crashed past its failure
  path), or whose expiry (the holder's own execution time limit) has passed, is taken over.
  So is an intent whose execution is gone: nothing dead ever blocks or supersedes.
- A **rejection** of model package P (when the group's profile rolls back on rejection) is an
  intent too: "the endpoint must not serve P", ordered by the rejection's time. It is
  remembered in the record (``Rejections``), and every older claim to deploy P is superseded
  by it at its next check (Admit, :func:`begin_rollout`, Describe once the endpoint settles).
  It becomes a deployment of the newest other Approved version when the endpoint serves P,
  or a deployment of P is in flight or was the newest success (:func:`reject`); otherwise
  nothing is needed (``NOT_NEEDED``).
- A rejection with **no rollback** (the profile's RollbackOnRejection is off, or no other
  version is Approved) names no package to deploy: it only stops (:func:`stop`). When the
  deployment of P it stops had begun its rollout (CreateEndpoint/UpdateEndpoint called), it
  waits for it to end, then puts back the config the endpoint served before P (``RESTORE``,
  from ``Served``); when there is none (P's deployment created the endpoint), or P finished
  deploying and the profile asks for a rollback that has no target, it ends ``NO_TARGET``
  (the execution fails ``NoRollbackTarget``: an operator is told).

Everything here is pure: the handler reads the record, asks Step Functions which executions
are still running (:func:`executions_to_check`), decides here, and writes the new record with
a conditional write (the record's ``Version``). Decided apart from doing, as in
:mod:`deployer.perform.deploy`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from deployer.decide.lease_record import Admission, Claim, Decision, Record
from deployer.errors import LeaseLost

# How many configs that served the endpoint the record remembers (newest first).
SERVED_REMEMBERED = 20
# Seconds between two looks at the lease while an older deployment holds it.
LEASE_POLL_SECONDS = 60
# How many rejections the record remembers (newest first).
REJECTIONS_REMEMBERED = 20


def guarded_before(record: Record) -> bool:
    """Whether an earlier deployment may have left guardrails on the endpoint: an endpoint
    with no record had no deployment by the deployer; a record that does not know (written
    before it remembered) is taken as yes."""
    if record.Version == 0:
        return False
    return record.Guarded is not False


def guardrails_to_run(record: Record, me: Claim) -> bool:
    """The guardrail steps run when the request configures guardrails, or when an earlier
    deployment left some on the endpoint: switching them off cleans them up (and a scalable
    target is deregistered before an instance-type change). Otherwise none runs."""
    return me.Guarded or guarded_before(record)


def _same(a: Claim | None, b: Claim) -> bool:
    return a is not None and a.Execution == b.Execution


def _expired(claim: Claim, now: float) -> bool:
    return now >= claim.Expires


def executions_to_check(record: Record, me: Claim, now: float) -> list[str]:
    """The executions whose liveness the decision depends on: the holder (unless it is this
    execution or its lease has expired) and every intent newer than this one."""
    arns: list[str] = []
    holder = record.Holder
    if holder is not None and not _same(holder, me) and not _expired(holder, now):
        arns.append(holder.Execution)
    arns += [
        c.Execution
        for c in record.Intents
        if not _same(c, me) and c.Order.newer_than(me.Order) and not _expired(c, now)
    ]
    return arns


def _cleaned(
    record: Record, me: Claim, now: float, alive: Mapping[str, bool]
) -> tuple[Record, Claim | None]:
    """The record without dead or expired claims (other than ``me``'s); the holder dropped."""
    holder = record.Holder
    took_over = None
    gone = holder is not None and (_expired(holder, now) or not alive.get(holder.Execution, True))
    if holder is not None and not _same(holder, me) and gone:
        took_over, holder = holder, None
    intents = [
        c
        for c in record.Intents
        if not _same(c, me) and not _expired(c, now) and alive.get(c.Execution, True)
    ]
    return record.model_copy(update={"Holder": holder, "Intents": intents}), took_over


def newest_newer(me: Claim, claims: Iterable[Claim | None]) -> Claim | None:
    """The newest of ``claims`` (another execution's) that is newer than ``me``."""
    newer = [c for c in claims if c and not _same(c, me) and c.Order.newer_than(me.Order)]
    return max(newer, key=lambda c: c.Order.key) if newer else None


def rejected_by(record: Record, me: Claim) -> Claim | None:
    """The newest rejection, newer than ``me``, of the package ``me`` deploys."""
    package = me.Package
    if package is None:
        return None
    rejections = (
        r for r in record.Rejections if r.Rejects and r.Rejects.lower() == package.lower()
    )
    return newest_newer(me, rejections)


def _newest_newer(record: Record, me: Claim) -> Claim | None:
    """The newest claim, among the succeeded, the holder, the intents and the rejections of
    ``me``'s package, newer than ``me``."""
    rejection = rejected_by(record, me)
    return newest_newer(me, (record.Deployed, record.Holder, *record.Intents, rejection))


def reject(
    record: Record, me: Claim, serving: bool, asked_before: bool = False
) -> tuple[Record, Claim, bool]:
    """A rejection's rollback ``me`` (``me.Rejects`` set) meets the record: (the record
    remembering the rejection, ``me`` with the in-flight deployments of the rejected package it
    stops, whether the rollback is needed).

    Needed when the endpoint served the rejected package (``serving``), an older deployment of
    it holds or waits for the endpoint, or it is the newest success; or when ``me`` held or
    waited for the endpoint already (``asked_before``: decided so before)."""
    assert me.Rejects is not None
    rejected = me.Rejects
    older = [c for c in (record.Holder, *record.Intents) if c and me.Order.newer_than(c.Order)]
    stopped = [c.name for c in older if c.deploys(rejected) and not _same(c, me)]
    known = next((r for r in record.Rejections if _same(r, me)), None)
    if known is not None:
        stopped = [*known.Stopped, *(s for s in stopped if s not in known.Stopped)]
        me = me.model_copy(update={"Restore": me.Restore or known.Restore})
    me = me.model_copy(update={"Stopped": stopped})
    rest = [r for r in record.Rejections if not _same(r, me)]
    rejections = sorted([me, *rest], key=lambda r: r.Order.key, reverse=True)
    remembered = record.model_copy(update={"Rejections": rejections[:REJECTIONS_REMEMBERED]})
    deployed = record.Deployed is not None and record.Deployed.deploys(rejected)
    needed = serving or bool(stopped) or deployed or asked_before
    return remembered, me, needed


def rejection_summary(me: Claim) -> str:
    """What a rejection's rollback ``me`` did to the deployments of the rejected package."""
    if not me.Stopped:
        return f"rejection of {me.Rejects}: no deployment of it was in flight"
    stopped = ", ".join(me.Stopped)
    return (
        f"rejection of {me.Rejects}: stopped the in-flight deployment {stopped} (superseded at "
        f"its next check)"
    )


def admit(
    record: Record,
    me: Claim,
    now: float,
    alive: Mapping[str, bool],
    serving_rejected: bool = False,
    roll_back: bool = True,
) -> Admission:
    """Decide whether ``me`` may deploy now, must wait, or is superseded; or, for a
    rejection's rollback, that it is not needed (see :func:`reject`).

    ``alive`` says, for the executions :func:`executions_to_check` named, whether they are
    still RUNNING (a missing answer counts as alive: never take over on a guess).
    ``serving_rejected``: a rejection's rollback, whose rejected package the endpoint served
    when Validate looked. ``roll_back``: the group's profile rolls back on rejection.
    """
    asked_before = any(_same(c, me) for c in (record.Holder, *record.Intents))
    guarded = guardrails_to_run(record, me)
    if record.Version == 0:  # a new record: no deployment left guardrails on the endpoint
        record = record.model_copy(update={"Guarded": False})
    record, took_over = _cleaned(record, me, now, alive)
    if me.Rejects is not None:
        record, me, needed = reject(record, me, serving_rejected, asked_before)
        if me.Package is None:
            return stop(record, me, now, took_over, serving_rejected, roll_back)
        if not needed:
            return _no_lease(Decision.NOT_NEEDED, record, me, took_over)
    admission = _admit(record, me, now, took_over, guarded)
    return admission.model_copy(update={"Claimed": me})


def previous_config(record: Record, rejected: str) -> str | None:
    """The newest config that served the endpoint and that no deployment of ``rejected``
    named: what a rejection with no rollback puts back."""
    claims = (record.Holder, *record.Intents, record.Deployed)
    theirs = {c.EndpointConfigName.lower() for c in claims if c and c.deploys(rejected)}
    return next((s for s in record.Served if s.lower() not in theirs), None)


def _remember(record: Record, me: Claim) -> Record:
    rejections = [me if _same(r, me) else r for r in record.Rejections]
    return record.model_copy(update={"Rejections": rejections})


def stop(
    record: Record,
    me: Claim,
    now: float,
    took_over: Claim | None,
    serving: bool,
    roll_back: bool,
) -> Admission:
    """A rejection with no rollback ``me`` (``me.Package`` None), already remembered in
    ``record`` by :func:`reject`: every older deployment of the rejected package is superseded
    at its next check. When one had begun its rollout, put back the config the endpoint served
    before once it has ended (``WAIT``, then ``RESTORE``), or ``NO_TARGET`` when there is none.
    When the rejected package finished deploying (``serving``, or the newest success), keep it
    if the profile does not roll back, else ``NO_TARGET``. Otherwise ``NOT_NEEDED``."""
    assert me.Rejects is not None
    rejected, endpoint = me.Rejects, record.Endpoint
    holder = record.Holder
    rolling = holder is not None and holder.name in me.Stopped and holder.Phase == "DEPLOYING"
    if rolling and me.Restore is None:
        target = previous_config(record, rejected)
        if target is None:
            note = (
                f"{rejected} was rejected while its deployment {', '.join(me.Stopped)} created "
                f"or updated endpoint {endpoint}, and no config that served the endpoint before "
                f"is known to put back: {endpoint} is left serving the rejected version; approve "
                f"another version, or delete the endpoint"
            )
            return _no_lease(Decision.NO_TARGET, record, me, took_over, note)
        me = me.model_copy(update={"Restore": target})
        record = _remember(record, me)
    if me.Restore is not None:
        restoring = me.model_copy(update={"EndpointConfigName": me.Restore})
        admission = _admit(record, restoring, now, took_over, guardrails_to_run(record, me))
        decision = admission.Decision
        if decision is Decision.ACQUIRED:
            decision = Decision.RESTORE
        note = (
            f"{rejection_summary(me)}; its rollout had begun: putting back {me.Restore}, the "
            f"config endpoint {endpoint} served before"
        )
        return admission.model_copy(
            update={"Decision": decision, "Claimed": restoring, "Note": note}
        )
    deployed = record.Deployed is not None and record.Deployed.deploys(rejected)
    stopped = f"{rejection_summary(me)}; " if me.Stopped else ""
    if (serving or deployed) and roll_back:
        note = (
            f"{stopped}{rejected} was rejected while serving endpoint {endpoint}, and no other "
            f"version is Approved to roll back to; the endpoint keeps serving the rejected "
            f"version until one is approved"
        )
        return _no_lease(Decision.NO_TARGET, record, me, took_over, note)
    if serving or deployed:
        note = (
            f"{stopped}{rejected} was rejected; rollback on rejection is off, so endpoint "
            f"{endpoint} keeps serving it (it had finished deploying)"
        )
    elif me.Stopped:
        note = f"{stopped}it had not changed endpoint {endpoint} yet: nothing to put back"
    else:
        note = (
            f"{rejected} was rejected, but endpoint {endpoint} neither serves it nor is getting "
            f"it; nothing to roll back"
        )
    return _no_lease(Decision.NOT_NEEDED, record, me, took_over, note)


def _no_lease(
    decision: Decision, record: Record, me: Claim, took_over: Claim | None, note: str = ""
) -> Admission:
    """A rejection's admission that takes no lease: ``decision``, with ``me`` as claimed."""
    return Admission(Decision=decision, Record=record, TookOver=took_over, Claimed=me, Note=note)


def _admit(
    record: Record, me: Claim, now: float, took_over: Claim | None, guarded: bool
) -> Admission:
    newer = _newest_newer(record, me)
    if newer is not None:
        holder = None if _same(record.Holder, me) else record.Holder
        return Admission(
            Decision=Decision.SUPERSEDED,
            Record=record.model_copy(update={"Holder": holder}),
            By=newer,
            TookOver=took_over,
        )
    if record.Holder is None or _same(record.Holder, me):
        holding = me.model_copy(update={"Phase": "CONFIGURING"})
        if _same(record.Holder, me) and record.Holder is not None:
            holding = record.Holder  # asked again (a retried task): nothing changes
        return Admission(
            Decision=Decision.ACQUIRED,
            Record=record.model_copy(update={"Holder": holding}),
            TookOver=took_over,
            Guardrails=guarded,
        )
    holder = record.Holder
    intents = [*record.Intents, me.model_copy(update={"Phase": "WAITING"})]
    wait = int(min(LEASE_POLL_SECONDS, max(1.0, holder.Expires - now)))
    return Admission(
        Decision=Decision.WAIT,
        Record=record.model_copy(update={"Intents": intents}),
        By=holder,
        TookOver=took_over,
        WaitSeconds=wait,
    )


def begin_rollout(
    record: Record, me: Claim, now: float, alive: Mapping[str, bool]
) -> tuple[Record, Claim | None]:
    """Right before CreateEndpoint/UpdateEndpoint: (the record marking ``me`` DEPLOYING, None),
    or (the record, the newer claim) when a newer deployment is waiting. Yielding, ``me``
    keeps the lease until its Release: what its guardrails deregistered is put back first,
    and the newer deployment, waiting for the lease, never sees the endpoint half-prepared.

    Raises :class:`LeaseLost` when ``me`` no longer holds the lease (it expired and was taken).
    """
    if not _same(record.Holder, me):
        now_held = record.Holder.Execution if record.Holder else "nobody"
        raise LeaseLost(
            f"{me.name} no longer holds the lease on endpoint {record.Endpoint} (it is held by "
            f"{now_held}): its time limit passed and the endpoint was taken over; nothing more "
            f"is changed"
        )
    record, _ = _cleaned(record, me, now, alive)
    newer = _newest_newer(record, me)
    if newer is not None:
        return record, newer
    assert record.Holder is not None
    deploying = record.Holder.model_copy(
        update={"Phase": "DEPLOYING", "EndpointConfigName": me.EndpointConfigName}
    )
    return record.model_copy(update={"Holder": deploying}), None


def release(record: Record, me: Claim, succeeded: bool, served: str | None = None) -> Record:
    """The record once ``me`` has ended: its lease and its intent gone; on success, it is the
    newest deployment that succeeded (when no newer one did) and ``served`` is remembered.

    What the endpoint's guardrails are now (``Guarded``): after a success, the deployed
    request's (its guardrail steps brought the endpoint to them, or cleaned them up); after
    any other ending, what they were, or yes when this deployment's may have been put in
    place (its rollback alarms are made before the update and kept)."""
    holder = None if _same(record.Holder, me) else record.Holder
    intents = [c for c in record.Intents if not _same(c, me)]
    update: dict[str, object] = {"Holder": holder, "Intents": intents}
    if _same(record.Holder, me):
        if succeeded:
            update["Guarded"] = me.Guarded
        elif me.Guarded:
            update["Guarded"] = True
    if succeeded:
        if record.Deployed is None or not record.Deployed.Order.newer_than(me.Order):
            update["Deployed"] = me.model_copy(update={"Phase": "DEPLOYED"})
        if served:
            rest = [s for s in record.Served if s.lower() != served.lower()]
            update["Served"] = [served, *rest][:SERVED_REMEMBERED]
    return record.model_copy(update=update)
