"""The execution's data: :class:`ExecutionState` as the stages add to it (each Task's
``ResultPath`` names one of its fields), the three outputs of a successful execution
(:class:`Deployed`, :class:`NothingDeployed`, :class:`SupersededOutcome`), and
:data:`RESULTS`: state by state, what each Task and each shaping Pass state hands on."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from deployer.decide import lease_record
from deployer.decide.lease_record import Claim
from deployer.payloads.pieces import Action, Caught, Payload, ServingInstance, Trigger
from deployer.payloads.results import (
    Accepted,
    Admitted,
    ComponentsProgress,
    ConfigureResult,
    Deadline,
    DeployResult,
    Described,
    Prepared,
    Published,
    Released,
    RestoreProgress,
    Restoring,
    Scaled,
    Skipped,
    SmokeTested,
    Wakeup,
)


class NothingDeployed(Payload):
    """The output of an execution that had nothing to deploy (the state ``NothingToDeploy``)."""

    Action: Literal["SKIPPED"]
    Message: str
    Trigger: Trigger


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
    # the instances that serve, where DescribeEndpoint tells (instance pools)
    ServingInstances: list[ServingInstance] = []  # noqa: RUF012 (pydantic copies it)
    # the request's inference components at the end (None: the request has none)
    InferenceComponents: ComponentsProgress | None = None


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


_Restoring = Restoring  # ExecutionState has a field of that name
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
    Components: ComponentsProgress | None = None
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
    "DeployComponents": ComponentsProgress,
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
