"""deployer.decide.plan.plan: DescribeEndpoint's answer and the target config -> the one action."""

import pytest

from deployer.decide.plan import (
    VISIBILITY_LOOKS,
    config_absent,
    plan,
    policy_seconds,
    tag_changes,
)
from deployer.errors import (
    EndpointBusy,
    EndpointConfigMissing,
    EndpointConfigNotVisible,
    EndpointNotUpdatable,
    EndpointReplacing,
)
from deployer.payloads.pieces import Action

ENDPOINT = "churn-predictor"
TARGET = "churn-predictor-1a2b3c4d5e"
OTHER = "churn-predictor-9f8e7d6c5b"


def described(status, config=OTHER, pending=None, reason=None):
    """A DescribeEndpoint answer, with the members plan reads."""
    answer = {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "EndpointStatus": status,
        "EndpointConfigName": config,
    }
    if pending is not None:
        answer["PendingDeploymentSummary"] = {"EndpointConfigName": pending}
    if reason is not None:
        answer["FailureReason"] = reason
    return answer


PLANS = [
    # (id, DescribeEndpoint answer, action, fragments of the reason)
    ("no-endpoint", None, Action.CREATE, ["CreateEndpoint"]),
    ("in-service-on-target", described("InService", TARGET), Action.NONE, [ENDPOINT, TARGET]),
    (
        "in-service-on-other",
        described("InService", OTHER),
        Action.UPDATE,
        ["UpdateEndpoint", OTHER, TARGET],
    ),
    (
        "update-rollback-failed",
        described("UpdateRollbackFailed", OTHER, reason="rollback failed"),
        Action.UPDATE,
        ["UpdateRollbackFailed", TARGET],
    ),
    ("creating-target", described("Creating", TARGET), Action.NONE, ["Creating", TARGET]),
    (
        "creating-target-with-pending-summary",
        described("Creating", TARGET, pending=TARGET),
        Action.NONE,
        ["Creating", TARGET],
    ),
    (
        "updating-toward-target",
        described("Updating", OTHER, pending=TARGET),
        Action.NONE,
        ["Updating", TARGET],
    ),
]


@pytest.mark.parametrize(
    ("name", "current", "action", "fragments"), PLANS, ids=[case[0] for case in PLANS]
)
def test_plan_action(name, current, action, fragments):
    decision = plan(current, TARGET)

    assert decision.action is action
    for fragment in fragments:
        assert fragment in decision.reason


REFUSALS = [
    # (id, DescribeEndpoint answer, error class, fragments of the message)
    (
        "updating-toward-another-config",
        described("Updating", OTHER, pending="churn-predictor-0000000000"),
        EndpointBusy,
        [ENDPOINT, "Updating", "churn-predictor-0000000000", TARGET],
    ),
    (
        "updating-without-pending-summary",
        described("Updating", TARGET),
        EndpointBusy,
        [ENDPOINT, "Updating", TARGET],
    ),
    (
        "creating-another-config",
        described("Creating", OTHER),
        EndpointBusy,
        [ENDPOINT, "Creating", OTHER, TARGET],
    ),
    (
        "system-updating",
        described("SystemUpdating", TARGET),
        EndpointBusy,
        [ENDPOINT, "SystemUpdating", TARGET],
    ),
    (
        "rolling-back",
        described("RollingBack", OTHER, pending=TARGET),
        EndpointBusy,
        [ENDPOINT, "RollingBack", TARGET],
    ),
    (
        "failed",
        described("Failed", OTHER, reason="image not found"),
        EndpointNotUpdatable,
        [ENDPOINT, "Failed", "DeleteEndpoint", "FailureReason: image not found"],
    ),
    (
        "failed-on-target",
        described("Failed", TARGET),
        EndpointNotUpdatable,
        [ENDPOINT, "Failed", "DeleteEndpoint"],
    ),
    (
        "out-of-service",
        described("OutOfService", OTHER),
        EndpointNotUpdatable,
        [ENDPOINT, "OutOfService", "wait until it is gone"],
    ),
    (
        "deleting",
        described("Deleting", TARGET),
        EndpointNotUpdatable,
        [ENDPOINT, "Deleting", "wait until it is gone"],
    ),
]


