"""``smdeploy emulator`` in the foreground: start the server, say what a client needs, show
each execution as it starts (by an event, or directly) and as it ends, and stop cleanly on
Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from rich.markup import escape

from smdeploy import remote, resources
from smdeploy.present import Screen
from smdeploy.reports import ended_text, superseded, superseded_text
from smdeploy.runtime.emulator import Delivery
from smdeploy.runtime.install import Installation
from smdeploy.runtime.server import ACCESS_KEY, SECRET_KEY, EmulatorServer
from smdeploy.sessions import boto3_session

WATCH_SECONDS = 0.5  # real seconds between looks at the state machine's executions


def client_info(server: EmulatorServer, installation: Installation) -> dict[str, Any]:
    """What ``smdeploy emulator --json`` prints (its keys: :data:`smdeploy.documents.EMULATOR`):
    where and how to connect, and the installation."""
    return {
        "EndpointUrl": server.endpoint_url,
        "Region": installation.region,
        "Account": installation.account,
        "Credentials": "any (moto accepts every access key)",
        "StateMachineArn": installation.state_machine_arn,
        "Bucket": installation.bucket,
        "ManifestPrefix": installation.manifest_prefix,
        "TopicArn": installation.topic_arn,
        "TableName": installation.table_name,
        "ModelPackageGroups": list(installation.groups),
        "RollbackGroups": list(installation.rollback_groups),
        "ModelRoleArn": installation.model_role_arn,
    }


def seconds_since_launch() -> float | None:
    """Seconds since this process started (Linux: /proc), or None where unknown."""
    try:
        with (
            open("/proc/self/stat", encoding="ascii") as stat,
            open("/proc/uptime", encoding="ascii") as uptime,
        ):
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            since_boot = float(uptime.read().split()[0])
        return since_boot - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def first_endpoint(server: EmulatorServer) -> str:
    """The endpoint the first profile deploys, for the copy-paste commands."""
    for profile in (server.profiles or {}).values():
        if isinstance(profile, dict) and isinstance(profile.get("EndpointName"), str):
            return str(profile["EndpointName"])
    return "churn-predictor"  # examples/request.json's, which the commands deploy otherwise


def examples_folder() -> str:
    """Where the copy-paste commands find the examples: relative to the working directory
    when it holds them (``examples`` at the repository's root), else the installed copy."""
    folder = Path(str(resources.EXAMPLES))
    relative = os.path.relpath(folder)
    return str(folder) if relative.startswith("..") else relative


def banner(server: EmulatorServer, installation: Installation, ready_seconds: float) -> str:
    url, region = server.endpoint_url, installation.region
    examples = examples_folder()
    manifests = f"s3://{installation.bucket}/{installation.manifest_prefix}"
    lines = [
        f"[bold]smdeploy emulator[/]: AWS on {url}, the deployer installed "
        f"(ready {ready_seconds:.1f} s after launch)",
        "",
        f"  endpoint URL      {url}",
        f"  region            {region}",
        "  credentials       any, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
        f"  state machine     {installation.state_machine_arn}",
        f"  manifests         {manifests}",
        f"  outcome topic     {installation.topic_arn}",
    ]
    if installation.groups:
        for group in installation.groups:
            rollback = " (rejection rolls back)" if group in installation.rollback_groups else ""
            lines.append(f"  approvals deploy  model package group {group}{rollback}")
    else:
        lines.append(
            "  approvals deploy  nothing: no --profiles FILE was given (start it with "
            f"--profiles {examples}/profiles.json to deploy approvals)"
        )
    aws = f"aws --endpoint-url {url}"
    lines += [
        "",
        "[bold]Try it[/] from another terminal:",
        f"  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={region}",
    ]
    if installation.groups:  # an approval deploys only in a group that has a profile
        lines += [
            f"  ARN=$({aws} sagemaker create-model-package --model-package-group-name "
            f"{installation.groups[0]} \\",
            f"        --inference-specification file://{examples}/inference-specification.json \\",
            "        --model-approval-status PendingManualApproval \\",
            "        --query ModelPackageArn --output text)",
            f"  {aws} sagemaker update-model-package --model-package-arn $ARN "
            "--model-approval-status Approved",
            f"  smdeploy watch --model-package-arn $ARN --endpoint-url {url}",
            f"  {aws} sagemaker describe-endpoint --endpoint-name {first_endpoint(server)} "
            "--query EndpointStatus",
        ]
    lines += [
        f"  {aws} s3 cp {examples}/request.json {manifests}",
        f"  {aws} stepfunctions start-execution --state-machine-arn "
        f"{installation.state_machine_arn} --name first-try --input file://{examples}/request.json",
        f"  smdeploy start {examples}/request.json --state-machine-arn "
        f"{installation.state_machine_arn} --endpoint-url {url} --wait",
        "",
        "Ctrl-C stops it.",
    ]
    return "\n".join(lines)


def delivery_line(delivery: Delivery) -> str:
    what = f"{delivery.source} {delivery.detail_type!r} -> rule {delivery.rule}"
    if delivery.execution_arn is not None:
        name = delivery.execution_arn.rsplit(":", 1)[-1]
        if delivery.existing:  # the event delivered again: its execution runs already
            return f"{escape(what)}: execution {escape(name)} already started by this event"
        return f"{escape(what)}: started execution {escape(name)}"
    return f"{escape(what)}: [red]not delivered[/]: {escape(str(delivery.error))}"


class ExecutionWatcher(threading.Thread):
    """Prints each execution of the deployer as it starts (unless an event's delivery said so
    already) and as it ends, with its outcome."""

    def __init__(self, server: EmulatorServer, state_machine_arn: str, err: Screen) -> None:
        super().__init__(name="smdeploy-execution-watcher", daemon=True)
        self.err = err
        self.state_machine_arn = state_machine_arn
        self.announced: set[str] = set()  # started executions already printed
        self.ended: set[str] = set()
        self.stop = threading.Event()
        session = boto3_session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1"
        )
        self.sfn: Any = session.client("stepfunctions", endpoint_url=server.endpoint_url)

    def delivered(self, delivery: Delivery) -> None:
        if delivery.execution_arn is not None:
            self.announced.add(delivery.execution_arn)
        self.err.print(delivery_line(delivery))

    def run(self) -> None:
        while not self.stop.wait(WATCH_SECONDS):
            try:
                self.look()
            except Exception as error:  # a look that fails is tried at the next one
                self.err.print(f"[yellow]could not list executions:[/] {escape(str(error))}")

    def look(self) -> None:
        pages = self.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn
        )
        listed = sorted(
            (e for page in pages for e in page["executions"]), key=lambda e: e["startDate"]
        )
        for execution in listed:
            arn, name = execution["executionArn"], execution["name"]
            if arn not in self.announced:
                self.announced.add(arn)
                self.err.print(f"direct execution {escape(name)} started")
            if execution["status"] != "RUNNING" and arn not in self.ended:
                self.ended.add(arn)
                self.err.print(outcome_line(remote.report(self.sfn, arn)))


