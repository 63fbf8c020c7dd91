"""The deployer installed in an embedded, emulated AWS account, and run request by request.

:class:`LocalDeployment` starts moto in-process (with real ASL execution), adds the
:mod:`smdeploy.runtime.emulator` hooks, and installs what the stack installs on AWS
(:func:`smdeploy.runtime.install.install_deployer`): the functions, the state machine, the
trigger rules, the manifest bucket, the outcome topic and the model package groups of the
deployment profiles. :meth:`LocalDeployment.deploy` starts one execution and follows it to
its end; :meth:`LocalDeployment.triggered` does something that starts executions (approve a
model package, upload a manifest) and follows each one they started.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, ClassVar

from moto import mock_aws
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.utils import arn_formatter

from deployer.payloads.execution import ExecutionState, execution_output
from smdeploy import resources
from smdeploy.executions import ProgressCallback, readable_cause, watch
from smdeploy.remote import requested_variants, with_instance_types
from smdeploy.runtime.emulator import Emulator, Faults, SimClock
from smdeploy.runtime.install import Installation, install_deployer
from smdeploy.sessions import boto3_session

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_stepfunctions import SFNClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
POLL_SECONDS = 0.05  # real seconds between looks at a running execution


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
    # the instances that serve, where DescribeEndpoint tells (deployer.payloads.ServingInstance)
    ServingInstances: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    stats: Stats | None = None
    execution_arn: str = ""
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)
    output: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def inference_components(self) -> list[dict[str, Any]] | None:
        """The request's ICs as the deployment's last look saw them (None: it has none)."""
        progress = (self.output or {}).get("InferenceComponents")
        return list(progress["Components"]) if isinstance(progress, dict) else None

    @property
    def superseded(self) -> bool:
        """The execution SUCCEEDED, but a newer deployment of the endpoint (or the rejection
        of its package) took over: it deployed nothing of its own."""
        return self.status == "SUCCEEDED" and (self.output or {}).get("Action") == "SUPERSEDED"

    @property
    def shown_status(self) -> str:
        """The status a person (and ``--json``) sees: the execution's, but ``SUPERSEDED`` for
        a superseded deployment, which is neither a success nor a failure."""
        return "SUPERSEDED" if self.superseded else self.status

    def to_json(self) -> dict[str, Any]:
        """The object ``smdeploy local --json`` prints for it (its keys:
        :data:`smdeploy.documents.LOCAL`)."""
        stats = self.stats
        return {
            "Request": self.request,
            "Status": self.shown_status,
            "ExecutionArn": self.execution_arn or None,
            "EndpointName": self.EndpointName,
            "EndpointArn": self.EndpointArn,
            "EndpointConfigName": self.EndpointConfigName,
            "EndpointConfigArn": self.EndpointConfigArn,
            "EndpointStatus": self.EndpointStatus,
            "ServingInstances": self.ServingInstances,
            "InferenceComponents": self.inference_components,
            "Error": self.error,
            "Cause": self.cause,
            "Stats": (
                {
                    "DescribeCalls": stats.describe_calls,
                    "StateTransitions": stats.state_transitions,
                    "LambdaInvocations": stats.lambda_invocations,
                    "SimulatedSeconds": stats.simulated_seconds,
                    "DetectionLagSeconds": stats.detection_lag_seconds,
                    "WallSeconds": stats.wall_seconds,
                }
                if stats
                else None
            ),
        }


class LocalDeployment:
    """An emulated AWS account with smdeploy installed in it. Use as a context manager.

    ``profiles``: the deployment profiles (the profiles file's object), by model package
    group; their groups get approval (and rejection) rules and are created in the registry.
    """

    def __init__(
        self,
        faults: Faults | None = None,
        seed: int | None = None,
        deadline_seconds: int | None = None,
        profiles: dict[str, Any] | None = None,
        config_retention: int | None = None,
        definition_file: Traversable = resources.DEFINITION,
    ) -> None:
        self.faults = faults or Faults()
        self.seed = seed
        self.deadline_seconds = deadline_seconds
        self.profiles = profiles
        self.config_retention = config_retention
        self.definition_file = definition_file
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
                "core": {"mock_credentials": True, "passthrough": {"urls": [], "services": []}},
            }
        )
        self.emulator = Emulator(self.faults, seed)
        self.installation: Installation | None = None
        self.state_machine_arn = ""
        self._count = 0

    # lifecycle

    # moto keeps one global state per process: one emulated account at a time, held by a
    # LocalDeployment or an EmulatorServer (None: none is open)
    _holder: ClassVar[object | None] = None
    # The boto3 clients of the emulated account, made once per process: moto's state is
    # global and one account is open at a time, so a client made for one serves the next
    # (making a client costs 10 to 20 ms, and an account used about ten).
    _clients: ClassVar[dict[str, Any]] = {}

    def __enter__(self) -> LocalDeployment:
        LocalDeployment.claim(self)
        self._mock.start()
        try:
            self.emulator.__enter__()
            self.installation = install_deployer(
                self.client,
                self.profiles,
                deadline_seconds=self.deadline_seconds,
                config_retention=self.config_retention,
                definition_file=self.definition_file,
            )
            self.state_machine_arn = self.installation.state_machine_arn
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            try:
                self.emulator.__exit__(*exc)
            finally:
                self._mock.stop()
        finally:
            LocalDeployment.release()

    @classmethod
    def claim(cls, holder: object) -> None:
        """Take the process's one emulated account (moto's state is global) for ``holder``."""
        if cls._holder is not None:
            raise RuntimeError("another emulated account is open in this process; close it first")
        cls._holder = holder

    @classmethod
    def release(cls) -> None:
        cls._holder = None

    @property
    def clock(self) -> SimClock:
        return self.emulator.clock

    def client(self, service: str) -> Any:
        """A boto3 client of the emulated account (any service moto emulates)."""
        if service not in LocalDeployment._clients:
            client = boto3_session().client(service, region_name=REGION)  # type: ignore[call-overload]
            # a scheduled change that raised stops the run: the next call raises it
            client.meta.events.register("before-call", LocalDeployment._check_scheduler)
            LocalDeployment._clients[service] = client
        return LocalDeployment._clients[service]

    @classmethod
    def _check_scheduler(cls, **_: Any) -> None:
        if isinstance(cls._holder, LocalDeployment):
            cls._holder.emulator.scheduler.check()

    @property
    def sagemaker(self) -> SageMakerClient:
        client: SageMakerClient = self.client("sagemaker")
        return client

    @property
    def stepfunctions(self) -> SFNClient:
        client: SFNClient = self.client("stepfunctions")
        return client

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
        before = self._marks()
        execution_arn = self.stepfunctions.start_execution(
            stateMachineArn=self.state_machine_arn, name=self.execution_name(text), input=text
        )["executionArn"]
        return self.follow(execution_arn, label, on_progress, before)

    def execution_arns(self) -> list[str]:
        """Every execution of the deployer's state machine, oldest first."""
        pages = self.stepfunctions.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn
        )
        listed = [e for page in pages for e in page["executions"]]
        listed.sort(key=lambda e: e["startDate"])
        return [e["executionArn"] for e in listed]

    def triggered(
        self,
        action: Callable[[], object],
        label: str = "event",
        on_progress: ProgressCallback | None = None,
    ) -> list[Outcome]:
        """Do ``action`` (approve a package, upload a manifest, ...) and follow to its end
        each execution it started, in the order they started; [] when it started none."""
        known = set(self.execution_arns())
        before = self._marks()
        action()
        started = [arn for arn in self.execution_arns() if arn not in known]
        return [self.follow(arn, label, on_progress, before) for arn in started]

    def _marks(self) -> tuple[int, int, int, float, float]:
        stats = self.emulator.stats
        return (
            stats.describe_calls,
            stats.lambda_invocations,
            len(stats.detection_lags),
            # what the clock's StartExecution ticks moved it is no time a deployment took
            self.clock.elapsed - self.clock.ticked,
            time.perf_counter(),
        )

    def follow(
        self,
        execution_arn: str,
        label: str = "execution",
        on_progress: ProgressCallback | None = None,
        marks: tuple[int, int, int, float, float] | None = None,
    ) -> Outcome:
        """Follow one execution to its end and report it (with the runtime's statistics
        since ``marks``, taken before it started)."""
        describes, invocations, lag_count, sim_start, wall_start = marks or self._marks()
        stats = self.emulator.stats
        history = watch(self.stepfunctions, execution_arn, on_progress, POLL_SECONDS)
        described = self.stepfunctions.describe_execution(executionArn=execution_arn)

        lags = stats.detection_lags[lag_count:]
        outcome = Outcome(
            request=label,
            status=described["status"],
            execution_arn=execution_arn,
            history=history,
            stats=Stats(
                describe_calls=stats.describe_calls - describes,
                state_transitions=_state_transitions(history),
                lambda_invocations=stats.lambda_invocations - invocations,
                simulated_seconds=max(
                    0.0, round(self.clock.elapsed - self.clock.ticked - sim_start, 3)
                ),
                detection_lag_seconds=round(lags[-1], 3) if lags else None,
                wall_seconds=round(time.perf_counter() - wall_start, 3),
            ),
        )
        if described["status"] == "SUCCEEDED":
            output = json.loads(described.get("output") or "{}")
            outcome.output = output
            try:  # deployed, nothing to deploy, or superseded
                ended = execution_output(output)
            except ValueError:  # another state machine's (a test's own): its output as it is
                ended = None
            for key in (
                "EndpointName",
                "EndpointArn",
                "EndpointConfigName",
                "EndpointConfigArn",
                "EndpointStatus",
            ):
                setattr(outcome, key, getattr(ended, key, None))
            served = [i.to_json() for i in getattr(ended, "ServingInstances", [])]
            outcome.ServingInstances = with_instance_types(served, requested_variants(history))
        else:
            outcome.error = described.get("error")
            outcome.cause = readable_cause(described.get("cause"))
            self._fill_from_account(outcome, json.loads(described.get("input") or "null"), history)
        return outcome

    def _fill_from_account(
        self, outcome: Outcome, request: Any, history: list[dict[str, Any]]
    ) -> None:
        """For a failed deployment: what the account holds, so the report says where it stands."""
        name = request.get("EndpointName") if isinstance(request, dict) else None
        for event in reversed(history):
            details = event.get("stateExitedEventDetails") or event.get("stateEnteredEventDetails")
            if not details:
                continue
            try:  # the execution's data between two states (deployer.payloads)
                state = ExecutionState.model_validate_json(
                    details.get("input") or details.get("output") or "{}"
                )
            except ValueError:  # the raw input, before Validate: not the deployer's data
                continue
            if state.Config is not None and outcome.EndpointConfigName is None:
                outcome.EndpointConfigName = state.Config.EndpointConfigName
                outcome.EndpointConfigArn = state.Config.EndpointConfigArn
            if state.EndpointName is not None:  # Validate's output, for an event
                name = name or state.EndpointName
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
        # the config the endpoint serves now (after a rolled-back update: the old one)
        if outcome.EndpointConfigName != found.config_name:
            outcome.EndpointConfigName = found.config_name
            outcome.EndpointConfigArn = str(
                arn_formatter("endpoint-config", found.config_name.lower(), ACCOUNT, REGION)
            )


def _state_transitions(history: list[dict[str, Any]]) -> int:
    """State transitions as Step Functions bills them: each state entered, plus each retry."""
    entered = sum(1 for e in history if e["type"].endswith("StateEntered"))
    task_entries = sum(1 for e in history if e["type"] == "TaskStateEntered")
    # a Lambda task's attempts, and a service-integration task's (the park)
    scheduled = sum(1 for e in history if e["type"] in ("LambdaFunctionScheduled", "TaskScheduled"))
    return entered + max(0, scheduled - task_entries)
