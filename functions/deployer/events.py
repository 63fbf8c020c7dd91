"""The typed payloads the state machine hands each stage (see statemachine/deployer.asl.json).

Every payload carries ``Execution`` (the execution name): the logs' correlation id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from deployer import lease
from deployer.deploy import Action
from deployer.lease import Claim
from deployer.model import Model


class StageEvent(Model):
    Execution: str


class ValidateEvent(StageEvent):
    Input: Any
    StartTime: datetime  # $$.Execution.StartTime: a direct or manifest deployment's order


class ConfigureEvent(StageEvent):
    Request: dict[str, Any]


class ConfigRef(Model):
    EndpointConfigName: str


class DeployEvent(StageEvent):
    Request: dict[str, Any]
    Config: ConfigRef
    Claim: Claim  # from the Lease function's Admit
    EnteredTime: datetime  # $$.State.EnteredTime: "now", on the state machine's clock


class DeploymentRef(Model):
    Action: Action
    EndpointName: str
    EndpointConfigName: str
    PreviousEndpointConfigName: str | None = None
    PolicySeconds: int | None = None


class DescribeEvent(StageEvent):
    Deployment: DeploymentRef
    Claim: Claim  # from the Lease function's Admit
    StartedAt: datetime  # when the deadline started: the StartDeadline state, after Deploy
    EnteredTime: datetime  # when this Describe state was entered
    # what woke the deployment: the Wait function's DescribeEndpoint (None: look now)
    Woken: dict[str, Any] | None = None


class ParkEvent(StageEvent):
    """The Wait function's park task: register the task token, then look once."""

    TaskToken: str  # $$.Task.Token
    Deployment: DeploymentRef
    StartedAt: datetime  # when the deadline started
    EnteredTime: datetime  # when the park state was entered: "now"


class NotifyEvent(StageEvent):
    ExecutionArn: str
    Status: Literal["Succeeded", "Failed", "Superseded"]
    StartTime: datetime  # $$.Execution.StartTime
    EnteredTime: datetime  # when the Notify state was entered: the end of the deployment
    Input: Any  # $$.Execution.Input: the trigger, even when Validate refused it
    State: dict[str, Any]


class LeaseEvent(StageEvent):
    """The Lease function: ``Admit`` (before Configure) or ``Release`` (on every ending)."""

    Action: Literal["Admit", "Release"]
    ExecutionArn: str  # $$.Execution.Id
    StartTime: datetime  # $$.Execution.StartTime: the lease expires with the execution
    EnteredTime: datetime  # $$.State.EnteredTime: "now", on the state machine's clock
    EndpointName: str
    EndpointConfigName: str | None = None  # Admit
    Order: lease.Order | None = None  # Admit: from Validate
    Outcome: Literal["Succeeded", "Failed", "Superseded"] | None = None  # Release
    ServedConfig: str | None = None  # Release after a success: the config now serving


class GuardrailsEvent(StageEvent):
    """The Guardrails function: ``Prepare`` (before Deploy), ``Verify`` (the smoke test),
    ``Restored`` (after a failed smoke test put the old config back), ``Scale`` (after a
    success) or ``Rescale`` (after a failure)."""

    Action: Literal["Prepare", "Verify", "Restored", "Scale", "Rescale"]
    Request: dict[str, Any]
    Deployment: DeploymentRef | None = None  # Verify, Restored
    SmokeTest: dict[str, Any] | None = None  # Restored: what Verify answered
