"""The pieces of the data between the states that several stages carry: the base of every
payload, the trigger, what a ``Catch`` puts, what Deploy did (:class:`Action`) and a step
SageMaker reported."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, SerializerFunctionWrapHandler, model_serializer

from deployer import interface
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
    ManifestUri: str | None = None  # s3://<bucket>/<key>
    ManifestVersionId: str | None = None  # the upload that sent the event (a versioned bucket)

    @model_serializer(mode="wrap")
    def _only_what_is_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A direct deployment's trigger is ``{"Source": "direct"}``: no path reads the rest."""
        return {k: v for k, v in handler(self).items() if v is not None}


def is_event(raw: Any, source: str, detail_type: str) -> bool:
    """Whether ``raw`` is an EventBridge event of this source and detail-type."""
    return (
        isinstance(raw, dict)
        and raw.get("source") == source
        and raw.get("detail-type") == detail_type
        and isinstance(raw.get("detail"), dict)
    )


def trigger_of(raw: Any) -> Trigger:
    """Describe an execution's input (any input: an event, a request, or not even an object),
    without calling AWS: Validate's, Notify's and ``smdeploy status``'s trigger."""
    if is_event(raw, interface.APPROVAL_SOURCE, interface.APPROVAL_DETAIL_TYPE):
        detail = raw["detail"]
        rejected = detail.get("ModelApprovalStatus") == "Rejected"
        return Trigger(
            Source="rejection" if rejected else "approval",
            ModelPackageGroupName=_text(detail.get("ModelPackageGroupName")),
            ModelPackageArn=None if rejected else _text(detail.get("ModelPackageArn")),
            RejectedModelPackageArn=_text(detail.get("ModelPackageArn")) if rejected else None,
        )
    if is_event(raw, interface.S3_SOURCE, interface.S3_OBJECT_CREATED):
        detail = raw["detail"]
        bucket = (detail.get("bucket") or {}).get("name")
        obj = detail.get("object") or {}
        return Trigger(
            Source="manifest",
            ManifestUri=f"s3://{bucket}/{obj.get('key')}",
            ManifestVersionId=_text(obj.get("version-id")),
        )
    return Trigger(Source="direct")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


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
