"""A rejection meets the deployments of its endpoint, from data alone (deployer.decide.lease).

v1 is approved at 10 s, v2 at 20 s; v2 is rejected at 30 s; v3 is approved at 40 s. A
rejection of v2 is the intent "the endpoint must not serve v2", ordered by its time: it
supersedes every older claim to deploy v2 at its next check (Admit, the rollout, Describe),
and rolls back to v1 only when the endpoint serves or is getting v2.
"""

from __future__ import annotations

import pytest
from lease_builders import NOW, claim, holding, record

from deployer.decide.lease import (
    REJECTIONS_REMEMBERED,
    admit,
    begin_rollout,
    rejected_by,
    rejection_summary,
)
from deployer.decide.lease_record import Decision

V1, V2, V3 = (
    f"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/{v}" for v in (1, 2, 3)
)

DEPLOY_V1 = claim("v1", 10, package=V1, phase="DEPLOYED")
DEPLOY_V2 = claim("v2", 20, package=V2)
REJECT_V2 = claim("reject-v2", 30, package=V1, rejects=V2)  # rolls back to v1
DEPLOY_V3 = claim("v3", 40, package=V3)
DIRECT = claim("direct", 25)  # a direct deployment names no package


# --- the rejection's own admission ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "before", "serving", "decision", "stopped"),
    [
        # v2 is in flight: the rejection stops it, wherever it is, and rolls back after it
        ("v2 waits for the lease", record(Holder=holding(DIRECT), Intents=[DEPLOY_V2]), False,
         Decision.WAIT, ["v2"]),
        ("v2 configures", record(Holder=holding(DEPLOY_V2)), False, Decision.WAIT, ["v2"]),
        ("v2 rolls out (parked)", record(Holder=holding(DEPLOY_V2, "DEPLOYING")), False,
         Decision.WAIT, ["v2"]),
        # v2 serves (Validate saw it), or was the newest success: roll back at once
        ("v2 serves", record(Deployed=holding(DEPLOY_V2, "DEPLOYED")), True, Decision.ACQUIRED,
         []),
        ("v2 just succeeded", record(Deployed=holding(DEPLOY_V2, "DEPLOYED")), False,
         Decision.ACQUIRED, []),
        # nothing serves or gets v2: nothing to do
        ("v1 serves, nothing in flight", record(Deployed=DEPLOY_V1), False, Decision.NOT_NEEDED,
         []),
        ("no record yet", record(), False, Decision.NOT_NEEDED, []),
        ("only a direct deployment in flight", record(Holder=holding(DIRECT)), False,
         Decision.NOT_NEEDED, []),
        # a newer approval (v3) wins over the rollback to v1: the rejection stops v2 and ends
        ("v2 configures, v3 waits", record(Holder=holding(DEPLOY_V2), Intents=[DEPLOY_V3]),
         False, Decision.SUPERSEDED, ["v2"]),
        ("v3 serves", record(Deployed=holding(DEPLOY_V3, "DEPLOYED")), False,
         Decision.NOT_NEEDED, []),
    ],
)  # fmt: skip
def test_a_rejection_rolls_back_only_when_the_endpoint_serves_or_gets_the_rejected_version(
    name, before, serving, decision, stopped
):
    admission = admit(before, REJECT_V2, NOW, {}, serving_rejected=serving)

    assert admission.Decision is decision, name
    assert admission.Claimed is not None
    assert admission.Claimed.Stopped == stopped
    # remembered in every case, so that a deployment of v2 that comes later is superseded
    assert [r.name for r in admission.Record.Rejections] == ["reject-v2"]
    if decision is Decision.NOT_NEEDED:  # it leaves no claim behind: nothing to release
        assert REJECT_V2.Execution not in {
            c.Execution for c in (admission.Record.Holder, *admission.Record.Intents) if c
        }


def test_a_rejection_asked_again_keeps_what_it_stopped_and_stays_needed():
    # First look: v2 configures; the rejection waits. v2 then yields and is gone.
    first = admit(record(Holder=holding(DEPLOY_V2)), REJECT_V2, NOW, {})
    after = first.Record.model_copy(update={"Holder": None})

    again = admit(after, REJECT_V2, NOW, {})

    assert again.Decision is Decision.ACQUIRED
    assert again.Claimed is not None and again.Claimed.Stopped == ["v2"]
    assert rejection_summary(again.Claimed) == (
        f"rejection of {V2}: stopped the in-flight deployment v2 (superseded at its next check)"
    )
    assert len(again.Record.Rejections) == 1


