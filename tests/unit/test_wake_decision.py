"""The wake decision (deployer.decide.wake), table-driven, from SageMaker's documented sample
events.

Sample events: tests/fixtures/events/, in the shapes of
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
"""

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deployer.decide.wake import (
    STEPS_REMEMBERED,
    Kind,
    Step,
    Waiter,
    Waits,
    api_status,
    decide,
    is_final,
    note,
    read_event,
    register,
    unregister,
)
from deployer.payloads.pieces import Action

EVENTS = Path(__file__).parents[1] / "fixtures" / "events"
STATE_CHANGE = json.loads((EVENTS / "endpoint-state-change.json").read_text())
DEPLOYMENT_CHANGE = json.loads((EVENTS / "endpoint-deployment-state-change.json").read_text())
STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def waiter(config="cfg-new", action=Action.UPDATE, deadline=3600, execution="exec-1"):
    return Waiter(
        Execution=execution,
        Token=f"token-{execution}",
        EndpointConfigName=config,
        Action=action,
        StartedAt=STARTED,
        DeadlineSeconds=deadline,
    )


def described(status, config="cfg-new", reason=None):
    out = {
        "EndpointName": "churn-predictor",
        "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-predictor",
        "EndpointStatus": status,
        "EndpointConfigName": config,
    }
    if reason:
        out["FailureReason"] = reason
    return out


@pytest.mark.parametrize(
    ("event_status", "api"),
    [
        ("IN_SERVICE", "InService"),
        ("CREATING", "Creating"),
        ("UPDATING", "Updating"),
        ("FAILED", "Failed"),
        ("DELETING", "Deleting"),
        ("DELETED", "Deleted"),
        ("ROLLING_BACK", "RollingBack"),
        ("SYSTEM_UPDATING", "SystemUpdating"),
        ("UPDATE_ROLLBACK_FAILED", "UpdateRollbackFailed"),
        ("OUT_OF_SERVICE", "OutOfService"),
        ("InService", "InService"),
        ("RollingBack", "RollingBack"),
    ],
)
def test_event_statuses_read_in_the_api_casing(event_status, api):
    assert api_status(event_status) == api


@pytest.mark.parametrize(
    ("status", "final"),
    [
        ("IN_SERVICE", True),
        ("InService", True),
        ("FAILED", True),
        ("UPDATE_ROLLBACK_FAILED", True),
        ("DELETED", True),
        ("CREATING", False),
        ("Updating", False),
        ("ROLLING_BACK", False),  # a rollback ends InService: that event decides
        ("SYSTEM_UPDATING", False),
    ],
)
def test_only_a_final_status_is_worth_a_describe(status, final):
    assert is_final(status) is final


@pytest.mark.parametrize("status", ["IN_SERVICE", "InService"])
def test_the_documented_state_change_is_a_final_notice_of_its_endpoint(status):
    event = copy.deepcopy(STATE_CHANGE)
    event["detail"]["EndpointStatus"] = status

    notice = read_event(event)

    assert notice.EndpointName == "MyEndpoint"
    assert notice.Final is True
    [step] = notice.Steps
    assert step.EndpointStatus == "InService"
    assert step.At == datetime.fromtimestamp(1592411994.287, tz=UTC)  # LastModifiedTime


def test_the_documented_deployment_change_is_progress_only():
    notice = read_event(DEPLOYMENT_CHANGE)

    assert notice.Final is False
    [step] = notice.Steps
    assert (step.Variant, step.Status) == ("AllTraffic", "Baking")
    assert step.Message.startswith("Baking for 600 seconds")
    assert step.describe().startswith("AllTraffic: Baking (Baking for 600 seconds")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": "aws.s3"}, "detail-type"),
        ({"detail-type": "SageMaker Model Package State Change"}, "detail-type"),
        ({"detail": {"EndpointStatus": "IN_SERVICE"}}, "detail.EndpointName"),
        ({"detail": {"EndpointName": "e"}}, "detail.EndpointStatus"),
    ],
)
def test_an_event_that_is_not_an_endpoint_event_is_refused_naming_the_field(change, field):
    event = {**copy.deepcopy(STATE_CHANGE), **change}

    with pytest.raises(ValueError, match=field):
        read_event(event)


