"""``smdeploy start`` and ``smdeploy status``: the deployer's state machine, on AWS or on any
AWS-compatible endpoint (``smdeploy emulator``), through an ordinary boto3 client.

A request's execution name is derived from its canonical content (keys sorted, no spaces),
and the input sent is that same canonical text. Submitting the same request twice therefore
names the same execution: Step Functions returns the running one (same name, same input), or
refuses a closed one with ExecutionAlreadyExists, and either way nothing is deployed twice.

A request whose execution ended FAILED, TIMED_OUT or ABORTED is deployed again as a new
attempt, named ``<derived name>-2`` (then ``-3``, ...): the newest attempt is the one that
counts, found by DescribeExecution of each name in turn.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ProfileNotFound

from deployer.decide.lease_record import Claim, Decision
from deployer.decide.names import NAME_LIMIT, clean
from deployer.payloads.execution import execution_output, result_of
from deployer.payloads.pieces import trigger_of
from deployer.payloads.results import Accepted, Admitted, ComponentsProgress, Wakeup
from smdeploy.executions import history, output_of, readable_cause, retried
from smdeploy.sessions import boto3_session

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

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


def execution_name(request: Any, attempt: int = 1) -> str:
    """``<EndpointName>-<24 hex digits of the canonical request's SHA-256>``, then
    ``-<attempt>`` from the second attempt on; at most 80 characters of ``0-9A-Za-z-_``
    (the names CloudWatch Logs accepts too)."""
    digest = hashlib.sha256(canonical(request).encode()).hexdigest()[:24]
    suffix = f"-{attempt}" if attempt > 1 else ""
    endpoint = request.get("EndpointName") if isinstance(request, dict) else None
    stem = clean(endpoint) if isinstance(endpoint, str) else ""
    stem = (stem or "request")[: NAME_LIMIT - len(digest) - 1 - len(suffix)].rstrip("-")
    return f"{stem}-{digest}{suffix}"


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


def stepfunctions(
    arn: str, endpoint_url: str | None, region: str | None = None, profile: str | None = None
) -> SFNClient:
    """A Step Functions client for the Region of ``arn`` (where its API lives), with the
    credentials of ``profile``; ``region`` (``--region``) must be that Region when given."""
    found: SFNClient = client(
        "stepfunctions", region_for(arn, region_of(arn), region), endpoint_url, profile
    )
    return found


# A closed execution in one of these statuses did not deploy its request: submitting the
# request again starts a new attempt (RUNNING, SUCCEEDED and PENDING_REDRIVE do not).
RETRYABLE = ("FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Previous:
    """The newest earlier attempt of a request, which ended without deploying it."""

    name: str
    status: str


def session(region: str | None = None, profile: str | None = None) -> boto3.session.Session:
    """The session every command's clients come from, chosen as the AWS CLI chooses
    (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html,
    https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html):

    - the profile: ``profile`` (``--profile``), else ``AWS_PROFILE``, else ``default``
      (botocore reads ``AWS_PROFILE``); its credentials come after the credential variables
      (``AWS_ACCESS_KEY_ID``, ...), as the AWS CLI takes them;
    - the Region: ``region`` (``--region``), else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``,
      else the profile's ``region`` in the config file (botocore reads only the last two, so
      ``AWS_REGION`` is read here, first, as the AWS CLI v2 and the SDKs read it:
      https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html).

    botocore raises ProfileNotFound for an unknown profile (given or in ``AWS_PROFILE``)
    when the session is made or first read: :func:`client` makes it :class:`UnknownProfile`.
    Its service models are read through the process's one loader (:mod:`smdeploy.sessions`).
    """
    return boto3_session(
        profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None
    )


def client(
    service: str, region: str | None, endpoint_url: str | None, profile: str | None = None
) -> Any:
    """A client of ``service`` from :func:`session` (``region`` and ``profile`` as given, else
    configured); ``us-east-1`` against an ``endpoint_url`` when no Region is configured."""
    try:
        chosen = session(region, profile)
        region = chosen.region_name or ("us-east-1" if endpoint_url else None)
        if region is None:
            raise NoRegion(
                "no AWS Region: give --region, set AWS_REGION, or give the profile a region"
            )
        return chosen.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(user_agent_extra="smdeploy-cli"),
        )
    except ProfileNotFound as error:  # --profile, AWS_PROFILE, or a profile's source_profile
        raise UnknownProfile(error.kwargs.get("profile") or profile) from None


def region_for(arn: str, arn_region: str, region: str | None) -> str:
    """The Region of a resource named by ``arn``: its own (``arn_region``); ``region`` (a
    ``--region``) that names another is misuse (:class:`RegionConflict`)."""
    if region is not None and region != arn_region:
        raise RegionConflict(
            f"--region {region} contradicts the Region of {arn} ({arn_region}): give the "
            "ARN's Region, or no --region"
        )
    return arn_region


class Misuse(ValueError):
    """The Region or profile given or configured cannot be used (exit 2, one line)."""


class NoRegion(Misuse):
    """No Region given or configured."""


class RegionConflict(Misuse):
    """A ``--region`` that contradicts the Region an ARN names."""


class UnknownProfile(Misuse):
    """A profile (``--profile`` or ``AWS_PROFILE``) that the AWS config files do not have."""

    def __init__(self, profile: str | None) -> None:
        config = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
        credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        super().__init__(f"no AWS profile named {profile!r} in {config} or {credentials}")
        self.profile = profile


@dataclass(frozen=True)
class Started:
    execution_arn: str
    name: str
    existing: bool  # the request had been submitted before: this is that execution
    attempt: int = 1
    previous: Previous | None = None  # set when this is a new attempt after a failed one


def start(sfn: SFNClient, state_machine_arn: str, request: Any) -> Started:
    """Start the execution for ``request``, or find the one a previous submit started.

    The newest attempt decides: RUNNING or SUCCEEDED (or PENDING_REDRIVE) is followed
    instead of deploying twice; FAILED, TIMED_OUT or ABORTED starts the next attempt.
    """
    attempt, newest = 1, None
    while True:
        name = execution_name(request, attempt)
        try:
            described = sfn.describe_execution(executionArn=execution_arn(state_machine_arn, name))
        except sfn.exceptions.ExecutionDoesNotExist:
            break
        newest = Previous(name, described["status"])
        attempt += 1
    if newest is not None and newest.status not in RETRYABLE:
        arn = execution_arn(state_machine_arn, newest.name)
        return Started(arn, newest.name, existing=True, attempt=attempt - 1)
    name = execution_name(request, attempt)
    try:
        started = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=canonical(request)
        )
    except sfn.exceptions.ExecutionAlreadyExists:  # a concurrent submit won the race
        arn = execution_arn(state_machine_arn, name)
        return Started(arn, name, existing=True, attempt=attempt)
    return Started(started["executionArn"], name, existing=False, attempt=attempt, previous=newest)


def report(sfn: SFNClient, arn: str) -> dict[str, Any]:
    """Where an execution stands: the object ``smdeploy status --json`` prints (its keys:
    :data:`smdeploy.documents.STATUS`), in the AWS APIs' casing: Step Functions' fields as its
    API reference names them (``ExecutionArn``, ``Status``, ``StartDate``, ...), ``Stage`` the
    state it is in (or ended in), the deployment's fields as SageMaker's (``EndpointName``,
    ``EndpointStatus``, ...).
    """
    described = sfn.describe_execution(executionArn=arn)
    events = history(sfn, arn)
    stage = None
    found: dict[str, Any] = {}
    source = json.loads(described.get("input") or "null")
    if isinstance(source, dict):
        found["EndpointName"] = source.get("EndpointName")
    waiting_for: Claim | None = None
    waiting_since: datetime | None = None  # when the present wait for the lease began
    deadline: datetime | None = None  # Validate's: the wait for the lease ends there at the latest
    progress: list[str] = []
    components: list[dict[str, Any]] | None = None  # the ICs at the last look (None: no look)
    for event in events:
        if "stateEnteredEventDetails" in event:
            stage = event["stateEnteredEventDetails"]["name"]
        # what a stage found, read with the model deployer.payloads declares for it
        result = result_of(stage or "", output_of(event))
        if isinstance(result, Wakeup):  # a park woken: the steps SageMaker reported
            progress = [step.describe() for step in result.Steps]
        if isinstance(result, Accepted):
            deadline = result.Deadline
        if isinstance(result, ComponentsProgress):
            components = [c.to_json() for c in result.Components]
        if isinstance(result, Admitted):
            waiting = result.Decision is Decision.WAIT
            if waiting and waiting_for is None:
                waiting_since = event["timestamp"]
            waiting_for = result.By if waiting else None
        if result is not None:
            data = result.to_json()
            keys = ("EndpointName", "EndpointConfigName", "EndpointStatus", "Trigger", "Skip")
            for key in (*keys, "ServingInstances"):
                if data.get(key) is not None:
                    found[key] = data[key]
    output = json.loads(described.get("output") or "null")
    if isinstance(output, dict) and described["status"] == "SUCCEEDED":
        with contextlib.suppress(ValueError):  # an execution of another deployer version
            output = execution_output(output).to_json()
        found.update({k: v for k, v in output.items() if v is not None})
    if found.get("ServingInstances"):
        found["ServingInstances"] = with_instance_types(
            found["ServingInstances"], requested_variants(events)
        )
    if not isinstance(found.get("Trigger"), dict):  # before Validate, or refused by it
        found["Trigger"] = trigger_of(source).to_json()  # the input says where it came from
    trigger = found["Trigger"]
    # the lease's loop is WaitForLease -> Admit -> Admitted? (a Choice): a look that lands on
    # any of the three while the last Admit said WAIT is still waiting
    if described["status"] != "RUNNING" or stage not in ("WaitForLease", "Admit", "Admitted?"):
        waiting_for = None
    return {
        "ExecutionArn": described["executionArn"],
        "StateMachineArn": described["stateMachineArn"],
        "Name": described["name"],
        "Status": described["status"],
        "Stage": stage,
        "EndpointName": found.get("EndpointName"),
        "EndpointConfigName": found.get("EndpointConfigName"),
        "EndpointStatus": found.get("EndpointStatus"),
        # the instances that serve, where DescribeEndpoint tells (instance pools)
        "ServingInstances": found.get("ServingInstances") or [],
        "ModelPackageArn": found.get("ModelPackageArn") or trigger.get("ModelPackageArn"),
        "Trigger": found.get("Trigger"),
        "Skip": found.get("Skip"),
        "Action": found.get("Action"),
        # the output's own message: what the deployment did, or why it was superseded
        "Message": found.get("Message"),
        # another deployment of the endpoint this one waits for (it holds the endpoint)
        "WaitingFor": (
            {
                "ExecutionArn": waiting_for.Execution,
                "EndpointConfigName": waiting_for.EndpointConfigName,
                "Phase": waiting_for.Phase,
                "Since": waiting_since.isoformat() if waiting_since else None,
                "Until": deadline.isoformat() if deadline else None,
            }
            if waiting_for is not None
            else None
        ),
        # the deployment steps SageMaker reported (canary baking, traffic shifting, ...)
        "Progress": progress,
        # the request's inference components as the Components stage last saw them
        "InferenceComponents": components,
        # the attempts the state machine retried (throttling, a config not yet visible, ...)
        "Retries": [
            {
                "Stage": line.stage,
                "Retry": line.retry,
                "MaxAttempts": line.max_attempts,
                "Error": line.error,
                "Cause": line.detail.removeprefix(f"{line.error}: "),
            }
            for line in retried(events)
        ],
        # the newer deployment that made this one unnecessary
        "SupersededBy": (found.get("SupersededBy") or {}).get("Execution"),
        "StartDate": described["startDate"].isoformat(),
        "StopDate": described["stopDate"].isoformat() if "stopDate" in described else None,
        "Error": described.get("error"),
        "Cause": readable_cause(described.get("cause")),
    }


def requested_variants(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The production variants of the request an execution deploys (Validate's result), or
    none when its history has no such result."""
    state = ""
    for event in events:
        if "stateEnteredEventDetails" in event:
            state = event["stateEnteredEventDetails"]["name"]
        result = result_of(state, output_of(event))
        if isinstance(result, Accepted):
            return list(result.Request.get("ProductionVariants") or [])
    return []


def with_instance_types(
    instances: list[dict[str, Any]], variants: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The serving instances with the InstanceType DescribeEndpoint leaves out (a variant
    without instance pools) taken from the request's variant of that name: the only type that
    variant can serve on."""
    types = {v.get("VariantName"): v.get("InstanceType") for v in variants}
    return [
        {**i, "InstanceType": i.get("InstanceType") or types.get(i.get("VariantName"))}
        for i in instances
    ]


def error_text(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}"
