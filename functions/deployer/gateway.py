"""A thin SageMaker gateway: the only module that calls SageMaker, and the only place that
reads botocore's ``ClientError``.

SageMaker models neither ``ValidationException`` nor ``ThrottlingException``, so boto3 raises
them as plain ``ClientError`` (which Step Functions would only ever see as "ClientError").
Each call here catches narrowly and translates into the deployer's own errors, whose class
names the state machine's Retry and Catch match. Only message *prefixes* are relied on: they
are what SageMaker has kept stable (see shared/reference, section 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import ClientError

from deployer.errors import (
    EndpointBusy,
    EndpointConfigNotVisible,
    EndpointCreateRace,
    SageMakerLimitExceeded,
    SageMakerRejected,
    SageMakerThrottled,
)
from deployer.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

# botocore's own list of throttling codes (botocore/retries/standard.py), plus SageMaker's.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
    }
)

NOT_FOUND = "Could not find"
CONFIG_NOT_FOUND = "Could not find endpoint configuration"
ENDPOINT_EXISTS = 'Cannot create already existing endpoint "'
MODEL_EXISTS = "Cannot create already existing model"
CONFIG_EXISTS = "Cannot create already existing endpoint configuration"
IN_PROGRESS = "Cannot update in-progress endpoint"


class AlreadyExists(Exception):
    """Internal: a create call found the resource there already. Never leaves the domain."""


def _code_and_message(error: ClientError) -> tuple[str, str]:
    details = error.response.get("Error", {})
    return str(details.get("Code", "")), str(details.get("Message", ""))


def _translate(operation: str, error: ClientError) -> NoReturn:
    """Raise the deployer's error for ``error``; re-raise what it does not understand."""
    code, message = _code_and_message(error)
    if code in THROTTLING_CODES:
        raise SageMakerThrottled(f"{operation}: SageMaker throttled the call ({code}: {message})")
    if code == "ResourceLimitExceeded":
        raise SageMakerLimitExceeded(f"{operation}: {message}")
    if code == "ValidationException":
        raise SageMakerRejected(f"{operation}: {message}")
    raise error


def _is_not_found(error: ClientError, prefix: str = NOT_FOUND) -> bool:
    code, message = _code_and_message(error)
    return code in ("ValidationException", "ResourceNotFound") and message.startswith(prefix)


