"""The pieces of the data between the states that several stages carry: the base of every
payload, the trigger, what a ``Catch`` puts, what Deploy did (:class:`Action`) and a step
SageMaker reported."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, SerializerFunctionWrapHandler, model_serializer

from deployer.basemodel import Model


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


class ServingInstance(Payload):
    """Instances that serve a variant, as DescribeEndpoint tells: a ProductionVariantSummary's
    CurrentInstanceCount, per instance type of its InstancePools (the type SageMaker provisioned,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html);
    ``InstanceType`` is None when DescribeEndpoint does not say it (a variant without pools:
    its config's InstanceType)."""

    VariantName: str
    InstanceType: str | None = None
    CurrentInstanceCount: int


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
