"""A fork server for the tests' ``smdeploy`` commands: each command is still a process of its
own, with its own arguments, environment, working directory, standard streams and exit code,
but it is forked from a process that has already imported smdeploy and read the service
models, instead of starting Python cold (3 to 4 CPU seconds per command on the CI machine, for
about 200 commands per test run).

How it works: ``python -m tests.support.forkserver SOCKET`` imports what every command needs
(:func:`warm`), then listens on a Unix socket. The client is a tiny script named ``smdeploy``
(:func:`write_client`), put first on ``PATH``: it sends its arguments, environment, working
directory and its three standard streams' file descriptors (``SCM_RIGHTS``,
https://docs.python.org/3/library/socket.html#socket.send_fds), then waits for the exit code
and exits with it; a signal it receives (SIGTERM, SIGINT) is passed on to the command, and a
client that goes away (killed on a timeout) takes its command with it. A shell in a docs test
runs that same script. The server forks one child per command; the child takes the streams
as its 0, 1 and 2, the environment and the directory, runs the console script's entry point
and exits as Python would (non-daemon threads joined, ``atexit`` run, streams flushed).

What a fork cannot give is what a module read from the environment when it was imported. So
the server imports nothing of the deployer's functions (their loggers read the function's
environment at import, in the emulator's invocation), it notes every variable read while it
imports (:func:`warm`), and a command whose environment differs from the server's in one of
those, or in one the interpreter reads as it starts (``PYTHON*``, locale), is run cold by the
client (``os.execv`` of the installed ``smdeploy``), exactly as before. The tests that are about
the installed command itself (its script, signals to it, the wheel) run the installed one.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import importlib.metadata
import json
import os
import random
import selectors
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

# What the interpreter reads as it starts, before any import: always compared.
INTERPRETER = ("PYTHON", "LC_", "LANG", "LANGUAGE", "TZ")
MESSAGE = 1 << 20  # bytes: a request (arguments, environment) is one datagram
SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
REGION, ACCOUNT = "us-east-1", "123456789012"  # the tests' region; moto's default account

# The garbage collector, tuned for a test process: it holds the emulator, moto and botocore's
# service models (millions of objects, most of them for the whole run) and allocates fast. With
# the defaults (700, 10, 10) a full collection came every few thousand allocations and took
# about 14 % of an end-to-end test's CPU. Young objects are now collected every 100,000
# allocations and the whole heap hardly ever: an end-to-end file takes about 8 % less CPU, and
# a worker's peak memory grows from about 330 to 440 MB. No test's outcome depends on when a
# collection runs (https://docs.python.org/3/library/gc.html#gc.set_threshold).
GC_THRESHOLDS = (100_000, 50, 1000)

# The services the emulator serves: moto's model of each is read once, in the server.
SERVICES = (
    "application-autoscaling",
    "cloudwatch",
    "dynamodb",
    "events",
    "iam",
    "lambda",
    "logs",
    "s3",
    "sagemaker",
    "sagemaker-runtime",
    "scheduler",
    "sns",
    "sqs",
    "stepfunctions",
    "sts",
)


def entry_point() -> Callable[[], Any]:
    """The ``smdeploy`` console script's function, found as the installed script finds it."""
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="smdeploy")
    main: Callable[[], Any] = script.load()
    return main


class _Recorded(os._Environ):  # type: ignore[type-arg]
    """``os.environ`` that notes each variable read (``"*"``: all of them were walked)."""

    read: ClassVar[set[str]] = set()

    def __getitem__(self, key: str) -> str:
        _Recorded.read.add(key)
        value: str = super().__getitem__(key)
        return value

    def __iter__(self) -> Any:
        _Recorded.read.add("*")
        return super().__iter__()


def warm() -> tuple[Callable[[], Any], set[str]]:
    """Import what commands import and read the data they read, changing no state (no
    client, session, credential or account is made here); returns the entry point and the
    environment variables read meanwhile (those a forked command must agree on)."""
    if type(os.environ) is not os._Environ:
        raise RuntimeError(f"os.environ is a {type(os.environ).__name__}, not os._Environ")
    os.environ.__class__ = _Recorded
    try:
        main = entry_point()
        importlib.import_module("smdeploy.runtime.server")
        from moto.core.utils import get_service_model

        from deployer import interface
        from smdeploy.resources import DEFINITION
        from smdeploy.runtime import install
        from smdeploy.runtime.emulator import stepfunctions

        for service in SERVICES:
            get_service_model(service)
        _read_models()
        # the deployer's definition as the emulator installs it (moto's default account):
        # parsed once here, as a long-lived process would have (each execution copies it)
        arns = {
            spec.placeholder: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
            f"{install.function_name(spec)}"
            for spec in interface.FUNCTIONS
        }
        stepfunctions.pickled(install.substitute(DEFINITION.read_text(), arns))
    finally:
        os.environ.__class__ = os._Environ
    return main, set(_Recorded.read)


