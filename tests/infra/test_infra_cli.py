"""``npx cdk synth`` as a new user runs it: offline, quiet, exit 0, and nothing to fix.

One run of the pinned CLI (about 10 s), with CDK's own template validation on, in an empty
network namespace when this machine can make one (``unshare -n``) and watched by strace when
it is there: no connection to any address may be attempted (no notices, no version check,
no telemetry, no account lookup).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdk import paths
from tests.support import processes

CLI = paths.ROOT / "node_modules" / ".bin" / "cdk"
QUIET = {
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
}


def _works(command: list[str]) -> bool:
    try:
        return processes.run(command, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass(frozen=True)
class CliRun:
    returncode: int
    output: str
    outdir: Path
    connects: list[str] | None  # connect() calls seen by strace, None when not traced


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    if not CLI.exists():
        pytest.fail("the CDK CLI is not installed: run `make test` (npm ci installs it)")
    outdir = tmp_path_factory.mktemp("cli.out")
    trace = outdir.parent / "connect.trace"
    command = ["npx", "--no", "cdk", "synth", "--quiet", "--output", str(outdir)]
    traced = shutil.which("strace") is not None and _works(["strace", "-o", "/dev/null", "true"])
    if traced:
        strace = ["strace", "-f", "--seccomp-bpf", "-e", "trace=connect", "-o", str(trace)]
        command = [*strace, *command]
    if _works(["unshare", "-n", "true"]):
        command = ["unshare", "-n", *command]
    env = {k: v for k, v in os.environ.items() if k != "CDK_VALIDATION"} | QUIET
    done = processes.run(command, cwd=paths.ROOT, env=env)
    connects = None
    if traced:
        connects = [line for line in trace.read_text().splitlines() if "connect(" in line]
    return CliRun(done.returncode, done.stdout + done.stderr, outdir, connects)


def test_npx_cdk_synth_exits_0_with_the_template(cli_synth: CliRun) -> None:
    assert cli_synth.returncode == 0, cli_synth.output
    template = json.loads((cli_synth.outdir / "smdeploy.template.json").read_text())
    assert "StateMachine" in template["Resources"]
    report = json.loads((cli_synth.outdir / "validation-report.json").read_text())
    assert {r["pluginName"]: r["conclusion"] for r in report["pluginReports"]} == {
        "AwsSolutions": "success",
        "Serverless": "success",
    }


def test_npx_cdk_synth_says_nothing_to_fix(cli_synth: CliRun) -> None:
    # Only npm's own complaints about this machine's npm configuration may appear.
    lines = [
        line
        for line in cli_synth.output.splitlines()
        if line.strip() and not line.startswith("npm warn")
    ]
    assert lines == []
    assert not re.search(r"feature flag|notices|telemetry|newer version", cli_synth.output, re.I)


def test_npx_cdk_synth_attempts_no_network_connection(cli_synth: CliRun) -> None:
    if cli_synth.connects is None:
        pytest.skip("strace is not available here; the run was only isolated from the network")
    internet = [c for c in cli_synth.connects if "AF_INET" in c]
    assert internet == []
