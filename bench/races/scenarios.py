"""The race scenarios, each one what the users do and the faults injected, as the table and
tests/e2e/test_races.py run them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.races.checks import Check
from bench.races.deployments import (
    SCALE_DEPLOYMENTS,
    SCALE_ENDPOINTS,
    SCALE_THROTTLED,
    THROTTLED,
    abandoned,
    approvals,
    crash_retried,
    crashed_approval,
    failed_then_rerun,
    five_direct,
    reapproval,
    shared,
    superseded_after_prepare_then_newer_fails,
    throttled_at_scale,
)
from bench.races.rejections import (
    first_version_rejected,
    rejection_at,
    rejection_while_parked,
    rejection_while_waiting,
    rejection_with_no_other_approved,
)
from smdeploy.runtime.local import LocalDeployment


@dataclass(frozen=True)
class Scenario:
    """``act`` does what the users do (approve, start, stop, re-run) and returns the check of
    the final state; ``expected_failed``: executions the scenario's own fault fails."""

    name: str
    act: Callable[[LocalDeployment], Check]
    faults: dict[str, Any] = field(default_factory=dict)
    profiles: bool = False
    config_retention: int | None = None
    expected_failed: int = 0
    rollback: bool = True  # the profile's RollbackOnRejection (with ``profiles``)
    # the check alone decides (the endpoint may rightly not exist at the end)
    own_check: bool = False
    deadline_seconds: int | None = None  # None: the deployer's default (3600)


SCENARIOS = [
    Scenario("approve v1, v2 at once", approvals((1, 2)), profiles=True),
    Scenario("approve v2, v1 at once", approvals((2, 1)), profiles=True),
    Scenario("v2, then v1 approved again", reapproval, profiles=True),
    Scenario("5 direct executions at once", five_direct),
    Scenario("5 at once, retention 2", five_direct, config_retention=2),
    *(
        Scenario(
            f"crash after {operation}, retried",
            crash_retried(operation),
            faults={"crash_after": operation, "times": 1},
        )
        for operation in ("CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint")
    ),
    Scenario(
        "approval, crash after CreateModel",
        crashed_approval,
        faults={"crash_after": "CreateModel", "times": 1},
        profiles=True,
    ),
    Scenario(
        "endpoint Failed once, re-run",
        failed_then_rerun,
        faults={"fail_endpoint": "insufficient capacity", "times": 1},
        expected_failed=1,
    ),
    Scenario(
        "shared model and config, 3 updates in a row",
        shared(((2,), (3,), (4,))),
        config_retention=2,
    ),
    Scenario(
        "shared model and config, 2 x 2 updates at once",
        shared(((2, 3), (4, 5))),
        config_retention=2,
    ),
    Scenario(
        "abandoned, then another",
        abandoned,
        faults={"creation_seconds": 1800},
    ),
    Scenario("v2 rejected while it waits for the lease", rejection_while_waiting, profiles=True),
    Scenario("v2 rejected as approved", rejection_at("Validate"), profiles=True),
    Scenario("v2 rejected at Configure", rejection_at("Configure"), profiles=True),
    Scenario("v2 rejected at Deploy", rejection_at("Deploy"), profiles=True),
    Scenario("v2 rejected while parked", rejection_while_parked, profiles=True),
    Scenario(
        "v2 rejected at Configure, v3 approved",
        rejection_at("Configure", then_v3=True),
        profiles=True,
    ),
    Scenario(
        "superseded after its guardrails, then the newer fails",
        superseded_after_prepare_then_newer_fails,
        faults={"fail_invoke": "model not loaded"},
        expected_failed=1,
    ),
    # a rejection with no rollback still stops the rejected version's deployment
    *(
        Scenario(
            f"v2 rejected at {state}, nothing else Approved",
            rejection_with_no_other_approved(state),
            profiles=True,
        )
        for state in ("Configure", "ParkUntilSettled")
    ),
    *(
        Scenario(f"v2 rejected at {state}, rollback off", act, profiles=True, rollback=False)
        for state, act in (
            ("Configure", rejection_at("Configure")),
            ("Deploy", rejection_at("Deploy")),
            ("ParkUntilSettled", rejection_while_parked),
        )
    ),
    *(
        Scenario(
            f"first version rejected at {state}",
            first_version_rejected(state),
            profiles=True,
            expected_failed=1,
            own_check=True,
        )
        for state in ("ParkUntilSettled",)
    ),
]
# Throttling at scale (issue 18): run apart from SCENARIOS (it is a hundred executions), by
# ``python -m bench`` and, for one seed, by tests/e2e/test_races.py.
THROTTLED_AT_SCALE = Scenario(
    f"{SCALE_ENDPOINTS} endpoints x {SCALE_DEPLOYMENTS} at once, every call throttled "
    f"{THROTTLED} times per resource",
    throttled_at_scale,
    faults={
        "throttle": dict.fromkeys(SCALE_THROTTLED, THROTTLED),
        "throttle_each_resource": True,
    },
    # The emulator's simulated clock moves by every Wait and Retry interval of every
    # execution, one after another, so a hundred executions waiting at once see simulated
    # time run far faster than AWS's would (their waits add up instead of overlapping): the
    # deadline is set to the longest allowed, so that what is measured is throttling alone.
    deadline_seconds=86400,
)