def _read_models() -> None:
    """What every command would read again, read here once: botocore's data files, through
    the one loader of smdeploy's sessions and the deployer's clients (smdeploy.sessions), and
    moto's service modules, which its server imports at a service's first request. moto's
    own session (the Regions of each backend) is given that loader, which reads no
    configuration file (botocore's default loader reads the config file's ``data_path``, and
    a command whose AWS_CONFIG_FILE or AWS_PROFILE differed would then run cold)."""
    from botocore.exceptions import DataNotFoundError
    from moto import backends
    from moto.core.base_backend import AccountSpecificBackend

    from smdeploy.sessions import models

    loader = models()
    for service in SERVICES:
        loader.load_service_model(service, "service-2")
        loader.load_service_model(service, "endpoint-rule-set-1")
        with contextlib.suppress(DataNotFoundError):  # not every service has paginators
            loader.load_service_model(service, "paginators-1")
        name = backends.ALT_SERVICE_NAMES.get(service, service).replace("-", "")
        importlib.import_module(f"moto.{name}.urls")
    for data in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
        loader.load_data(data)
    moto_session = AccountSpecificBackend.get_session()  # a boto3 session
    moto_session._session.register_component("data_loader", loader)
    moto_session.get_available_partitions()


# ---------------------------------------------------------------- the server


def serve(path: str) -> None:
    main, read = warm()
    # what warm() made lives as long as the server: kept out of every collection the commands
    # run (each would walk it again), and the test processes' thresholds
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    print(json.dumps(sorted(read)), flush=True)  # ready
    running: dict[int, socket.socket] = {}  # child pid -> its client
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while os.getppid() == parent:  # the test run that started it is still there
        for key, _ in selector.select(timeout=0.02):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                pid = _start(connection, main, listener, selector)
                running[pid] = connection
                selector.register(connection, selectors.EVENT_READ, pid)
            else:
                _from_client(key.fileobj, key.data)  # type: ignore[arg-type]
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            connection = running.pop(pid)
            selector.unregister(connection)
            with contextlib.suppress(OSError):  # the client is gone (killed on a timeout)
                connection.send(str(os.waitstatus_to_exitcode(status)).encode())
            connection.close()
    for pid in running:
        os.kill(pid, signal.SIGKILL)


def _from_client(connection: socket.socket, pid: int) -> None:
    """A signal to pass on, or the client gone: its command goes too."""
    try:
        data = connection.recv(64)
    except OSError:
        data = b""
    with contextlib.suppress(ProcessLookupError):  # it has just ended: the wait loop reports it
        os.kill(pid, int(data) if data else signal.SIGKILL)


def _start(
    connection: socket.socket,
    main: Callable[[], Any],
    listener: socket.socket,
    selector: selectors.BaseSelector,
) -> int:
    data, fds, _, _ = socket.recv_fds(connection, MESSAGE, 3)
    request = json.loads(data)
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    # the child: nothing of the server's survives but the imported modules
    try:
        selector.close()
        listener.close()
        connection.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        random.seed()  # as a new process would (the server's generator state is shared)
        code = _run(main)
    except BaseException:  # the child must never return into the server's loop
        traceback.print_exc()
        code = 70
    os._exit(code)


def _run(main: Callable[[], Any]) -> int:
    """Run the command and exit as the interpreter would: the exit code of ``SystemExit`` (its
    message on stderr), an uncaught exception's traceback and 1, then the interpreter's
    shutdown (``threading._shutdown`` joins the non-daemon threads, ``atexit``, the flushes)."""
    try:
        main()
        code = 0
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code & 0xFF
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:  # what the interpreter does with an uncaught one
        sys.excepthook(*sys.exc_info())
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # what Python exits with when the flush at exit fails
    return code


# ---------------------------------------------------------------- the client


CLIENT = '''\
#!{python} -S
"""smdeploy, run by the tests' fork server (tests/support/forkserver.py)."""
import json, os, signal, socket, sys

READ = {read!r}  # the variables the server read as it imported: they must agree
SERVER_ENV = {server_env!r}
names = set(os.environ) | set(SERVER_ENV) if "*" in READ else READ | {{
    k for k in set(os.environ) | set(SERVER_ENV) if k.startswith({interpreter!r})
}}
if any(os.environ.get(k) != SERVER_ENV.get(k) for k in names):
    os.execv({real!r}, [{real!r}, *sys.argv[1:]])  # run cold: as a new process would
server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
server.connect({path!r})
request = {{"argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd()}}
socket.send_fds(server, [json.dumps(request).encode()], [0, 1, 2])
for signum in {signals!r}:
    signal.signal(signum, lambda signum, frame: server.send(str(signum).encode()))
while True:
    try:
        answer = server.recv(64)
        break
    except InterruptedError:
        continue
code = int(answer) if answer else 70
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
'''


def write_client(
    directory: Path, path: str, read: list[str], server_env: dict[str, str], real: str
) -> Path:
    """The ``smdeploy`` script that runs a command in the server at ``path`` (or ``real``,
    cold, when its environment differs from ``server_env`` in a variable the server ``read``
    as it imported, or one the interpreter reads as it starts)."""
    script = directory / "smdeploy"
    script.write_text(
        CLIENT.format(
            python=sys.executable,
            read=set(read),
            interpreter=INTERPRETER,
            server_env=server_env,
            real=real,
            path=path,
            signals=[int(s) for s in SIGNALS],
        )
    )
    script.chmod(0o755)
    return script


if __name__ == "__main__":
    serve(sys.argv[1])
