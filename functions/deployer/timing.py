"""How long a deployment may take, and how long it parks between looks (read from the
function's environment, names from :mod:`deployer.contract`)."""

from __future__ import annotations

import os

from deployer import contract
from deployer.outcome import DEFAULT_DEADLINE_SECONDS

# Beyond what the update policy may take, SageMaker's own rollback may still run.
POLICY_MARGIN_SECONDS = 600
# The park's safety net: a deployment whose endpoint events are lost looks again after this
# long. Longer than a 1,799-s creation, so that one woken by its event never needs it.
DEFAULT_PARK_SECONDS = 1800


def deadline_seconds() -> int:
    return int(os.environ.get(contract.ENV_DEADLINE) or DEFAULT_DEADLINE_SECONDS)


def deployment_deadline(policy_seconds: int | None) -> int:
    """The configured deadline, or longer when the update policy may legitimately take longer
    (its MaximumExecutionTimeoutInSeconds, up to 8 hours for blue/green and rolling updates)."""
    configured = deadline_seconds()
    return max(configured, (policy_seconds or 0) + POLICY_MARGIN_SECONDS)


def restore_deadline() -> int:
    """How long the putting back of the old config after a failed smoke test may take before
    the deployer stops watching it and fails (the loop WaitForRestore/CheckRestore): the
    configured deadline, counted from the moment the putting back began. The put-back
    UpdateEndpoint names no update policy, so the configured deadline bounds it."""
    return deadline_seconds()


def park_interval() -> int:
    return int(os.environ.get(contract.ENV_PARK_SECONDS) or DEFAULT_PARK_SECONDS)


def park_seconds(elapsed: int, deadline: int) -> int:
    """How long the next park may last: the safety-net interval, but never past the deadline
    (so a deployment that runs out of time is told so at its deadline, not after)."""
    return max(1, min(park_interval(), deadline - elapsed))