NOW = STARTED + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("description", "who", "kind", "error", "cause"),
    [
        # success: InService on its config, no reason
        (described("InService"), waiter(), Kind.WAKE, None, None),
        # a config name matches without regard to case, as in SageMaker
        (described("InService", config="CFG-NEW"), waiter(), Kind.WAKE, None, None),
        # still changing: stay parked
        (described("Updating"), waiter(), Kind.WAIT, None, None),
        (described("Creating"), waiter(action=Action.CREATE), Kind.WAIT, None, None),
        (described("RollingBack"), waiter(), Kind.WAIT, None, None),
        # rolled back (IN_SERVICE on the old config) or taken over by a newer deployment:
        # woken, the Describe state tells which against the lease's record
        (described("InService", config="cfg-old", reason="alarm"), waiter(), Kind.WAKE, None,
         None),
        (described("InService", config="cfg-newer"), waiter(), Kind.WAKE, None, None),
        # failures carry the deployer's error names, as the Describe state raises them, and a
        # cause that says what SageMaker said
        (described("Failed", reason="no capacity"), waiter(), Kind.FAIL, "EndpointFailed",
         "endpoint churn-predictor is Failed: no capacity"),
        (described("UpdateRollbackFailed", reason="x"), waiter(), Kind.FAIL,
         "EndpointUpdateRollbackFailed", "needs an operator): x"),
        (described("InService", reason="odd"), waiter(), Kind.FAIL, "EndpointFailed",
         "is InService on cfg-new but reports: odd"),
        (None, waiter(), Kind.FAIL, "EndpointFailed",  # the endpoint is gone
         "endpoint of exec-1 disappeared during the deployment"),
        # the deadline passed while it still changes
        (described("Updating"), waiter(deadline=600), Kind.FAIL, "DeploymentTimedOut",
         "is still Updating after 600 s; the deployment deadline is 600 s"),
    ],
)  # fmt: skip
def test_decide(description, who, kind, error, cause):
    verdict = decide(description, who, NOW)

    assert verdict.Kind is kind
    assert verdict.Error == error
    if kind is Kind.FAIL:
        assert cause in (verdict.Cause or ""), verdict.Cause
    if kind is Kind.WAKE:
        assert verdict.Output is not None
        assert verdict.Output.Description == description  # the Describe state reuses it


def test_one_description_settles_each_waiter_by_its_own_config():
    description = described("InService", config="cfg-b")
    a, b = waiter(config="cfg-a", execution="a"), waiter(config="cfg-b", execution="b")

    assert decide(description, b, NOW).Kind is Kind.WAKE
    assert decide(description, a, NOW).Kind is Kind.WAKE  # taken over: Describe decides


def test_a_re_park_replaces_the_executions_expired_token_and_unregister_drops_it():
    waits = register(Waits(Endpoint="churn-predictor"), waiter())
    renewed = waiter().model_copy(update={"Token": "token-2"})

    waits = register(register(waits, renewed), waiter(execution="exec-2"))

    assert waits.Waiters["exec-1"].Token == "token-2"
    assert sorted(unregister(waits, {"exec-1"}).Waiters) == ["exec-2"]


def test_repeated_progress_is_recorded_once_and_the_oldest_steps_go_first():
    step = Step(At=STARTED, Variant="AllTraffic", Status="Baking")
    waits = note(note(Waits(Endpoint="e"), [step]), [step])
    assert waits.Steps == [step]

    many = [Step(At=STARTED + timedelta(seconds=i), EndpointStatus="Updating") for i in range(50)]
    kept = note(waits, many).Steps

    assert len(kept) == STEPS_REMEMBERED
    assert kept[-1] == many[-1]
