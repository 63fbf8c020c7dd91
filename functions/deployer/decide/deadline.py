"""How long a deployment may take, and how long it parks between looks (read from the
function's environment, names from :mod:`deployer.interface`), and what a transient error met
after the deadline becomes.

The deadline counts from the execution's start (``$$.Execution.StartTime``), so the wait for
the endpoint's lease is part of it. Validate fixes it once (:func:`deadline_at`) and the state
machine hands it to every stage that retries transient errors: those are retried by the ASL
with capped, jittered backoff for as long as it takes, and a stage that meets one after the
deadline raises :class:`~deployer.errors.DeploymentTimedOut` instead (:func:`give_up`).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from deployer import interface
from deployer.decide.outcome import DEFAULT_DEADLINE_SECONDS
from deployer.errors import DeploymentTimedOut, Transient

F = TypeVar("F", bound=Callable[..., Any])

# Beyond what the update policy may take, SageMaker's own rollback may still run.
POLICY_MARGIN_SECONDS = 600
# The park's safety net: a deployment whose endpoint events are lost looks again after this
# long. Longer than a 1,799-s creation, so that one woken by its event never needs it.
DEFAULT_PARK_SECONDS = 1800


def deadline_seconds() -> int:
    return int(os.environ.get(interface.ENV_DEADLINE) or DEFAULT_DEADLINE_SECONDS)


def deployment_deadline(policy_seconds: int | None, requested: int | None = None) -> int:
    """The deadline asked for (the request's or profile's ``DeadlineSeconds``, else the
    function's configured one), or longer when the update policy may legitimately take longer
    (its MaximumExecutionTimeoutInSeconds, up to 8 hours for blue/green and rolling updates)."""
    configured = requested or deadline_seconds()
    return max(configured, (policy_seconds or 0) + POLICY_MARGIN_SECONDS)


def restore_deadline() -> int:
    """How long the putting back of the old config after a failed smoke test may take before
    the deployer stops watching it and fails (the loop WaitForRestore/CheckRestore): the
    configured deadline, counted from the moment the putting back began. The put-back
    UpdateEndpoint names no update policy, so the configured deadline bounds it."""
    return deadline_seconds()


def deadline_at(started: datetime, policy_seconds: int | None, requested: int | None) -> datetime:
    """When the deployment that started at ``started`` (its execution's start) runs out of time."""
    return started + timedelta(seconds=deployment_deadline(policy_seconds, requested))


def give_up(
    error: Transient, deadline: datetime | None, now: datetime
) -> DeploymentTimedOut | None:
    """The error to raise instead of ``error`` (retried by the state machine) when the deadline
    has passed: the deadline's, naming the transient error as its cause. None: retry."""
    if deadline is None or now < deadline:
        return None
    return DeploymentTimedOut(
        f"the deployment deadline ({deadline.isoformat()}) has passed while this error still "
        f"stood: {type(error).__name__}: {error}"
    )


def bounded_by_deadline(handler: F) -> F:
    """Wear on a stage handler: a :class:`~deployer.errors.Transient` error raised after the
    event's ``Deadline`` becomes :class:`~deployer.errors.DeploymentTimedOut` (not retried).
    "Now" is the Lambda's clock, never earlier than the state's ``EnteredTime`` (the state
    machine's clock, which a simulated one runs ahead of)."""

    @functools.wraps(handler)
    def wrapper(event: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(event, *args, **kwargs)
        except Transient as error:
            fields = event if isinstance(event, dict) else {}
            verdict = give_up(error, _moment(fields.get("Deadline")), _now(fields))
            if verdict is None:
                raise
            raise verdict from error

    return wrapper  # type: ignore[return-value]


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now(fields: dict[str, Any]) -> datetime:
    entered = _moment(fields.get("EnteredTime"))
    wall = datetime.now(UTC)
    return max(wall, entered) if entered else wall


def deadline_seconds_from(
    started: datetime, deadline: datetime | None, policy_seconds: int | None
) -> int:
    """How many seconds after ``started`` the deadline falls: Validate's ``deadline`` when the
    stage has it, else the configured one (an execution started before Validate fixed it)."""
    if deadline is None:
        return deployment_deadline(policy_seconds)
    # rounded up: a park timed by it ends at the deadline, not a fraction of a second before
    return max(0, math.ceil((deadline - started).total_seconds()))


def lease_wait(wait_seconds: int, now: datetime, deadline: datetime | None) -> int | None:
    """How long to wait before asking for the lease again: the lease's own answer, but never
    past the deadline. None: the deadline has passed (the deployment fails, waiting)."""
    if deadline is None:
        return wait_seconds
    left = (deadline - now).total_seconds()
    if left <= 0:
        return None
    return max(1, min(wait_seconds, math.ceil(left)))


def park_interval() -> int:
    return int(os.environ.get(interface.ENV_PARK_SECONDS) or DEFAULT_PARK_SECONDS)


def park_seconds(elapsed: int, deadline: int) -> int:
    """How long the next park may last: the safety-net interval, but never past the deadline
    (so a deployment that runs out of time is told so at its deadline, not after)."""
    return max(1, min(park_interval(), deadline - elapsed))
