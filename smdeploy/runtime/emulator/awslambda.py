"""Lambda functions run their real handlers in-process.

Found by the function's Handler string (``deployer.handlers.validate.handler``) under the
Lambda asset root, with the function's environment, a Lambda context, and errors reported as
the Python runtime reports them (``errorType`` = the exception's class name), so
``ErrorEquals`` matches as on AWS. ``Faults.crash_after`` kills the invocation that made a
SageMaker call, once performed, reported as Lambda reports a crashed runtime
(``Runtime.ExitError``). Invocations run one at a time (they share ``os.environ``), each after a
seeded random delay under ``Faults.invocation_jitter``.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any, TextIO

import boto3
from moto.awslambda_simple.models import LambdaSimpleBackend

from smdeploy.runtime.emulator.state import EmulatorState, Invocation
from smdeploy.sessions import boto3_session


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


def _name_invocation(request: Any, **_: Any) -> None:
    """botocore ``request-created`` handler: a call made by a running invocation names it."""
    current: Invocation | None = getattr(_invocation, "current", None)
    if current is not None:
        request.headers[INVOCATION_HEADER] = current.request_id


def _die_if_crashed(**_: Any) -> None:
    """botocore ``after-call`` handler: a crashed invocation's thread stops at its next call."""
    current: Invocation | None = getattr(_invocation, "current", None)
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


@functools.cache
def _default_session() -> boto3.session.Session:
    """boto3's default session while an emulator runs, made once per process."""
    return boto3_session()


class LambdaHooks(EmulatorState):
    """The emulator's Lambda runtime."""

    def _install_crash_hook(self) -> None:
        """The deployer's functions make their AWS calls with clients of one botocore session
        (``deployer.aws.clients``; boto3's default one for anything else): there, a
        ``request-created`` handler names the running invocation in a
        header of each call, and an ``after-call`` handler ends a crashed invocation in its
        own thread (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html)."""
        from deployer.aws import clients  # the functions' own botocore session

        if boto3.DEFAULT_SESSION is None:  # moto's mock sets it aside while it runs: a
            # new one of boto3's making would read every service model from disk again, and
            # one made here would register botocore's handlers again (about 12 ms): one
            # session serves every emulated account of the process
            boto3.DEFAULT_SESSION = _default_session()
        assert boto3.DEFAULT_SESSION is not None
        emitters: tuple[Any, ...] = (boto3.DEFAULT_SESSION.events, clients.botocore_session())
        hooks = (("request-created", _name_invocation), ("after-call", _die_if_crashed))
        for emitter in emitters:
            for event, handler in hooks:
                unique_id = f"{_CRASH_HOOK_ID}-{event}"
                emitter.register(event, handler, unique_id=unique_id)
                self._undo.append(functools.partial(emitter.unregister, event, unique_id=unique_id))

    def _new_execution_environments(self) -> None:
        """Each emulator's functions start in new execution environments: the clients a
        function made live as long as its environment
        (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), and
        those of an earlier emulator in this process may point at another endpoint (a moto
        server, or moto's in-process mock, gone with it)."""
        from deployer.aws import clients  # the functions' own clients

        clients.forget_clients()
        self._undo.append(clients.forget_clients)

    def resolve_handler(self, handler: str) -> Callable[[Any, Any], Any]:
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
            invocation = Invocation(context.aws_request_id, threading.current_thread())
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

    def _crash_report(self, invocation: Invocation, response_headers: dict[str, str]) -> bytes:
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


def invoke(emulator: EmulatorState, original: Any) -> Callable[..., bytes]:
    """moto's Lambda backend's Invoke (a row of :data:`.hooks.HOOKS`): the real handler runs
    in-process (:meth:`LambdaHooks.run_handler`) instead of moto's canned answer."""

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

    return invoke


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
