"""What moto lacks to run smdeploy offline, in one module.

moto (pinned exactly) provides SageMaker, Step Functions with a real ASL interpreter, Lambda,
IAM and the rest in-process. This module adds, through a handful of documented hooks into
moto's internals, what the deployer needs and moto does not do (shared/reference/
offline-toolchain.md has the measurements behind each):

1. **A simulated clock.** Wait states and Retry intervals advance simulated time instead of
   sleeping; state-entered times (``$$.State.EnteredTime``), history timestamps and
   execution start/stop dates read it. A 10-minute deployment runs in well under a second,
   and its timings are deterministic. Each StartExecution, and each change moto's SageMaker
   stamps (a model package approved), moves the clock one millisecond: executions get
   distinct start times in the order they started, approvals distinct LastModifiedTimes in
   the order they were made. A stopped execution ends ABORTED. Hooks:
   ``WaitFunction._wait_interval``, the ``time`` and ``random`` of the retrier and jitter
   modules, ``datetime`` in the modules that stamp states, events and executions, moto's
   SageMaker ``utcnow``, and the interpreter ``Environment.set_error``.
2. **Lambda tasks run the real handlers in-process**, found by the function's Handler string
   (``deployer.handlers.validate.handler``) under the Lambda asset root, with the function's
   environment, a Lambda context, and errors reported as the Python runtime reports them
   (``errorType`` = the exception's class name), so ``ErrorEquals`` matches as on AWS.
   ``Faults.crash_after`` kills the invocation that made a SageMaker call, once performed,
   reported as Lambda reports a crashed runtime (``Runtime.ExitError``). Invocations run one
   at a time (they share ``os.environ``), each after a seeded random delay under
   ``Faults.invocation_jitter``. Hooks: ``LambdaSimpleBackend.invoke``; botocore
   ``request-created`` and ``after-call`` handlers on boto3's default session (the
   functions' clients); ``os.environ``'s class, whose walks see a snapshot.
3. **SageMaker endpoints and endpoint configs with AWS's behaviour**: the endpoint status
   lifecycle (Creating/Updating -> InService or Failed after a simulated duration),
   UpdateEndpoint (which moto lacks), rolled-back updates, rejection of duplicate names
   (case-insensitive, as AWS; models too), the eventual-consistency window after a new
   config, injected throttling, tags on endpoints and configs, DeleteEndpoint's Deleting
   phase. Hook: the SageMaker response methods of those operations; models and model
   packages stay moto's own.
4. **EventBridge delivers to Step Functions state machines.** moto matches rule patterns but
   cannot deliver to a state machine target; here a matching rule starts an execution of the
   target state machine, named as EventBridge names them (a generated UUID: a target has no
   name field), with the whole event as input (or the target's ``Input``, a simple
   ``InputPath`` such as ``$.detail``, or an ``InputTransformer``). The event's ``time`` is
   written as AWS writes it (``2026-01-01T00:00:00Z``). Every delivery is recorded in
   :attr:`Emulator.deliveries`. Other target kinds stay moto's own. Hook:
   ``moto.events.models.Rule.send_to_targets``.
5. **SageMaker Model Registry events.** When CreateModelPackage sets a ModelApprovalStatus,
   or UpdateModelPackage changes it, a "SageMaker Model Package State Change" event is put on
   the default bus, in the shape AWS documents (``detail``: ModelPackageGroupName,
   ModelPackageVersion, ModelPackageArn, ModelApprovalStatus, ModelPackageStatus,
   CreationTime, LastModifiedTime, InferenceSpecification, CustomerMetadataProperties...).
   ``Faults(duplicate_package_events=True)`` sends each one twice, as SageMaker may.
   UpdateModelPackage changes only what the call gives, as in SageMaker (moto's own clears
   the approval status and the CustomerMetadataProperties the call leaves out). Hook: the
   SageMaker response methods of those two operations (CreateModelPackage stays moto's).

S3 "Object Created" events need no hook: moto 5.2.5 already sends them to EventBridge rules
for buckets whose notification configuration has ``EventBridgeConfiguration`` (with
``detail.bucket.name``, ``detail.object.key``, ``size``, ``eTag``; its ``reason`` says
``ObjectCreated`` where AWS says ``PutObject``). moto gives every S3 event the same ``id``;
hook 4 gives such events a fresh one.

One clock per process. In server mode (``smdeploy emulator``) every execution shares the
simulated clock: when several executions wait at once, each Wait advances the one clock, so
simulated time then moves faster than any one execution's waits. Every execution still sees
a clock that only moves forward and covers its own waits, which is all the deployer relies on.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import importlib
import inspect
import io
import json
import logging
import os
import random
import sys
import threading
import time
import traceback
import types
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.events.models import Rule, events_backends
from moto.events.utils import _BASE_EVENT_MESSAGE, EventTemplateParser
from moto.sagemaker import models as sm_models
from moto.sagemaker import responses as sm_responses
from moto.sagemaker.exceptions import SagemakerClientError, ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.utils import arn_formatter
from moto.stepfunctions.parser import models as sfn_models
from moto.stepfunctions.parser.asl.component.common.retry import (
    jitter_strategy_decl,
    retrier_decl,
)
from moto.stepfunctions.parser.asl.component.state import state as sfn_state
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment as SfnEnvironment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.backend import execution as sfn_execution
from moto.stepfunctions.responses import get_backend as stepfunctions_backend
from moto.utilities.arns import parse_arn

from deployer import contract
from smdeploy.runtime import guardrails as guardrails_hooks
from smdeploy.runtime.faults import FaultBudget
from smdeploy.runtime.faults import Faults as Faults  # where the runtime's users find it

TRANSITIONAL = ("Creating", "Updating", "SystemUpdating", "RollingBack")
MAX_TAGS = 50  # per SageMaker resource


# --- 1. the simulated clock ---------------------------------------------------------------


class SimClock:
    """Simulated time: starts at the real time (whole seconds), moves only when advanced."""

    def __init__(self, start: float | None = None) -> None:
        self._start = float(int(start if start is not None else _dt.datetime.now().timestamp()))
        self._offset = 0.0
        self._ticked = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, simulated."""
        with self._lock:
            return self._start + self._offset

    @property
    def elapsed(self) -> float:
        """Simulated seconds since the clock was made."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._offset += seconds

    def tick(self, seconds: float) -> float:
        """Advance by ``seconds`` and return the new time, in one step: concurrent callers
        get distinct times, increasing in the order they called."""
        with self._lock:
            self._offset += seconds
            self._ticked += seconds
            return self._start + self._offset

    @property
    def ticked(self) -> float:
        """Simulated seconds moved by ticks (not waits) since the clock was made."""
        with self._lock:
            return self._ticked

    def datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now(), tz=_dt.UTC)


def _datetime_module(clock: SimClock) -> types.ModuleType:
    """A stand-in for the ``datetime`` module whose ``datetime.now()`` reads ``clock``."""

    class SimDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> SimDatetime:
            moment = clock.datetime()
            if tz is None:
                moment = moment.astimezone().replace(tzinfo=None)
            else:
                moment = moment.astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), tz=moment.tzinfo)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(_dt.__dict__)
    shim.__dict__["datetime"] = SimDatetime
    return shim


START_TICK = 0.001  # seconds the simulated clock moves on each StartExecution


def _sagemaker_utcnow(clock: SimClock) -> Callable[[], _dt.datetime]:
    """moto's SageMaker stamps what it creates and changes (models, model packages: their
    CreationTime, LastModifiedTime) with ``utcnow()``. Here it reads the simulated clock, as
    everything else does, and moves it one millisecond, so that two changes made in a row
    (two approvals within a second) have distinct times in the order they were made, as
    SageMaker's millisecond times would."""

    def utcnow() -> _dt.datetime:
        millis = int(clock.tick(START_TICK) * 1000)
        return _dt.datetime.fromtimestamp(millis / 1000, tz=_dt.UTC).replace(tzinfo=None)

    return utcnow


