"""A thin SageMaker gateway: the only module of the Lambda code that calls the SageMaker API.

botocore's ``ClientError`` is read by the gateways only, each for its own services: this one
(SageMaker, and the others' calls through :func:`other_call`), :mod:`deployer.aws.guardrails`
(Application Auto Scaling, CloudWatch, the SageMaker runtime's InvokeEndpoint) and
:mod:`deployer.aws.lease_table` (the deployer's DynamoDB table, Step Functions' task tokens and
DescribeExecution).

SageMaker models neither ``ValidationException`` nor ``ThrottlingException``, so botocore
raises them as plain ``ClientError`` (which Step Functions would only ever see as
"ClientError"). Every call goes through :func:`sagemaker_call` or :func:`sagemaker_read`,
which catch narrowly and translate into the deployer's own errors, whose class names the
state machine's Retry and Catch match. Only message *prefixes* are relied on: they are what
SageMaker has kept stable.

The other services' calls (S3, EventBridge, SNS) go through :func:`other_call`, which turns a
``ClientError`` into :class:`AwsCallFailed` for the caller to name in its own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from botocore.exceptions import ClientError, PaginationError

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


T = TypeVar("T")


class AlreadyExists(Exception):
    """Internal: a create call found the resource there already. Never leaves the domain."""


class AwsCallFailed(Exception):
    """A call to S3, EventBridge or SNS failed; ``code`` is AWS's error code. The message is
    botocore's ("An error occurred (Code) when calling the X operation: ...")."""

    def __init__(self, error: ClientError) -> None:
        super().__init__(str(error))
        self.code = _code_and_message(error)[0]


def other_call(call: Callable[[], T]) -> T:
    """Make one call to another service; its ClientError becomes AwsCallFailed."""
    try:
        return call()
    except ClientError as error:
        raise AwsCallFailed(error) from error