def outcome_line(report: dict[str, Any]) -> str:
    """How an execution ended, in one line."""
    name = escape(report["Name"])
    if superseded(report):
        return f"execution {name} [yellow]SUPERSEDED[/]: {escape(superseded_text(report))}"
    if report["Status"] == "SUCCEEDED":
        return f"execution {name} [green]SUCCEEDED[/]: {escape(ended_text(report))}"
    return (
        f"execution {name} [red]{report['Status']}[/]: {escape(str(report['Error']))}: "
        f"{escape(str(report['Cause']))}"
    )


def serve(server: EmulatorServer, out: Screen, err: Screen, as_json: bool) -> None:
    """Run ``server`` until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        began = time.perf_counter()
        with server:
            installation = server.installation
            assert installation is not None  # set on entry
            ready = seconds_since_launch() or (time.perf_counter() - began)
            watcher = ExecutionWatcher(server, installation.state_machine_arn, err)
            server.emulator.on_delivery = watcher.delivered
            if as_json:
                out.write(json.dumps(client_info(server, installation)) + "\n")  # one line
            else:
                out.print(banner(server, installation, ready))
            watcher.start()
            while not stop.wait(0.2):
                pass
            watcher.stop.set()
            watcher.join(timeout=5)
            err.print("stopping")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
