"""Every command's ``--json`` prints exactly one JSON document whose keys are its document's in
the registry (smdeploy/documents.py), in order, PascalCase: run against the emulator, or
offline. tests/unit/test_output_documents.py compares the registry with --help and docs/."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import EXAMPLES, register_package

from smdeploy import documents, present, remote, reports
from smdeploy.documents import OPAQUE, Document, paths_of
from tests.support import processes
from tests.support.processes import Running, smdeploy

pytestmark = [pytest.mark.e2e]

V1 = str(EXAMPLES / "request.json")
PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")


def printed(run: subprocess.CompletedProcess[str]) -> Any:
    """stdout must be exactly one JSON document: nothing else may be printed there."""
    return json.loads(run.stdout)


def assert_is(document: Document, found: Any) -> None:
    """``found`` has exactly the document's keys, in order (each object of an array), and no
    nested key the registry does not list; every key is PascalCase."""
    objects = found if document.array else [found]
    if document.array:
        assert isinstance(found, list) and found
    for each in objects:
        assert list(each) == [key.name for key in document.keys]
    paths = paths_of(found, opaque=OPAQUE | {f"Execution.{p}" for p in OPAQUE})
    assert paths <= set(document.paths()), paths - set(document.paths())
    for path in paths:
        assert all(PASCAL.fullmatch(part) for part in path.replace("[]", "").split(".")), path


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    directory = tmp_path_factory.mktemp("documents")
    with processes.emulator(directory, "--profiles", "examples/profiles.json") as running:
        yield running


def test_validate(tmp_path: Path) -> None:
    assert_is(documents.VALIDATE, printed(smdeploy("validate", V1, "--json")))
    invalid = smdeploy("validate", str(EXAMPLES / "invalid-request.json"), "--json")
    assert invalid.returncode == 1
    assert_is(documents.VALIDATE, printed(invalid))


def pooled(tmp_path: Path) -> Path:
    """examples/request.json with its primary variant on two instance pools."""
    request = json.loads((EXAMPLES / "request.json").read_text())
    primary = request["ProductionVariants"][0]
    del primary["InstanceType"]
    primary["InstancePools"] = [
        {"InstanceType": "ml.g6e.2xlarge", "Priority": 2},
        {"InstanceType": "ml.g6.2xlarge", "Priority": 1},
    ]
    path = tmp_path / "pooled.json"
    path.write_text(json.dumps(request))
    return path


def test_local_reports_the_instance_types_that_serve(tmp_path: Path) -> None:
    run = smdeploy("local", str(pooled(tmp_path)), "--json")

    assert run.returncode == 0, run.stderr
    found = printed(run)
    assert_is(documents.LOCAL, found)
    # the pool SageMaker tries first (priority 1) serves; the other variant's type is its own
    assert found[0]["ServingInstances"] == [
        {"VariantName": "primary", "InstanceType": "ml.g6.2xlarge", "CurrentInstanceCount": 2},
        {"VariantName": "challenger", "InstanceType": "ml.m5.large", "CurrentInstanceCount": 1},
    ]
    summary = smdeploy("local", str(pooled(tmp_path)))
    assert "2 x ml.g6.2xlarge (primary), 1 x ml.m5.large (challenger)" in summary.stdout


def test_the_plan_of_instance_pools_shows_them_in_fallback_order(
    emulator: Running, tmp_path: Path
) -> None:
    run = smdeploy("plan", str(pooled(tmp_path)), "--endpoint-url", emulator.url)

    assert run.returncode == 0, run.stderr
    assert "2 x ml.g6.2xlarge (priority 1), then ml.g6e.2xlarge (priority 2)" in run.stdout
    assert "None" not in run.stdout and "{" not in run.stdout
    as_json = smdeploy("plan", str(pooled(tmp_path)), "--endpoint-url", emulator.url, "--json")
    assert_is(documents.PLAN, printed(as_json))


def test_demo() -> None:
    run = smdeploy("demo", "--json")

    assert run.returncode == 0, run.stderr
    assert_is(documents.DEMO, printed(run))


def test_the_emulator_start_status_and_watch(emulator: Running) -> None:
    assert_is(documents.EMULATOR, emulator.info)
    machine = ("--state-machine-arn", emulator.info["StateMachineArn"])
    where = ("--endpoint-url", emulator.url)

    started = smdeploy("start", V1, *machine, *where, "--json")
    assert started.returncode == 0, started.stderr
    assert_is(documents.START, printed(started))
    assert printed(started)["Execution"] is None
    followed = smdeploy("start", V1, *machine, *where, "--wait", "--poll-seconds", "0.2", "--json")
    assert followed.returncode == 0, followed.stderr
    found = printed(followed)
    assert_is(documents.START, found)
    assert (found["Started"], found["Execution"]["Status"]) == (False, "SUCCEEDED")
    status = smdeploy("status", found["ExecutionArn"], *where, "--json")
    assert status.returncode == 0, status.stderr
    assert_is(documents.STATUS, printed(status))
    assert printed(status) == found["Execution"]

    package = register_package(emulator, "Approved")
    watched = smdeploy(
        "watch", "--model-package-arn", package, *where, "--poll-seconds", "0.2", "--json"
    )
    assert watched.returncode == 0, watched.stderr
    found = printed(watched)
    assert_is(documents.WATCH, found)
    assert found["Execution"]["ModelPackageArn"] == package


def test_doctor(emulator: Running) -> None:
    checked = smdeploy("doctor", "--endpoint-url", emulator.url, "--json")
    assert checked.returncode == 0, checked.stderr
    found = printed(checked)
    assert_is(documents.DOCTOR, found)
    assert found["Healthy"] is True and found["Checks"]


def test_an_invalid_request_leaves_start_json_stdout_empty(emulator: Running) -> None:
    run = smdeploy(
        "start",
        str(EXAMPLES / "invalid-request.json"),
        *("--state-machine-arn", emulator.info["StateMachineArn"]),
        *("--endpoint-url", emulator.url, "--json"),
    )

    assert run.returncode == 1
    assert run.stdout == ""
    assert "ProductionVariant: unknown field" in run.stderr


def test_status_reports_retried_attempts_as_retries(make_account: Any, request_v1: Any) -> None:
    account = make_account(config_visibility_lag=2, throttle={"DescribeEndpoint": 1})
    outcome = account.deploy(request_v1)
    assert outcome.status == "SUCCEEDED", outcome.cause

    found = remote.report(account.stepfunctions, outcome.execution_arn)
    assert_is(documents.STATUS, found)
    retries = [(r["Stage"], r["Retry"], r["MaxAttempts"], r["Error"]) for r in found["Retries"]]
    assert retries == [
        ("Deploy", 1, None, "SageMakerThrottled"),  # retried until the deadline
        ("Deploy", 1, 8, "EndpointConfigNotVisible"),
        ("Deploy", 2, 8, "EndpointConfigNotVisible"),
    ]
    shown = io.StringIO()
    reports.status(present.Screen(shown), found)
    lines = shown.getvalue().splitlines()
    assert any(
        line.startswith("retries ")
        and line.endswith(
            "Deploy: retry 1 (until the deadline) after SageMakerThrottled: "
            "DescribeEndpoint: SageMaker throttled the call (ThrottlingException: "
            "Rate exceeded)"
        )
        for line in lines
    ), lines
    assert any("Deploy: retry 2 of 8 after EndpointConfigNotVisible: " in line for line in lines)