def pages(call: Callable[..., Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every page of a list call: ``call()``, then ``call(NextToken=...)`` with the token each
    page gives, until one gives none. What botocore's paginator does for each call the
    deployer lists with (``NextToken`` in and out, as botocore's paginator configuration of
    each says), a token that comes back unchanged included (PaginationError).

    The paginator itself is not used: to find its configuration, botocore first scans the
    data directory of every service it knows (once per process, about 6 ms; ``make bench``).
    """
    token: dict[str, str] = {}
    while True:
        page = call(**token)
        yield page
        following = page.get("NextToken")
        if not following:
            return
        if following == token.get("NextToken"):
            raise PaginationError(message=f"the same NextToken came back twice: {following}")
        token = {"NextToken": str(following)}


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


def _package_not_found(error: ClientError) -> bool:
    code, message = _code_and_message(error)
    lowered = message.lower()
    return code == "ValidationException" and ("does not exist" in lowered or "not found" in lowered)


def sagemaker_call(
    operation: str,
    call: Callable[[], T],
    recognise: Callable[[ClientError], None] | None = None,
) -> T:
    """Make one SageMaker call. A ClientError raises what ``recognise`` makes of it (when it
    raises), else the deployer's error for it (:func:`_translate`)."""
    try:
        return call()
    except ClientError as error:
        if recognise is not None:
            recognise(error)
        _translate(operation, error)


def sagemaker_read(
    operation: str,
    call: Callable[[], T],
    absent: Callable[[ClientError], bool] = _is_not_found,
) -> T | None:
    """Make one SageMaker read, where "not found" is an answer: None."""
    try:
        return call()
    except ClientError as error:
        if absent(error):
            return None
        _translate(operation, error)


def _already_exists(prefix: str, name: str) -> Callable[[ClientError], None]:
    def recognise(error: ClientError) -> None:
        if _code_and_message(error)[1].startswith(prefix):
            raise AlreadyExists(name) from error

    return recognise


class SageMakerGateway:
    """Typed, narrow access to the SageMaker calls the deployer makes.

    ``client`` gives the SageMaker client, asked for at the first call: a function that
    calls no SageMaker API on its path never creates it (Describe woken with the Wait
    function's description, Guardrails for an endpoint with no autoscaling and no smoke test,
    Validate with a direct request).
    """

    def __init__(self, client: Callable[[], SageMakerClient]) -> None:
        self._make_client = client

    @property
    def _client(self) -> SageMakerClient:
        return self._make_client()

    # -- reads: "not found" is an answer (None), not an error ---------------------------

    @tracer.capture_method
    def describe_model(self, name: str) -> dict[str, Any] | None:
        return sagemaker_read(
            "DescribeModel", lambda: dict(self._client.describe_model(ModelName=name))
        )

    @tracer.capture_method
    def describe_endpoint_config(self, name: str) -> dict[str, Any] | None:
        return sagemaker_read(
            "DescribeEndpointConfig",
            lambda: dict(self._client.describe_endpoint_config(EndpointConfigName=name)),
        )

    @tracer.capture_method
    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        return sagemaker_read(
            "DescribeEndpoint", lambda: dict(self._client.describe_endpoint(EndpointName=name))
        )

    @tracer.capture_method
    def list_endpoints(self) -> list[str]:
        """The names of every endpoint in the account and Region (every page)."""

        def listing() -> list[str]:
            found = pages(lambda **token: self._client.list_endpoints(MaxResults=100, **token))
            return [summary["EndpointName"] for page in found for summary in page["Endpoints"]]

        return sagemaker_call("ListEndpoints", listing)

    @tracer.capture_method
    def endpoints_modified_after(self, since: datetime) -> list[dict[str, Any]]:
        """Summaries (name, ARN, status, times) of the endpoints modified after ``since``,
        every page: the filter is SageMaker's (``LastModifiedTimeAfter``), so a quiet minute
        is one page, whatever the number of endpoints. (ListEndpoints cannot sort by
        LastModifiedTime: its SortBy is Name, CreationTime or Status.)"""

        def listing() -> list[dict[str, Any]]:
            found = pages(
                lambda **token: self._client.list_endpoints(
                    LastModifiedTimeAfter=since, MaxResults=100, **token
                )
            )
            return [dict(summary) for page in found for summary in page["Endpoints"]]

        return sagemaker_call("ListEndpoints", listing)

    @tracer.capture_method
    def list_endpoint_configs(self, name_contains: str) -> list[dict[str, Any]]:
        """Summaries (name, ARN, creation time) of the configs whose names contain the text."""

        def listing() -> list[dict[str, Any]]:
            found = pages(
                lambda **token: self._client.list_endpoint_configs(
                    NameContains=name_contains, **token
                )
            )
            return [dict(summary) for page in found for summary in page["EndpointConfigs"]]

        return sagemaker_call("ListEndpointConfigs", listing)

    @tracer.capture_method
    def delete_endpoint_config(self, name: str) -> None:
        # not found: gone already, which is what was wanted
        sagemaker_read(
            "DeleteEndpointConfig",
            lambda: self._client.delete_endpoint_config(EndpointConfigName=name),
        )

    @tracer.capture_method
    def list_tags(self, arn: str) -> list[dict[str, str]]:
        """The resource's tags (``[{"Key", "Value"}]``)."""

        def listing() -> list[dict[str, str]]:
            found = pages(lambda **token: self._client.list_tags(ResourceArn=arn, **token))
            return [{"Key": t["Key"], "Value": t["Value"]} for p in found for t in p["Tags"]]

        return sagemaker_call("ListTags", listing)

    @tracer.capture_method
    def list_models(self, name_contains: str) -> list[str]:
        """The names of the models whose names contain the text."""

        def listing() -> list[str]:
            found = pages(
                lambda **token: self._client.list_models(NameContains=name_contains, **token)
            )
            return [summary["ModelName"] for page in found for summary in page["Models"]]

        return sagemaker_call("ListModels", listing)

    @tracer.capture_method
    def delete_model(self, name: str) -> None:
        # not found: gone already, which is what was wanted
        sagemaker_read("DeleteModel", lambda: self._client.delete_model(ModelName=name))

    # -- the model registry ----------------------------------------------------------------

    @tracer.capture_method
    def describe_model_package(self, arn: str) -> dict[str, Any] | None:
        return sagemaker_read(
            "DescribeModelPackage",
            lambda: dict(self._client.describe_model_package(ModelPackageName=arn)),
            _package_not_found,
        )

    @tracer.capture_method
    def list_approved_packages(self, group: str) -> list[dict[str, Any]]:
        """Every Approved version of ``group`` (summaries: ARN, version, status)."""

        def listing() -> list[dict[str, Any]]:
            found = pages(
                lambda **token: self._client.list_model_packages(
                    ModelPackageGroupName=group,
                    ModelApprovalStatus="Approved",
                    ModelPackageType="Versioned",
                    **token,
                )
            )
            return [dict(summary) for page in found for summary in page["ModelPackageSummaryList"]]

        return sagemaker_call("ListModelPackages", listing)

    # -- writes ----------------------------------------------------------------------------

    @tracer.capture_method
    def create_model(self, params: dict[str, Any]) -> str:
        """Create the model; raise AlreadyExists when the name is taken."""
        return sagemaker_call(
            "CreateModel",
            lambda: self._client.create_model(**params)["ModelArn"],
            _already_exists(MODEL_EXISTS, params["ModelName"]),
        )

    @tracer.capture_method
    def create_endpoint_config(self, params: dict[str, Any]) -> str:
        """Create the config; raise AlreadyExists when the name is taken."""
        return sagemaker_call(
            "CreateEndpointConfig",
            lambda: self._client.create_endpoint_config(**params)["EndpointConfigArn"],
            _already_exists(CONFIG_EXISTS, params["EndpointConfigName"]),
        )

    @tracer.capture_method
    def create_endpoint(self, params: dict[str, Any]) -> str:
        return sagemaker_call(
            "CreateEndpoint",
            lambda: self._client.create_endpoint(**params)["EndpointArn"],
            _endpoint_write("CreateEndpoint", params),
        )

    @tracer.capture_method
    def update_endpoint(self, params: dict[str, Any]) -> str:
        return sagemaker_call(
            "UpdateEndpoint",
            lambda: self._client.update_endpoint(**params)["EndpointArn"],
            _endpoint_write("UpdateEndpoint", params),
        )

    @tracer.capture_method
    def delete_endpoint(self, name: str) -> None:
        # not found: gone already, which is what was wanted
        sagemaker_read("DeleteEndpoint", lambda: self._client.delete_endpoint(EndpointName=name))

    @tracer.capture_method
    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        sagemaker_call("AddTags", lambda: self._client.add_tags(ResourceArn=arn, Tags=tags))  # type: ignore[arg-type]

    @tracer.capture_method
    def delete_tags(self, arn: str, keys: list[str]) -> None:
        sagemaker_call(
            "DeleteTags", lambda: self._client.delete_tags(ResourceArn=arn, TagKeys=keys)
        )


def _endpoint_write(operation: str, params: dict[str, Any]) -> Callable[[ClientError], None]:
    """What CreateEndpoint and UpdateEndpoint answer that the state machine retries."""
    endpoint, config = params["EndpointName"], params["EndpointConfigName"]

    def recognise(error: ClientError) -> None:
        _, message = _code_and_message(error)
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

    return recognise
