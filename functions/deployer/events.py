"""The typed payloads the state machine hands each stage (see statemachine/deployer.asl.json).

Every payload carries ``Execution`` (the execution name): the logs' correlation id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from deployer.deploy import Action


class StageEvent(BaseModel):
    Execution: str


class ValidateEvent(StageEvent):
    Input: Any


class ConfigureEvent(StageEvent):
    Request: dict[str, Any]


class ConfigRef(BaseModel):
    EndpointConfigName: str


class DeployEvent(StageEvent):
    Request: dict[str, Any]
    Config: ConfigRef


class DeploymentRef(BaseModel):
    Action: Action
    EndpointName: str
    EndpointConfigName: str
    PreviousEndpointConfigName: str | None = None


class DescribeEvent(StageEvent):
    Deployment: DeploymentRef
    StartedAt: datetime  # when the deadline started: the StartDeadline state, after Deploy
    EnteredTime: datetime  # when this Describe state was entered


class NotifyEvent(StageEvent):
    ExecutionArn: str
    Status: Literal["Succeeded", "Failed"]
    StartTime: datetime  # $$.Execution.StartTime
    EnteredTime: datetime  # when the Notify state was entered: the end of the deployment
    Input: Any  # $$.Execution.Input: the trigger, even when Validate refused it
    State: dict[str, Any]
