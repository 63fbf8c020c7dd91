"""How the tests run a separate process (the installed-wheel test alone runs its own
environment's commands directly): ``run`` (the ``smdeploy`` CLI, python, bash)
and ``emulator`` (``smdeploy emulator`` on a free 127.0.0.1 port, stopped however the test
ends). Every tier imports it as ``tests.support.processes`` (pytest's ``pythonpath = ["."]``).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SMDEPLOY = shutil.which("smdeploy", path=str(BIN)) or "smdeploy"
REGION = "us-east-1"
STARTUP_BOUND = 120  # seconds: a bound on waiting for the emulator, never an assertion
# Test credentials: the emulator accepts any; no real account is ever reachable with them.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": REGION,
}


def environment(**extra: str) -> dict[str, str]:
    """The user's shell: the project's tools first on PATH, no AWS configuration of theirs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        COLUMNS="160",
        NO_COLOR="1",
    )
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
    *args: str, columns: str = "160", expect: int | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``smdeploy ARGS`` in the user's shell, with the test credentials."""
    env = environment(**CREDENTIALS, COLUMNS=columns)
    return run([SMDEPLOY, *args], expect=expect, env=env, timeout=timeout)


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

    @property
    def url(self) -> str:
        return str(self.info["endpoint_url"])

    def client(self, service: str) -> Any:
        session: Any = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        return session.client(service, endpoint_url=self.url)


def launch(directory: Path, *extra: str) -> Running:
    """``smdeploy emulator`` on port 0 (the system picks a free one): returns once it printed
    its ``--json`` line, which it prints only once it serves. Its stderr goes to a log in
    ``directory``, shown if it never starts."""
    log = directory / "emulator.log"
    process = subprocess.Popen(
        [SMDEPLOY, "emulator", "--port", "0", "--json", *extra],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=STARTUP_BOUND)
    line = process.stdout.readline() if ready else ""
    if not line:
        process.kill()
        process.wait()
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