def test_the_record_remembers_a_bounded_number_of_rejections_newest_first():
    many = [
        claim(f"r{i}", 100 + i, package=V1, rejects=V2) for i in range(REJECTIONS_REMEMBERED + 5)
    ]
    before = record(Rejections=list(reversed(many[:-1])))

    after = admit(before, many[-1], NOW, {}).Record

    assert len(after.Rejections) == REJECTIONS_REMEMBERED
    assert after.Rejections[0].name == many[-1].name


# --- the deployments a rejection meets --------------------------------------------------------


REJECTED = record(Rejections=[REJECT_V2])


@pytest.mark.parametrize(
    ("name", "me", "rejected"),
    [
        ("an older deployment of v2", DEPLOY_V2, True),
        ("v2 approved again after the rejection", claim("v2-again", 35, package=V2), False),
        ("a deployment of v1", claim("v1-again", 25, package=V1), False),
        ("a direct deployment", DIRECT, False),
        ("the rollback itself", REJECT_V2, False),
    ],
)
def test_only_older_deployments_of_the_rejected_package_are_rejected(name, me, rejected):
    assert (rejected_by(REJECTED, me) == REJECT_V2) is rejected, name


def test_a_deployment_of_the_rejected_version_that_comes_later_to_admit_is_superseded():
    # v2's Validate saw it Approved; its Admit comes after the rejection ended (not needed)
    admission = admit(REJECTED, DEPLOY_V2, NOW, {})

    assert admission.Decision is Decision.SUPERSEDED
    assert admission.By == REJECT_V2


def test_the_rejected_deployment_yields_right_before_its_update():
    before = REJECTED.model_copy(update={"Holder": holding(DEPLOY_V2)})

    after, newer = begin_rollout(before, DEPLOY_V2, NOW, {})

    assert newer == REJECT_V2
    # yielding, it keeps the lease until its Release (autoscaling put back first)
    assert after.Holder == before.Holder


def test_a_deployment_of_another_package_rolls_out_despite_the_rejection():
    v3 = holding(DEPLOY_V3)
    before = REJECTED.model_copy(update={"Holder": v3})

    after, newer = begin_rollout(before, DEPLOY_V3, NOW, {})

    assert newer is None
    assert after.Holder is not None and after.Holder.Phase == "DEPLOYING"


# --- a rejection with no rollback: it only stops (deployer.decide.lease.stop) ----------------
#
# The profile does not roll back on rejection, or no other version is Approved: the rejection
# names no package to deploy. It stops every older deployment of v2; when the one holding the
# endpoint had begun its rollout, it puts back the config served before v2 once that ends.

STOP_V2 = claim("stop-v2", 30, rejects=V2)
SERVED = ["ep-v1", "ep-v0"]  # the configs that served, newest first


