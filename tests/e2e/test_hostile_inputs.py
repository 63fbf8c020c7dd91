"""No input can crash or hang the command line.

A corpus of hostile files (``tests/fixtures/hostile/``, plus those too large or too deep to
keep, and files that are not files) goes through every command that reads a file:
``validate``, ``local``, ``plan``, ``start`` and ``--profiles``. Each must end with exit 1 (the
content is refused) or 2 (the file cannot be read), a message naming the problem, and no
traceback. The subprocess timeout bounds each run (a FIFO or ``/dev/zero`` used to hang);
nothing is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_helpers import EXAMPLES

from tests.support import processes

pytestmark = pytest.mark.e2e


CORPUS = EXAMPLES.parent / "tests" / "fixtures" / "hostile"
BOUND = 120  # seconds: a hang fails the test instead of hanging the suite
STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:smdeploy-deployer"
NOWHERE = "http://127.0.0.1:9"  # nothing listens: a command that called AWS would say so


def _deep(tmp: Path, depth: int) -> Path:
    path = tmp / f"deep-{depth}.json"
    path.write_text('{"EndpointName":' * depth + "1" + "}" * depth)
    return path


def _large(tmp: Path) -> Path:
    path = tmp / "too-large.json"
    path.write_text(json.dumps({"EndpointName": "x" * 300_000}))
    return path


def _fifo(tmp: Path) -> Path:
    path = tmp / "request.fifo"
    os.mkfifo(path)
    return path


def _fixture(name: str) -> Callable[[Path], Path]:
    return lambda tmp: CORPUS / name


# name -> (how to make it, what the message must say): refused by the one file reader, so
# every command refuses it the same way before doing anything else.
REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "lone-surrogate": (_fixture("lone-surrogate.json"), "lone UTF-16 surrogate"),
    "duplicate-key": (_fixture("duplicate-key.json"), "is given more than once"),
    "utf-16": (_fixture("utf-16.json"), "is UTF-16 text"),
    "latin-1": (_fixture("latin-1.json"), "is not UTF-8 text: byte 0xe9"),
    "nan": (_fixture("nan.json"), "NaN is not a JSON number"),
    "not-json": (_fixture("not-json.json"), "is not valid JSON"),
    "empty": (_fixture("empty.json"), "is not valid JSON"),
    "eventbridge-sample": (_fixture("eventbridge-sample.json"), "is given more than once"),
    "nested-10000-deep": (lambda tmp: _deep(tmp, 10_000), "nests more than 32 levels deep"),
    "nested-900-deep": (lambda tmp: _deep(tmp, 900), "nests more than 32 levels deep"),
    "too-large": (_large, "smdeploy reads at most 262,144 bytes"),
    "fifo": (_fifo, "a FIFO (named pipe)"),
    "dev-zero": (lambda tmp: Path("/dev/zero"), "is a device"),
    "directory": (lambda tmp: tmp, "is a directory"),
    "missing": (lambda tmp: tmp / "missing.json", "no such file"),
}

COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "validate": lambda path: ["validate", str(path)],
    "local": lambda path: ["local", str(path)],
    "plan": lambda path: ["plan", str(path), "--endpoint-url", NOWHERE],
    "start": lambda path: [
        "start",
        str(path),
        "--state-machine-arn",
        STATE_MACHINE,
        "--endpoint-url",
        NOWHERE,
    ],
    "profiles": lambda path: ["local", str(EXAMPLES / "request.json"), "--profiles", str(path)],
}


def smdeploy(*args: str) -> subprocess.CompletedProcess[str]:
    return processes.smdeploy(*args, columns="80", timeout=BOUND)


def assert_refused_cleanly(run: subprocess.CompletedProcess[str], says: str) -> None:
    assert run.returncode in (1, 2), (run.returncode, run.stdout, run.stderr)
    assert says in run.stdout + run.stderr, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert "Error:" not in run.stderr.replace("error:", "")  # no Python error name either


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_file_is_refused_with_its_problem_named(tmp_path, name, command):
    make, says = REFUSED[name]
    path = make(tmp_path)

    run = smdeploy(*COMMANDS[command](path))

    assert_refused_cleanly(run, says)
    # validate lists the problems on stdout, and start as validate does
    assert run.stdout.strip() == "" or command in ("validate", "start")


# Read as JSON, then refused by the validator, which names the field.
INVALID: dict[str, tuple[str, str]] = {
    "utf8-bom": ("utf8-bom.json", "ProductionVariants: required field is missing"),
    "huge-weights": (
        "huge-weights.json",
        "ProductionVariants[0].InitialVariantWeight: must be a 32-bit float",
    ),
    "a-list": ("a-list.json", "(request): must be a JSON object"),
}


@pytest.mark.parametrize("command", ["validate", "local", "plan", "start"])
@pytest.mark.parametrize("name", sorted(INVALID))
def test_a_request_read_as_json_is_judged_by_the_validator(name, command):
    file, says = INVALID[name]

    run = smdeploy(*COMMANDS[command](CORPUS / file))

    assert run.returncode == 1, (run.stdout, run.stderr)
    assert says in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_a_utf8_byte_order_mark_is_read_the_same_by_every_command(tmp_path):
    request = tmp_path / "request.json"
    request.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "request.json").read_bytes())

    validated = smdeploy("validate", str(request))
    deployed = smdeploy("local", str(request), "--json")

    assert validated.returncode == 0, validated.stdout
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout)[0]["Status"] == "SUCCEEDED"


# The guardrails' part of the invalid corpus, through the commands that judge a request and
# through --profiles as the profile each would be: every violation printed, no traceback.
REQUESTS = EXAMPLES.parent / "tests" / "fixtures" / "requests" / "invalid"
GUARDRAILS = sorted(p.stem for p in REQUESTS.glob("guardrails-*.json") if ".expected" not in p.name)


def expected_paths(name: str) -> list[str]:
    expected = json.loads((REQUESTS / f"{name}.expected.json").read_text(encoding="utf-8"))
    return [e["path"] for e in expected]


@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("name", GUARDRAILS)
def test_a_guardrails_request_is_refused_with_every_violation_printed(name, command):
    run = smdeploy(*COMMANDS[command](REQUESTS / f"{name}.json"))

    assert run.returncode == 1, (run.stdout, run.stderr)  # docs/reference/outputs.md: invalid
    printed = run.stdout + run.stderr
    assert "Traceback" not in printed
    for path in expected_paths(name):
        assert f"{path}: " in printed, (path, printed)


@pytest.mark.parametrize("name", GUARDRAILS)
def test_a_guardrails_profile_is_refused_with_every_violation_printed(tmp_path, name):
    request = json.loads((REQUESTS / f"{name}.json").read_text(encoding="utf-8"))
    variants = request.get("ProductionVariants")
    for variant in variants if isinstance(variants, list) else []:
        variant.pop("ModelName", None)  # the approved package's model fills it in
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps({"churn-predictor": request}))

    run = smdeploy(*COMMANDS["profiles"](profiles))

    assert run.returncode == 2, (run.stdout, run.stderr)  # an option's file is refused
    assert "invalid deployment profiles" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    for path in expected_paths(name):
        assert f"churn-predictor.{path}: " in run.stderr, (path, run.stderr)
