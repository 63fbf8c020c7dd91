"""The lease decisions, from data alone: admit, begin the rollout, release."""

from __future__ import annotations

import pytest
from lease_builders import NOW, claim, order, record

from deployer.decide.lease import (
    LEASE_POLL_SECONDS,
    admit,
    begin_rollout,
    executions_to_check,
    guardrails_to_run,
    release,
)
from deployer.decide.lease_record import Decision, Record
from deployer.errors import LeaseLost

OLD, ME, NEW = claim("old", 10), claim("me", 20), claim("new", 30)


# --- order ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "newer"),
    [
        (order(2), order(1), True),
        (order(1, version=2), order(1, version=1), True),  # the version breaks a tie in time
        (order(1, 1, "b"), order(1, 1, "a"), True),  # then the package ARN or execution name
        (order(1, 1, "a"), order(1, 1, "a"), False),  # the same intent is not newer than itself
        (order(0.999), order(1), False),  # milliseconds count
    ],
)
def test_orders_are_total_and_ties_break_deterministically(a, b, newer):
    assert a.newer_than(b) is newer


# --- admit ------------------------------------------------------------------------------------


def test_a_free_endpoint_is_acquired():
    admission = admit(record(), ME, NOW, {})

    assert admission.Decision is Decision.ACQUIRED
    assert admission.Record.Holder == ME.model_copy(update={"Phase": "CONFIGURING"})
    assert admission.Record.Intents == []


def test_an_older_live_holder_makes_a_newer_deployment_wait_and_registers_its_intent():
    admission = admit(record(Holder=OLD), ME, NOW, {OLD.Execution: True})

    assert admission.Decision is Decision.WAIT
    assert admission.By == OLD
    assert admission.Record.Holder == OLD
    assert [c.Execution for c in admission.Record.Intents] == [ME.Execution]
    assert admission.WaitSeconds == LEASE_POLL_SECONDS


def test_the_wait_never_outlasts_the_holders_expiry():
    holder = claim("old", 10, expires=NOW + 7)

    assert admit(record(Holder=holder), ME, NOW, {holder.Execution: True}).WaitSeconds == 7


def test_waiting_again_does_not_register_twice():
    waiting = record(Holder=OLD, Intents=[ME])

    admission = admit(waiting, ME, NOW, {OLD.Execution: True})

    assert admission.Decision is Decision.WAIT
    assert [c.Execution for c in admission.Record.Intents] == [ME.Execution]


@pytest.mark.parametrize(
    ("holder", "alive"),
    [
        (OLD, {OLD.Execution: False}),  # aborted, timed out, or failed past its release
        (claim("old", 10, expires=NOW - 1), {}),  # past its own time limit
    ],
    ids=["not running", "expired"],
)
def test_a_dead_or_expired_holder_is_taken_over(holder, alive):
    admission = admit(record(Holder=holder), ME, NOW, alive)

    assert admission.Decision is Decision.ACQUIRED
    assert admission.TookOver == holder
    assert admission.Record.Holder is not None
    assert admission.Record.Holder.Execution == ME.Execution


def test_an_unknown_liveness_counts_as_alive():
    assert admit(record(Holder=OLD), ME, NOW, {}).Decision is Decision.WAIT


@pytest.mark.parametrize(
    "state",
    [
        {"Intents": [NEW]},  # waiting for the endpoint
        {"Holder": NEW},  # holding it
        {"Deployed": NEW},  # already deployed
    ],
    ids=["waiting", "holding", "deployed"],
)
def test_a_newer_deployment_supersedes(state):
    admission = admit(record(**state), ME, NOW, {NEW.Execution: True})

    assert admission.Decision is Decision.SUPERSEDED
    assert admission.By == NEW
    assert ME.Execution not in {c.Execution for c in admission.Record.Intents}


def test_the_newest_of_several_newer_deployments_is_named():
    newest = claim("newest", 40)
    admission = admit(record(Intents=[NEW, newest], Deployed=claim("d", 35)), ME, NOW, {})

    assert admission.By == newest


def test_a_newer_intent_whose_execution_is_gone_supersedes_nothing():
    admission = admit(record(Intents=[NEW]), ME, NOW, {NEW.Execution: False})

    assert admission.Decision is Decision.ACQUIRED
    assert admission.Record.Intents == []


def test_the_same_intent_delivered_twice_is_not_superseded_by_itself():
    # the same approval, twice: same order; the copy waits for the first, then finds it done
    twin = ME.model_copy(update={"Execution": ME.Execution + "-twin"})

    admission = admit(record(Deployed=ME), twin, NOW, {})

    assert admission.Decision is Decision.ACQUIRED


def test_an_older_deployment_already_deployed_supersedes_nothing():
    assert admit(record(Deployed=OLD), ME, NOW, {}).Decision is Decision.ACQUIRED


def test_asking_again_as_the_holder_changes_nothing():
    holding = ME.model_copy(update={"Phase": "DEPLOYING"})

    admission = admit(record(Holder=holding), ME, NOW, {})

    assert admission.Decision is Decision.ACQUIRED
    assert admission.Record.Holder == holding


