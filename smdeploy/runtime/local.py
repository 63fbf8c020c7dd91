"""The deployer installed in an embedded, emulated AWS account, and run request by request.

:class:`LocalDeployment` starts moto in-process (with real ASL execution), adds the
:mod:`smdeploy.runtime.emulator` hooks, and installs what the stack installs on AWS: the four
Lambda functions (by their handler strings, from the ``functions/`` asset root) and the
state machine from ``statemachine/deployer.asl.json`` with its placeholders filled. Each
:meth:`LocalDeployment.deploy` starts one execution and follows it to its end.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from moto import mock_aws
from moto.sagemaker.exceptions import ValidationError

from smdeploy import paths
from smdeploy.runtime.emulator import Emulator, Faults, SimClock

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_stepfunctions import SFNClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
STATE_MACHINE_NAME = "smdeploy-deployer"
POLL_SECONDS = 0.05  # real seconds between looks at a running execution

# stage name in the ASL -> (function name, handler string): what the stack deploys
FUNCTIONS: dict[str, tuple[str, str]] = {
    "ValidateFunctionArn": ("smdeploy-validate", "deployer.handlers.validate.handler"),
    "ConfigureFunctionArn": ("smdeploy-configure", "deployer.handlers.configure.handler"),
    "DeployFunctionArn": ("smdeploy-deploy", "deployer.handlers.deploy.handler"),
    "DescribeFunctionArn": ("smdeploy-describe", "deployer.handlers.describe.handler"),
    "NotifyFunctionArn": ("smdeploy-notify", "deployer.handlers.notify.handler"),
}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitute(definition: str, values: dict[str, str]) -> str:
    """Fill ``${Name}`` placeholders as CloudFormation's DefinitionSubstitutions does.

    (``string.Template`` would not do: it turns the ASL's ``$$.`` context paths into ``$.``.)
    """

    def fill(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise KeyError(f"no value for placeholder ${{{match.group(1)}}}") from None

    return _PLACEHOLDER.sub(fill, definition)


def _asset_zip(root: Path) -> bytes:
    """The Lambda asset: the functions/ tree, zipped as the stack would upload it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*.py")):
            archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


@dataclass
class Stats:
    describe_calls: int
    state_transitions: int
    lambda_invocations: int
    simulated_seconds: float
    detection_lag_seconds: float | None
    wall_seconds: float


@dataclass
class Outcome:
    """One deployment's result, in the shape of ``smdeploy local --json``."""

    request: str
    status: str
    EndpointName: str | None = None
    EndpointArn: str | None = None
    EndpointConfigName: str | None = None
    EndpointConfigArn: str | None = None
    EndpointStatus: str | None = None
    error: str | None = None
    cause: str | None = None
    stats: Stats | None = None
    execution_arn: str = ""
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)
    output: dict[str, Any] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        keys = (
            "request",
            "status",
            "EndpointName",
            "EndpointArn",
            "EndpointConfigName",
            "EndpointConfigArn",
            "EndpointStatus",
            "error",
            "cause",
        )
        out: dict[str, Any] = {key: getattr(self, key) for key in keys}
        out["stats"] = self.stats.__dict__ if self.stats else None
        return out


@dataclass(frozen=True)
class Progress:
    """A line of progress: a stage started, what it found, an error, or the end.

    ``kind`` is one of "stage", "result", "error", "end"; ``stage`` names the ASL state;
    ``endpoint_status`` is the EndpointStatus a stage reported, when it reported one.
    """

    simulated_seconds: float
    kind: str
    stage: str
    detail: str
    endpoint_status: str | None = None


ProgressCallback = Callable[[Progress], None]


def readable_cause(cause: str | None) -> str | None:
    """The errorMessage of a Lambda error report, else the cause as it is."""
    if not cause:
        return cause
    try:
        report = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(report, dict) and "errorMessage" in report:
        return str(report["errorMessage"])
    return cause