def _start_datetime_module(clock: SimClock) -> types.ModuleType:
    """The ``datetime`` module of moto's Step Functions backend, which reads the time only to
    stamp a new execution's start date: each StartExecution moves the simulated clock one
    millisecond and takes that moment, to the millisecond (Step Functions reports start
    times in milliseconds; here no two executions share one, and their order is the order
    they were started: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    """

    class StartDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> StartDatetime:
            if tz is None:
                raise RuntimeError("moto's start_execution changed: it asks for a naive time")
            millis = int(clock.tick(START_TICK) * 1000)
            moment = _dt.datetime.fromtimestamp(millis / 1000, tz=_dt.UTC).astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), tz=moment.tzinfo)

    shim = types.ModuleType("datetime")
    shim.__dict__.update(_dt.__dict__)
    shim.__dict__["datetime"] = StartDatetime
    return shim


# --- 3. SageMaker endpoints ----------------------------------------------------------------


class ThrottlingError(SagemakerClientError):  # type: ignore[misc]
    code = "ThrottlingException"

    def __init__(self, message: str = "Rate exceeded") -> None:
        super().__init__(message)


@dataclass
class _Change:
    config_name: str
    done_at: float
    outcome: str  # "serve" | "fail" | "rollback" | "delete"
    reason: str | None
    started_at: float


@dataclass
class _Endpoint:
    name: str
    arn: str
    config_name: str
    status: str
    created: float
    modified: float
    tags: list[dict[str, str]]
    deployment_config: dict[str, Any] | None
    failure_reason: str | None = None
    change: _Change | None = None
    settled_at: float | None = None  # when the last change reached its final status
    observed: bool = True  # whether a DescribeEndpoint has seen that final status


@dataclass
class Counters:
    """Running totals the local runtime reads before and after each deployment."""

    describe_calls: int = 0
    lambda_invocations: int = 0
    detection_lags: list[float] = field(default_factory=list)