def test_only_the_holder_and_newer_intents_are_checked_for_liveness():
    older_intent, expired = claim("older", 5), claim("gone", 40, expires=NOW - 1)
    state = record(Holder=OLD, Intents=[older_intent, NEW, expired, ME])

    assert executions_to_check(state, ME, NOW) == [OLD.Execution, NEW.Execution]


# --- begin_rollout ------------------------------------------------------------------------------


def test_the_holder_marks_its_rollout_when_nobody_newer_waits():
    holding = ME.model_copy(update={"Phase": "CONFIGURING"})

    updated, newer = begin_rollout(record(Holder=holding, Intents=[OLD]), ME, NOW, {})

    assert newer is None
    assert updated.Holder is not None and updated.Holder.Phase == "DEPLOYING"
    assert updated.Intents == [OLD]


def test_the_holder_yields_to_a_newer_deployment_waiting_before_it_changes_the_endpoint():
    updated, newer = begin_rollout(record(Holder=ME, Intents=[NEW]), ME, NOW, {})

    assert newer == NEW
    # it keeps the lease until its Release: what its guardrails deregistered is put back
    # first, and the newer one waits until then
    assert updated.Holder == ME
    assert updated.Intents == [NEW]
    assert admit(updated, NEW, NOW, {}).Decision is Decision.WAIT
    released = release(updated, ME, False)
    assert released.Holder is None
    assert admit(released, NEW, NOW, {}).Decision is Decision.ACQUIRED


def test_a_holder_whose_lease_was_taken_over_changes_nothing():
    with pytest.raises(LeaseLost, match="no longer holds the lease"):
        begin_rollout(record(Holder=NEW), ME, NOW, {})


# --- release ------------------------------------------------------------------------------------


def test_a_success_is_remembered_with_the_config_that_served():
    released = release(record(Holder=ME, Served=["c1", "EP-ME"]), ME, True, "ep-me")

    assert released.Holder is None
    assert released.Deployed == ME.model_copy(update={"Phase": "DEPLOYED"})
    assert released.Served == ["ep-me", "c1"]


def test_a_success_older_than_the_one_remembered_does_not_replace_it():
    released = release(record(Holder=ME, Deployed=NEW), ME, True, "ep-me")

    assert released.Deployed == NEW


def test_a_failure_lets_the_endpoint_go_and_remembers_nothing():
    released = release(record(Holder=ME, Deployed=OLD, Served=["c1"]), ME, False)

    assert (released.Holder, released.Deployed, released.Served) == (None, OLD, ["c1"])


def test_a_waiting_deployment_that_ends_drops_its_intent_and_nobody_elses():
    released = release(record(Holder=OLD, Intents=[ME, NEW]), ME, False)

    assert released.Holder == OLD
    assert released.Intents == [NEW]


def test_configs_in_use_are_the_holders_and_the_waiting_deployments():
    state = record(Holder=claim("a", 1, "CFG-A"), Intents=[claim("b", 2, "cfg-b")])

    assert state.configs_in_use() == {"cfg-a", "cfg-b"}


# --- whether the guardrail steps run --------------------------------------------------------

GUARDED = ME.model_copy(update={"Guarded": True})


@pytest.mark.parametrize(
    ("stored", "me", "run"),
    [
        (Record(Endpoint="churn-predictor"), ME, False),  # no record: nothing left, none asked
        (Record(Endpoint="churn-predictor"), GUARDED, True),  # the request asks
        (record(Guarded=False), ME, False),  # none left by the last deployment
        (record(Guarded=True), ME, True),  # left on the endpoint: cleaned up
        (record(Guarded=None), ME, True),  # a record from before it was remembered: look
        (record(Guarded=False), GUARDED, True),
    ],
)
def test_the_guardrail_steps_run_when_asked_or_left_on_the_endpoint(stored, me, run):
    assert guardrails_to_run(stored, me) is run
    admission = admit(stored, me, NOW, {})
    assert admission.Decision is Decision.ACQUIRED
    assert admission.Guardrails is run


def test_a_new_record_knows_no_guardrails_were_left():
    admission = admit(Record(Endpoint="churn-predictor"), ME, NOW, {})

    assert admission.Record.Guarded is False


@pytest.mark.parametrize(
    ("before", "me", "succeeded", "after"),
    [
        (False, GUARDED, True, True),  # a success with guardrails leaves them on
        (True, ME, True, False),  # a success without cleaned them up
        (None, ME, True, False),
        (True, ME, False, True),  # a failure leaves what was there
        (False, ME, False, False),
        (None, ME, False, None),  # ... even not knowing
        (False, GUARDED, False, True),  # its alarms were made before the update
    ],
)
def test_the_record_remembers_the_guardrails_left_on_the_endpoint(before, me, succeeded, after):
    held = record(Holder=me, Guarded=before)

    assert release(held, me, succeeded, "ep-me" if succeeded else None).Guarded is after


def test_a_release_of_a_claim_that_does_not_hold_the_lease_changes_no_guardrails():
    waiting = record(Holder=OLD, Intents=[GUARDED], Guarded=False)

    assert release(waiting, GUARDED, False).Guarded is False