@pytest.mark.parametrize(
    ("name", "before", "serving", "roll_back", "decision", "restore"),
    [
        # v2 had not changed the endpoint: superseded at its next check; nothing to put back
        ("v2 waits for the lease", record(Holder=holding(DIRECT), Intents=[DEPLOY_V2],
         Served=SERVED), False, True, Decision.NOT_NEEDED, None),
        ("v2 configures", record(Holder=holding(DEPLOY_V2), Served=SERVED), False, True,
         Decision.NOT_NEEDED, None),
        ("v2 configures, rollback off", record(Holder=holding(DEPLOY_V2), Served=SERVED),
         False, False, Decision.NOT_NEEDED, None),
        # v2's update was called: wait for it, then put v1's config back (rollback on or off)
        ("v2 rolls out", record(Holder=holding(DEPLOY_V2, "DEPLOYING"), Served=SERVED), False,
         True, Decision.WAIT, "ep-v1"),
        ("v2 rolls out, rollback off", record(Holder=holding(DEPLOY_V2, "DEPLOYING"),
         Served=SERVED), False, False, Decision.WAIT, "ep-v1"),
        ("v2 rolled out, the endpoint serves it",
         record(Holder=holding(DEPLOY_V2, "DEPLOYING"), Served=SERVED), True, False,
         Decision.WAIT, "ep-v1"),
        # v2's config served once before (approved, deployed, replaced): never put back
        ("v2 rolls out again", record(Holder=holding(DEPLOY_V2, "DEPLOYING"),
         Served=["ep-v2", "ep-v1"]), False, True, Decision.WAIT, "ep-v1"),
        # v2's deployment created the endpoint: nothing served before it
        ("v2 creates the endpoint", record(Holder=holding(DEPLOY_V2, "DEPLOYING")), False, True,
         Decision.NO_TARGET, None),
        ("v2 creates the endpoint, rollback off", record(Holder=holding(DEPLOY_V2, "DEPLOYING")),
         False, False, Decision.NO_TARGET, None),
        # v2 finished deploying: off keeps it; on, with nothing to roll back to, says so loudly
        ("v2 serves, rollback off", record(Deployed=holding(DEPLOY_V2, "DEPLOYED"),
         Served=["ep-v2", "ep-v1"]), True, False, Decision.NOT_NEEDED, None),
        ("v2 serves, no other version", record(Deployed=holding(DEPLOY_V2, "DEPLOYED")), True,
         True, Decision.NO_TARGET, None),
        ("v2 just succeeded, Validate saw v1", record(Deployed=holding(DEPLOY_V2, "DEPLOYED")),
         False, False, Decision.NOT_NEEDED, None),
        # nothing of v2 anywhere
        ("v1 serves", record(Deployed=DEPLOY_V1, Served=SERVED), False, True,
         Decision.NOT_NEEDED, None),
        ("no record yet", record(), False, False, Decision.NOT_NEEDED, None),
        # a newer approval (v3) waits: it wins over putting v1 back
        ("v2 rolls out, v3 waits", record(Holder=holding(DEPLOY_V2, "DEPLOYING"),
         Intents=[DEPLOY_V3], Served=SERVED), False, True, Decision.SUPERSEDED, "ep-v1"),
    ],
)  # fmt: skip
def test_a_rejection_with_no_rollback_stops_and_puts_back_only_what_the_update_changed(
    name, before, serving, roll_back, decision, restore
):
    admission = admit(before, STOP_V2, NOW, {}, serving_rejected=serving, roll_back=roll_back)

    assert admission.Decision is decision, name
    assert admission.Claimed is not None
    assert admission.Claimed.Restore == restore, name
    # remembered in every case: the deployment of v2 is superseded at its next check
    [remembered] = admission.Record.Rejections
    assert remembered.name == "stop-v2" and remembered.Restore == restore
    stays = decision in (Decision.WAIT,)
    assert (STOP_V2.Execution in {c.Execution for c in admission.Record.Intents}) is stays, name
    # the note names the rejected version and the endpoint, and what it puts back, if anything
    assert V2 in admission.Note and "endpoint churn-predictor" in admission.Note, name
    assert (f"putting back {restore}," in admission.Note) is (restore is not None), name


def test_a_rejection_that_waited_for_the_update_puts_the_config_served_before_back():
    rolling = record(Holder=holding(DEPLOY_V2, "DEPLOYING"), Served=SERVED)
    first = admit(rolling, STOP_V2, NOW, {})
    # v2's deployment is superseded at Describe and lets the endpoint go
    after = first.Record.model_copy(update={"Holder": None})

    again = admit(after, STOP_V2, NOW, {})

    assert again.Decision is Decision.RESTORE
    assert again.Claimed is not None
    assert again.Claimed.EndpointConfigName == "ep-v1"  # what it deploys: the config put back
    assert again.Claimed.Stopped == ["v2"]
    assert again.Record.Holder is not None and again.Record.Holder.name == "stop-v2"
    assert again.Note == (
        f"rejection of {V2}: stopped the in-flight deployment v2 (superseded at its next "
        f"check); its rollout had begun: putting back ep-v1, the config endpoint "
        f"churn-predictor served before"
    )
    # v2's deployment, asked at Describe, is superseded by it
    superseding = rejected_by(again.Record, DEPLOY_V2)
    assert superseding is not None and superseding.name == "stop-v2"


def test_the_deployment_of_the_rejected_version_yields_to_a_rejection_with_no_rollback():
    before = record(Holder=holding(DEPLOY_V2), Served=SERVED)
    stopped = admit(before, STOP_V2, NOW, {}, roll_back=False).Record

    after, newer = begin_rollout(stopped, DEPLOY_V2, NOW, {})

    assert newer is not None and newer.name == "stop-v2"
    # yielding, it keeps the lease until its Release (autoscaling put back first)
    assert after.Holder == stopped.Holder
