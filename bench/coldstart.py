"""Cold start of each stage function, as a ratio to the floor (``make bench`` prints it).

The floor is what any Python function that calls SageMaker pays: ``import boto3`` and one
``boto3.client("sagemaker")``. A stage function's cold start is the import of its handler's
module plus what its first invocation loads, measured as the first invocation's time less a
second (warm) invocation's in the same process: the AWS calls themselves (to the local
emulator) are in both and cancel out. Each is measured in a fresh interpreter (a subprocess
that imports only the standard library before the clock starts), several times, interleaved
with the floor; the table shows medians of CPU time (what the interpreter itself spends, so
other load on the machine skews it less than wall time would).

The events are the real ones: one deployment of ``examples/request.json`` runs through the
emulator server, and each function is then invoked again, in its subprocess, with the event
the state machine gave it and the environment the installer gave it, against that server.
Tracing is measured both ways: off (``POWERTOOLS_TRACE_DISABLED``: the X-Ray SDK is never
imported) and on (as with active tracing in Lambda, where Powertools loads the X-Ray SDK).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from rich.console import Console
from rich.table import Table

from bench.fuzz import BASE
from deployer import interface
from smdeploy.resources import EXAMPLES
from smdeploy.runtime.server import ACCESS_KEY, SECRET_KEY, EmulatorServer

CHILD = Path(__file__).with_name("coldstart_child.py")
MARK = "COLDSTART "
TARGET_RATIO = 1.5
RUNS = 7
REGION = "us-east-1"
# The Lambda asset root in the repository: the children import the handlers from it, as Lambda
# imports them from its task root.
FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
# What the X-Ray SDK reads in Lambda: the invocation's trace header and the task root.
TRACE_ENVIRONMENT = {
    "_X_AMZN_TRACE_ID": (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    ),
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
}


@dataclass(frozen=True)
class Invocation:
    stage: str
    handler: str
    event: Any
    environment: dict[str, str]


@dataclass(frozen=True)
class Sample:
    imported: float
    first: float
    second: float
    xray: bool  # the X-Ray SDK was loaded

    @property
    def cold(self) -> float:
        """Import, plus what the first invocation did beyond a warm one."""
        return self.imported + max(self.first - self.second, 0.0)


def _request() -> dict[str, Any]:
    """The example request with a smoke test: one guardrail, so that the deployment invokes
    every function (the guardrail steps are skipped when no guardrail is asked for)."""
    request: dict[str, Any] = json.loads((EXAMPLES / "request.json").read_text())
    request["Guardrails"] = {"SmokeTest": BASE["Guardrails"]["SmokeTest"]}
    return request


def invocations_of(server: EmulatorServer) -> list[Invocation]:
    """One deployment through the server; each stage's first event and its environment."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    sfn = session.client("stepfunctions", endpoint_url=server.endpoint_url)
    lam = session.client("lambda", endpoint_url=server.endpoint_url)
    assert server.installation is not None
    arn = sfn.start_execution(
        stateMachineArn=server.installation.state_machine_arn,
        name="coldstart",
        input=json.dumps(_request()),
    )["executionArn"]
    deadline = time.monotonic() + 120
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bench deployment {arn} did not finish in 120 s")
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    events: dict[str, Any] = {}
    for entry in history:
        scheduled = entry.get("lambdaFunctionScheduledEventDetails")
        if scheduled:
            name = scheduled["resource"].rsplit(":", 1)[-1]
            events.setdefault(name, json.loads(scheduled["input"]))
        # the parks invoke the Wait function through lambda:invoke.waitForTaskToken
        task = entry.get("taskScheduledEventDetails")
        if task and task.get("resourceType") == "lambda":
            parameters = json.loads(task["parameters"])
            name = str(parameters["FunctionName"]).rsplit(":", 1)[-1]
            events.setdefault(name, parameters.get("Payload", {}))
    found = []
    for spec in interface.FUNCTIONS:
        configuration = lam.get_function_configuration(
            FunctionName=f"smdeploy-{spec.stage.lower()}"
        )
        name = configuration["FunctionName"]
        if name not in events:
            raise RuntimeError(f"the bench deployment never invoked {name}")
        environment = dict(configuration.get("Environment", {}).get("Variables", {}))
        found.append(Invocation(spec.stage, spec.handler, events[name], environment))
    return found


