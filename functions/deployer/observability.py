"""Powertools Logger, Tracer and Metrics: created once per process, shared by every module.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` when set (the stack sets it), else
"smdeploy". Metrics go to the ``smdeploy`` namespace unless ``POWERTOOLS_METRICS_NAMESPACE``
says otherwise.

Powertools' Tracer imports the X-Ray SDK (a fifth of a cold start) even when tracing is off.
So the Tracer is created only when tracing is on, by Powertools' own rule (see
:func:`tracing_enabled`); otherwise ``tracer`` is :class:`NoTracer`, whose decorators return
the function they are given.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "smdeploy")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "smdeploy")


F = TypeVar("F", bound=Callable[..., Any])


class _CurrentStdout:
    """Whatever ``sys.stdout`` is at the moment of each write.

    Logger otherwise keeps the ``sys.stdout`` of the moment it was created. In Lambda the two
    are the same; under a test's capture or the embedded runtime (which keeps each function's
    output as its log) only this one follows.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def tracing_enabled() -> bool:
    """Whether Powertools' Tracer would trace in this process: not when
    ``POWERTOOLS_TRACE_DISABLED`` is true, and only inside Lambda (``LAMBDA_TASK_ROOT`` set)
    but not under SAM or Chalice's local emulators. (The rule of ``Tracer``, documented at
    https://docs.powertools.aws.dev/lambda/python/latest/core/tracer/.)"""
    if resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_TRACE_DISABLED", "false")):
        return False
    in_lambda = bool(os.getenv("LAMBDA_TASK_ROOT"))
    local = bool(os.getenv("AWS_SAM_LOCAL") or os.getenv("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not local


class NoTracer:
    """The Tracer's decorators when tracing is off: each returns the function it is given."""

    @staticmethod
    def capture_method(method: F) -> F:
        return method

    @staticmethod
    def capture_lambda_handler(handler: F) -> F:
        return handler


# What the functions call AWS with: only its calls become X-Ray subsegments (Tracer would
# otherwise patch every library the X-Ray SDK knows, importing each patcher).
PATCHED = ("botocore",)

logger = Logger(service=SERVICE, stream=_CurrentStdout())  # type: ignore[arg-type]
tracer: Tracer | NoTracer = (
    Tracer(service=SERVICE, patch_modules=PATCHED) if tracing_enabled() else NoTracer()
)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# The key of every stage's event that holds the execution name: the logs' correlation id.
CORRELATION_ID_PATH = "Execution"


def count_errors(handler: F) -> F:
    """Count the deployer's own errors by type (metric ``Errors``, dimension ``ErrorType``).

    Place it inside ``metrics.log_metrics`` so the count is flushed with the invocation.
    """
    from deployer.errors import DeployerError

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except DeployerError as error:
            metrics.add_dimension(name="ErrorType", value=type(error).__name__)
            metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
            raise

    return wrapper  # type: ignore[return-value]


def stage_handler(handler: F) -> F:
    """What every stage's handler wears: the execution name as the logs' correlation id (state
    cleared per invocation), an X-Ray segment, metrics flushed with the cold start, and the
    deployer's errors counted by type, a transient error after the deadline turned into the
    deadline's (:func:`deployer.decide.deadline.bounded_by_deadline`)."""
    from deployer.decide.deadline import bounded_by_deadline

    counted = count_errors(bounded_by_deadline(handler))
    measured = metrics.log_metrics(capture_cold_start_metric=True)(counted)
    traced = tracer.capture_lambda_handler(measured)
    logged = logger.inject_lambda_context(
        correlation_id_path=CORRELATION_ID_PATH, clear_state=True
    )(traced)
    return logged  # type: ignore[return-value]


__all__ = [
    "CORRELATION_ID_PATH",
    "MetricUnit",
    "count_errors",
    "logger",
    "metrics",
    "stage_handler",
    "tracer",
]