class LocalDeployment:
    """An emulated AWS account with smdeploy installed in it. Use as a context manager."""

    def __init__(
        self,
        faults: Faults | None = None,
        seed: int | None = None,
        deadline_seconds: int | None = None,
        functions_root: Path = paths.FUNCTIONS,
        definition_file: Path = paths.DEFINITION,
    ) -> None:
        self.faults = faults or Faults()
        self.seed = seed
        self.deadline_seconds = deadline_seconds
        self.functions_root = functions_root
        self.definition_file = definition_file
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
                "core": {"mock_credentials": True, "passthrough": {"urls": [], "services": []}},
            }
        )
        self.emulator = Emulator(functions_root, self.faults, seed)
        self.state_machine_arn = ""
        self._count = 0
        self._session = boto3.session.Session()
        self._clients: dict[str, Any] = {}

    # lifecycle

    _open = False  # moto keeps one global state per process: one emulated account at a time

    def __enter__(self) -> LocalDeployment:
        if LocalDeployment._open:
            raise RuntimeError("another LocalDeployment is open in this process; close it first")
        LocalDeployment._open = True
        self._mock.start()
        try:
            self.emulator.__enter__()
            self._install()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.emulator.__exit__(*exc)
            self._mock.stop()
        finally:
            LocalDeployment._open = False

    @property
    def clock(self) -> SimClock:
        return self.emulator.clock

    def client(self, service: str) -> Any:
        """A boto3 client of the emulated account (any service moto emulates), made once."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service, region_name=REGION)  # type: ignore[call-overload]
        return self._clients[service]

    @property
    def sagemaker(self) -> SageMakerClient:
        client: SageMakerClient = self.client("sagemaker")
        return client

    @property
    def stepfunctions(self) -> SFNClient:
        client: SFNClient = self.client("stepfunctions")
        return client

    def _install(self) -> None:
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role_arn = iam.create_role(
            RoleName="smdeploy-local", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        environment = {"POWERTOOLS_SERVICE_NAME": "smdeploy"}
        if self.deadline_seconds is not None:
            environment["SMDEPLOY_DEADLINE_SECONDS"] = str(self.deadline_seconds)
        code = _asset_zip(self.functions_root)
        lambda_client = self.client("lambda")
        arns: dict[str, str] = {}
        for placeholder, (name, handler) in FUNCTIONS.items():
            arns[placeholder] = lambda_client.create_function(
                FunctionName=name,
                Runtime="python3.13",
                Architectures=["arm64"],
                Role=role_arn,
                Handler=handler,
                Code={"ZipFile": code},
                Timeout=60,
                MemorySize=512,
                Environment={"Variables": environment},
            )["FunctionArn"]
        definition = substitute(self.definition_file.read_text(), arns)
        self.state_machine_arn = self.stepfunctions.create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=role_arn, type="STANDARD"
        )["stateMachineArn"]

    # running deployments

    def execution_name(self, text: str) -> str:
        """Unique per run, readable, and within Step Functions' 80-character limit."""
        self._count += 1
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        return f"local-{self._count:03d}-{digest}"

    def deploy(
        self,
        request: Any,
        label: str = "request",
        on_progress: ProgressCallback | None = None,
    ) -> Outcome:
        """Run one execution with ``request`` (any JSON value) as its input, to its end."""
        text = json.dumps(request)
        stats = self.emulator.stats
        before = (stats.describe_calls, stats.lambda_invocations, len(stats.detection_lags))
        sim_start, wall_start = self.clock.elapsed, time.perf_counter()

        execution_arn = self.stepfunctions.start_execution(
            stateMachineArn=self.state_machine_arn, name=self.execution_name(text), input=text
        )["executionArn"]
        history: list[dict[str, Any]] = []
        state = ""
        for event in self._follow(execution_arn, live=on_progress is not None):
            history.append(event)
            if "stateEnteredEventDetails" in event:
                state = event["stateEnteredEventDetails"]["name"]
            if on_progress is not None:
                # history timestamps are simulated: the time since the execution started
                since = (event["timestamp"] - history[0]["timestamp"]).total_seconds()
                line = _progress_of(event, state, since)
                if line is not None:
                    on_progress(line)
        described = self.stepfunctions.describe_execution(executionArn=execution_arn)

        lags = stats.detection_lags[before[2] :]
        outcome = Outcome(
            request=label,
            status=described["status"],
            execution_arn=execution_arn,
            history=history,
            stats=Stats(
                describe_calls=stats.describe_calls - before[0],
                state_transitions=_state_transitions(history),
                lambda_invocations=stats.lambda_invocations - before[1],
                simulated_seconds=round(self.clock.elapsed - sim_start, 3),
                detection_lag_seconds=round(lags[-1], 3) if lags else None,
                wall_seconds=round(time.perf_counter() - wall_start, 3),
            ),
        )
        if described["status"] == "SUCCEEDED":
            output = json.loads(described.get("output") or "{}")
            outcome.output = output
            for key in (
                "EndpointName",
                "EndpointArn",
                "EndpointConfigName",
                "EndpointConfigArn",
                "EndpointStatus",
            ):
                setattr(outcome, key, output.get(key))
        else:
            outcome.error = described.get("error")
            outcome.cause = readable_cause(described.get("cause"))
            self._fill_from_account(outcome, request, history)
        return outcome

    def _follow(self, execution_arn: str, live: bool) -> Iterator[dict[str, Any]]:
        """Yield the execution's history events until it ends: as they happen when ``live``,
        else all at the end (reading the history competes with the execution for the GIL)."""
        seen = 0
        while True:
            status = self.stepfunctions.describe_execution(executionArn=execution_arn)["status"]
            if live or status != "RUNNING":
                events = self._history(execution_arn)
                yield from events[seen:]
                seen = len(events)
            if status != "RUNNING":
                return
            time.sleep(POLL_SECONDS)

    def _history(self, execution_arn: str) -> list[dict[str, Any]]:
        pages = self.stepfunctions.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn
        )
        return [dict(event) for page in pages for event in page["events"]]

    def _fill_from_account(
        self, outcome: Outcome, request: Any, history: list[dict[str, Any]]
    ) -> None:
        """For a failed deployment: what the account holds, so the report says where it stands."""
        for event in reversed(history):
            details = event.get("stateExitedEventDetails") or event.get("stateEnteredEventDetails")
            if not details:
                continue
            state = json.loads(details.get("input") or details.get("output") or "{}")
            if isinstance(state, dict) and isinstance(state.get("Config"), dict):
                outcome.EndpointConfigName = state["Config"].get("EndpointConfigName")
                outcome.EndpointConfigArn = state["Config"].get("EndpointConfigArn")
                break
        name = request.get("EndpointName") if isinstance(request, dict) else None
        if not isinstance(name, str) or not name:
            return
        outcome.EndpointName = name
        # A look for the report itself, straight at the store: it is no DescribeEndpoint call
        # of the deployer's, so it is neither counted, nor throttled, nor an observation.
        try:
            found = self.emulator.store(ACCOUNT, REGION).get_endpoint(name)
        except ValidationError:  # no such endpoint
            return
        outcome.EndpointName, outcome.EndpointArn = found.name, found.arn
        outcome.EndpointStatus = found.status