class SageMakerGateway:
    """Typed, narrow access to the SageMaker calls the deployer makes."""

    def __init__(self, client: SageMakerClient) -> None:
        self._client = client

    # -- reads: "not found" is an answer (None), not an error ---------------------------

    @tracer.capture_method
    def describe_model(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.describe_model(ModelName=name))
        except ClientError as error:
            if _is_not_found(error):
                return None
            _translate("DescribeModel", error)

    @tracer.capture_method
    def describe_endpoint_config(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.describe_endpoint_config(EndpointConfigName=name))
        except ClientError as error:
            if _is_not_found(error):
                return None
            _translate("DescribeEndpointConfig", error)

    @tracer.capture_method
    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.describe_endpoint(EndpointName=name))
        except ClientError as error:
            if _is_not_found(error):
                return None
            _translate("DescribeEndpoint", error)

    @tracer.capture_method
    def list_endpoint_configs(self, name_contains: str) -> list[dict[str, Any]]:
        """Summaries (name, ARN, creation time) of the configs whose names contain the text."""
        found: list[dict[str, Any]] = []
        try:
            pages = self._client.get_paginator("list_endpoint_configs").paginate(
                NameContains=name_contains
            )
            for page in pages:
                found.extend(dict(summary) for summary in page["EndpointConfigs"])
        except ClientError as error:
            _translate("ListEndpointConfigs", error)
        return found

    @tracer.capture_method
    def delete_endpoint_config(self, name: str) -> None:
        try:
            self._client.delete_endpoint_config(EndpointConfigName=name)
        except ClientError as error:
            if _is_not_found(error):
                return  # gone already: what we wanted
            _translate("DeleteEndpointConfig", error)

    @tracer.capture_method
    def list_tags(self, arn: str) -> list[dict[str, str]]:
        """The resource's tags (``[{"Key", "Value"}]``)."""
        found: list[dict[str, str]] = []
        try:
            for page in self._client.get_paginator("list_tags").paginate(ResourceArn=arn):
                found.extend({"Key": t["Key"], "Value": t["Value"]} for t in page["Tags"])
        except ClientError as error:
            _translate("ListTags", error)
        return found

    @tracer.capture_method
    def list_models(self, name_contains: str) -> list[str]:
        """The names of the models whose names contain the text."""
        found: list[str] = []
        try:
            pages = self._client.get_paginator("list_models").paginate(NameContains=name_contains)
            for page in pages:
                found.extend(summary["ModelName"] for summary in page["Models"])
        except ClientError as error:
            _translate("ListModels", error)
        return found

    @tracer.capture_method
    def delete_model(self, name: str) -> None:
        try:
            self._client.delete_model(ModelName=name)
        except ClientError as error:
            if _is_not_found(error):
                return  # gone already: what we wanted
            _translate("DeleteModel", error)

    # -- the model registry ----------------------------------------------------------------

    @tracer.capture_method
    def describe_model_package(self, arn: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.describe_model_package(ModelPackageName=arn))
        except ClientError as error:
            code, message = _code_and_message(error)
            lowered = message.lower()
            if code == "ValidationException" and (
                "does not exist" in lowered or "not found" in lowered
            ):
                return None
            _translate("DescribeModelPackage", error)

    @tracer.capture_method
    def list_approved_packages(self, group: str) -> list[dict[str, Any]]:
        """Every Approved version of ``group`` (summaries: ARN, version, status)."""
        found: list[dict[str, Any]] = []
        try:
            pages = self._client.get_paginator("list_model_packages").paginate(
                ModelPackageGroupName=group,
                ModelApprovalStatus="Approved",
                ModelPackageType="Versioned",
            )
            for page in pages:
                found.extend(dict(summary) for summary in page["ModelPackageSummaryList"])
        except ClientError as error:
            _translate("ListModelPackages", error)
        return found

    # -- writes ----------------------------------------------------------------------------

    @tracer.capture_method
    def create_model(self, params: dict[str, Any]) -> str:
        """Create the model; raise AlreadyExists when the name is taken."""
        try:
            return self._client.create_model(**params)["ModelArn"]
        except ClientError as error:
            if _code_and_message(error)[1].startswith(MODEL_EXISTS):
                raise AlreadyExists(params["ModelName"]) from error
            _translate("CreateModel", error)

    @tracer.capture_method
    def create_endpoint_config(self, params: dict[str, Any]) -> str:
        """Create the config; raise AlreadyExists when the name is taken."""
        try:
            return self._client.create_endpoint_config(**params)["EndpointConfigArn"]
        except ClientError as error:
            if _code_and_message(error)[1].startswith(CONFIG_EXISTS):
                raise AlreadyExists(params["EndpointConfigName"]) from error
            _translate("CreateEndpointConfig", error)

    @tracer.capture_method
    def create_endpoint(self, params: dict[str, Any]) -> str:
        try:
            return self._client.create_endpoint(**params)["EndpointArn"]
        except ClientError as error:
            self._translate_endpoint_write("CreateEndpoint", params, error)

    @tracer.capture_method
    def update_endpoint(self, params: dict[str, Any]) -> str:
        try:
            return self._client.update_endpoint(**params)["EndpointArn"]
        except ClientError as error:
            self._translate_endpoint_write("UpdateEndpoint", params, error)

    @tracer.capture_method
    def delete_endpoint(self, name: str) -> None:
        try:
            self._client.delete_endpoint(EndpointName=name)
        except ClientError as error:
            if _is_not_found(error):
                return  # gone already: what we wanted
            _translate("DeleteEndpoint", error)

    @tracer.capture_method
    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        try:
            self._client.add_tags(ResourceArn=arn, Tags=tags)  # type: ignore[arg-type]
        except ClientError as error:
            _translate("AddTags", error)

    @tracer.capture_method
    def delete_tags(self, arn: str, keys: list[str]) -> None:
        try:
            self._client.delete_tags(ResourceArn=arn, TagKeys=keys)
        except ClientError as error:
            _translate("DeleteTags", error)

    @staticmethod
    def _translate_endpoint_write(
        operation: str, params: dict[str, Any], error: ClientError
    ) -> NoReturn:
        _, message = _code_and_message(error)
        endpoint, config = params["EndpointName"], params["EndpointConfigName"]
        if _is_not_found(error, CONFIG_NOT_FOUND):
            raise EndpointConfigNotVisible(
                f"{operation} {endpoint}: SageMaker does not see endpoint config {config} yet "
                f"(eventual consistency): {message}"
            ) from error
        if message.startswith(ENDPOINT_EXISTS):
            raise EndpointCreateRace(
                f"{operation} {endpoint}: the endpoint was created by someone else meanwhile: "
                f"{message}"
            ) from error
        if message.startswith(IN_PROGRESS):
            raise EndpointBusy(
                f"{operation} {endpoint}: another deployment of this endpoint is in progress: "
                f"{message}"
            ) from error
        _translate(operation, error)
