"""What each Lambda function is given: the event its Task's ``Parameters`` build (``...Event``),
one section a function, and :data:`EVENTS`, each function's event by its stage name."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from deployer.decide import lease_record
from deployer.decide.lease_record import Claim
from deployer.payloads.execution import (
    Deployed,
    ExecutionState,
    NothingDeployed,
    SupersededOutcome,
    execution_output,
)
from deployer.payloads.pieces import Caught, Payload
from deployer.payloads.results import (
    ComponentsProgress,
    ConfigRef,
    DeploymentRef,
    Prepared,
    SmokeTested,
    Wakeup,
)


class StageEvent(Payload):
    Execution: str  # $$.Execution.Name
    # the deployment's deadline (Validate's): a stage that retries transient errors meets one
    # after it as the deadline's error (deployer.decide.deadline.bounded_by_deadline)
    Deadline: datetime | None = None


class ValidateEvent(StageEvent):
    Input: Any  # $: the execution's input, whatever it is
    StartTime: datetime  # $$.Execution.StartTime: a direct or manifest deployment's order


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


class DeployEvent(StageEvent):
    Request: dict[str, Any]
    Config: ConfigRef
    Claim: Claim  # from the Lease function's Admit
    EnteredTime: datetime  # $$.State.EnteredTime: "now", on the state machine's clock
    RetryCount: int = 0  # $$.State.RetryCount: the attempts of this state before this one


class ParkEvent(StageEvent):
    """The Wait function's park task: register the task token, then look once."""

    TaskToken: str  # $$.Task.Token
    Deployment: DeploymentRef
    StartedAt: datetime  # when the deadline started: the execution's start
    EnteredTime: datetime  # when the park state was entered: "now"


class DescribeEvent(StageEvent):
    Deployment: DeploymentRef
    Claim: Claim  # from the Lease function's Admit
    StartedAt: datetime  # when the deadline started: the execution's start (StartDeadline)
    EnteredTime: datetime  # when this Describe state was entered
    Woken: Wakeup | Caught | None = None  # what woke the deployment (None: look now)
    # the request: the clean-up keeps the models its inference components are about to use
    Request: dict[str, Any] | None = None


class ComponentsEvent(StageEvent):
    """The Components function: one look at the request's inference components."""

    Request: dict[str, Any]
    Progress: ComponentsProgress  # the last look's (Validate's before the first)
    EnteredTime: datetime  # $$.State.EnteredTime: "now", on the state machine's clock


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


# The event each function parses, by its contract.FUNCTIONS stage name (the Wait function is
# also run by the EventBridge rule on SageMaker's endpoint events: deployer.decide.wake.read_event).
EVENTS: dict[str, type[StageEvent]] = {
    "Validate": ValidateEvent,
    "Lease": LeaseEvent,
    "Configure": ConfigureEvent,
    "Deploy": DeployEvent,
    "Guardrails": GuardrailsEvent,
    "Describe": DescribeEvent,
    "Components": ComponentsEvent,
    "Wait": ParkEvent,
    "Notify": NotifyEvent,
}
