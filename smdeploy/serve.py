"""``smdeploy emulator`` in the foreground: start the server, say what a client needs, show
each event that starts a deployment, and stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape

from smdeploy.runtime.emulator import Delivery
from smdeploy.runtime.install import Installation
from smdeploy.runtime.server import EmulatorServer


def client_info(server: EmulatorServer, installation: Installation) -> dict[str, Any]:
    """What ``smdeploy emulator --json`` prints: the installation, plus where and how to
    connect."""
    return {
        "endpoint_url": server.endpoint_url,
        **installation.to_json(),
        "credentials": "any (moto accepts every access key)",
    }


def banner(server: EmulatorServer, installation: Installation, ready_seconds: float) -> str:
    url, region = server.endpoint_url, installation.region
    manifests = f"s3://{installation.bucket}/{installation.manifest_prefix}"
    lines = [
        f"[bold]smdeploy emulator[/]: AWS on {url}, the deployer installed "
        f"(ready in {ready_seconds:.1f} s)",
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
        lines.append("  approvals deploy  nothing: no --profiles FILE was given")
    group = installation.groups[0] if installation.groups else "GROUP"
    aws = f"aws --endpoint-url {url}"
    lines += [
        "",
        "[bold]Try it[/] from another terminal (in the repository):",
        f"  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={region}",
        f"  ARN=$({aws} sagemaker create-model-package --model-package-group-name {group} \\",
        "        --inference-specification file://examples/inference-specification.json \\",
        "        --model-approval-status PendingManualApproval \\",
        "        --query ModelPackageArn --output text)",
        f"  {aws} sagemaker update-model-package --model-package-arn $ARN "
        "--model-approval-status Approved",
        f"  {aws} sagemaker describe-endpoint --endpoint-name ENDPOINT --query EndpointStatus",
        f"  {aws} s3 cp examples/request.json {manifests}",
        f"  {aws} stepfunctions start-execution --state-machine-arn "
        f"{installation.state_machine_arn} --name first-try --input file://examples/request.json",
        f"  smdeploy start examples/request.json --state-machine-arn "
        f"{installation.state_machine_arn} --endpoint-url {url} --wait",
        "",
        "Ctrl-C stops it.",
    ]
    return "\n".join(lines)


def delivery_line(delivery: Delivery) -> str:
    what = f"{delivery.source} {delivery.detail_type!r} -> rule {delivery.rule}"
    if delivery.execution_arn is not None:
        return f"{escape(what)}: started execution {delivery.execution_arn.rsplit(':', 1)[-1]}"
    return f"{escape(what)}: [red]not delivered[/]: {escape(str(delivery.error))}"


def serve(server: EmulatorServer, out: Console, err: Console, as_json: bool) -> None:
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
            ready = time.perf_counter() - began
            server.emulator.on_delivery = lambda delivery: err.print(
                delivery_line(delivery), soft_wrap=True
            )
            if as_json:
                sys.stdout.write(json.dumps(client_info(server, installation)) + "\n")
                sys.stdout.flush()
            else:
                out.print(banner(server, installation, ready), soft_wrap=True)
            while not stop.wait(0.2):
                pass
            err.print("stopping")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