def _base_environment(server: EmulatorServer) -> dict[str, str]:
    """Every variable but AWS's and Powertools' own, and what a function in Lambda has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(
        {
            "AWS_ENDPOINT_URL": server.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "PYTHONPATH": str(FUNCTIONS),
            "PYTHONDONTWRITEBYTECODE": "",
        }
    )
    return env


def _run(handler: str | None, event: Any, env: dict[str, str]) -> Sample:
    done = subprocess.run(
        [sys.executable, str(CHILD)],
        input=json.dumps({"handler": handler, "event": event}),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{handler}: exit {done.returncode}: {done.stderr[-3000:]}")
    seconds = json.loads(lines[-1][len(MARK) :])
    return Sample(seconds["import"], seconds["first"], seconds["second"], seconds["xray"])


def _function_environment(
    base: dict[str, str], invocation: Invocation, *, tracing: bool
) -> dict[str, str]:
    env = {**base, **invocation.environment}
    env["AWS_LAMBDA_FUNCTION_NAME"] = f"smdeploy-{invocation.stage.lower()}"
    env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "512"
    env["LAMBDA_TASK_ROOT"] = str(FUNCTIONS)
    if tracing:
        env.update(TRACE_ENVIRONMENT)
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def measure(runs: int = RUNS) -> tuple[float, dict[str, dict[bool, list[Sample]]]]:
    """The floor's median, and each stage's samples with tracing off (False) and on (True)."""
    floors: list[float] = []
    samples: dict[str, dict[bool, list[Sample]]] = {}
    with EmulatorServer(port=0, seed=1) as server:
        invocations = invocations_of(server)
        base = _base_environment(server)
        for _ in range(runs):
            floors.append(_run(None, None, base).imported)
            for invocation in invocations:
                for tracing in (False, True):
                    env = _function_environment(base, invocation, tracing=tracing)
                    sample = _run(invocation.handler, invocation.event, env)
                    samples.setdefault(invocation.stage, {}).setdefault(tracing, []).append(sample)
    return statistics.median(floors), samples


def table(floor: float, samples: dict[str, dict[bool, list[Sample]]], runs: int) -> Table:
    result = Table(
        title=(
            f"smdeploy: cold start of each stage function (median of {runs} fresh "
            f'interpreters), as a ratio to the floor: import boto3 + boto3.client("sagemaker") '
            f"= {floor * 1000:.0f} ms; target <= {TARGET_RATIO}x"
        ),
        title_justify="left",
    )
    columns = ("function", "import ms", "first call ms", "cold ms", "ratio", "X-Ray SDK",
               "traced cold ms", "traced ratio", "traced X-Ray SDK")  # fmt: skip
    for column in columns:
        result.add_column(column, justify="left" if column == "function" else "right")
    for stage, by_tracing in samples.items():
        off, on = by_tracing[False], by_tracing[True]
        imported = statistics.median(s.imported for s in off)
        first = statistics.median(max(s.first - s.second, 0.0) for s in off)
        cold = statistics.median(s.cold for s in off)
        traced = statistics.median(s.cold for s in on)
        result.add_row(
            stage,
            f"{imported * 1000:.0f}",
            f"{first * 1000:.0f}",
            f"{cold * 1000:.0f}",
            f"{cold / floor:.2f}x",
            _loaded(off),
            f"{traced * 1000:.0f}",
            f"{traced / floor:.2f}x",
            _loaded(on),
        )
    return result


def _loaded(samples: list[Sample]) -> str:
    loaded = {s.xray for s in samples}
    return "loaded" if loaded == {True} else "not loaded" if loaded == {False} else "varies"


def main(runs: int = RUNS) -> None:
    floor, samples = measure(runs)
    Console(width=160).print(table(floor, samples, runs))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