@pytest.mark.parametrize(
    ("name", "current", "error", "fragments"), REFUSALS, ids=[case[0] for case in REFUSALS]
)
def test_plan_refusal(name, current, error, fragments):
    with pytest.raises(error) as caught:
        plan(current, TARGET)

    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


# --- a Failed endpoint the deployer created is replaced -------------------------------------


def test_a_failed_endpoint_the_deployer_created_is_deleted_first():
    decision = plan(described("Failed", OTHER, reason="no capacity"), TARGET, managed=True)

    assert (decision.action, decision.delete_first) == (Action.REPLACE, True)
    assert "FailureReason: no capacity" in decision.reason


def test_once_deleted_it_is_created_again_and_the_old_reason_is_told():
    decision = plan(None, TARGET, managed=False, replacing="no capacity")

    assert (decision.action, decision.delete_first) == (Action.REPLACE, False)
    assert "CreateEndpoint" in decision.reason
    assert "its FailureReason was: no capacity" in decision.reason


def test_while_it_is_being_deleted_the_deployment_waits():
    with pytest.raises(EndpointReplacing, match="Deleting"):
        plan(described("Deleting", OTHER), TARGET, managed=True, replacing="no capacity")


def test_a_failed_endpoint_someone_else_created_is_refused_and_left_alone():
    with pytest.raises(EndpointNotUpdatable, match="not created by the deployer"):
        plan(described("Failed", OTHER, reason="no capacity"), TARGET, managed=False)


# --- tags are desired state -------------------------------------------------------------------


def tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


@pytest.mark.parametrize(
    ("current", "desired", "managed", "added", "removed"),
    [
        (tags(team="a"), tags(team="a"), True, [], []),
        (tags(team="a"), tags(team="b"), True, tags(team="b"), []),
        (tags(team="a", old="x"), tags(team="a"), True, [], ["old"]),
        # on an endpoint the deployer did not create, tags set by others stay
        (tags(team="a", old="x"), tags(team="a"), False, [], []),
        (tags(), tags(cost="ml"), False, tags(cost="ml"), []),
        # AWS's own tags are never touched
        ([{"Key": "aws:cloudformation:stack-name", "Value": "s"}], tags(), True, [], []),
    ],
)
def test_tag_changes(current, desired, managed, added, removed):
    assert tag_changes(current, desired, managed) == (added, removed)


def test_the_update_policys_own_time_limit_is_read():
    config = {
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
                "MaximumExecutionTimeoutInSeconds": 28800,
            }
        }
    }

    assert policy_seconds(config) == 28800
    assert policy_seconds({}) is None


# --- a config DescribeEndpointConfig does not find ---------------------------------------------


@pytest.mark.parametrize(
    ("created", "retries", "error", "says"),
    [
        # Configure saw it: absent now, it was deleted (waiting will not bring it back)
        (False, 0, EndpointConfigMissing, "it was there when Configure looked"),
        # just created: eventual consistency, retried by the ASL
        (True, 0, EndpointConfigNotVisible, "not visible yet (eventual consistency)"),
        (True, VISIBILITY_LOOKS - 2, EndpointConfigNotVisible, "not visible yet"),
        # still not found once the window has passed: missing, deleted or never created
        (True, VISIBILITY_LOOKS - 1, EndpointConfigMissing, "deleted, or never created"),
        (True, 100, EndpointConfigMissing, "after 101 looks"),
    ],
)
def test_a_config_not_found_is_a_delay_only_within_the_visibility_window(
    created, retries, error, says
):
    found = config_absent("ep-config-1", created, retries)

    assert type(found) is error
    assert says in str(found)
    assert "ep-config-1" in str(found)
