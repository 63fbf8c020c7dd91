"""``smdeploy doctor`` against the emulator: a healthy install passes every check; each thing
broken in the emulated account fails its own check, with its fix, and the command exits 1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import disable_sweep

from smdeploy.exitcodes import ExitCode
from smdeploy.runtime.install import PASS_ROLE_POLICY
from tests.support import processes
from tests.support.processes import Running

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Running]:
    with processes.emulator(tmp_path, "--profiles", "examples/profiles.json") as running:
        yield running


def doctor(running: Running, *args: str, expect: int) -> dict[str, Any]:
    done = processes.smdeploy(
        "doctor", "--endpoint-url", running.url, "--json", *args, expect=expect
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def failing(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["Name"]: check for check in report["Checks"] if not check["Ok"]}


def test_a_healthy_install_passes_every_check(emulator: Running) -> None:
    report = doctor(emulator, expect=ExitCode.OK)
    assert report["Healthy"] is True
    assert report["StateMachineArn"] == emulator.info["StateMachineArn"]
    names = [check["Name"] for check in report["Checks"]]
    assert failing(report) == {}
    for expected in (
        "state machine",
        "function smdeploy-configure",
        "role smdeploy-deployer",
        "SageMaker execution role",
        "SageMaker role can be passed",
        "rule: approvals",
        "rule: rejections",
        "rule: manifests",
        "rule: endpoint events",
        "model package group churn-predictor",
        "model package group fraud-scorer",
        "lease table",
        "notification topic",
    ):
        assert expected in names
    # the human checklist: a line per check, and the count on stderr
    done = processes.smdeploy(
        "doctor",
        "--endpoint-url",
        emulator.url,
        "--state-machine-arn",
        emulator.info["StateMachineArn"],
        expect=ExitCode.OK,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == len(names) and all(line.startswith("✓ ") for line in lines)
    assert f"{len(names)} of {len(names)} checks pass" in done.stderr


def _disable_approvals(running: Running) -> None:
    running.client("events").disable_rule(Name="smdeploy-approvals")


def _profile_without_group(running: Running) -> None:
    """A profile whose group was never created (the emulator has no DeleteModelPackageGroup):
    its group added to the approvals rule's pattern, as a deploy with that profile adds it."""
    events = running.client("events")
    rule = events.describe_rule(Name="smdeploy-approvals")
    pattern = json.loads(rule["EventPattern"])
    pattern["detail"]["ModelPackageGroupName"].append("ghost-models")
    events.put_rule(
        Name="smdeploy-approvals", EventPattern=json.dumps(pattern), State=rule["State"]
    )


def _delete_table(running: Running) -> None:
    running.client("dynamodb").delete_table(TableName=running.info["TableName"])


def _detach_pass_role(running: Running) -> None:
    iam = running.client("iam")
    arn = f"arn:aws:iam::{running.info['Account']}:policy/{PASS_ROLE_POLICY}"
    iam.detach_role_policy(RoleName="smdeploy-deployer", PolicyArn=arn)


def _delete_topic(running: Running) -> None:
    running.client("sns").delete_topic(TopicArn=running.info["TopicArn"])


def _disable_sweep(running: Running) -> None:
    disable_sweep(running.client("scheduler"))


BROKEN: list[tuple[str, Callable[[Running], None], str, str]] = [
    # (what, how it is broken, the check that fails, what its fix says)
    (
        "a disabled rule",
        _disable_approvals,
        "rule: approvals",
        "aws events enable-rule --name smdeploy-approvals",
    ),
    (
        "a missing group",
        _profile_without_group,
        "model package group ghost-models",
        "aws sagemaker create-model-package-group --model-package-group-name ghost-models",
    ),
    ("a deleted table", _delete_table, "lease table", "restore-table-to-point-in-time"),
    (
        "a detached policy",
        _detach_pass_role,
        "SageMaker role can be passed",
        "iam:PassRole on arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution with "
        "iam:PassedToService = sagemaker.amazonaws.com",
    ),
    ("a deleted topic", _delete_topic, "notification topic", "npx cdk deploy"),
    ("a disabled sweep", _disable_sweep, "sweep schedule", "--state ENABLED"),
]


@pytest.mark.parametrize(("what", "breaks", "check", "fix"), BROKEN, ids=[b[0] for b in BROKEN])
def test_what_is_broken_fails_its_check_with_its_fix(
    emulator: Running, what: str, breaks: Callable[[Running], None], check: str, fix: str
) -> None:
    breaks(emulator)
    report = doctor(emulator, expect=ExitCode.FAILED)
    assert report["Healthy"] is False
    found = failing(report)
    assert list(found) == [check], what
    assert fix in found[check]["Fix"]
    # the human checklist names it with its fix, under it
    done = processes.smdeploy("doctor", "--endpoint-url", emulator.url, expect=ExitCode.FAILED)
    lines = done.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"✗ {check}:"))
    assert lines[at + 1].startswith("  fix: ") and fix in lines[at + 1]
    assert "1 fails" in done.stderr


def test_a_state_machine_that_is_not_there_is_a_failing_check(emulator: Running) -> None:
    missing = emulator.info["StateMachineArn"] + "-gone"
    report = doctor(emulator, "--state-machine-arn", missing, expect=ExitCode.FAILED)
    assert [c["Name"] for c in report["Checks"]] == ["state machine"]
    assert "StateMachineArn output" in report["Checks"][0]["Fix"]


def test_a_region_that_contradicts_the_arn_is_misuse(emulator: Running) -> None:
    done = processes.smdeploy(
        "doctor",
        "--endpoint-url",
        emulator.url,
        "--state-machine-arn",
        emulator.info["StateMachineArn"],
        "--region",
        "eu-west-1",
        expect=ExitCode.MISUSE,
    )
    assert "contradicts" in done.stderr
