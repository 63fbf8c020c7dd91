"""``smdeploy emulator`` as a user runs it: a separate process on 127.0.0.1, and clients in
other processes (the AWS CLI, ``smdeploy start`` and ``status``) pointed at it.

The AWS CLI walkthroughs are the documentation's own code blocks (marked ``<!-- walkthrough:
NAME -->`` in docs/), run with bash exactly as written; only the port differs (each test
starts its own emulator on a free port, and stops it).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import EXAMPLES, register_package

from smdeploy import documents
from tests.support import processes
from tests.support.processes import (
    ROOT,
    STARTUP_BOUND,
    Running,
    environment,
    launch,
    smdeploy,
    stop,
)

pytestmark = [pytest.mark.e2e, pytest.mark.long]

README_URL = "http://127.0.0.1:4566"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Running]:
    """A fresh emulator for one test."""
    with processes.emulator(tmp_path, "--profiles", "examples/profiles.json") as running:
        yield running


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One emulator for the tests that change nothing in it."""
    directory = tmp_path_factory.mktemp("shared")
    with processes.emulator(directory, "--profiles", "examples/profiles.json") as running:
        yield running


def walkthrough(name: str) -> str:
    """The code block of README.md or docs/ marked ``<!-- walkthrough: name -->``."""
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        found = re.search(
            rf"<!-- walkthrough: {name} -->\n(?:<!-- .* -->\n)*```sh\n(.*?)```",
            page.read_text(),
            re.DOTALL,
        )
        if found:
            return found.group(1)
    raise AssertionError(f"no page has the walkthrough {name!r}")


def run_shell(running: Running, *blocks: str) -> subprocess.CompletedProcess[str]:
    """The blocks, in one bash, as the page shows them (only the port is this test's)."""
    script = "set -euo pipefail\n" + "\n".join(blocks).replace(README_URL, running.url)
    return processes.run(["bash", "-c", script], env=environment())


def until(predicate: Any, what: str) -> Any:
    """Poll ``predicate`` (a bounded number of times) until it returns something truthy."""
    for _ in range(600):
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def executions(running: Running) -> list[dict[str, Any]]:
    sfn = running.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=running.info["StateMachineArn"])
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed["executions"]]


def finished(running: Running) -> list[dict[str, Any]] | None:
    """Every execution, once none is running."""
    found = executions(running)
    return found if all(e["status"] != "RUNNING" for e in found) else None


def start(
    running: Running, request: str = "examples/request.json", *, wait: bool = True
) -> subprocess.CompletedProcess[str]:
    """``smdeploy start REQUEST`` against ``running``'s state machine, waiting for its end
    (polling every 0.2 s) unless ``wait`` is False."""
    waiting = ("--wait", "--poll-seconds", "0.2") if wait else ()
    return smdeploy(
        "start",
        request,
        "--state-machine-arn",
        running.info["StateMachineArn"],
        "--endpoint-url",
        running.url,
        *waiting,
    )


