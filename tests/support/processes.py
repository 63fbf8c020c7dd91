"""How the tests run a separate process (the installed-wheel test alone runs its own
environment's commands directly): ``run`` (the ``smdeploy`` CLI, python, bash)
and ``emulator`` (``smdeploy emulator`` on a free 127.0.0.1 port, stopped however the test
ends). Every tier imports it as ``tests.support.processes`` (pytest's ``pythonpath = ["."]``).

``smdeploy`` here, and in every shell a test starts, is the fork server's client
(``tests/support/forkserver.py``): each command is a process of its own, forked from one that
has already imported smdeploy. ``cold=True`` (or ``SMDEPLOY_TESTS_COLD=1`` for the whole run)
runs the installed console script instead.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smdeploy.sessions import boto3_session
from tests.support import forkserver

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INSTALLED = shutil.which("smdeploy", path=str(BIN)) or "smdeploy"
REGION = "us-east-1"
STARTUP_BOUND = 120  # seconds: a bound on waiting for the emulator, never an assertion
# Test credentials: the emulator accepts any; no real account is ever reachable with them.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": REGION,
}


def _base() -> dict[str, str]:
    """The user's shell without the test run's own variables or any AWS configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != _CURRENT_TEST}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        COLUMNS="160",
        NO_COLOR="1",
    )
    return env


_CURRENT_TEST = "PYTEST_CURRENT_TEST"  # pytest sets it per test; no user's shell has it


@dataclass
class _Server:
    process: subprocess.Popen[str]
    directory: Path
    client: Path


_server: _Server | None = None


def _first_line(process: subprocess.Popen[str]) -> str:
    """The first line ``process`` prints on stdout (its "ready"), waiting at most
    STARTUP_BOUND; "" (and the process killed) when none comes."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=STARTUP_BOUND)
    line = process.stdout.readline() if ready else ""
    if not line:
        process.kill()
        process.wait()
    return line


def _forkserver() -> _Server | None:
    """This process's fork server (started on first use, stopped at exit), or None when the
    run asks for cold commands."""
    global _server
    if os.environ.get("SMDEPLOY_TESTS_COLD") == "1":
        return None
    if _server is None or _server.process.poll() is not None:
        directory = Path(tempfile.mkdtemp(prefix="smdeploy-forkserver-"))
        socket_path = str(directory / "socket")
        env = _base()
        process = subprocess.Popen(
            [sys.executable, "-P", forkserver.__file__, socket_path],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = _first_line(process)
        if not line:
            raise AssertionError("the tests' fork server did not start")
        (directory / "bin").mkdir()
        read = json.loads(line)  # the variables it read as it imported
        client = forkserver.write_client(directory / "bin", socket_path, read, env, INSTALLED)
        _server = _Server(process, directory, client)
        atexit.register(_stop_forkserver, _server)
    return _server


def _stop_forkserver(server: _Server) -> None:
    server.process.kill()
    server.process.wait()
    shutil.rmtree(server.directory, ignore_errors=True)


def smdeploy_command(*, cold: bool = False) -> str:
    """The ``smdeploy`` a test runs: the fork server's client, or the installed script."""
    server = None if cold else _forkserver()
    return str(server.client) if server else INSTALLED


def environment(**extra: str) -> dict[str, str]:
    """The user's shell: ``smdeploy`` (the fork server's client) and the project's tools first
    on PATH, no AWS configuration of theirs."""
    env = _base()
    server = _forkserver()
    tools = [str(server.client.parent)] if server else []
    env["PATH"] = os.pathsep.join([*tools, str(BIN), env.get("PATH", "")])
    env.update(extra)
    return env


def run(
    command: Sequence[str],
    *,
    expect: int | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str = ROOT,
    timeout: float = 300,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command, its output captured as text. ``env`` defaults to ``environment()`` with
    the test credentials and region. With ``expect``, any other exit code fails the test with
    the command, its stdout and its stderr."""
    done = subprocess.run(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else environment(**CREDENTIALS),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if expect is not None and done.returncode != expect:
        raise AssertionError(
            f"exit {done.returncode}, expected {expect}: {' '.join(command)}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
    return done


def smdeploy(
    *args: str,
    columns: str = "160",
    expect: int | None = None,
    timeout: float = 300,
    cold: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``smdeploy ARGS`` in the user's shell, with the test credentials (``cold``: the
    installed console script itself)."""
    env = environment(**CREDENTIALS, COLUMNS=columns)
    return run([smdeploy_command(cold=cold), *args], expect=expect, env=env, timeout=timeout)


def python(
    script: str, *flags: str, env: Mapping[str, str], cwd: Path | str = ROOT, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    """``python FLAGS -c SCRIPT`` with this interpreter and exactly ``env``."""
    return run([sys.executable, *flags, "-c", script], env=env, cwd=cwd, expect=expect)


@dataclass
class Running:
    process: subprocess.Popen[str]
    info: dict[str, Any]
    log: Path
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return str(self.info["EndpointUrl"])

    def client(self, service: str) -> Any:
        """A client of ``service`` at the emulator, made once (clients are thread-safe), in a
        session that reads the service models through the process's one loader."""
        if service not in self._clients:
            session = boto3_session(
                aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
            )
            self._clients[service] = session.client(service, endpoint_url=self.url)
        return self._clients[service]


def launch(directory: Path, *extra: str, cold: bool = False, port: int = 0) -> Running:
    """``smdeploy emulator`` on ``port`` (0, the default: the system picks a free one):
    returns once it printed its ``--json`` line, which it prints only once it serves. Its
    stderr goes to a log in ``directory``, shown if it never starts."""
    log = directory / "emulator.log"
    process = subprocess.Popen(
        [smdeploy_command(cold=cold), "emulator", "--port", str(port), "--json", *extra],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    line = _first_line(process)
    if not line:
        raise AssertionError(f"the emulator did not start:\n{log.read_text()}")
    return Running(process, json.loads(line), log)


def stop(running: Running, signum: int = signal.SIGTERM) -> int:
    """Stops the emulator (if still running) and returns its exit code."""
    if running.process.poll() is None:
        running.process.send_signal(signum)
    try:
        return running.process.wait(timeout=STARTUP_BOUND)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()
        raise


@contextmanager
def emulator(directory: Path, *extra: str) -> Iterator[Running]:
    """An emulator for the block; always stopped. If the block raises, the emulator's log is
    added to the error (a test's own ``with`` block; a fixture that yields inside it is not
    told of its test's failure, only of its own)."""
    running = launch(directory, *extra)
    try:
        yield running
    except BaseException as failure:
        stop(running)
        failure.add_note(f"--- emulator log\n{running.log.read_text()}")
        raise
    stop(running)


def wait_until_refused(url: str) -> None:
    """Poll (real time, bounded) until nothing listens at ``url``'s port any more."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    for _ in range(STARTUP_BOUND * 20):
        with socket.socket() as probe:
            if probe.connect_ex((host, int(port))) != 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"{url} still serves")
