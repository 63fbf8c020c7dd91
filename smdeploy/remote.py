"""``smdeploy start`` and ``smdeploy status``: the deployer's state machine, on AWS or on any
AWS-compatible endpoint (``smdeploy emulator``), through an ordinary boto3 client.

A request's execution name is derived from its canonical content (keys sorted, no spaces),
and the input sent is that same canonical text. Submitting the same request twice therefore
names the same execution: Step Functions returns the running one (same name, same input), or
refuses a closed one with ExecutionAlreadyExists, and either way nothing is deployed twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from smdeploy.executions import history, readable_cause

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

NAME_LIMIT = 80  # StartExecution's name: 1-80 characters
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]+")
_STATE_MACHINE_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):states:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"stateMachine:(?P<name>[^:]+)"
)
_EXECUTION_ARN = re.compile(
    r"arn:aws[a-z-]*:states:(?P<region>[a-z0-9-]+):\d{12}:execution:[^:]+:[^:]+"
)


class BadArn(ValueError):
    """Not a state machine (or execution) ARN."""


def canonical(request: Any) -> str:
    """The request as one canonical JSON text: keys sorted, no insignificant spaces."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def execution_name(request: Any) -> str:
    """``<EndpointName>-<24 hex digits of the canonical request's SHA-256>``, at most 80
    characters of ``0-9A-Za-z-_`` (the names CloudWatch Logs accepts too)."""
    digest = hashlib.sha256(canonical(request).encode()).hexdigest()[:24]
    endpoint = request.get("EndpointName") if isinstance(request, dict) else None
    stem = _UNSAFE.sub("-", endpoint).strip("-") if isinstance(endpoint, str) else ""
    stem = (stem or "request")[: NAME_LIMIT - len(digest) - 1].rstrip("-")
    return f"{stem}-{digest}"


def region_of(arn: str) -> str:
    """The Region of a state machine or execution ARN (where its API lives)."""
    match = _STATE_MACHINE_ARN.fullmatch(arn) or _EXECUTION_ARN.fullmatch(arn)
    if match is None:
        raise BadArn(arn)
    return match["region"]


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the execution ``name`` of a state machine."""
    match = _STATE_MACHINE_ARN.fullmatch(state_machine_arn)
    if match is None:
        raise BadArn(state_machine_arn)
    return (
        f"arn:{match['partition']}:states:{match['region']}:{match['account']}:execution:"
        f"{match['name']}:{name}"
    )


def stepfunctions(arn: str, endpoint_url: str | None) -> SFNClient:
    """A Step Functions client for the Region of ``arn``, with the usual credentials."""
    client: SFNClient = boto3.session.Session().client(
        "stepfunctions",
        region_name=region_of(arn),
        endpoint_url=endpoint_url,
        config=Config(user_agent_extra="smdeploy-cli"),
    )
    return client


def client(service: str, region: str | None, endpoint_url: str | None) -> Any:
    """A client of ``service`` with the usual credentials, for ``region`` (default: the AWS
    configuration's; ``us-east-1`` against an ``endpoint_url`` when none is configured)."""
    session = boto3.session.Session()
    region = region or session.region_name or ("us-east-1" if endpoint_url else None)
    if region is None:
        raise NoRegion("no AWS Region: give --region, or set AWS_DEFAULT_REGION")
    return session.client(  # type: ignore[call-overload]
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(user_agent_extra="smdeploy-cli"),
    )


class NoRegion(ValueError):
    """No Region given or configured."""


@dataclass(frozen=True)
class Started:
    execution_arn: str
    name: str
    existing: bool  # the request had been submitted before: this is that execution


def start(sfn: SFNClient, state_machine_arn: str, request: Any) -> Started:
    """Start the execution for ``request``, or find the one a previous submit started."""
    name = execution_name(request)
    arn = execution_arn(state_machine_arn, name)
    try:
        sfn.describe_execution(executionArn=arn)
        return Started(arn, name, existing=True)
    except sfn.exceptions.ExecutionDoesNotExist:
        pass
    try:
        started = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=canonical(request)
        )
    except sfn.exceptions.ExecutionAlreadyExists:  # a concurrent submit won the race
        return Started(arn, name, existing=True)
    return Started(started["executionArn"], name, existing=False)


def report(sfn: SFNClient, arn: str) -> dict[str, Any]:
    """Where an execution stands: the object ``smdeploy status --json`` prints.

    Step Functions' own fields keep its casing (``executionArn``, ``status``, ``startDate``,
    ``stopDate``, ``error``, ``cause``); ``stage`` is the state it is in (or ended in);
    the deployment's fields keep SageMaker's (``EndpointName``, ``EndpointStatus``, ...).
    """
    described = sfn.describe_execution(executionArn=arn)
    events = history(sfn, arn)
    stage = None
    found: dict[str, Any] = {}
    source = json.loads(described.get("input") or "null")
    if isinstance(source, dict):
        found["EndpointName"] = source.get("EndpointName")
    for event in events:
        if "stateEnteredEventDetails" in event:
            stage = event["stateEnteredEventDetails"]["name"]
        if event["type"] == "LambdaFunctionSucceeded":
            output = json.loads(event["lambdaFunctionSucceededEventDetails"].get("output") or "{}")
            if isinstance(output, dict):
                for key in (
                    "EndpointName",
                    "EndpointConfigName",
                    "EndpointStatus",
                    "Trigger",
                    "Skip",
                ):
                    if output.get(key) is not None:
                        found[key] = output[key]
    output = json.loads(described.get("output") or "null")
    if isinstance(output, dict):
        found.update({k: v for k, v in output.items() if v is not None})
    trigger = found.get("Trigger")
    if not isinstance(trigger, dict):
        trigger = {}
    return {
        "executionArn": described["executionArn"],
        "stateMachineArn": described["stateMachineArn"],
        "name": described["name"],
        "status": described["status"],
        "stage": stage,
        "EndpointName": found.get("EndpointName"),
        "EndpointConfigName": found.get("EndpointConfigName"),
        "EndpointStatus": found.get("EndpointStatus"),
        "ModelPackageArn": found.get("ModelPackageArn") or trigger.get("ModelPackageArn"),
        "Trigger": found.get("Trigger"),
        "Skip": found.get("Skip"),
        "startDate": described["startDate"].isoformat(),
        "stopDate": described["stopDate"].isoformat() if "stopDate" in described else None,
        "error": described.get("error"),
        "cause": readable_cause(described.get("cause")),
    }


def error_text(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}"