def test_the_emulator_says_what_a_client_needs(shared_emulator):
    emulator = shared_emulator
    info = emulator.info

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
    assert info["Region"] == "us-east-1"
    assert info["StateMachineArn"] == (
        "arn:aws:states:us-east-1:123456789012:stateMachine:smdeploy-deployer"
    )
    assert (info["Bucket"], info["ManifestPrefix"]) == (
        "smdeploy-123456789012-us-east-1",
        "manifests/",
    )
    assert info["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:smdeploy-outcomes"
    assert info["ModelPackageGroups"] == ["churn-predictor", "fraud-scorer"]
    # what it says exists, in the account it serves
    groups = emulator.client("sagemaker").list_model_package_groups()
    assert sorted(g["ModelPackageGroupName"] for g in groups["ModelPackageGroupSummaryList"]) == [
        "churn-predictor",
        "fraud-scorer",
    ]
    rules = emulator.client("events").list_rules()["Rules"]
    assert sorted(r["Name"] for r in rules) == [
        "smdeploy-approvals",
        "smdeploy-endpoint-events",  # SageMaker's endpoint events wake parked deployments
        "smdeploy-manifests",
        "smdeploy-rejections",
    ]


def test_the_aws_cli_approval_deploys_the_endpoint(emulator):
    run = run_shell(
        emulator, walkthrough("setup"), walkthrough("register"), walkthrough("approval")
    )

    assert run.returncode == 0, run.stderr
    status, config_name = run.stdout.strip().splitlines()[-1].split()
    assert status == "InService"
    sm = emulator.client("sagemaker")
    endpoint = sm.describe_endpoint(EndpointName="smdeploy-churn-predictor")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == (status, config_name)
    [execution] = until(lambda: finished(emulator), "the approval's execution ends")
    assert execution["status"] == "SUCCEEDED"
    trigger = json.loads(execution["output"])["Trigger"]
    assert trigger["Source"] == "approval"
    assert trigger["ModelPackageArn"].endswith("model-package/churn-predictor/1")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2  # the profile's
    assert "rule smdeploy-approvals: started execution" in emulator.log.read_text()


def test_a_malformed_manifest_copied_with_the_aws_cli_fails_and_creates_nothing(emulator):
    run = run_shell(emulator, walkthrough("setup"), walkthrough("manifest"))

    assert run.returncode == 0, run.stderr
    [execution] = until(lambda: finished(emulator), "the manifest's execution ends")
    assert execution["status"] == "FAILED"
    assert execution["error"] == "RequestInvalid"
    assert (
        "ProductionVariant: unknown field; did you mean ProductionVariants?" in (execution["cause"])
    )
    sm = emulator.client("sagemaker")
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert sm.list_endpoints()["Endpoints"] == []
    # the page's `smdeploy status` line reported it (once the execution had ended)
    report = smdeploy("status", execution["executionArn"], "--endpoint-url", emulator.url)
    assert report.returncode == 0, report.stderr
    assert "FAILED" in report.stdout
    assert "RequestInvalid" in report.stdout


def test_the_documented_direct_executions_deploy(emulator):
    run = run_shell(emulator, walkthrough("setup"), walkthrough("direct"))

    assert run.returncode == 0, run.stderr
    statuses = until(lambda: finished(emulator), "both executions end")
    assert sorted(e["status"] for e in statuses) == ["SUCCEEDED", "SUCCEEDED"], [
        (e.get("error"), e.get("cause")) for e in statuses
    ]
    assert "SUCCEEDED" in run.stderr  # smdeploy start --wait followed its execution


def test_start_wait_then_status(emulator):
    started = start(emulator)

    assert started.returncode == 0, started.stderr
    arn = started.stdout.strip()
    assert re.fullmatch(
        r"arn:aws:states:us-east-1:123456789012:execution:smdeploy-deployer:"
        r"churn-predictor-[0-9a-f]{24}",
        arn,
    )
    for stage in ("Validate", "Configure", "Deploy", "InService", "SUCCEEDED"):
        assert stage in started.stderr
    reported = smdeploy("status", arn, "--endpoint-url", emulator.url, "--json")
    assert reported.returncode == 0, reported.stderr
    status = json.loads(reported.stdout)
    assert status["ExecutionArn"] == arn
    assert status["Status"] == "SUCCEEDED"
    assert status["EndpointName"] == "churn-predictor"
    assert status["EndpointStatus"] == "InService"
    assert status["Trigger"] == {"Source": "direct"}
    assert status["Error"] is None and status["StopDate"] is not None
    endpoint = emulator.client("sagemaker").describe_endpoint(EndpointName="churn-predictor")
    assert endpoint["EndpointConfigName"] == status["EndpointConfigName"]


def test_a_double_submit_follows_the_first_execution(emulator):
    first = start(emulator, wait=False)
    second = start(emulator)

    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert first.stdout == second.stdout
    assert "submitted before" in second.stderr
    # without --wait, start says how to follow it: that command, as printed, reports it
    hint = re.search(r"How it goes: (smdeploy status .*?) \(or this command", first.stderr)
    assert hint is not None, first.stderr
    followed = processes.run(["bash", "-c", hint.group(1)], expect=0)
    assert first.stdout.strip() in followed.stdout
    assert len(executions(emulator)) == 1
    calls = [e["EndpointName"] for e in emulator.client("sagemaker").list_endpoints()["Endpoints"]]
    assert calls == ["churn-predictor"]


def test_start_wait_exits_1_with_the_cause(tmp_path: Path) -> None:
    fails = ("--fail-endpoint", "insufficient capacity")
    with processes.emulator(tmp_path, "--profiles", "examples/profiles.json", *fails) as running:
        run = start(running)

    assert run.returncode == 1
    assert "FAILED" in run.stderr
    assert "EndpointFailed" in run.stderr
    assert "insufficient capacity" in run.stderr


def test_start_prints_an_invalid_requests_problems_as_validate_and_starts_nothing(
    shared_emulator: Running,
) -> None:
    before = executions(shared_emulator)

    run = start(shared_emulator, "examples/invalid-request.json")

    validated = smdeploy("validate", "examples/invalid-request.json")
    assert (run.returncode, validated.returncode) == (1, 1)
    assert (run.stdout, run.stderr) == (validated.stdout, validated.stderr)
    assert "ProductionVariant: unknown field; did you mean ProductionVariants?" in run.stdout
    assert len(run.stdout.splitlines()) == 4  # every problem, one a line
    assert executions(shared_emulator) == before


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["start", "examples/request.json", "--state-machine-arn", "nope"], id="arn"),
        pytest.param(["status", "arn:nope"], id="bad-execution-arn"),
        pytest.param(
            [
                "status",
                "arn:aws:states:us-east-1:123456789012:execution:smdeploy-deployer:missing",
            ],
            id="no-such-execution",
        ),
    ],
)
def test_start_and_status_misuse_exits_2(shared_emulator, args):
    run = smdeploy(*args, "--endpoint-url", shared_emulator.url)

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip() != ""


