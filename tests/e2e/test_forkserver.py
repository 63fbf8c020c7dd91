"""The tests' fork server (tests/support/forkserver.py) runs a command as the installed console
script does: the same output, exit code and signals; cold whenever it could not be the same."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import EXAMPLES

from tests.support import forkserver, processes
from tests.support.processes import launch, stop

pytestmark = pytest.mark.e2e

V1 = str(EXAMPLES / "request.json")


def _without_timings(text: str) -> str:
    """A ``local --json`` document without its wall-clock figures (the only thing a second
    run may change)."""
    runs = json.loads(text)
    for run in runs:
        run["Stats"].pop("WallSeconds")
    return json.dumps(runs)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--version"], id="version"),
        pytest.param(["validate", V1, "--json"], id="valid"),
        pytest.param(["validate", str(EXAMPLES / "invalid-request.json")], id="invalid"),
        pytest.param(["local", V1, "--no-such-option"], id="misuse"),
        pytest.param(["local", V1, "--json", "--seed", "5"], id="deployment"),
    ],
)
def test_a_forked_command_prints_and_exits_as_the_installed_script(args):
    forked = processes.smdeploy(*args)
    cold = processes.smdeploy(*args, cold=True)

    assert forked.returncode == cold.returncode
    if "local" in args and forked.returncode == 0:
        assert _without_timings(forked.stdout) == _without_timings(cold.stdout)
    else:
        assert forked.stdout == cold.stdout
        assert forked.stderr == cold.stderr


def test_an_interpreter_variable_makes_the_command_cold():
    # PYTHONPROFILEIMPORTTIME is read as the interpreter starts: a forked child has nothing
    # left to import, a cold process reports every import on stderr
    env = processes.environment(**processes.CREDENTIALS, PYTHONPROFILEIMPORTTIME="1")
    run = processes.run([processes.smdeploy_command(), "validate", V1], env=env, expect=0)

    assert "import time:" in run.stderr


def test_a_variable_read_at_import_makes_the_command_cold(tmp_path: Path):
    # a client whose "installed script" says it ran: only a difference in a variable the
    # server read as it imported (here TEST_SERVER_MODE, read by moto) sends it there
    real = tmp_path / "installed"
    real.write_text(f"#!{sys.executable}\nprint('cold')\n")
    real.chmod(0o755)
    server_env = processes.environment()
    client = forkserver.write_client(
        tmp_path, "/nonexistent/socket", ["TEST_SERVER_MODE"], server_env, str(real)
    )

    cold = subprocess.run(
        [str(client)], env={**server_env, "TEST_SERVER_MODE": "true"}, capture_output=True
    )

    assert (cold.returncode, cold.stdout) == (0, b"cold\n")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_reaches_the_forked_command(tmp_path, signum):
    running = launch(tmp_path)

    code = stop(running, signum)

    assert code == 0, running.log.read_text()
    assert "stopping" in running.log.read_text()


def test_a_killed_client_takes_its_command_with_it(tmp_path):
    running = launch(tmp_path)
    sagemaker = running.client("sagemaker")
    sagemaker.list_endpoints()  # it serves

    running.process.kill()
    running.process.wait()

    processes.wait_until_refused(running.url)
