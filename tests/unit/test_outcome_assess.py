"""deployer.decide.outcome.assess: one DescribeEndpoint answer -> done, not yet, or how it
failed."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deployer.decide.outcome import assess, elapsed_seconds
from deployer.errors import (
    DeploymentTimedOut,
    EndpointFailed,
    EndpointUpdateRollbackFailed,
    EndpointUpdateRolledBack,
)
from deployer.payloads.pieces import Action

ENDPOINT = "churn-predictor"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"
TARGET = "churn-predictor-1a2b3c4d5e"
OLD = "churn-predictor-9f8e7d6c5b"
DEADLINE = 3600
TRANSITIONAL = ["Creating", "Updating", "SystemUpdating", "RollingBack"]


def described(status, config=TARGET, reason=None):
    answer = {
        "EndpointName": ENDPOINT,
        "EndpointArn": ARN,
        "EndpointStatus": status,
        "EndpointConfigName": config,
    }
    if reason is not None:
        answer["FailureReason"] = reason
    return answer


@pytest.mark.parametrize("action", [Action.CREATE, Action.UPDATE, Action.NONE])
def test_in_service_on_target_without_reason_is_done(action):
    assessment = assess(described("InService"), TARGET, action, 420, DEADLINE)

    assert assessment.Done is True
    assert assessment.EndpointName == ENDPOINT
    assert assessment.EndpointArn == ARN
    assert assessment.EndpointStatus == "InService"
    assert assessment.EndpointConfigName == TARGET
    assert assessment.ElapsedSeconds == 420
    assert TARGET in assessment.Message


def test_in_service_on_target_after_the_deadline_is_still_done():
    assert assess(described("InService"), TARGET, Action.CREATE, DEADLINE + 1, DEADLINE).Done


@pytest.mark.parametrize("elapsed", [0, DEADLINE - 1], ids=["start", "just-before-deadline"])
@pytest.mark.parametrize("status", TRANSITIONAL)
def test_transitional_before_the_deadline_is_not_done(status, elapsed):
    assessment = assess(described(status, OLD), TARGET, Action.UPDATE, elapsed, DEADLINE)

    assert assessment.Done is False
    assert assessment.EndpointStatus == status
    assert assessment.ElapsedSeconds == elapsed
    assert status in assessment.Message
    assert f"{elapsed} s" in assessment.Message


@pytest.mark.parametrize("elapsed", [DEADLINE, DEADLINE + 30], ids=["at-deadline", "after"])
@pytest.mark.parametrize("status", TRANSITIONAL)
def test_transitional_at_or_after_the_deadline_times_out(status, elapsed):
    with pytest.raises(DeploymentTimedOut) as caught:
        assess(described(status), TARGET, Action.CREATE, elapsed, DEADLINE)

    message = str(caught.value)
    assert ENDPOINT in message
    assert f"still {status}" in message
    assert f"after {elapsed} s" in message
    assert f"deadline is {DEADLINE} s" in message


FAILURES = [
    # (id, DescribeEndpoint answer, action, error class, fragments of the message)
    (
        "failed",
        described("Failed", reason="CannotStartContainerError: health check failed"),
        Action.CREATE,
        EndpointFailed,
        [ENDPOINT, "Failed", "CannotStartContainerError: health check failed"],
    ),
    (
        "failed-without-reason",
        described("Failed"),
        Action.CREATE,
        EndpointFailed,
        [ENDPOINT, "Failed", "no reason"],
    ),
    (
        "update-rollback-failed",
        described("UpdateRollbackFailed", reason="rollback ran out of capacity"),
        Action.UPDATE,
        EndpointUpdateRollbackFailed,
        [ENDPOINT, "UpdateRollbackFailed", "operator", "rollback ran out of capacity"],
    ),
    (
        "rolled-back-after-update",
        described("InService", OLD, reason="Alarm churn-5xx fired during the bake"),
        Action.UPDATE,
        EndpointUpdateRolledBack,
        [ENDPOINT, TARGET, OLD, "rolled back", "Alarm churn-5xx fired during the bake"],
    ),
    (
        "in-service-elsewhere-without-reason",
        described("InService", OLD),
        Action.UPDATE,
        EndpointUpdateRolledBack,
        [ENDPOINT, TARGET, OLD, "no reason"],
    ),
    (
        "in-service-on-target-with-reason",
        described("InService", TARGET, reason="variant primary failed health checks"),
        Action.CREATE,
        EndpointFailed,
        [ENDPOINT, TARGET, "variant primary failed health checks"],
    ),
    (
        "out-of-service",
        described("OutOfService"),
        Action.CREATE,
        EndpointFailed,
        [ENDPOINT, "OutOfService"],
    ),
    (
        "deleting",
        described("Deleting", reason="deleted by an operator"),
        Action.UPDATE,
        EndpointFailed,
        [ENDPOINT, "Deleting", "deleted by an operator"],
    ),
    (
        "unexpected-status",
        described("Hibernating"),
        Action.CREATE,
        EndpointFailed,
        [ENDPOINT, "'Hibernating'"],
    ),
]


@pytest.mark.parametrize(
    ("name", "description", "action", "error", "fragments"),
    FAILURES,
    ids=[case[0] for case in FAILURES],
)
def test_failure(name, description, action, error, fragments):
    with pytest.raises(error) as caught:
        assess(description, TARGET, action, 600, DEADLINE)

    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


@pytest.mark.parametrize("status", ["Failed", "UpdateRollbackFailed", "OutOfService"])
def test_a_final_failure_is_reported_as_such_after_the_deadline(status):
    with pytest.raises((EndpointFailed, EndpointUpdateRollbackFailed)) as caught:
        assess(described(status), TARGET, Action.UPDATE, DEADLINE * 2, DEADLINE)

    assert not isinstance(caught.value, DeploymentTimedOut)
    assert status in str(caught.value)


def test_rollback_reason_is_reported_when_the_plan_joined_an_update_in_progress():
    description = described("InService", OLD, reason="Alarm churn-5xx fired during the bake")

    with pytest.raises(EndpointUpdateRolledBack) as caught:
        assess(description, TARGET, Action.NONE, 600, DEADLINE)

    message = str(caught.value)
    assert "Alarm churn-5xx fired during the bake" in message
    assert "gave no reason" not in message


T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "started", "now", "expected"),
    [
        ("same-instant", T0, T0, 0),
        ("whole-seconds", T0, T0 + timedelta(minutes=7, seconds=5), 425),
        ("fraction-truncated", T0, T0 + timedelta(seconds=59, milliseconds=999), 59),
        ("clock-skew-clamped", T0, T0 - timedelta(seconds=3), 0),
        ("over-days", T0, T0 + timedelta(days=2, seconds=1), 172801),
        (
            "other-timezone",
            T0,
            datetime(2025, 3, 1, 14, 0, 30, tzinfo=timezone(timedelta(hours=2))),
            30,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_elapsed_seconds(name, started, now, expected):
    assert elapsed_seconds(started, now) == expected
