"""What each stage returns: the result of each Lambda function (and the park's output), one
section a stage; :data:`deployer.payloads.execution.RESULTS` names them by the ASL's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from deployer.decide import lease_record
from deployer.decide.lease_record import Claim, Decision, Order
from deployer.payloads.pieces import Action, Caught, Payload, ServingInstance, Step, Trigger

# --- Components: the inference components of the request, look by look ---------------------


class ComponentState(Payload):
    """One inference component at the last look (deployer.decide.components)."""

    InferenceComponentName: str
    Act: str  # what the look did or found: CREATE, UPDATE, SCALE, DELETE, WAIT, DONE, FAIL
    Status: str | None = None  # its InferenceComponentStatus (None: no such IC yet)
    Message: str
    DesiredCopyCount: int | None = None
    CurrentCopyCount: int | None = None


class ComponentsProgress(Payload):
    """The inference components' progress: Validate starts it (none looked at yet), each look
    of the Components function replaces it, until every IC is done."""

    Done: bool = False
    Components: list[ComponentState] = []  # noqa: RUF012 (pydantic copies it)
    # what this deployment asked of each IC (CREATE, UPDATE, SCALE, DELETE), by name
    Started: dict[str, str] = {}  # noqa: RUF012 (pydantic copies it)
    Looks: int = 0
    Describes: int = 0  # DescribeInferenceComponent calls, every look included
    Message: str = "no inference component looked at yet"


# --- Validate -----------------------------------------------------------------------------


class Accepted(Payload):
    """Validate: one checked request to deploy."""

    Request: dict[str, Any]  # deployer.request.deployment.DeploymentRequest.to_payload()
    EndpointName: str
    EndpointConfigName: str
    Order: Order  # this deployment's order among those of its endpoint (deployer.decide.lease)
    Trigger: Trigger
    Intent: lease_record.Intent  # the package it deploys; a rejection's: the package rejected
    # the request configures guardrails (its Guardrails key): the endpoint's record remembers it
    Guarded: bool = False
    # when the deployment runs out of time: its execution's start + its deadline (the
    # request's DeadlineSeconds, or the configured one, or longer for a long update policy)
    Deadline: datetime
    # the request's inference components, none looked at yet (None: the request has none)
    Components: ComponentsProgress | None = None


class Skipped(Payload):
    """Validate: nothing to deploy (a stale approval, a rejection of a version not serving).
    The Choice ``NothingToDeploy?`` tests ``Skip`` for presence: :class:`Accepted` has none."""

    Skip: str
    Trigger: Trigger


# --- Lease --------------------------------------------------------------------------------


class Admitted(Payload):
    """Admit: this execution's claim, and whether it holds the endpoint (``ACQUIRED``), waits
    for an older deployment (``WAIT``: ``By`` holds it) or ends (``SUPERSEDED``: ``By`` is
    newer)."""

    Decision: Decision
    Claim: Claim
    By: lease_record.Claim | None = None
    WaitSeconds: int = 0
    Message: str
    # the guardrail steps run: the request configures guardrails, or an earlier deployment
    # left some on the endpoint (to clean up); the Choice GuardrailsToRun? reads it
    Guardrails: bool = False


class Released(Payload):
    Released: bool  # False: nothing of this execution's was held or waiting


# --- Configure ----------------------------------------------------------------------------


class Restoring(Payload):
    """Configure's ``Restore``: the request that puts the config served before back."""

    Request: dict[str, Any]
    Message: str


class ConfigRef(Payload):
    EndpointConfigName: str
    # Configure created it (it may not be visible yet: eventual consistency); False: it was
    # there, visible, when Configure looked (absent later, it was deleted)
    ConfigCreated: bool = True


class ConfigureResult(ConfigRef):
    EndpointConfigArn: str
    ConfigCreated: bool
    ModelsCreated: list[str]
    ModelsReused: list[str]


# --- Guardrails ---------------------------------------------------------------------------


class DeploymentRef(Payload):
    """What the stages after Deploy need of its result."""

    Action: Action
    EndpointName: str
    EndpointConfigName: str
    PreviousEndpointConfigName: str | None = None
    # seconds the update policy may legitimately take (MaximumExecutionTimeoutInSeconds)
    PolicySeconds: int | None = None