class EndpointStore:
    """SageMaker endpoint configs and endpoints for one account and Region."""

    def __init__(
        self,
        account: str,
        region: str,
        clock: SimClock,
        faults: Faults,
        stats: Counters,
        budget: FaultBudget | None = None,
    ) -> None:
        self.account, self.region = account, region
        self.clock, self.faults, self.stats = clock, faults, stats
        self.budget = budget or FaultBudget(faults.times)
        self.configs: dict[str, dict[str, Any]] = {}  # key: lower-cased name
        self.config_tags: dict[str, list[dict[str, str]]] = {}  # key: lower-cased name
        self.invisible: dict[str, int] = {}  # config key -> create/update calls still refused
        self.endpoints: dict[str, _Endpoint] = {}  # key: lower-cased name
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def _arn(self, kind: str, name: str) -> str:
        """SageMaker spells resource names in lower case in its ARNs."""
        return str(arn_formatter(kind, name.lower(), self.account, self.region))

    def _ts(self, seconds: float) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)

    def count(self, operation: str) -> None:
        """Count a call (throttled ones too), and throttle it if the faults say so."""
        if operation == "DescribeEndpoint":
            self.stats.describe_calls += 1
        with self._lock:
            n = self.calls[operation] = self.calls.get(operation, 0) + 1
        if n <= self.faults.throttle.get(operation, 0):
            raise ThrottlingError()

    # configs

    def create_config(self, params: dict[str, Any]) -> str:
        name = params["EndpointConfigName"]
        arn = self._arn("endpoint-config", name)
        if name.lower() in self.configs:
            raise ValidationError(f'Cannot create already existing endpoint configuration "{arn}".')
        models = sagemaker_backends[self.account][self.region]._models
        for variant in params.get("ProductionVariants", []) + params.get(
            "ShadowProductionVariants", []
        ):
            model = variant.get("ModelName")
            if model and model not in models:
                raise ValidationError(f'Could not find model "{self._arn("model", model)}".')
        config = dict(params, EndpointConfigArn=arn, CreationTime=self._ts(self.clock.now()))
        config.pop("Tags", None)
        self.configs[name.lower()] = config
        self.config_tags[name.lower()] = list(params.get("Tags", []))
        if self.faults.config_visibility_lag and self.budget.take("config_visibility_lag"):
            self.invisible[name.lower()] = self.faults.config_visibility_lag
        return arn

    def get_config(self, name: str) -> dict[str, Any]:
        try:
            return self.configs[name.lower()]
        except KeyError:
            arn = self._arn("endpoint-config", name)
            raise ValidationError(f'Could not find endpoint configuration "{arn}".') from None

    def _visible_config(self, name: str) -> dict[str, Any]:
        config = self.get_config(name)
        if self.invisible.get(name.lower(), 0) > 0:
            self.invisible[name.lower()] -= 1
            raise ValidationError(
                f'Could not find endpoint configuration "{config["EndpointConfigArn"]}".'
            )
        return config

    def delete_config(self, name: str) -> None:
        self.get_config(name)
        del self.configs[name.lower()]
        self.config_tags.pop(name.lower(), None)
        self.invisible.pop(name.lower(), None)

    # tags (AddTags, DeleteTags, ListTags on the ARN of an endpoint or an endpoint config:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html)

    def tags_of(self, arn: str) -> list[dict[str, str]]:
        """The tag list of the endpoint or endpoint config ``arn`` names (itself, mutable)."""
        parsed = parse_arn(arn)
        if parsed.resource_type == "endpoint":
            return self.get_endpoint(parsed.resource_id).tags
        self.get_config(parsed.resource_id)
        return self.config_tags.setdefault(parsed.resource_id.lower(), [])

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """AddTags "adds or overwrites": a key already on the resource takes the new value."""
        current = self.tags_of(arn)
        merged = {tag["Key"]: tag.get("Value", "") for tag in current}
        merged.update({tag["Key"]: tag.get("Value", "") for tag in tags})
        if len(merged) > MAX_TAGS:
            raise ValidationError(
                f"Resource {arn} would have {len(merged)} tags; at most {MAX_TAGS} are allowed."
            )
        current[:] = [{"Key": key, "Value": value} for key, value in merged.items()]
        return list(tags)

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        current = self.tags_of(arn)
        current[:] = [tag for tag in current if tag["Key"] not in keys]

    # endpoints

    def _settle(self, endpoint: _Endpoint) -> None:
        change = endpoint.change
        if change is None or self.clock.now() < change.done_at:
            return
        endpoint.change = None
        endpoint.modified = change.done_at
        endpoint.settled_at = change.done_at
        endpoint.observed = False
        if change.outcome == "serve":
            endpoint.status, endpoint.config_name, endpoint.failure_reason = (
                "InService",
                change.config_name,
                None,
            )
        elif change.outcome == "fail":
            endpoint.status, endpoint.failure_reason = "Failed", change.reason
            endpoint.config_name = change.config_name
        elif change.outcome == "delete":  # gone: its name is free again
            self.endpoints.pop(endpoint.name.lower(), None)
        else:  # rollback: back InService on the previous config, with the reason
            endpoint.status, endpoint.failure_reason = "InService", change.reason

    def get_endpoint(self, name: str) -> _Endpoint:
        endpoint = self.endpoints.get(name.lower())
        if endpoint is not None:
            self._settle(endpoint)
        if endpoint is None or name.lower() not in self.endpoints:
            raise ValidationError(f'Could not find endpoint "{self._arn("endpoint", name)}".')
        return endpoint

    def existing_endpoints(self) -> list[_Endpoint]:
        """Every endpoint that exists now (a finished deletion removes one)."""
        found = []
        for endpoint in list(self.endpoints.values()):
            self._settle(endpoint)
            if endpoint.name.lower() in self.endpoints:
                found.append(endpoint)
        return found

    def create_endpoint(self, params: dict[str, Any]) -> str:
        name = params["EndpointName"]
        existing = self.endpoints.get(name.lower())
        if existing is not None:
            self._settle(existing)  # a finished deletion frees the name
        if name.lower() in self.endpoints:
            existing = self.endpoints[name.lower()]
            raise ValidationError(f'Cannot create already existing endpoint "{existing.arn}".')
        config = self._visible_config(params["EndpointConfigName"])
        now = self.clock.now()
        fail = self.faults.fail_endpoint
        if fail and not self.budget.take("fail_endpoint"):
            fail = None
        endpoint = _Endpoint(
            name=name,
            arn=self._arn("endpoint", name),
            config_name=config["EndpointConfigName"],
            status="Creating",
            created=now,
            modified=now,
            tags=list(params.get("Tags", [])),
            deployment_config=params.get("DeploymentConfig"),
        )
        endpoint.change = _Change(
            config_name=endpoint.config_name,
            done_at=now + self.faults.creation_seconds,
            outcome="fail" if fail else "serve",
            reason=fail,
            started_at=now,
        )
        self.endpoints[name.lower()] = endpoint
        return endpoint.arn

    def update_endpoint(self, params: dict[str, Any]) -> str:
        endpoint = self.get_endpoint(params["EndpointName"])
        if endpoint.status in TRANSITIONAL:
            raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if endpoint.status in ("Failed", "OutOfService", "Deleting"):
            raise ValidationError(
                f'Cannot update endpoint "{endpoint.arn}" in status {endpoint.status}.'
            )
        config = self._visible_config(params["EndpointConfigName"])
        now = self.clock.now()
        if self.faults.rollback_update and self.budget.take("rollback_update"):
            outcome, reason = "rollback", self.faults.rollback_update
        elif self.faults.fail_endpoint and self.budget.take("fail_endpoint"):
            outcome, reason = "fail", self.faults.fail_endpoint
        else:
            outcome, reason = "serve", None
        endpoint.status, endpoint.modified, endpoint.failure_reason = "Updating", now, None
        if not params.get("RetainDeploymentConfig"):
            endpoint.deployment_config = params.get("DeploymentConfig")
        endpoint.change = _Change(
            config_name=config["EndpointConfigName"],
            done_at=now + self.faults.creation_seconds,
            outcome=outcome,
            reason=reason,
            started_at=now,
        )
        return endpoint.arn

    def describe_endpoint(self, name: str) -> dict[str, Any]:
        endpoint = self.get_endpoint(name)
        if not endpoint.observed and endpoint.settled_at is not None:
            endpoint.observed = True
            self.stats.detection_lags.append(self.clock.now() - endpoint.settled_at)
        config = self.configs.get(endpoint.config_name.lower(), {})
        out: dict[str, Any] = {
            "EndpointName": endpoint.name,
            "EndpointArn": endpoint.arn,
            "EndpointConfigName": endpoint.config_name,
            "EndpointStatus": endpoint.status,
            "CreationTime": self._ts(endpoint.created),
            "LastModifiedTime": self._ts(endpoint.modified),
            "ProductionVariants": [
                _variant_summary(v) for v in config.get("ProductionVariants", [])
            ],
        }
        if endpoint.failure_reason:
            out["FailureReason"] = endpoint.failure_reason
        if endpoint.deployment_config:
            out["LastDeploymentConfig"] = endpoint.deployment_config
        if endpoint.change is not None and endpoint.status == "Updating":
            pending = self.configs.get(endpoint.change.config_name.lower(), {})
            out["PendingDeploymentSummary"] = {
                "EndpointConfigName": endpoint.change.config_name,
                "ProductionVariants": [
                    _variant_summary(v) for v in pending.get("ProductionVariants", [])
                ],
                "StartTime": self._ts(endpoint.change.started_at),
            }
        return out

    def delete_endpoint(self, name: str) -> None:
        """DeleteEndpoint: the endpoint is Deleting for ``Faults.deletion_seconds``, then gone;
        meanwhile its name is still taken. A Creating or Updating endpoint, or one already
        Deleting, cannot be deleted: users wait for it to be InService or Failed first
        (https://github.com/aws/amazon-sagemaker-examples/pull/3188,
        https://github.com/aws/amazon-sagemaker-examples/issues/3432)."""
        endpoint = self.get_endpoint(name)
        if endpoint.status in (*TRANSITIONAL, "Deleting"):
            raise ValidationError(f'Cannot delete in-progress endpoint "{endpoint.arn}".')
        now = self.clock.now()
        endpoint.status, endpoint.modified = "Deleting", now
        endpoint.change = _Change(
            config_name=endpoint.config_name,
            done_at=now + self.faults.deletion_seconds,
            outcome="delete",
            reason=None,
            started_at=now,
        )
        if self.faults.deletion_seconds <= 0:
            self._settle(endpoint)


