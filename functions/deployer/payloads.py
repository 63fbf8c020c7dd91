"""The data that passes between the deployer's states: the one owner of every shared shape.

``statemachine/deployer.asl.json`` moves data between the stages; this module says what that
data is. For each Lambda stage there is the event its Task's ``Parameters`` build (``...Event``)
and the result it returns; :class:`ExecutionState` is the execution's data as the stages add
to it (each Task's ``ResultPath`` names one of its fields); :class:`Deployed`,
:class:`NothingDeployed` and :class:`SupersededOutcome` are the three outputs of a successful
execution, and :data:`RESULTS` says, state by state, what each Task and each shaping Pass
state hands on.

Everyone reads these models and nothing else: the handlers (they parse their event and return
their result through them), the Notify function's detail, the CLI's ``--wait``/``watch``/
``status`` (which read an execution's history through the Step Functions API) and the local
runtime. ``tests/unit/test_payloads_asl.py`` walks the ASL and checks that every Task's
``Parameters``, every path and every Choice's variable match these models; the functional
tests check that each handler's answer is exactly its declared result, and after every
end-to-end test every execution's history is checked the same way. The lease's own shapes
(:class:`~deployer.decide.lease_record.Order`, :class:`~deployer.decide.lease_record.Claim`)
are the lease's, carried here as they are; AWS's events (EventBridge's, read by
:mod:`deployer.decide.wake` and :mod:`deployer.request.triggers`) are AWS's.

Every payload carries ``Execution`` (the execution name): the logs' correlation id.
Field names keep SageMaker's and Step Functions' casing, as the ASL paths do.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from deployer.basemodel import Model
from deployer.decide import lease_record
from deployer.decide.lease_record import Claim, Decision, Order


class Payload(Model):
    """A shape that crosses a state boundary (JSON in Step Functions' data).

    Fields a shape does not declare are ignored when it is read, so that a model can be read
    from a larger state (the test of the ASL keeps the writers exact). Like every deployer
    model, each builds its validator when it is first used (:class:`deployer.basemodel.Model`).
    """

    model_config = ConfigDict(extra="ignore")

    def to_json(self) -> dict[str, Any]:
        """The JSON object a handler returns (``None`` fields kept: a path may name them)."""
        return self.model_dump(mode="json")


# --- pieces several stages carry ---------------------------------------------------------

Source = Literal["direct", "approval", "rejection", "manifest"]


class Trigger(Payload):
    """Where a deployment came from; carried through the execution into its outcome."""

    Source: Source
    ModelPackageGroupName: str | None = None
    ModelPackageArn: str | None = None  # the package deployed (for a rollback: the older one)
    RejectedModelPackageArn: str | None = None
    ManifestUri: str | None = None

    @model_serializer(mode="wrap")
    def _only_what_is_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A direct deployment's trigger is ``{"Source": "direct"}``: no path reads the rest."""
        return {k: v for k, v in handler(self).items() if v is not None}


class Caught(Payload):
    """What a ``Catch`` puts in the data: the error's name and its cause.

    https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    """

    Error: str
    Cause: str | None = None


class Action(StrEnum):
    """What Deploy did to the endpoint."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    REPLACE = "REPLACE"  # a Failed endpoint the deployer created: deleted, then created again
    RETAG = "RETAG"  # already deployed; only the endpoint's tags changed
    NONE = "NONE"  # already deployed, or this very config is already being rolled out
    SUPERSEDED = "SUPERSEDED"  # a newer deployment of the endpoint made this one unnecessary


class Step(Payload):
    """One change SageMaker reported: a status, or a variant's deployment step."""

    model_config = ConfigDict(frozen=True)

    At: datetime
    EndpointStatus: str | None = None  # API casing
    Variant: str | None = None
    Status: str | None = None  # VariantStatus: Creating, ActivatingTraffic, Baking, ...
    Message: str = ""

    def describe(self) -> str:
        if self.Variant:
            text = f"{self.Variant}: {self.Status or ''}"
            return f"{text} ({self.Message})" if self.Message else text
        return f"endpoint {self.EndpointStatus}"


class StageEvent(Payload):
    Execution: str  # $$.Execution.Name
    # the deployment's deadline (Validate's): a stage that retries transient errors meets one
    # after it as the deadline's error (deployer.decide.deadline.bounded_by_deadline)
    Deadline: datetime | None = None


# --- Validate -----------------------------------------------------------------------------


class ValidateEvent(StageEvent):
    Input: Any  # $: the execution's input, whatever it is
    StartTime: datetime  # $$.Execution.StartTime: a direct or manifest deployment's order


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


class Skipped(Payload):
    """Validate: nothing to deploy (a stale approval, a rejection of a version not serving).
    The Choice ``NothingToDeploy?`` tests ``Skip`` for presence: :class:`Accepted` has none."""

    Skip: str
    Trigger: Trigger


class NothingDeployed(Payload):
    """The output of an execution that had nothing to deploy (the state ``NothingToDeploy``)."""

    Action: Literal["SKIPPED"]
    Message: str
    Trigger: Trigger


# --- Lease --------------------------------------------------------------------------------


class LeaseEvent(StageEvent):
    """The Lease function: ``Admit`` (before Configure) or ``Release`` (on every ending)."""

    Action: Literal["Admit", "Release"]
    ExecutionArn: str  # $$.Execution.Id
    StartTime: datetime  # $$.Execution.StartTime: the lease expires with the execution
    EnteredTime: datetime  # $$.State.EnteredTime: "now", on the state machine's clock
    EndpointName: str
    EndpointConfigName: str | None = None  # Admit
    Order: lease_record.Order | None = None  # Admit: from Validate
    Intent: lease_record.Intent | None = None  # Admit: from Validate
    Guarded: bool = False  # Admit: the request configures guardrails (from Validate)
    Outcome: Literal["Succeeded", "Failed", "Superseded"] | None = None  # Release
    ServedConfig: str | None = None  # Release after a success: the config now serving

    @model_validator(mode="after")
    def _admit_needs_its_claim(self) -> LeaseEvent:
        if self.Action == "Admit" and (self.Order is None or self.EndpointConfigName is None):
            raise ValueError("Admit needs Order and EndpointConfigName")
        return self


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


class ConfigureEvent(StageEvent):
    Request: dict[str, Any]
    # Restore: the request that puts back EndpointConfigName (Admit's RESTORE), from Request's
    Action: Literal["Configure", "Restore"] = "Configure"
    EndpointConfigName: str | None = None  # Restore: the config to put back

    @model_validator(mode="after")
    def _restore_names_its_config(self) -> ConfigureEvent:
        if self.Action == "Restore" and self.EndpointConfigName is None:
            raise ValueError("Restore needs EndpointConfigName")
        return self


class Restoring(Payload):
    """Configure's ``Restore``: the request that puts the config served before back."""

    Request: dict[str, Any]
    Message: str


_Restoring = Restoring  # ExecutionState has a field of that name


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


_Prepared = Prepared  # a field of GuardrailsEvent has the type's name


class GuardrailsEvent(StageEvent):
    """The Guardrails function: ``Prepare`` (before Deploy), ``Verify`` (the smoke test),
    ``Restored`` (after a failed smoke test put the old config back), ``Scale`` (after a
    success) or ``Rescale`` (after a failure, or superseded: Prepare's deregistrations put
    back)."""

    Action: Literal["Prepare", "Verify", "Restored", "Scale", "Rescale"]
    Request: dict[str, Any]
    Deployment: DeploymentRef | None = None  # Verify, Restored
    SmokeTest: SmokeTested | None = None  # Restored: what Verify answered
    Prepared: _Prepared | None = None  # Rescale: what Prepare found and deregistered
    EnteredTime: datetime | None = None  # Verify, Restored: "now", on the state machine's clock

    @model_validator(mode="after")
    def _each_action_its_inputs(self) -> GuardrailsEvent:
        if self.Action in ("Verify", "Restored") and self.Deployment is None:
            raise ValueError(f"{self.Action} needs the Deployment")
        if self.Action == "Restored" and (
            self.SmokeTest is None or self.SmokeTest.Restoring is None
        ):
            raise ValueError("Restored needs the SmokeTest result that is restoring")
        if self.Action == "Rescale" and self.Prepared is None:
            raise ValueError("Rescale needs what Prepare found (Prepared)")
        if self.Action in ("Verify", "Restored") and self.EnteredTime is None:
            raise ValueError(f"{self.Action} needs EnteredTime")
        return self


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


# --- Deploy -------------------------------------------------------------------------------


class DeployEvent(StageEvent):
    Request: dict[str, Any]
    Config: ConfigRef
    Claim: Claim  # from the Lease function's Admit
    EnteredTime: datetime  # $$.State.EnteredTime: "now", on the state machine's clock
    RetryCount: int = 0  # $$.State.RetryCount: the attempts of this state before this one


class DeployResult(DeploymentRef):
    Reason: str
    EndpointArn: str | None = None
    SupersededBy: Claim | None = None
    TagsAdded: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    TagsRemoved: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    # how long the park after Deploy lasts at most (the safety net, never past the deadline)
    ParkSeconds: int | None = None


# --- Wait (the park) ----------------------------------------------------------------------


class ParkEvent(StageEvent):
    """The Wait function's park task: register the task token, then look once."""

    TaskToken: str  # $$.Task.Token
    Deployment: DeploymentRef
    StartedAt: datetime  # when the deadline started: the execution's start
    EnteredTime: datetime  # when the park state was entered: "now"


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


class DescribeEvent(StageEvent):
    Deployment: DeploymentRef
    Claim: Claim  # from the Lease function's Admit
    StartedAt: datetime  # when the deadline started: the execution's start (StartDeadline)
    EnteredTime: datetime  # when this Describe state was entered
    Woken: Wakeup | Caught | None = None  # what woke the deployment (None: look now)


class Described(Assessment):
    """Describe: not done (park again, at most ``ParkSeconds``), succeeded (and what the
    clean-up deleted), or superseded by a newer deployment that took the endpoint over."""

    Outcome: Literal["SUCCEEDED", "SUPERSEDED"] | None = None
    ParkSeconds: int | None = None  # not done
    Deleted: Pruned | None = None  # succeeded
    SupersededBy: Claim | None = None  # superseded


# --- endings ------------------------------------------------------------------------------


class SupersededRef(Payload):
    """Who superseded the deployment, and the message that says so (``$.Superseded``)."""

    By: Claim
    Message: str


class Deployed(Payload):
    """The output of a successful deployment (the state ``DeploymentSucceeded``)."""

    EndpointName: str
    EndpointArn: str
    EndpointConfigName: str
    EndpointConfigArn: str
    EndpointStatus: str
    Action: Action
    Message: str
    ModelsCreated: list[str]
    Trigger: Trigger


class SupersededOutcome(Payload):
    """The output of a deployment a newer one made unnecessary (the state ``Superseded``)."""

    Action: Literal["SUPERSEDED"]
    EndpointName: str
    EndpointConfigName: str
    Message: str
    SupersededBy: Claim
    Trigger: Trigger


ExecutionOutput = Deployed | NothingDeployed | SupersededOutcome


def execution_output(data: dict[str, Any]) -> ExecutionOutput:
    """A SUCCEEDED execution's output, as the model its ``Action`` names."""
    if data.get("Action") == "SKIPPED":
        return NothingDeployed.model_validate(data)
    if data.get("Action") == Action.SUPERSEDED:
        return SupersededOutcome.model_validate(data)
    return Deployed.model_validate(data)


_Trigger = Trigger  # a field of ExecutionState has the type's name
_Clock = Deadline  # and another has this one's


class ExecutionState(Payload):
    """The execution's data between the states, as the stages add to it; every field is
    optional because it fills up state by state (and a failure can come at any of them)."""

    # Validate
    Request: dict[str, Any] | None = None
    EndpointName: str | None = None
    EndpointConfigName: str | None = None
    Order: lease_record.Order | None = None
    Trigger: _Trigger | None = None
    Intent: lease_record.Intent | None = None
    Guarded: bool | None = None
    Deadline: datetime | None = None
    Skip: str | None = None
    # the stages' results, at their ResultPath
    Lease: Admitted | None = None
    Restoring: _Restoring | None = None
    Config: ConfigureResult | None = None
    Guardrails: Prepared | None = None
    Deployment: DeployResult | None = None
    Clock: _Clock | None = None
    Endpoint: Described | None = None
    SmokeTest: SmokeTested | None = None
    Restore: RestoreProgress | None = None
    Scaling: Scaled | None = None
    Rescaled: Scaled | None = None
    Superseded: SupersededRef | None = None
    # what the Catches put (Failure: the deployment's own; the others: the clean-up's)
    Failure: Caught | None = None
    RescaleFailure: Caught | None = None
    ReleaseFailure: Caught | None = None
    NotificationFailure: Caught | None = None


# --- Notify -------------------------------------------------------------------------------

Status = Literal["Succeeded", "Failed", "Superseded"]


class NotifyEvent(StageEvent):
    """The last stage: ``State`` is the data at the end, which ``Status`` names: the output of
    a success (:data:`ExecutionOutput`, ``Superseded`` for that one), or the execution's data
    with its ``Failure``."""

    ExecutionArn: str  # $$.Execution.Id
    Status: Status
    StartTime: datetime  # $$.Execution.StartTime
    EnteredTime: datetime  # when the Notify state was entered: the end of the deployment
    Input: Any  # $$.Execution.Input: the trigger, even when Validate refused it
    State: Deployed | NothingDeployed | SupersededOutcome | ExecutionState = Field(
        union_mode="left_to_right"
    )

    @model_validator(mode="before")
    @classmethod
    def _state_as_status_says(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("State"), dict):
            state, status = data["State"], data.get("Status")
            if status == "Failed":
                return {**data, "State": ExecutionState.model_validate(state)}
            if status in ("Succeeded", "Superseded"):
                return {**data, "State": execution_output(state)}
        return data


class Published(Payload):
    Published: bool


# --- what each function is given, and what each state hands on ----------------------------

# The event each function parses, by its contract.FUNCTIONS stage name (the Wait function is
# also run by the EventBridge rule on SageMaker's endpoint events: deployer.decide.wake.read_event).
EVENTS: dict[str, type[StageEvent]] = {
    "Validate": ValidateEvent,
    "Lease": LeaseEvent,
    "Configure": ConfigureEvent,
    "Deploy": DeployEvent,
    "Guardrails": GuardrailsEvent,
    "Describe": DescribeEvent,
    "Wait": ParkEvent,
    "Notify": NotifyEvent,
}


# The result of each Task state (the Lambda function's return, or the park's output) and
# the output of each Pass state that shapes data, by the ASL's state name. The CLI reads an
# execution's history with it; the ASL test keeps it exact.
RESULTS: dict[str, type[Payload]] = {
    "Validate": Accepted,  # or Skipped: see result_of
    "Admit": Admitted,
    "PrepareRestore": Restoring,
    "Configure": ConfigureResult,
    "PrepareGuardrails": Prepared,
    "Deploy": DeployResult,
    "ParkUntilSettled": Wakeup,
    "ParkAgain": Wakeup,
    "DescribeEndpoint": Described,
    "SmokeTest": SmokeTested,
    "CheckRestore": RestoreProgress,
    "ScaleVariants": Scaled,
    "RescaleAfterFailure": Scaled,
    "RescaleSuperseded": Scaled,
    "Release": Released,
    "ReleaseSuperseded": Released,
    "ReleaseAfterFailure": Released,
    "NotifySucceeded": Published,
    "NotifySuperseded": Published,
    "NotifyFailed": Published,
    "NothingToDeploy": NothingDeployed,
    "NothingToRollBack": NothingDeployed,
    "SupersededAtAdmit": SupersededRef,
    "SupersededAtDeploy": SupersededRef,
    "SupersededAtDescribe": SupersededRef,
    "DeploymentSucceeded": Deployed,
    "Superseded": SupersededOutcome,
    "StartDeadline": Deadline,
    "CarryValidationFailure": ExecutionState,
}


def result_of(state: str, output: Any) -> Payload | None:
    """What a state's output means, read with its model (None: a state that hands on nothing
    of its own, or an output that is not what the state declares)."""
    model = RESULTS.get(state)
    if model is None or not isinstance(output, dict):
        return None
    if model is Accepted and "Skip" in output:
        model = Skipped
    try:
        return model.model_validate(output)
    except ValueError:  # pydantic's ValidationError is a ValueError
        return None