class SmokeTested(Payload):
    """Verify: passed, or failed on an update (the endpoint is being put back on
    ``Restoring``; a failure on a create raises SmokeTestFailed instead)."""

    Passed: bool
    Message: str | None = None
    Restoring: str | None = None
    Failure: str | None = None
    RestoringSince: datetime | None = None  # when the putting back began (its deadline's start)


class FoundTarget(Payload):
    """A scalable target as Prepare found it before deregistering it: put back as it was on
    every path that does not deploy (failed, rolled back, superseded)."""

    Variant: str
    MinCapacity: int
    MaxCapacity: int
    # the target-tracking configuration of the deployer's policy on it (None: none)
    Policy: dict[str, Any] | None = None


class Prepared(Payload):
    """Prepare: the request to deploy, with the rollback alarms and retained counts in it."""

    Request: dict[str, Any]
    Alarms: list[str]
    Registered: list[str]  # the variants that had a scalable target
    Deregistered: list[str]  # ... of which deregistered before the update
    RetainedCounts: bool
    Message: str
    # the deregistered targets as they were (Rescale puts them back)
    Found: list[FoundTarget] = []  # noqa: RUF012 (pydantic copies it for each instance)


class RestoreProgress(Payload):
    """Restored, while the endpoint is still being put back (the end raises
    SmokeTestFailed)."""

    Done: Literal[False] = False
    Message: str


class Scaled(Payload):
    """Scale (after a success: the autoscaling, and the rollback alarms no longer needed) or
    Rescale (after a failure: the autoscaling only)."""

    Registered: list[str]
    Policies: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Deregistered: list[str]
    # after a success: the rollback alarms the deployed request no longer names, deleted
    AlarmsDeleted: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Message: str

    def with_alarms_deleted(self, deleted: list[str]) -> Scaled:
        """The result, with the rollback alarms the clean-up deleted (none: as it is)."""
        if not deleted:
            return self
        return self.model_copy(
            update={
                "AlarmsDeleted": deleted,
                "Message": f"{self.Message}; rollback alarms deleted: {', '.join(deleted)}",
            }
        )


# --- Deploy -------------------------------------------------------------------------------


class DeployResult(DeploymentRef):
    Reason: str
    EndpointArn: str | None = None
    SupersededBy: Claim | None = None
    TagsAdded: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    TagsRemoved: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    # how long the park after Deploy lasts at most (the safety net, never past the deadline)
    ParkSeconds: int | None = None


# --- Wait (the park) ----------------------------------------------------------------------


class Parked(Payload):
    """What the Wait function answers the park's invocation (its logs; the task's output is
    what completes the token: :class:`Wakeup`)."""

    Parked: bool
    Verdict: str


class Wakeup(Payload):
    """The output of the park task, sent with its token when the endpoint settled."""

    Woken: Literal[True] = True
    EndpointStatus: str
    EndpointConfigName: str | None = None
    Message: str
    # the DescribeEndpoint that settled it: the Describe state decides from this very answer
    Description: dict[str, Any]
    # what SageMaker reported since the park began
    Steps: list[Step] = []  # noqa: RUF012 (pydantic copies it for each instance)


class Deadline(Payload):
    """The state ``StartDeadline``'s record: when the deadline started, and what woke the
    deployment last (a :class:`Wakeup`, the park's ``States.Timeout``, or nothing yet)."""

    StartedAt: datetime
    Woken: Wakeup | Caught | None = None


# --- Describe -----------------------------------------------------------------------------


class Pruned(Payload):
    EndpointConfigs: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Models: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)


class Assessment(Payload):
    """What one DescribeEndpoint means (deployer.decide.outcome.assess)."""

    Done: bool
    EndpointName: str
    EndpointArn: str
    EndpointStatus: str
    EndpointConfigName: str | None
    ElapsedSeconds: int
    Message: str
    # the instances that serve, where DescribeEndpoint tells (deployer.decide.outcome)
    ServingInstances: list[ServingInstance] = []  # noqa: RUF012 (pydantic copies it)


class Described(Assessment):
    """Describe: not done (park again, at most ``ParkSeconds``), succeeded (and what the
    clean-up deleted), or superseded by a newer deployment that took the endpoint over."""

    Outcome: Literal["SUCCEEDED", "SUPERSEDED"] | None = None
    ParkSeconds: int | None = None  # not done
    Deleted: Pruned | None = None  # succeeded
    SupersededBy: Claim | None = None  # superseded


# --- Notify -------------------------------------------------------------------------------


class Published(Payload):
    Published: bool
