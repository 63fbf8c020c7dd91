"""Functional tier: each Lambda handler called directly, against an emulated AWS.

The emulated AWS is moto (in-process) plus ``smdeploy.runtime.emulator.Emulator``, whose
SageMaker endpoint store gives endpoints AWS's status lifecycle on a simulated clock. Tests
move endpoints along by advancing ``aws.clock``; nothing here sleeps.

Fixtures:

* ``start_aws(faults)``: start moto + the emulator with the given ``Faults``; returns ``Aws``.
* ``aws``: the same with default faults (creation takes 300 simulated seconds).
* ``make_request``: builds a deployment request (the execution input of the state machine).
* ``stdout``: the JSON log lines and EMF metric blobs the handlers printed.

The SageMaker client is built with the deployer's own ``BOTO_CONFIG`` (one attempt, no
botocore retries), so throttling reaches the handlers exactly as it would in Lambda.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deployer import interface
from deployer.aws import clients
from deployer.handlers import configure, deploy, describe, lease, validate
from deployer.payloads.events import (
    ConfigureEvent,
    DeployEvent,
    DescribeEvent,
    LeaseEvent,
    ValidateEvent,
)
from deployer.payloads.execution import result_of
from smdeploy.runtime.emulator import Emulator, Faults, SimClock
from smdeploy.runtime.install import TABLE_NAME, create_table
from tests.functional.lambda_context import context_for

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/smdeploy-sagemaker-execution"
IMAGE_V1 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
IMAGE_V2 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-2"
# A fixed start for the simulated clock: every timestamp in this tier is deterministic.
CLOCK_START = 1_767_225_600  # 2026-01-01T00:00:00Z
STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:smdeploy-deployer"


def execution_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:smdeploy-deployer:{name}"


def declared(state: str, answer: dict[str, Any]) -> dict[str, Any]:
    """``answer``, once checked to be exactly what ``deployer.payloads`` declares that the
    state hands on: nothing missing, nothing more."""
    found = result_of(state, answer)
    assert found is not None, f"{state} answered {answer}"
    assert found.to_json() == answer, f"{state} answered more or less than {type(found)}"
    return answer


def iso(moment: datetime) -> str:
    """A timestamp as Step Functions writes ``$$.State.EnteredTime``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Aws:
    """The emulated account, and the four handlers invoked as the state machine does."""

    emulator: Emulator
    sagemaker: Any  # botocore client for SageMaker
    dynamodb: Any  # botocore client for DynamoDB (the deployer's table)

    ROLE_ARN = ROLE_ARN
    IMAGE_V1 = IMAGE_V1
    IMAGE_V2 = IMAGE_V2

    @staticmethod
    def parse_time(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    @property
    def clock(self) -> SimClock:
        return self.emulator.clock

    def now(self) -> datetime:
        return self.clock.datetime()

    def entered(self, offset_seconds: float = 0) -> str:
        """``$$.State.EnteredTime`` for a state entered ``offset_seconds`` after now."""
        return iso(self.now() + timedelta(seconds=offset_seconds))

    # the handlers, with the payloads statemachine/deployer.asl.json gives them (each built
    # with its deployer.payloads model), each answer checked against the declared result

    def validate(self, raw: Any, execution: str = "exec-validate") -> dict[str, Any]:
        event = ValidateEvent(Execution=execution, Input=raw, StartTime=self.entered())
        return declared("Validate", validate.handler(event.to_json(), context_for("validate")))

    def lease(
        self,
        action: str,
        endpoint: str,
        execution: str = "exec-1",
        config: str | None = None,
        order: dict[str, Any] | None = None,
        started: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The Lease function (Admit or Release). The executions named here do not exist in
        Step Functions, so a holder other than the caller counts as ended (taken over)."""
        event = LeaseEvent.model_validate(
            {
                "Execution": execution,
                "Action": action,
                "ExecutionArn": execution_arn(execution),
                "StartTime": started or self.entered(),
                "EnteredTime": self.entered(),
                "EndpointName": endpoint,
                "EndpointConfigName": config,
                "Order": order or {"At": self.entered(), "Tiebreak": execution},
                **extra,
            }
        )
        answer = lease.handler(event.to_json(), context_for("lease"))
        return declared("Admit" if action == "Admit" else "Release", answer)

    def admit(self, request: dict[str, Any], config: str, execution: str = "exec-1") -> dict:
        """Admit ``execution`` to the request's endpoint; its claim (as Deploy gets it)."""
        answer = self.lease("Admit", request["EndpointName"], execution, config)
        assert answer["Decision"] == "ACQUIRED", answer
        return dict(answer["Claim"])

    def record(self, endpoint: str) -> dict[str, Any]:
        """The endpoint's record in the deployer's table (the lease.Record, as JSON)."""
        item = self.dynamodb.get_item(
            TableName=TABLE_NAME, Key={interface.TABLE_KEY: {"S": endpoint.lower()}}
        ).get("Item")
        return json.loads(item["Record"]["S"]) if item else {}

    def configure(
        self, request: dict[str, Any], execution: str = "exec-1", deadline: str | None = None
    ) -> dict[str, Any]:
        event = ConfigureEvent.model_validate(
            {"Execution": execution, "Request": request, "Deadline": deadline}
        )
        return declared("Configure", configure.handler(event.to_json(), context_for("configure")))

    def restore(
        self, template: dict[str, Any], config: str, execution: str = "exec-1"
    ) -> dict[str, Any]:
        """Configure's Restore: the request that puts ``config`` back."""
        event = ConfigureEvent(
            Execution=execution, Request=template, Action="Restore", EndpointConfigName=config
        )
        return declared(
            "PrepareRestore", configure.handler(event.to_json(), context_for("configure"))
        )

    def deploy(
        self,
        request: dict[str, Any],
        config: dict[str, Any],
        entered: str | None = None,
        execution: str = "exec-1",
        retry_count: int = 0,
    ) -> dict[str, Any]:
        """Deploy, once admitted to the endpoint (``retry_count``: the Deploy state's attempts
        before this one, ``$$.State.RetryCount``); the result also carries ``StartedAt``, as the
        StartDeadline state that follows Deploy records it (``entered``: when that state was
        entered), and ``Claim``, the execution's claim on the endpoint."""
        claim = self.admit(request, config["EndpointConfigName"], execution)
        event = DeployEvent.model_validate(
            {
                "Execution": execution,
                "Request": request,
                "Config": config,
                "Claim": claim,
                "EnteredTime": self.entered(),
                "RetryCount": retry_count,
            }
        )
        result = declared("Deploy", deploy.handler(event.to_json(), context_for("deploy")))
        return {**result, "StartedAt": entered or self.entered(), "Claim": claim}

    def describe(
        self, deployment: dict[str, Any], entered: str | None = None, execution: str = "exec-1"
    ) -> dict[str, Any]:
        event = DescribeEvent.model_validate(
            {
                "Execution": execution,
                "Deployment": deployment,
                "Claim": deployment["Claim"],
                "StartedAt": deployment["StartedAt"],
                "EnteredTime": entered or self.entered(),
            }
        )
        answer = describe.handler(event.to_json(), context_for("describe"))
        return declared("DescribeEndpoint", answer)

    # compositions

    def configure_and_deploy(self, request: dict[str, Any]) -> tuple[dict, dict]:
        config = self.configure(request)
        return config, self.deploy(request, config)

    def settle(self) -> None:
        """Let every change in progress reach its final status."""
        self.clock.advance(self.emulator.faults.creation_seconds + 1)

    def endpoint(self, name: str) -> dict[str, Any]:
        return self.sagemaker.describe_endpoint(EndpointName=name)


class Stdout:
    """What the handlers printed: Powertools' JSON log lines and EMF metric blobs."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    def _records(self) -> list[dict[str, Any]]:
        self._text += self._capsys.readouterr().out
        records = []
        for line in self._text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # not a JSON line (a test's own print, say)
            if isinstance(record, dict):
                records.append(record)
        return records

    def logs(self) -> list[dict[str, Any]]:
        return [r for r in self._records() if "level" in r and "message" in r]

    def metrics(self) -> list[dict[str, Any]]:
        """EMF blobs, each with ``metric_names`` (a set) added for convenience."""
        blobs = []
        for record in self._records():
            if "_aws" in record:
                names = {
                    metric["Name"]
                    for directive in record["_aws"]["CloudWatchMetrics"]
                    for metric in directive["Metrics"]
                }
                blobs.append({**record, "metric_names": names})
        return blobs


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "smdeploy")
    monkeypatch.delenv("SMDEPLOY_DEADLINE_SECONDS", raising=False)
    monkeypatch.setenv(interface.ENV_TABLE, TABLE_NAME)


@pytest.fixture(scope="session")
def sagemaker_client() -> Any:
    """One client for the whole tier (creating one costs about 0.2 s).

    It only ever reaches moto: every test that uses it runs inside ``mock_aws``, and its
    credentials are moto's placeholders, never real ones.
    """
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=REGION,
    )
    return session.client("sagemaker", config=clients.BOTO_CONFIG)


@pytest.fixture
def start_aws(
    capsys: pytest.CaptureFixture[str], sagemaker_client: Any
) -> Iterator[Callable[..., Aws]]:
    """Start moto and the emulator (once per test) with the given faults.

    ``capsys`` is set up first on purpose: the emulator wraps ``sys.stdout`` on entry and
    restores it on exit, so both must nest inside the capture.
    """
    stack = ExitStack()

    def start(faults: Faults | None = None) -> Aws:
        stack.enter_context(mock_aws())
        emulator = stack.enter_context(
            Emulator(
                faults=faults or Faults(),
                seed=7,
                clock=SimClock(start=CLOCK_START),
            )
        )
        clients.use_sagemaker(sagemaker_client)
        stack.callback(clients.use_sagemaker, None)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb)
        return Aws(emulator=emulator, sagemaker=sagemaker_client, dynamodb=dynamodb)

    with stack:
        yield start


@pytest.fixture
def stdout(capsys: pytest.CaptureFixture[str]) -> Stdout:
    return Stdout(capsys)


@pytest.fixture
def aws(start_aws: Callable[..., Aws]) -> Aws:
    return start_aws()


@pytest.fixture
def make_request() -> Callable[..., dict[str, Any]]:
    """A deployment request with one model, created by the request, behind one variant."""

    def build(
        endpoint: str = "churn-predictor",
        model: str = "churn-xgboost-v1",
        image: str = IMAGE_V1,
        instance_count: int = 1,
        instance_type: str = "ml.m5.large",
        **extra: Any,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "EndpointName": endpoint,
            "Models": [
                {
                    "ModelName": model,
                    "ExecutionRoleArn": ROLE_ARN,
                    "PrimaryContainer": {
                        "Image": image,
                        "ModelDataUrl": f"s3://example-models/{model}/model.tar.gz",
                    },
                }
            ],
            "ProductionVariants": [
                {
                    "VariantName": "primary",
                    "ModelName": model,
                    "InstanceType": instance_type,
                    "InitialInstanceCount": instance_count,
                    "InitialVariantWeight": 1,
                }
            ],
        }
        request.update(extra)
        return request

    return build
