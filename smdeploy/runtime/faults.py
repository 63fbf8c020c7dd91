"""What the emulated AWS does to deployments: the simulation options of ``smdeploy local`` and
``smdeploy emulator``, checked, and how many times each fault has been injected so far.

:class:`Faults` is the frozen description (what the user asked for); :class:`FaultBudget`
counts the injections of one emulated account, so that ``times`` limits every fault to its
first N occurrences (one run then shows a failure and its recovery).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

# SageMaker's inference component (IC) API, which moto lacks: the emulator answers it alone
# (smdeploy.runtime.emulator.sagemaker.components)
COMPONENT_OPERATIONS = (
    "CreateInferenceComponent",
    "DescribeInferenceComponent",
    "UpdateInferenceComponent",
    "UpdateInferenceComponentRuntimeConfig",
    "DeleteInferenceComponent",
    "ListInferenceComponents",
)
# The SageMaker operations the emulator counts (and so can throttle): every call of these
# goes through the emulated endpoint and component stores, or through moto for CreateModel.
COUNTED_OPERATIONS = (
    "CreateModel",
    "ListModels",
    "CreateEndpointConfig",
    "DescribeEndpointConfig",
    "DeleteEndpointConfig",
    "ListEndpointConfigs",
    "CreateEndpoint",
    "UpdateEndpoint",
    "DescribeEndpoint",
    "DeleteEndpoint",
    "ListEndpoints",
    "AddTags",
    "DeleteTags",
    "ListTags",
    *COMPONENT_OPERATIONS,
)
# The operations after which ``crash_after`` kills the Lambda invocation that called them.
# DescribeEndpointConfig is the Deploy stage's first call, on every attempt: a crash after it
# with no ``times`` kills every attempt (a function that always crashes).
CRASH_OPERATIONS = (
    "CreateModel",
    "CreateEndpointConfig",
    "DescribeEndpointConfig",
    "CreateEndpoint",
    "UpdateEndpoint",
    "CreateInferenceComponent",
    "UpdateInferenceComponent",
)


class FaultsInvalid(ValueError):
    """A simulation option breaks its rule; the message names the option, the rule and the
    value."""


@dataclass(frozen=True)
class Faults:
    """What the emulated SageMaker and Lambda do to deployments (the ``smdeploy local``
    options).

    ``times``: when set, each injected fault (an endpoint or inference component Failed, an
    update rolled back, a crash, a config not yet visible, a duplicated event, an alarm
    during an update, a failed smoke invocation) happens only its first ``times``
    occurrences; ``throttle`` keeps its own counts.
    """

    creation_seconds: float = 300.0
    # simulated seconds an endpoint (or an inference component) is Deleting before it is gone
    # (and its name free)
    deletion_seconds: float = 60.0
    config_visibility_lag: int = 0
    fail_endpoint: str | None = None
    rollback_update: str | None = None
    # operation name -> how many of its first calls answer ThrottlingException
    throttle: dict[str, int] = field(default_factory=dict)
    # throttle's counts kept per resource the call names (each endpoint's, config's, model's
    # first N calls of the operation), instead of per account
    throttle_each_resource: bool = False
    # every Model Package State Change event is put on the bus twice (SageMaker may do so)
    duplicate_package_events: bool = False
    # the Lambda invocation that calls this operation dies once it has been performed
    crash_after: str | None = None
    times: int | None = None
    # before each Lambda invocation, a random real delay of 0 to this many seconds
    invocation_jitter: float = 0.0
    # simulated seconds between a SageMaker endpoint change and its event's delivery
    event_delay: float = 0.0
    # the share (0 to 1) of SageMaker's endpoint events lost on the way (1: all of them;
    # which ones, from the seeded generator)
    drop_endpoint_events: float = 0.0

    # guardrails (smdeploy.runtime.emulator.applicationautoscaling): a variant newly
    # registered as a scalable target is scaled to this many instances (within its min and max)
    scaled_to: int | None = None
    # during the next update (of an endpoint or an inference component) whose
    # AutoRollbackConfiguration names alarms, this one (or, when "", the first named) goes
    # into ALARM: SageMaker rolls the update back
    alarm_during_update: str | None = None
    # InvokeEndpoint answers this body (default: {"predictions": [0.5]}), or fails with a
    # ModelError carrying this message
    invoke_response: str | None = None
    fail_invoke: str | None = None

    # inference components (smdeploy.runtime.emulator.sagemaker.components): simulated seconds
    # an IC takes to create, and each batch of its update (and each runtime copy change). The
    # default is AWS's measured time to add model copies to a running instance, about 2.28
    # minutes (https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-sagemaker-inference/)
    component_seconds: float = 137.0
    # the next IC create or update ends Failed with this FailureReason
    fail_component: str | None = None
    # the next IC update rolls back (after its first batch) with this reason
    rollback_component: str | None = None

    def __post_init__(self) -> None:
        problems = list(self.problems())
        if problems:
            raise FaultsInvalid("; ".join(problems))

    def problems(self) -> Iterable[str]:
        for operation, count in self.throttle.items():
            yield from (f"throttle: {problem}" for problem in throttle_problems(operation, count))
        if self.crash_after is not None and self.crash_after not in CRASH_OPERATIONS:
            yield (
                f"crash-after: must be one of {', '.join(CRASH_OPERATIONS)}, "
                f"got {self.crash_after!r}"
            )
        if self.times is not None and self.times < 1:
            yield f"fault-times: must be at least 1, got {self.times}"
        if self.scaled_to is not None and self.scaled_to < 1:
            yield f"scaled-to: must be at least 1 instance, got {self.scaled_to}"
        if self.invocation_jitter < 0:
            yield f"jitter: must be 0 or more seconds, got {self.invocation_jitter}"
        if self.component_seconds < 0:
            yield f"component-seconds: must be 0 or more seconds, got {self.component_seconds}"
        for name, reason in (
            ("fail-component", self.fail_component),
            ("rollback-component", self.rollback_component),
        ):
            if reason is not None and not reason.strip():
                yield f"{name}: must be a reason (the FailureReason), got {reason!r}"
        if self.event_delay < 0:
            yield f"event-delay: must be 0 or more seconds, got {self.event_delay}"
        if not 0 <= self.drop_endpoint_events <= 1:
            yield (
                f"drop-endpoint-events: must be a share from 0 to 1, "
                f"got {self.drop_endpoint_events}"
            )


def throttle_problems(operation: str, count: int) -> list[str]:
    if operation not in COUNTED_OPERATIONS:
        return [
            f"the operation must be one the emulator counts "
            f"({', '.join(COUNTED_OPERATIONS)}), got {operation!r}"
        ]
    if count < 0:
        return [f"{operation}'s count must be 0 or more, got {count}"]
    return []


def parse_throttle(values: Iterable[str]) -> dict[str, int]:
    """``["DescribeEndpoint=3", ...]`` (the ``--throttle`` option) as operation -> count."""
    parsed: dict[str, int] = {}
    for value in values:
        operation, sep, count = value.partition("=")
        if not sep or not count.strip().isdigit():
            raise FaultsInvalid(f"must be OPERATION=COUNT (e.g. DescribeEndpoint=3), got {value!r}")
        problems = throttle_problems(operation.strip(), int(count))
        if problems:
            raise FaultsInvalid(problems[0])
        parsed[operation.strip()] = int(count)
    return parsed


class FaultBudget:
    """How many times each fault has been injected in one emulated account (thread-safe)."""

    def __init__(self, times: int | None) -> None:
        self.times = times
        self.injected: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, fault: str) -> bool:
        """Whether ``fault`` happens this time (and count it when it does)."""
        with self._lock:
            done = self.injected.get(fault, 0)
            if self.times is not None and done >= self.times:
                return False
            self.injected[fault] = done + 1
            return True