def _state_transitions(history: list[dict[str, Any]]) -> int:
    """State transitions as Step Functions bills them: each state entered, plus each retry."""
    entered = sum(1 for e in history if e["type"].endswith("StateEntered"))
    task_entries = sum(1 for e in history if e["type"] == "TaskStateEntered")
    scheduled = sum(1 for e in history if e["type"] == "LambdaFunctionScheduled")
    return entered + max(0, scheduled - task_entries)


def _progress_of(event: dict[str, Any], state: str, simulated: float) -> Progress | None:
    kind = event["type"]
    if kind == "TaskStateEntered":
        return Progress(simulated, "stage", state, "")
    if kind == "LambdaFunctionFailed":
        details = event.get("lambdaFunctionFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return Progress(simulated, "error", state, message)
    if kind == "LambdaFunctionSucceeded":
        output = json.loads(event["lambdaFunctionSucceededEventDetails"].get("output") or "{}")
        if not isinstance(output, dict):
            return None
        if "ConfigCreated" in output:
            verb = "created" if output["ConfigCreated"] else "exists with this content; reused"
            models = ", ".join(output.get("ModelsCreated", []))
            made = f"; models created: {models}" if models else ""
            return Progress(
                simulated, "result", state, f"{output['EndpointConfigName']} {verb}{made}"
            )
        for key in ("Message", "Reason"):
            if key in output:
                status = output.get("EndpointStatus")
                return Progress(simulated, "result", state, str(output[key]), status)
        if "EndpointConfigName" in output:
            return Progress(
                simulated, "result", state, f"valid; config {output['EndpointConfigName']}"
            )
    if kind == "ExecutionFailed":
        details = event.get("executionFailedEventDetails", {})
        message = f"{details.get('error', '')}: {readable_cause(details.get('cause'))}"
        return Progress(simulated, "end", "FAILED", message)
    if kind == "ExecutionSucceeded":
        return Progress(simulated, "end", "SUCCEEDED", "")
    return None
