"""The command line, run as a new user runs it: a separate process, real files, exit codes.

Each test checks the contract of ``smdeploy local`` / ``validate`` / ``demo``
(docs/reference/outputs.md): stdout holds only results, progress goes to stderr, exit 0/1/2.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
from e2e_helpers import EXAMPLES

from smdeploy.cli.app import app
from tests.support import processes
from tests.support.processes import smdeploy

pytestmark = pytest.mark.e2e

V1 = str(EXAMPLES / "request.json")
V2 = str(EXAMPLES / "request-v2.json")


def results(run: subprocess.CompletedProcess[str]) -> list[dict]:
    """stdout must be exactly one JSON array: nothing else may be printed there."""
    parsed = json.loads(run.stdout)
    assert isinstance(parsed, list)
    return parsed


def test_local_json_reports_a_successful_create_with_stats():
    run = smdeploy("local", V1, "--json", "--creation-seconds", "600")

    assert run.returncode == 0, run.stderr
    [result] = results(run)
    assert result["Request"] == V1
    assert result["Status"] == "SUCCEEDED"
    assert result["EndpointName"] == "churn-predictor"
    assert result["EndpointStatus"] == "InService"
    assert result["EndpointArn"].endswith(":endpoint/churn-predictor")
    assert result["EndpointConfigArn"].endswith(f"endpoint-config/{result['EndpointConfigName']}")
    assert result["Error"] is None
    assert result["Cause"] is None
    stats = result["Stats"]
    assert set(stats) == {
        "DescribeCalls",
        "StateTransitions",
        "LambdaInvocations",
        "SimulatedSeconds",
        "DetectionLagSeconds",
        "WallSeconds",
    }
    assert stats["SimulatedSeconds"] == 600
    # one to plan, one when the deployment parks, one when SageMaker's IN_SERVICE event wakes it
    assert stats["DescribeCalls"] == 3
    assert stats["DetectionLagSeconds"] == 0
    # human progress went to stderr
    assert "Deploy" in run.stderr
    assert "InService" in run.stderr


@pytest.mark.parametrize("lose", [[], ["--drop-endpoint-events"]], ids=["events", "events-lost"])
def test_a_half_hour_creation_is_known_at_once_with_three_describes(lose):
    run = smdeploy("local", V1, "--json", "--creation-seconds", "1799", *lose)

    assert run.returncode == 0, run.stderr
    [result] = results(run)
    assert result["Status"] == "SUCCEEDED"
    stats = result["Stats"]
    assert stats["DescribeCalls"] <= 3
    assert stats["DetectionLagSeconds"] <= 1
    if lose:  # the minute's sweep woke it, before the park's timeout
        assert "no event came in time" not in run.stderr
        assert "settled" in run.stderr


def test_local_retries_a_config_that_is_not_visible_yet():
    run = smdeploy("local", V1, "--json", "--config-visibility-lag", "3", "--seed", "5")

    assert run.returncode == 0, run.stderr
    [result] = results(run)
    assert result["Status"] == "SUCCEEDED"
    # each retried attempt reads as a retry, of the retries the state machine allows
    assert run.stderr.count("EndpointConfigNotVisible") == 3
    for n in (1, 2, 3):
        assert f"retry {n} of 8 after EndpointConfigNotVisible: " in run.stderr


def test_local_failed_endpoint_exits_1_with_the_reason():
    run = smdeploy("local", V1, "--json", "--fail-endpoint", "insufficient capacity")

    assert run.returncode == 1
    [result] = results(run)
    assert result["Status"] == "FAILED"
    assert result["Error"] == "EndpointFailed"
    assert "insufficient capacity" in result["Cause"]
    assert result["EndpointStatus"] == "Failed"


def test_local_two_requests_update_then_a_rollback_fails_the_second():
    run = smdeploy("local", V1, V2, "--json")
    assert run.returncode == 0, run.stderr
    first, second = results(run)
    assert (first["Status"], second["Status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert second["EndpointConfigName"] != first["EndpointConfigName"]
    assert "UpdateEndpoint" in run.stderr

    rolled = smdeploy("local", V1, V2, "--json", "--rollback-update", "alarm tripped")
    assert rolled.returncode == 1
    first, second = results(rolled)
    assert first["Status"] == "SUCCEEDED"
    assert second["Status"] == "FAILED"
    assert second["Error"] == "EndpointUpdateRolledBack"
    assert "alarm tripped" in second["Cause"]


def test_local_invalid_request_names_the_fields(tmp_path):
    run = smdeploy("local", str(EXAMPLES / "invalid-request.json"))

    assert run.returncode == 1
    assert "RequestInvalid" in run.stdout  # the summary table
    assert "ProductionVariant: unknown field; did you mean ProductionVariants?" in run.stderr
    assert "EndpointName: must match the pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" in run.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["local", V1, "--no-such-option"], id="unknown-option"),
        pytest.param(["local", "does-not-exist.json"], id="missing-file"),
        pytest.param(["local"], id="no-request"),
        pytest.param(["local", V1, "--creation-seconds", "soon"], id="bad-number"),
        pytest.param(["local", V1, "--drop-share", "1.5"], id="drop-share-above-1"),
        pytest.param(["local", V1, "--event-delay", "-1"], id="negative-event-delay"),
        pytest.param(["validate", V1, "--no-such-option"], id="validate-unknown-option"),
        pytest.param(["validate", "does-not-exist.json"], id="validate-missing-file"),
        pytest.param(["validate"], id="validate-no-request"),
        pytest.param(["validate", str(EXAMPLES)], id="validate-a-directory"),
        pytest.param(["validate", V1, V2], id="validate-two-requests"),
    ],
)
def test_misuse_exits_2_and_deploys_nothing(args):
    run = smdeploy(*args)

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip() != ""


def test_unreadable_file_is_named(tmp_path):
    run = smdeploy("local", str(tmp_path / "missing.json"))

    assert run.returncode == 2
    assert "missing.json" in run.stderr


def test_demo_creates_then_updates_and_verifies_both():
    run = smdeploy("demo")

    assert run.returncode == 0, run.stderr
    # through the front door: each approval's event started the execution that deployed it
    assert run.stderr.count("Model Registry: approving version") == 2
    # then the production-like group's two approvals, the second on a bigger instance type
    assert run.stderr.count("rule smdeploy-approvals: started execution") == 4
    assert "verification failed" not in run.stderr
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-predictor/1"
    assert f"approval of {package}: valid" in run.stderr
    assert "CreateEndpoint" in run.stderr
    assert "UpdateEndpoint" in run.stderr
    assert run.stdout.count("SUCCEEDED") == 4
    # the guardrails, read back from the account after each of the guarded approvals
    verified = [line for line in run.stderr.splitlines() if "verified:" in line]
    # the profile's endpoint, smdeploy-fraud-scorer; its alarms are smdeploy-<endpoint>-...
    target = "scalable target endpoint/smdeploy-fraud-scorer/variant/primary"
    assert sum(target in v for v in verified) == 2
    assert sum("rollback alarm smdeploy-smdeploy-fraud-scorer-primary-" in v for v in verified) == 6
    assert sum("smoke test" in v for v in verified) == 2
    assert "deregistered before the update: primary" in run.stderr


# --- smdeploy validate -----------------------------------------------------------------------

INVALID = str(EXAMPLES / "invalid-request.json")


def test_validate_a_valid_request_prints_its_variants_and_traffic_shares():
    run = smdeploy("validate", V1)

    assert run.returncode == 0, run.stderr
    assert "valid" in run.stdout
    assert "churn-predictor-" in run.stdout  # the derived config name
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert lines["primary"].endswith("66.7%")
    assert lines["challenger"].endswith("33.3%")
    assert "2 x ml.m5.large" in lines["primary"]


def test_validate_shows_each_instance_pool_in_the_order_sagemaker_tries_them():
    pools = Path(__file__).parents[1] / "fixtures" / "requests" / "valid" / "instance-pools.json"

    run = smdeploy("validate", str(pools))

    assert run.returncode == 0, run.stderr
    [row] = [line for line in run.stdout.splitlines() if line.startswith("AllTraffic")]
    # priority 1 first, whatever the order in the request; the override named
    assert (
        "2 x ml.g6.2xlarge (priority 1), then ml.g6e.2xlarge (priority 2, "
        "model churn-xgboost-v1-g6e)"
    ) in row
    assert "None" not in row


def test_validate_json_of_a_valid_request_is_exactly_the_documented_object():
    run = smdeploy("validate", V1, "--json")

    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report == {
        "Valid": True,
        "Errors": [],
        "Traffic": {"primary": pytest.approx(2 / 3), "challenger": pytest.approx(1 / 3)},
    }


def test_validate_an_invalid_request_prints_each_problem_on_its_own_line_path_first():
    run = smdeploy("validate", INVALID)

    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [
        "ProductionVariant",
        "EndpointName",
        "ProductionVariants",
        "Models[0]",
    ]
    assert lines[0] == "ProductionVariant: unknown field; did you mean ProductionVariants?"
    assert "4 problems" in run.stderr


def test_validate_json_of_an_invalid_request_lists_path_and_message():
    run = smdeploy("validate", INVALID, "--json")

    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert set(report) == {"Valid", "Errors", "Traffic"}
    assert report["Valid"] is False
    assert all(set(error) == {"Path", "Message"} for error in report["Errors"])
    assert [e["Path"] for e in report["Errors"]] == [
        "ProductionVariant",
        "EndpointName",
        "ProductionVariants",
        "Models[0]",
    ]
    assert report["Errors"][1]["Message"].endswith('got "churn_predictor"')
    assert report["Traffic"] == {}


@pytest.mark.parametrize(
    ("content", "first_line"),
    [
        pytest.param(b"deploy churn-predictor please", "(request): is not valid JSON", id="text"),
        pytest.param(b"\xff\xfe{", "(request): is UTF-16 text", id="utf-16"),
        pytest.param(b'{"a": "\xff"}', "(request): is not UTF-8 text: byte 0xff", id="not-utf8"),
        pytest.param(b'["churn-predictor"]', "(request): must be a JSON object", id="a-list"),
    ],
)
def test_validate_a_file_that_is_no_request_is_invalid_not_a_crash(tmp_path, content, first_line):
    request = tmp_path / "request.json"
    request.write_bytes(content)

    run = smdeploy("validate", str(request))

    assert run.returncode == 1
    assert run.stdout.startswith(first_line)
    assert "Traceback" not in run.stderr


def test_local_in_80_columns_shows_every_name_status_and_config_whole():
    run = smdeploy("local", V1, V2, "--rollback-update", "alarm tripped", columns="80")

    assert run.returncode == 1, run.stderr
    assert "…" not in run.stdout
    records = run.stdout.split(f"{V2}\n")
    first, second = (
        dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in block.splitlines()[-8:])
        for block in (records[0].split(f"{V1}\n")[1], records[1])
    )
    assert first["status"] == "SUCCEEDED"
    assert first["endpoint"] == "churn-predictor"
    assert first["serving"] == "2 x ml.m5.large (primary), 1 x ml.m5.large (challenger)"
    # the rolled-back update: the endpoint still serves the first config, and says so
    assert second["status"] == "FAILED"
    assert second["error"] == "EndpointUpdateRolledBack"
    assert second["config"] == first["config"]
    assert all(line == line.rstrip() for line in run.stdout.splitlines())
    assert all(len(line) <= 80 for line in run.stdout.splitlines() if V1 not in line)


def test_help_shows_whole_option_names_and_no_type_labels():
    run = smdeploy("emulator", "--help", columns="80", timeout=60)
    local = smdeploy("local", "--help", columns="80", timeout=60)

    assert run.returncode == 0
    assert "--config-visibility-lag N" in run.stdout
    assert "<bool>" not in run.stdout + local.stdout
    assert "…" not in run.stdout
    assert local.stdout.splitlines()[0] == "Usage: smdeploy local [OPTIONS] REQUEST.json..."


EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:deployer:first-try"
STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:deployer"
PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-predictor/1"
# every command that takes --endpoint-url, with what it needs besides
ENDPOINT_URL_COMMANDS = {
    "start": [V1, "--state-machine-arn", STATE_MACHINE_ARN],
    "status": [EXECUTION_ARN],
    "plan": [V1],
    "watch": ["--model-package-arn", PACKAGE_ARN],
    "doctor": ["--state-machine-arn", STATE_MACHINE_ARN],
}


def test_the_endpoint_url_cases_cover_every_command_that_takes_it() -> None:
    group: Any = typer.main.get_command(app)
    context = group.make_context("smdeploy", [], resilient_parsing=True)
    taking = {
        name
        for name in group.list_commands(context)
        if any("--endpoint-url" in param.opts for param in group.get_command(context, name).params)
    }
    assert taking == set(ENDPOINT_URL_COMMANDS)


@pytest.mark.parametrize("command", sorted(ENDPOINT_URL_COMMANDS))
@pytest.mark.parametrize(
    ("url", "rule"),
    [
        pytest.param(
            "127.0.0.1:4566", "must be an http:// or https:// URL with a host", id="no-scheme"
        ),
        pytest.param(
            "localhost:4566", "must be an http:// or https:// URL with a host", id="host-as-scheme"
        ),
        pytest.param(
            "ftp://127.0.0.1:4566", "must be an http:// or https:// URL with a host", id="ftp"
        ),
        pytest.param(
            "http://:4566", "must be an http:// or https:// URL with a host", id="no-host"
        ),
        pytest.param("", "must be an http:// or https:// URL with a host", id="empty"),
        pytest.param(
            "http://local_host:4566", "must name a valid host name or IP address", id="bad-host"
        ),
        pytest.param(
            "http://127.0.0.1:port",
            "must have a whole-number port from 0 to 65535 when it has one",
            id="bad-port",
        ),
    ],
)
def test_a_malformed_endpoint_url_is_misuse_in_one_line(command: str, url: str, rule: str) -> None:
    run = smdeploy(command, *ENDPOINT_URL_COMMANDS[command], "--endpoint-url", url)

    assert run.returncode == 2
    assert run.stderr == f"error: --endpoint-url: {rule}, got {url!r}\n"
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_region_and_profile_are_on_every_command_that_calls_aws() -> None:
    group: Any = typer.main.get_command(app)
    context = group.make_context("smdeploy", [], resilient_parsing=True)
    for option in ("--region", "--profile"):
        taking = {
            name
            for name in group.list_commands(context)
            if any(option in param.opts for param in group.get_command(context, name).params)
        }
        assert taking == set(ENDPOINT_URL_COMMANDS), option


UNKNOWN_PROFILE = f"error: no AWS profile named 'nope' in {os.devnull} or {os.devnull}\n"


@pytest.mark.parametrize("command", sorted(ENDPOINT_URL_COMMANDS))
def test_an_unknown_profile_is_misuse_in_one_line_naming_it(command: str) -> None:
    given = smdeploy(command, *ENDPOINT_URL_COMMANDS[command], "--profile", "nope")
    variable = processes.run(
        [processes.smdeploy_command(), command, *ENDPOINT_URL_COMMANDS[command]],
        env=processes.environment(**processes.CREDENTIALS, AWS_PROFILE="nope"),
    )

    for run in (given, variable):
        assert run.returncode == 2
        assert run.stderr == UNKNOWN_PROFILE
        assert run.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["validate", V1], id="validate"),
        pytest.param(["local", V1, "--json"], id="local"),
    ],
)
def test_the_offline_commands_ignore_an_unknown_aws_profile(args: list[str]) -> None:
    run = processes.run(
        [processes.smdeploy_command(), *args],
        env=processes.environment(AWS_PROFILE="nope"),
    )

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_a_region_that_contradicts_the_package_arn_is_misuse() -> None:
    run = smdeploy("watch", *ENDPOINT_URL_COMMANDS["watch"], "--region", "eu-west-1")

    assert run.returncode == 2
    assert run.stderr == (
        f"error: --region eu-west-1 contradicts the Region of {PACKAGE_ARN} (us-east-1): give "
        "the ARN's Region, or no --region\n"
    )


def test_a_bad_number_is_echoed():
    run = smdeploy("local", V1, "--seed", "abc")

    assert run.returncode == 2
    assert "'abc' is not a whole number" in run.stderr