def _variant_summary(variant: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    if "InitialInstanceCount" in variant:
        summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = variant[
            "InitialInstanceCount"
        ]
    weight = variant.get("InitialVariantWeight", 1.0)
    summary["CurrentWeight"] = summary["DesiredWeight"] = weight
    if "ServerlessConfig" in variant:
        summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant[
            "ServerlessConfig"
        ]
    return summary


# --- 2. Lambda handlers in-process ------------------------------------------------------------


class LambdaContext:
    """The attributes of the Lambda Python runtime's context object."""

    def __init__(self, function_name: str, arn: str, memory: int, timeout: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._timeout_ms = timeout * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


_invocation = threading.local()

LAMBDA_ACCESS_KEY = "smdeploy-lambda"  # the functions' credentials (moto takes any)
CRASH_ERROR_TYPE = "Runtime.ExitError"
_CRASH_HOOK_ID = "smdeploy-emulator-crash-after"
INVOCATION_HEADER = "x-smdeploy-invocation"  # the Lambda request id of the calling invocation


class LambdaRuntimeExit(BaseException):
    """The Lambda runtime process dies mid-invocation (``Faults.crash_after``).

    A BaseException, so that neither botocore nor a handler's ``except Exception`` stops it.
    """


@dataclass
class _Invocation:
    request_id: str
    thread: threading.Thread
    crashed_after: str | None = None  # the operation after which the runtime died


def _name_invocation(request: Any, **_: Any) -> None:
    """botocore ``request-created`` handler: a call made by a running invocation names it."""
    current: _Invocation | None = getattr(_invocation, "current", None)
    if current is not None:
        request.headers[INVOCATION_HEADER] = current.request_id


def _die_if_crashed(**_: Any) -> None:
    """botocore ``after-call`` handler: a crashed invocation's thread stops at its next call."""
    current: _Invocation | None = getattr(_invocation, "current", None)
    if current is not None and current.crashed_after is not None:
        raise LambdaRuntimeExit(current.crashed_after)


class _RoutedStream(io.TextIOBase):
    """A handler's ``sys.stdout``: what a handler prints is its log, not the tool's output.

    One instance serves every invocation, because a handler module imported during an
    invocation may keep the ``sys.stdout`` it saw then (a logging handler does). Each write
    made during an invocation goes to that invocation's log sink, as CloudWatch Logs would
    hold it; any other write goes to the stream it stood in for.
    """

    def __init__(self) -> None:
        self.fallback: TextIO | None = None

    def write(self, text: str) -> int:
        sink: Callable[[str], None] | None = getattr(_invocation, "sink", None)
        if sink is not None:
            sink(text)
            return len(text)
        target = self.fallback or sys.__stdout__
        return target.write(text) if target is not None else len(text)

    def flush(self) -> None:
        target = self.fallback or sys.__stdout__
        if getattr(_invocation, "sink", None) is None and target is not None:
            target.flush()


_LAMBDA_STDOUT = _RoutedStream()


# --- 4. EventBridge delivery to Step Functions -------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """An event a rule delivered to a state machine: the execution it started, or the error."""

    rule: str
    source: str
    detail_type: str
    state_machine_arn: str
    execution_arn: str | None
    error: str | None = None


def aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event as EventBridge hands it to a target.

    moto keeps ``time`` in epoch seconds (AWS writes ISO 8601, to the second, in UTC), adds
    an ``ingestion-time`` of its own, and gives every S3 event one constant ``id``.
    """
    out = {key: value for key, value in event.items() if key != "ingestion-time"}
    when = out.get("time")
    if isinstance(when, int | float) or (isinstance(when, str) and _is_number(when)):
        moment = _dt.datetime.fromtimestamp(float(when), tz=_dt.UTC)
        out["time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if out.get("id") == _BASE_EVENT_MESSAGE["id"]:
        out["id"] = str(uuid.uuid4())
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """The execution input a target gets: its constant ``Input``, the part of the event its
    ``InputPath`` selects, what its ``InputTransformer`` makes, or else the whole event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return json.dumps(_select(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        made = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
        return json.dumps(made)
    return json.dumps(event)


def _select(event: dict[str, Any], path: str) -> Any:
    """A simple JSONPath: ``$`` or ``$.a.b`` (what an ``InputPath`` usually is)."""
    if path != "$" and not path.startswith("$."):
        raise ValueError(f"InputPath {path!r}: only $ and $.a.b paths are emulated")
    value: Any = event
    for key in path.split(".")[1:]:
        if not isinstance(value, dict) or key not in value:
            raise ValueError(f"InputPath {path!r} selects nothing in the event")
        value = value[key]
    return value


# --- 5. SageMaker Model Registry events ----------------------------------------------------


_PACKAGE_EVENT_FIELDS = (
    "ModelPackageGroupName",
    "ModelPackageVersion",
    "ModelPackageArn",
    "ModelPackageDescription",
    "CreationTime",
    "InferenceSpecification",
    "ModelPackageStatus",
    "ModelPackageStatusDetails",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "MetadataProperties",
    "ModelMetrics",
    "CustomerMetadataProperties",
    "LastModifiedTime",
)


def package_event_detail(description: dict[str, Any]) -> dict[str, Any]:
    """The ``detail`` of a Model Package State Change event, from DescribeModelPackage's
    fields (times as AWS writes them in events: ISO 8601, to the second, in UTC)."""
    detail: dict[str, Any] = {}
    for key in _PACKAGE_EVENT_FIELDS:
        value = description.get(key)
        if value is None:
            continue
        if isinstance(value, _dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
            value = moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        detail[key] = value
    if "CreationTime" in detail:
        detail.setdefault("LastModifiedTime", detail["CreationTime"])
    return detail


def update_package(package: Any, params: dict[str, Any]) -> None:
    """UpdateModelPackage as SageMaker does it: change only what the call gives, merge
    CustomerMetadataProperties, then remove CustomerMetadataPropertiesToRemove. (moto's own
    clears the approval status, its description and the metadata the call leaves out.)"""
    if "ModelApprovalStatus" in params:
        package.set_model_approval_status(params["ModelApprovalStatus"])
    if "ApprovalDescription" in params:
        package.approval_description = params["ApprovalDescription"]
    metadata = dict(package.customer_metadata_properties or {})
    metadata.update(params.get("CustomerMetadataProperties") or {})
    for key in params.get("CustomerMetadataPropertiesToRemove") or []:
        metadata.pop(key, None)
    package.customer_metadata_properties = metadata or None
    if params.get("AdditionalInferenceSpecificationsToAdd"):
        package.add_additional_inference_specifications(
            params["AdditionalInferenceSpecificationsToAdd"]
        )
    package.modifications_done()


# --- putting it together ----------------------------------------------------------------------


class Emulator:
    """Install and remove the hooks above around a running moto mock.

    ``functions_root`` is the Lambda asset root: handler strings are resolved under it.
    """

    def __init__(
        self,
        functions_root: Path,
        faults: Faults | None = None,
        seed: int | None = None,
        clock: SimClock | None = None,
    ) -> None:
        self.functions_root = functions_root
        self.faults = faults or Faults()
        self.clock = clock or SimClock()
        self.random = random.Random(seed)
        self.budget = FaultBudget(self.faults.times)
        # the real delays before Lambda invocations (--jitter), drawn in the order asked for
        self._jitter = random.Random(seed)
        self._jitter_lock = threading.Lock()
        self._running: _Invocation | None = None  # the handler running now (one at a time)
        self.stats = Counters()
        self.logs: list[str] = []
        self.deliveries: list[Delivery] = []
        # called with each delivery as it happens (the emulator server prints them)
        self.on_delivery: Callable[[Delivery], None] | None = None
        self._stores: dict[tuple[str, str], EndpointStore] = {}
        self._env_lock = threading.RLock()
        self._undo: list[Callable[[], None]] = []

    def store(self, account: str, region: str) -> EndpointStore:
        key = (account, region)
        if key not in self._stores:
            self._stores[key] = EndpointStore(
                account, region, self.clock, self.faults, self.stats, self.budget
            )
        return self._stores[key]

    # hook management

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        """Set ``owner.name`` (a class's own attribute, a module's global) until __exit__."""
        namespace = owner.__dict__
        had = name in namespace
        original = namespace.get(name)
        setattr(owner, name, value)

        def undo() -> None:
            if had:
                setattr(owner, name, original)
            else:
                delattr(owner, name)

        self._undo.append(undo)

    def __enter__(self) -> Emulator:
        environ = _snapshot_environ()
        environ.__enter__()

        def restore_environ() -> None:
            environ.__exit__(None, None, None)

        self._undo.append(restore_environ)
        self._install_crash_hook()
        self._quiet_interpreter()
        self._install_clock()
        self._install_lambda()
        self._install_sagemaker()
        guardrails_hooks.install(self)  # Application Auto Scaling, alarms, InvokeEndpoint
        self._install_event_delivery()
        self._install_model_registry_events()
        return self

    def __exit__(self, *exc: object) -> None:
        while self._undo:
            self._undo.pop()()

    def _install_crash_hook(self) -> None:
        """The deployer's functions make their AWS calls with clients of boto3's default
        session: there, a ``request-created`` handler names the running invocation in a
        header of each call, and an ``after-call`` handler ends a crashed invocation in its
        own thread (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html)."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        hooks = (("request-created", _name_invocation), ("after-call", _die_if_crashed))
        for event, handler in hooks:
            unique_id = f"{_CRASH_HOOK_ID}-{event}"
            session.events.register(event, handler, unique_id=unique_id)
            self._undo.append(
                functools.partial(session.events.unregister, event, unique_id=unique_id)
            )

    def _quiet_interpreter(self) -> None:
        """The ASL interpreter logs every state failure at ERROR level; the execution history
        already records them (with error and cause), so keep them off the user's terminal."""
        interpreter = logging.getLogger("moto.stepfunctions.parser")
        level = interpreter.level
        interpreter.setLevel(logging.CRITICAL)
        self._undo.append(lambda: interpreter.setLevel(level))
        # Powertools warns when a handler failed before adding a metric: on AWS that warning
        # is in the function's log, not on the screen of whoever started the deployment.
        warnings.filterwarnings("ignore", message="No application metrics to publish")

    # 1. clock

    def _install_clock(self) -> None:
        clock = self.clock

        def wait_interval(_self: Any, env: Any, wait_seconds: float) -> None:
            clock.advance(wait_seconds)

        self._patch(WaitFunction, "_wait_interval", wait_interval)
        self._patch(retrier_decl, "time", types.SimpleNamespace(sleep=clock.advance))
        self._patch(jitter_strategy_decl, "random", self.random)
        shim = _datetime_module(clock)
        for module in (sfn_state, sfn_execution):
            self._patch(module, "datetime", shim)
        # moto's Step Functions backend reads the time once, for a new execution's start
        # date; if that changes, each StartExecution would no longer be one tick
        if inspect.getsource(sfn_models).count("datetime.datetime.now(") != 1:
            raise RuntimeError(
                "moto's Step Functions backend reads the time in more places than "
                "StartExecution: the start-time hook needs a look"
            )
        self._patch(sfn_models, "datetime", _start_datetime_module(clock))
        self._patch(sm_models, "utcnow", _sagemaker_utcnow(clock))
        self._patch(EventManager, "_get_current_timestamp", staticmethod(clock.datetime))
        self._install_stop()

    def _install_stop(self) -> None:
        """StopExecution ends an execution ABORTED, whatever state it was in
        (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
        moto's interpreter goes on evaluating the state it was stopped in, and an error it
        meets there (``pop from empty list``) replaced the stop: the execution ended FAILED.
        Here an error after the stop leaves it stopped."""
        original = SfnEnvironment.set_error

        def set_error(env: Any, error: Any) -> None:
            if isinstance(env.program_state(), ProgramStopped):
                return
            original(env, error)

        self._patch(SfnEnvironment, "set_error", set_error)

    # 2. Lambda

    def _install_lambda(self) -> None:
        emulator = self

        def invoke(
            backend: LambdaSimpleBackend,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: dict[str, str],
        ) -> bytes:
            function = backend.get_function(function_name, qualifier)
            payload = json.loads(body) if body else {}
            return emulator.run_handler(function, payload, response_headers)

        self._patch(LambdaSimpleBackend, "invoke", invoke)

    def resolve_handler(self, handler: str) -> Callable[[Any, Any], Any]:
        root = str(self.functions_root)
        if root not in sys.path:
            sys.path.insert(0, root)
        module_name, _, attribute = handler.rpartition(".")
        function: Callable[[Any, Any], Any] = getattr(
            importlib.import_module(module_name), attribute
        )
        return function

    def invocation_delay(self) -> float:
        """The real seconds to wait before the next invocation (``Faults.invocation_jitter``):
        uniform from 0, drawn from the seeded generator, so a seed gives the same delays."""
        if self.faults.invocation_jitter <= 0:
            return 0.0
        with self._jitter_lock:
            return self._jitter.uniform(0, self.faults.invocation_jitter)

    def run_handler(self, function: Any, event: Any, response_headers: dict[str, str]) -> bytes:
        """Run one invocation as the Lambda Python runtime would, and return its payload."""
        delay = self.invocation_delay()
        if delay > 0:  # outside the lock: other executions' invocations go ahead meanwhile
            time.sleep(delay)
        context = LambdaContext(
            function.function_name, function.function_arn, function.memory_size, function.timeout
        )
        environment = {
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            # Lambda gives a function its role's credentials; any will do for moto
            "AWS_ACCESS_KEY_ID": LAMBDA_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LAMBDA_ACCESS_KEY,
            **function.environment_vars,
        }
        with self._env_lock, _environment(environment), self._capture_logs():
            self.stats.lambda_invocations += 1
            invocation = _Invocation(context.aws_request_id, threading.current_thread())
            outer, outer_here = self._running, getattr(_invocation, "current", None)
            self._running = _invocation.current = invocation
            try:
                handler = self.resolve_handler(function.handler)
                result = handler(event, context)
                if invocation.crashed_after is None:
                    return json.dumps(result, default=str).encode()
            except LambdaRuntimeExit:
                pass
            except Exception as error:  # the runtime's own contract: report, never raise
                if invocation.crashed_after is None:
                    response_headers["x-amz-function-error"] = "Unhandled"
                    report = {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "requestId": context.aws_request_id,
                        "stackTrace": traceback.format_tb(error.__traceback__),
                    }
                    return json.dumps(report).encode()
            finally:
                self._running, _invocation.current = outer, outer_here
            return self._crash_report(invocation, response_headers)

    def _crash_report(self, invocation: _Invocation, response_headers: dict[str, str]) -> bytes:
        """What Lambda answers when the runtime process dies during an invocation: an
        unhandled function error of type ``Runtime.ExitError``, no stack trace
        (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html)."""
        message = (
            f"RequestId: {invocation.request_id} Error: Runtime exited with error: signal: killed"
        )
        self.logs.append(
            f"{message}\nRuntime.ExitError (emulated: --crash-after {invocation.crashed_after})\n"
        )
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": CRASH_ERROR_TYPE, "errorMessage": message}).encode()

    def performed(self, operation: str, response: Any) -> None:
        """Called by the SageMaker hooks once ``operation`` has been performed: under
        ``Faults.crash_after``, the Lambda invocation that called it dies now.

        In-process, the call runs in the invocation's own thread: raise LambdaRuntimeExit
        there (it escapes botocore and the handler's ``except Exception``). Behind the
        server (``smdeploy emulator``) the call is served by another thread, and the
        function's client named its invocation in a header: mark the invocation, whose
        thread dies when botocore hands it the response (the ``after-call`` hook), or at the
        latest when its handler returns.
        """
        if self.faults.crash_after != operation:
            return
        invocation = self._running
        if invocation is None:
            return
        here = threading.current_thread() is invocation.thread
        if not here and response.headers.get(INVOCATION_HEADER) != invocation.request_id:
            return  # a call of someone else's, not the function's
        if not self.budget.take("crash_after"):
            return
        invocation.crashed_after = operation
        if here:
            raise LambdaRuntimeExit(operation)

    @contextmanager
    def _capture_logs(self) -> Iterator[None]:
        """Route what the handler prints (JSON logs, EMF metrics) to ``self.logs``."""
        if sys.stdout is not _LAMBDA_STDOUT:
            _LAMBDA_STDOUT.fallback = sys.stdout
        previous = getattr(_invocation, "sink", None)
        _invocation.sink = self.logs.append
        try:
            with redirect_stdout(_LAMBDA_STDOUT):
                yield
        finally:
            _invocation.sink = previous

    # 3. SageMaker

    def _install_sagemaker(self) -> None:
        emulator = self
        # SageMaker's model does not list ThrottlingException; moto says so on every one.
        warnings.filterwarnings(
            "ignore", message=r"Exception\(ThrottlingError\)", category=UserWarning
        )
        cls = sm_responses.SageMakerResponse

        def store_of(response: Any) -> EndpointStore:
            return emulator.store(response.current_account, response.region)

        def params_of(response: Any) -> dict[str, Any]:
            return dict(json.loads(response.body or "{}"))

        def performed(self: Any, operation: str) -> None:
            emulator.performed(operation, self)

        original_create_model = cls.create_model
        original_add_tags, original_delete_tags = cls.add_tags, cls.delete_tags
        original_list_tags = cls.list_tags

        def create_model(self: Any) -> Any:
            store = store_of(self)
            store.count("CreateModel")
            # SageMaker refuses a model name that exists (names ignore case); moto replaces it
            name = str(params_of(self).get("ModelName", ""))
            models = sagemaker_backends[store.account][store.region]._models
            if name.lower() in {existing.lower() for existing in models}:
                arn = store._arn("model", name)
                raise ValidationError(f'Cannot create already existing model "{arn}".')
            result = original_create_model(self)  # models stay moto's
            performed(self, "CreateModel")
            return result

        def create_endpoint_config(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("CreateEndpointConfig")
            result = ActionResult({"EndpointConfigArn": store.create_config(params_of(self))})
            performed(self, "CreateEndpointConfig")
            return result

        def describe_endpoint_config(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("DescribeEndpointConfig")
            return ActionResult(store.get_config(params_of(self)["EndpointConfigName"]))

        def delete_endpoint_config(self: Any) -> EmptyResult:
            store = store_of(self)
            store.count("DeleteEndpointConfig")
            store.delete_config(params_of(self)["EndpointConfigName"])
            return EmptyResult()

        def create_endpoint(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("CreateEndpoint")
            result = ActionResult({"EndpointArn": store.create_endpoint(params_of(self))})
            performed(self, "CreateEndpoint")
            return result

        def update_endpoint(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("UpdateEndpoint")
            result = ActionResult({"EndpointArn": store.update_endpoint(params_of(self))})
            performed(self, "UpdateEndpoint")
            return result

        def describe_endpoint(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("DescribeEndpoint")
            return ActionResult(store.describe_endpoint(params_of(self)["EndpointName"]))

        def delete_endpoint(self: Any) -> EmptyResult:
            store = store_of(self)
            store.count("DeleteEndpoint")
            store.delete_endpoint(params_of(self)["EndpointName"])
            return EmptyResult()

        def list_endpoints(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("ListEndpoints")
            endpoints = store.existing_endpoints()
            return ActionResult(
                {
                    "Endpoints": [
                        {
                            "EndpointName": e.name,
                            "EndpointArn": e.arn,
                            "CreationTime": store._ts(e.created),
                            "LastModifiedTime": store._ts(e.modified),
                            "EndpointStatus": e.status,
                        }
                        for e in endpoints
                    ]
                }
            )

        def list_endpoint_configs(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("ListEndpointConfigs")
            contains = str(params_of(self).get("NameContains", "")).lower()
            return ActionResult(
                {
                    "EndpointConfigs": [
                        {
                            "EndpointConfigName": c["EndpointConfigName"],
                            "EndpointConfigArn": c["EndpointConfigArn"],
                            "CreationTime": c["CreationTime"],
                        }
                        for c in list(store.configs.values())
                        if contains in c["EndpointConfigName"].lower()
                    ]
                }
            )

        def emulated(arn: str) -> bool:
            """Whether ``arn`` names an endpoint or endpoint config (kept here, not in moto)."""
            try:
                parsed = parse_arn(arn)
            except (IndexError, ValueError):
                return False
            return parsed.service == "sagemaker" and parsed.resource_type in (
                "endpoint",
                "endpoint-config",
            )

        def add_tags(self: Any) -> Any:
            params = params_of(self)
            store = store_of(self)
            store.count("AddTags")
            if not emulated(params.get("ResourceArn", "")):
                return original_add_tags(self)
            return ActionResult({"Tags": store.add_tags(params["ResourceArn"], params["Tags"])})

        def delete_tags(self: Any) -> Any:
            params = params_of(self)
            store = store_of(self)
            store.count("DeleteTags")
            if not emulated(params.get("ResourceArn", "")):
                return original_delete_tags(self)
            store.delete_tags(params["ResourceArn"], params["TagKeys"])
            return EmptyResult()

        def list_tags(self: Any) -> Any:
            params = params_of(self)
            store = store_of(self)
            store.count("ListTags")
            if not emulated(params.get("ResourceArn", "")):
                return original_list_tags(self)
            # at most 50 tags, and MaxResults is at least 50: one page
            return ActionResult({"Tags": list(store.tags_of(params["ResourceArn"]))})

        for name, method in {
            "create_model": create_model,
            "add_tags": add_tags,
            "delete_tags": delete_tags,
            "list_tags": list_tags,
            "list_endpoint_configs": list_endpoint_configs,
            "create_endpoint_config": create_endpoint_config,
            "describe_endpoint_config": describe_endpoint_config,
            "delete_endpoint_config": delete_endpoint_config,
            "create_endpoint": create_endpoint,
            "update_endpoint": update_endpoint,
            "describe_endpoint": describe_endpoint,
            "delete_endpoint": delete_endpoint,
            "list_endpoints": list_endpoints,
        }.items():
            self._patch(cls, name, method)

    # 4. EventBridge -> Step Functions

    def _install_event_delivery(self) -> None:
        emulator = self
        original = Rule.send_to_targets

        def send_to_targets(
            rule: Rule, original_event: dict[str, Any], transform_input: bool = True
        ) -> None:
            if not rule.event_pattern.matches_event(original_event):
                return
            others = []
            for target in rule.targets:
                arn = parse_arn(target["Arn"])
                if arn.service == "states" and arn.resource_type == "stateMachine":
                    emulator.deliver(rule.name, target, original_event)
                else:
                    others.append(target)
            if others:  # moto delivers the rest (queues, log groups, buses, ...)
                view = copy.copy(rule)
                view.targets = others
                original(view, original_event, transform_input)

        self._patch(Rule, "send_to_targets", send_to_targets)

    def deliver(self, rule: str, target: dict[str, Any], event: dict[str, Any]) -> Delivery:
        """Start an execution of the target state machine for ``event``, as EventBridge does:
        a generated name, the target's input. A failure is recorded, never raised (EventBridge
        counts a failed invocation; the PutEvents call that caused it still succeeds).

        (moto's S3 notifications ask rules not to transform their events; that is about
        moto's default template, so the target's Input/InputPath still apply here, as on AWS.)
        """
        event = aws_event(event)
        arn = target["Arn"]
        parsed = parse_arn(arn)
        try:
            text = target_input(target, event)
            execution = stepfunctions_backend(parsed.account, parsed.region).start_execution(
                arn, str(uuid.uuid4()), text
            )
            execution_arn, error = str(execution.execution_arn), None
        except (JsonRESTError, ValueError) as failure:
            execution_arn, error = None, f"{type(failure).__name__}: {failure}"
        delivery = Delivery(rule, event["source"], event["detail-type"], arn, execution_arn, error)
        self.deliveries.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        return delivery

    # 5. Model Registry events

    def _install_model_registry_events(self) -> None:
        emulator = self
        cls = sm_responses.SageMakerResponse
        original_create = cls.create_model_package

        def create_model_package(self: Any) -> Any:
            result = original_create(self)
            if json.loads(self.body or "{}").get("ModelApprovalStatus") is not None:
                arn = result.result["ModelPackageArn"]
                emulator.package_changed(self.current_account, self.region, arn)
            return result

        def update_model_package(self: Any) -> ActionResult:
            params = json.loads(self.body or "{}")
            backend = sagemaker_backends[self.current_account][self.region]
            package = backend.describe_model_package(params["ModelPackageArn"])
            before = package.model_approval_status
            update_package(package, params)
            if package.model_approval_status != before:
                emulator.package_changed(self.current_account, self.region, package.arn)
            return ActionResult({"ModelPackageArn": package.arn})

        self._patch(cls, "create_model_package", create_model_package)
        self._patch(cls, "update_model_package", update_model_package)

    def package_changed(self, account: str, region: str, arn: str) -> None:
        """Put a Model Package State Change event for the package on the default bus (twice
        under ``Faults.duplicate_package_events``)."""
        package = sagemaker_backends[account][region].describe_model_package(arn)
        detail = package_event_detail(package.gen_response_object())
        entry = {
            "Source": contract.APPROVAL_SOURCE,
            "DetailType": contract.APPROVAL_DETAIL_TYPE,
            "Detail": json.dumps(detail, default=str),
            "Resources": [detail["ModelPackageArn"]],
            "Time": self.clock.now(),
        }
        duplicate = self.faults.duplicate_package_events and self.budget.take(
            "duplicate_package_events"
        )
        copies = 2 if duplicate else 1
        events_backends[account][region].put_events([entry] * copies)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    with _ENVIRON_LOCK:
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)
    try:
        yield
    finally:
        with _ENVIRON_LOCK:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


# An invocation's variables are set and removed while other threads run (other executions'
# interpreters, the server's threads). Whoever walks the environment meanwhile (botocore
# copies it for each credential resolver; urllib walks its items for proxies on each new
# client) lists the keys and then reads each one: a key removed in between raised KeyError
# in that thread, and its execution failed. While an Emulator is entered, ``os.environ``
# walks a snapshot taken under the lock that every change of an invocation's variables takes.
_ENVIRON_LOCK = threading.RLock()


class _SnapshotEnviron(os._Environ[str]):
    """``os.environ`` whose walks (iteration, items, keys, values, copy) see a snapshot."""

    def _snapshot(self) -> dict[str, str]:
        with _ENVIRON_LOCK:
            data: dict[Any, Any] = vars(self)["_data"]
            return {self.decodekey(k): self.decodevalue(v) for k, v in data.items()}

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._snapshot()))

    def items(self) -> Any:
        return self._snapshot().items()

    def keys(self) -> Any:
        return self._snapshot().keys()

    def values(self) -> Any:
        return self._snapshot().values()

    def copy(self) -> dict[str, str]:
        return self._snapshot()


@contextmanager
def _snapshot_environ() -> Iterator[None]:
    if type(os.environ) is _SnapshotEnviron:  # an Emulator inside another
        yield
        return
    if type(os.environ) is not os._Environ:
        raise RuntimeError(f"os.environ is a {type(os.environ).__name__}, not os._Environ")
    os.environ.__class__ = _SnapshotEnviron
    try:
        yield
    finally:
        os.environ.__class__ = os._Environ