def test_start_refuses_a_file_that_is_not_json_before_calling_aws(
    shared_emulator: Running,
) -> None:
    before = executions(shared_emulator)

    run = start(shared_emulator, "README.md", wait=False)

    validated = smdeploy("validate", "README.md")
    assert run.returncode == 1
    assert (run.stdout, run.stderr) == (validated.stdout, validated.stderr)
    assert run.stdout.startswith("(request): is not valid JSON")
    assert executions(shared_emulator) == before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_emulator_stops_cleanly(tmp_path, signum):
    # the installed console script itself, signalled as a user's terminal or service manager
    # would (the other tests run it through the fork server, which passes signals on)
    running = launch(tmp_path, cold=True)

    code = stop(running, signum)

    assert code == 0, running.log.read_text()
    assert "stopping" in running.log.read_text()


def test_a_busy_port_is_misuse(tmp_path):
    running = launch(tmp_path)
    try:
        port = running.url.rsplit(":", 1)[1]
        second = processes.run(
            [processes.smdeploy_command(), "emulator", "--port", port],
            env=environment(),
            timeout=STARTUP_BOUND,
        )
    finally:
        stop(running)

    assert second.returncode == 2
    assert "in use" in second.stderr


def free_port() -> int:
    """A port nothing listens on: the system picks it for a probe, closed at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_emulator_restarts_at_once_on_the_port_it_just_left(tmp_path: Path) -> None:
    port = free_port()
    first = launch(tmp_path, port=port)
    try:
        client = first.client("sts")
        for _ in range(3):
            client.get_caller_identity()
        # a client connection still open as the emulator stops: the emulator's side closes
        # first, so it stays in TIME_WAIT on the port once the client has closed too
        idle = socket.create_connection(("127.0.0.1", port), timeout=STARTUP_BOUND)
    finally:
        stop(first)
    with idle:
        assert idle.recv(1) == b""  # the emulator closed its side

    second = launch(tmp_path, port=port)
    try:
        identity = second.client("sts").get_caller_identity()
    finally:
        stop(second)

    assert second.url == first.url == f"http://127.0.0.1:{port}"
    assert identity["Account"]


def test_invalid_profiles_are_refused_before_serving(tmp_path):
    bad = tmp_path / "profiles.json"
    bad.write_text(json.dumps({"churn-predictor": {"EndpointName": "churn predictor!"}}))

    run = processes.run(
        [processes.smdeploy_command(), "emulator", "--port", "0", "--profiles", str(bad)],
        env=environment(),
        timeout=STARTUP_BOUND,
    )

    assert run.returncode == 2
    assert "churn-predictor.EndpointName" in run.stderr
    assert "churn-predictor.ProductionVariants" in run.stderr


def test_a_crash_on_every_attempt_fails_the_first_start_and_the_same_command_succeeds(tmp_path):
    # Deploy crashes after its first call on its first attempt and on each of the state
    # machine's 5 retries: the first execution fails; the fault is then spent
    running = launch(
        tmp_path,
        "--profiles",
        "examples/profiles.json",
        "--crash-after",
        "DescribeEndpointConfig",
        "--fault-times",
        "6",
    )
    try:
        first = start(running)
        sm = running.client("sagemaker")
        after_crash = (
            [m["ModelName"] for m in sm.list_models()["Models"]],
            sm.list_endpoint_configs()["EndpointConfigs"],
        )
        second = start(running)
        third = start(running)
        endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
    finally:
        stop(running)

    assert first.returncode == 1
    assert "Runtime.ExitError" in first.stderr
    # behind the server too, each Deploy died right after its first call: nothing deployed
    models, configs = after_crash
    assert (models, len(configs)) == (["churn-xgboost-v1"], 1)
    assert second.returncode == 0, second.stderr
    assert "ended FAILED: started attempt 2" in second.stderr
    assert second.stdout.strip() == first.stdout.strip() + "-2"
    assert third.returncode == 0, third.stderr
    assert "submitted before" in third.stderr
    assert third.stdout == second.stdout
    assert endpoint["EndpointStatus"] == "InService"


def test_the_emulator_installs_the_deployer_with_the_config_retention(tmp_path):
    running = launch(tmp_path, "--config-retention", "1", "--creation-seconds", "60")
    sfn = running.client("stepfunctions")
    requests = [
        json.loads((EXAMPLES / name).read_text()) for name in ("request.json", "request-v2.json")
    ]
    third = json.loads(json.dumps(requests[1]))
    third["ProductionVariants"][0]["InitialInstanceCount"] = 3
    try:
        for number, request in enumerate([*requests, third]):
            arn = sfn.start_execution(
                stateMachineArn=running.info["StateMachineArn"],
                name=f"retention-{number}",
                input=json.dumps(request),
            )["executionArn"]
            until(
                lambda arn=arn: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING",
                f"execution {number} ends",
            )
        statuses = [e["status"] for e in executions(running)]
        configs = running.client("sagemaker").list_endpoint_configs()["EndpointConfigs"]
        variables = running.client("lambda").get_function_configuration(
            FunctionName="smdeploy-describe"
        )["Environment"]["Variables"]
    finally:
        stop(running)

    assert statuses == ["SUCCEEDED"] * 3
    assert variables["SMDEPLOY_CONFIG_RETENTION"] == "1"
    assert len(configs) == 2  # the serving config and its rollback target


@pytest.mark.parametrize("seed", [1, 2])
def test_two_approvals_within_a_second_end_on_the_second_with_no_failure(tmp_path, seed):
    # each run with its own seeded invocation jitter: another interleaving, reproducible
    running = launch(
        tmp_path,
        *("--profiles", "examples/profiles.json", "--config-retention", "2"),
        *("--jitter", "0.02", "--seed", str(seed)),
    )
    try:
        sm = running.client("sagemaker")
        spec = json.loads((ROOT / "examples" / "inference-specification.json").read_text())
        arns = [
            sm.create_model_package(
                ModelPackageGroupName="churn-predictor",
                InferenceSpecification=spec,
                ModelApprovalStatus="PendingManualApproval",
            )["ModelPackageArn"]
            for _ in range(2)
        ]
        for arn in arns:
            sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

        ended = until(lambda: len(executions(running)) == 2 and finished(running), "both end")

        assert [e["status"] for e in ended] == ["SUCCEEDED", "SUCCEEDED"]
        actions = sorted(json.loads(e["output"])["Action"] for e in ended)
        assert actions in (["CREATE", "SUPERSEDED"], ["CREATE", "UPDATE"])
        endpoint = sm.describe_endpoint(EndpointName="smdeploy-churn-predictor")
        assert endpoint["EndpointStatus"] == "InService"
        config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        assert model["Containers"][0]["ModelPackageName"] == arns[1]
        assert len(sm.list_endpoint_configs()["EndpointConfigs"]) <= 2
    finally:
        stop(running)


# --- plan and watch: the front door for a pipeline ---------------------------------------------


def account_state(running: Running) -> dict[str, Any]:
    """Everything a deployment could create, change or delete in the emulated account."""
    sm = running.client("sagemaker")
    endpoints = sm.list_endpoints()["Endpoints"]
    return {
        "endpoints": sorted(
            (e["EndpointName"], e["EndpointStatus"], str(e["LastModifiedTime"])) for e in endpoints
        ),
        "serving": sorted(
            sm.describe_endpoint(EndpointName=e["EndpointName"])["EndpointConfigName"]
            for e in endpoints
        ),
        "configs": sorted(
            c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
        ),
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "executions": sorted(e["executionArn"] for e in executions(running)),
    }


PLAN_KEYS = {key.name for key in documents.PLAN.keys}  # the registry's (smdeploy/documents.py)


def test_plan_says_what_the_next_version_would_change_and_changes_nothing(emulator):
    started = start(emulator)
    assert started.returncode == 0, started.stderr
    before = account_state(emulator)

    update = smdeploy("plan", "examples/request-v2.json", "--endpoint-url", emulator.url)
    same = smdeploy("plan", "examples/request.json", "--endpoint-url", emulator.url)
    as_json = smdeploy("plan", "examples/request-v2.json", "--endpoint-url", emulator.url, "--json")
    detailed = [
        smdeploy("plan", request, "--endpoint-url", emulator.url, "--detailed-exitcode")
        for request in ("examples/request-v2.json", "examples/request.json")
    ]

    assert account_state(emulator) == before
    # changes are no failure; only --detailed-exitcode tells them (3) from none (0)
    assert update.returncode == 0, update.stderr
    assert [run.returncode for run in detailed] == [3, 0], [run.stderr for run in detailed]
    assert detailed[0].stdout == update.stdout
    assert "UPDATE: UpdateEndpoint: churn-predictor is InService" in update.stdout
    assert (
        'ProductionVariants[primary].ModelName: exists as "churn-xgboost-v1", request says '
        '"churn-xgboost-v2"' in update.stdout
    )
    assert "models to create: churn-xgboost-v2" in update.stdout
    assert same.returncode == 0, same.stderr
    assert "NONE: already deployed: churn-predictor serves" in same.stdout
    assert as_json.returncode == 0
    report = json.loads(as_json.stdout)
    assert set(report) == PLAN_KEYS
    assert (report["Action"], report["Changes"], report["EndpointConfigAction"]) == (
        "UPDATE",
        True,
        "create",
    )


def test_plan_an_approval_then_watch_the_deployment_it_starts(emulator):
    package = register_package(emulator)
    before = account_state(emulator)

    planned = smdeploy(
        "plan",
        "--approval",
        package,
        "--profiles",
        "examples/profiles.json",
        "--endpoint-url",
        emulator.url,
    )
    assert account_state(emulator) == before
    emulator.client("sagemaker").update_model_package(
        ModelPackageArn=package, ModelApprovalStatus="Approved"
    )
    watched = smdeploy(
        "watch",
        "--model-package-arn",
        package,
        "--endpoint-url",
        emulator.url,
        "--poll-seconds",
        "0.2",
    )

    assert planned.returncode == 0, planned.stderr
    assert f"approval of {package}" in planned.stdout
    assert "CREATE: CreateEndpoint: the endpoint does not exist yet" in planned.stdout
    assert "models to create: smdeploy-churn-predictor-v1-" in planned.stdout
    assert watched.returncode == 0, watched.stderr
    [execution] = executions(emulator)
    assert watched.stdout.strip() == execution["executionArn"]
    assert "SUCCEEDED: smdeploy-churn-predictor is InService" in watched.stderr
    endpoint = emulator.client("sagemaker").describe_endpoint(
        EndpointName="smdeploy-churn-predictor"
    )
    assert endpoint["EndpointStatus"] == "InService"


def watch(running: Running, package: str) -> subprocess.CompletedProcess[str]:
    return smdeploy(
        "watch",
        *("--model-package-arn", package, "--endpoint-url", running.url),
        *("--poll-seconds", "0.2"),
    )


def test_watch_and_status_name_a_superseded_deployment_and_exit_4(emulator):
    sm = emulator.client("sagemaker")
    v1, v2 = register_package(emulator), register_package(emulator)
    sm.update_model_package(ModelPackageArn=v1, ModelApprovalStatus="Approved")
    first = watch(emulator, v1)
    sm.update_model_package(ModelPackageArn=v2, ModelApprovalStatus="Approved")
    second = watch(emulator, v2)
    newer = second.stdout.strip()
    # v1's approval event delivered again, long after v2 was deployed (EventBridge may): its
    # execution finds the newer deployment there and is superseded by it
    account, region = v1.split(":")[4], v1.split(":")[3]
    event = {
        "version": "0",
        "id": "late-delivery",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": account,
        "time": "2026-01-01T00:00:00Z",
        "region": region,
        "resources": [v1],
        "detail": {
            "ModelPackageGroupName": "churn-predictor",
            "ModelPackageArn": v1,
            "ModelPackageVersion": 1,
            "ModelApprovalStatus": "Approved",
        },
    }
    emulator.client("stepfunctions").start_execution(
        stateMachineArn=emulator.info["StateMachineArn"],
        name="churn-predictor-v1-redelivered",
        input=json.dumps(event),
    )

    late = watch(emulator, v1)
    reported = smdeploy("status", late.stdout.strip(), "--endpoint-url", emulator.url)
    as_json = smdeploy("status", late.stdout.strip(), "--endpoint-url", emulator.url, "--json")

    # a normal success still exits 0
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert "SUCCEEDED: smdeploy-churn-predictor is InService" in second.stderr
    assert late.stdout.strip().endswith(":churn-predictor-v1-redelivered")
    assert late.returncode == 4, late.stderr
    newer_name = newer.rsplit(":", 1)[-1]
    final = late.stderr.strip().splitlines()[-1]
    assert final.startswith(f"SUPERSEDED: smdeploy-churn-predictor: superseded by {newer_name}"), (
        final
    )
    assert "SUCCEEDED" not in late.stderr and " is None on " not in late.stderr
    assert (reported.returncode, as_json.returncode) == (4, 4), reported.stderr
    assert f"SUPERSEDED by execution {newer_name}" in reported.stdout
    found = json.loads(as_json.stdout)
    assert (found["Status"], found["Action"]) == ("SUCCEEDED", "SUPERSEDED")
    assert found["SupersededBy"] == newer
    assert found["Message"].startswith(f"superseded by {newer_name}")
    # nothing changed: v2 still serves
    endpoint = sm.describe_endpoint(EndpointName="smdeploy-churn-predictor")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["Containers"][0]["ModelPackageName"] == v2


def test_watch_gives_up_when_no_execution_appears(emulator):
    package = register_package(emulator)  # never approved

    run = smdeploy(
        "watch",
        "--model-package-arn",
        package,
        "--endpoint-url",
        emulator.url,
        "--appear-seconds",
        "1",
        "--poll-seconds",
        "0.2",
    )

    assert run.returncode == 1
    assert f"no execution for the approval of {package} appeared within 1 s" in run.stderr
    assert "PendingManualApproval: waiting for its approval" in run.stderr


def test_status_in_80_columns_shows_every_value_whole(emulator):
    started = start(emulator)
    arn = started.stdout.strip()

    run = smdeploy("status", arn, "--endpoint-url", emulator.url, columns="80")

    assert run.returncode == 0, run.stderr
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in run.stdout.splitlines())
    assert fields["execution ARN"] == arn
    assert fields["execution"] == arn.rsplit(":", 1)[-1]
    assert fields["status"] == "SUCCEEDED"
    assert fields["endpoint"] == "churn-predictor is InService on churn-predictor-4783464c72"
    assert fields["serving"] == "2 x ml.m5.large (primary), 1 x ml.m5.large (challenger)"
    assert "simulated clock" in fields["note"]
    assert "…" not in run.stdout
    # and the emulator's own terminal said how the direct execution ended
    log = until(
        lambda: "SUCCEEDED" in emulator.log.read_text() and emulator.log.read_text(),
        "the emulator prints the outcome",
    )
    assert f"direct execution {arn.rsplit(':', 1)[-1]} started" in log


# --- the guardrails, as a new user meets them (docs/guides/guardrails.md's walkthrough) ---


def _guarded_run(running: Running) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    run = run_shell(running, walkthrough("setup"), walkthrough("guardrails"))
    assert run.returncode == 0, run.stderr
    done = until(lambda: finished(running), "the approvals' executions end")
    newest_first = sorted(done, key=lambda e: e["startDate"], reverse=True)
    endpoint = running.client("sagemaker").describe_endpoint(EndpointName="smdeploy-fraud-scorer")
    return newest_first, endpoint


def _serves_version(running: Running, endpoint: dict[str, Any], version: int) -> bool:
    sm = running.client("sagemaker")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    return bool(model["Containers"][0]["ModelPackageName"].endswith(f"fraud-scorer/{version}"))


def test_an_instance_type_change_of_an_autoscaled_variant_succeeds_against_the_emulator(
    emulator,
):
    (second, first), endpoint = _guarded_run(emulator)

    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED"), second.get("cause")
    assert endpoint["EndpointStatus"] == "InService"
    assert _serves_version(emulator, endpoint, 2)
    sm = emulator.client("sagemaker")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"
    scaling = emulator.client("application-autoscaling")
    [target] = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (
        "endpoint/smdeploy-fraud-scorer/variant/primary",
        2,
        6,
    )
    [policy] = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 200


def test_with_the_alarm_fault_the_approval_is_rolled_back_naming_the_alarm(tmp_path):
    running = launch(
        tmp_path, "--profiles", "examples/profiles.json", "--alarm-during-update", "first"
    )
    try:
        (second, first), endpoint = _guarded_run(running)
        serves_v1 = _serves_version(running, endpoint, 1)
    finally:
        stop(running)

    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert (second["status"], second.get("error")) == ("FAILED", "EndpointUpdateRolledBack")
    assert "smdeploy-smdeploy-fraud-scorer-primary-Invocation5XXErrors" in second["cause"]
    assert endpoint["EndpointStatus"] == "InService"
    assert serves_v1


def test_with_the_invoke_fault_the_approval_fails_its_smoke_test_and_v1_serves(tmp_path):
    running = launch(
        tmp_path, "--profiles", "examples/profiles.json", "--fail-invoke", "model not loaded"
    )
    try:
        run = run_shell(running, walkthrough("setup"), walkthrough("guardrails"))
        assert run.returncode == 0, run.stderr
        executions_now = until(lambda: finished(running), "the approvals' executions end")
        endpoint = running.client("sagemaker").describe_endpoint(
            EndpointName="smdeploy-fraud-scorer"
        )
        serves_v1 = _serves_version(running, endpoint, 1)
    finally:
        stop(running)
    second, first = sorted(executions_now, key=lambda e: e["startDate"], reverse=True)
    # every invocation fails: version 1's create fails its smoke test (nothing to put back:
    # the endpoint stays on version 1), version 2's update is put back on version 1
    assert (first["status"], first.get("error")) == ("FAILED", "SmokeTestFailed")
    assert (second["status"], second.get("error")) == ("FAILED", "SmokeTestFailed")
    assert "model not loaded" in second["cause"]
    assert "put back on" in second["cause"]
    assert "SmokeTestFailed" in run.stdout
    assert endpoint["EndpointStatus"] == "InService"
    assert serves_v1


def named_profile(directory: Path, region: str, name: str = "team") -> dict[str, str]:
    """The user's shell with an AWS config file whose profile ``name`` has ``region`` and
    test credentials (in the shared credentials file), and no other AWS configuration: no
    credential or Region variables (https://docs.aws.amazon.com/cli/latest/userguide/
    cli-configure-files.html)."""
    config, credentials = directory / "aws-config", directory / "aws-credentials"
    config.write_text(f"[profile {name}]\nregion = {region}\n")
    credentials.write_text(f"[{name}]\naws_access_key_id = test\naws_secret_access_key = test\n")
    return environment(
        AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials), COLUMNS="160"
    )


def test_a_named_profile_from_the_option_or_aws_profile_gives_credentials_and_region(
    emulator: Running, tmp_path: Path
) -> None:
    shell = named_profile(tmp_path, "us-east-1")
    command = processes.smdeploy_command()
    machine = emulator.info["StateMachineArn"]
    common = ("--endpoint-url", emulator.url)

    without = processes.run([command, "plan", "examples/request.json", *common], env=shell)
    started = processes.run(
        [
            command,
            "start",
            "examples/request.json",
            "--state-machine-arn",
            machine,
            "--wait",
            "--poll-seconds",
            "0.2",
            "--profile",
            "team",
            *common,
        ],
        env=shell,
    )
    arn = started.stdout.strip()
    reported = processes.run(
        [command, "status", arn, "--json", *common], env={**shell, "AWS_PROFILE": "team"}
    )

    assert without.returncode == 2
    assert without.stderr == "error: no AWS credentials found (any will do for smdeploy emulator)\n"
    assert started.returncode == 0, started.stderr
    assert "SUCCEEDED: churn-predictor is InService" in started.stderr
    assert reported.returncode == 0, reported.stderr
    assert json.loads(reported.stdout)["Status"] == "SUCCEEDED"


def test_the_region_comes_from_the_option_then_aws_region_then_the_profile(
    emulator: Running, tmp_path: Path
) -> None:
    started = start(emulator)  # churn-predictor, in us-east-1 (the emulator's Region)
    assert started.returncode == 0, started.stderr
    shell = {**named_profile(tmp_path, "eu-west-1"), "AWS_PROFILE": "team"}
    command = processes.smdeploy_command()

    def plan(*extra: str, **env: str) -> subprocess.CompletedProcess[str]:
        return processes.run(
            [
                command,
                "plan",
                "examples/request.json",
                "--detailed-exitcode",
                "--endpoint-url",
                emulator.url,
                *extra,
            ],
            env={**shell, **env},
        )

    profiles = plan()  # the profile's eu-west-1: nothing is deployed there
    variable = plan(AWS_REGION="us-east-1")  # AWS_REGION before the profile's
    default = plan(AWS_DEFAULT_REGION="us-east-1")  # AWS_DEFAULT_REGION too
    option = plan("--region", "eu-west-1", AWS_REGION="us-east-1")  # --region before both

    for run in (profiles, option):
        assert run.returncode == 3, run.stderr
        assert "CREATE: CreateEndpoint: the endpoint does not exist yet" in run.stdout
    for run in (variable, default):
        assert run.returncode == 0, run.stderr
        assert "NONE: already deployed: churn-predictor serves" in run.stdout


def test_a_region_that_contradicts_the_arn_is_misuse_naming_both(shared_emulator: Running) -> None:
    machine = shared_emulator.info["StateMachineArn"]
    execution = machine.replace(":stateMachine:", ":execution:") + ":some-execution"
    before = executions(shared_emulator)

    runs = [
        smdeploy(
            "status", execution, "--region", "eu-west-1", "--endpoint-url", shared_emulator.url
        ),
        smdeploy(
            "start",
            "examples/request.json",
            "--state-machine-arn",
            machine,
            "--region",
            "eu-west-1",
            "--endpoint-url",
            shared_emulator.url,
        ),
    ]

    for run, arn in zip(runs, (execution, machine), strict=True):
        assert run.returncode == 2
        assert run.stderr == (
            f"error: --region eu-west-1 contradicts the Region of {arn} (us-east-1): give the "
            "ARN's Region, or no --region\n"
        )
        assert run.stdout == ""
    assert executions(shared_emulator) == before


def test_a_boto3_walkthrough_with_its_paginators_and_waiters(emulator):
    """What a user of boto3 writes against SageMaker, run against the emulator: register and
    approve a version, follow the execution its approval started (a paginator), wait for
    the endpoint with boto3's own waiter, describe and invoke it, then delete it and wait
    for that too, with nothing running (https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/sagemaker/waiter/EndpointInService.html)."""
    sm = emulator.client("sagemaker")
    sfn = emulator.client("stepfunctions")
    arn = register_package(emulator)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    def ended() -> list[dict[str, Any]]:
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=emulator.info["StateMachineArn"], PaginationConfig={"PageSize": 1}
        )
        listed = [e for page in pages for e in page["executions"]]
        return [e for e in listed if e["status"] != "RUNNING"] if listed else []

    (execution,) = until(ended, "the approval's execution ends")
    assert execution["status"] == "SUCCEEDED"
    quick = {"Delay": 1, "MaxAttempts": 60}  # the emulator's 300 s of creation: about 1 s
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName="smdeploy-churn-predictor", WaiterConfig=quick
    )
    endpoint = sm.describe_endpoint(EndpointName="smdeploy-churn-predictor")
    assert endpoint["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    models = [
        m["ModelName"]
        for page in sm.get_paginator("list_models").paginate(PaginationConfig={"PageSize": 1})
        for m in page["Models"]
    ]
    assert variant["ModelName"] in models
    answer = emulator.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="smdeploy-churn-predictor", ContentType="text/csv", Body=b"1,2,3"
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["Body"].read()

    sm.delete_endpoint(EndpointName="smdeploy-churn-predictor")
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName="smdeploy-churn-predictor", WaiterConfig=quick
    )
    with pytest.raises(sm.exceptions.ClientError, match="Could not find endpoint"):
        sm.describe_endpoint(EndpointName="smdeploy-churn-predictor")
