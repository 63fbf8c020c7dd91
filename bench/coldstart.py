"""Cold start of each stage function on the asset that ships, with Lambda's Python 3.13.

The children run on what Lambda runs: ``build/lambda.zip`` (``make lambda-asset``) unpacked
into a temporary folder, first on ``PYTHONPATH`` as ``/var/task`` is in Lambda, with its
``.pyc`` (compiled for 3.13 at build time, :mod:`cdk.asset`), imported by a Python 3.13
(:func:`cdk.asset.lambda_python`) that writes no bytecode (``/var/task`` is read-only). The
asset's two native modules (pydantic-core's and wrapt's) are built for arm64: the same
versions built for this machine, from the Lambda-runtime tier's tree (``build/lambda-py313``),
are put beside them, and the importer takes the one for its platform.

The floor is what any Python function that calls SageMaker pays: ``import boto3`` and one
``boto3.client("sagemaker")``, from the same unpacked tree, by the same interpreter. A stage
function's cold start is the import of its handler's module plus what its first invocation
loads, measured as the first invocation's time less a second (warm) invocation's in the same
process: the AWS calls themselves (to the local emulator) are in both and cancel out. Each is
measured in a fresh interpreter (a subprocess that imports only the standard library before
the clock starts), several times, interleaved with the floor; the table shows the least CPU
time of the runs (what the interpreter itself spends, so other load on the machine skews it
less than wall time would; what skews it still only ever adds: on a shared machine the same
child's CPU time varies by half from one run to the next, so the least is the measure, as
https://docs.python.org/3/library/timeit.html#timeit.Timer.repeat advises). The same is
measured on a copy of the tree without its ``.pyc`` (the asset as it was before it carried
bytecode: every cold start compiled every module it imported).

The events are the real ones: one deployment of ``examples/request.json`` runs through the
emulator server (and one of ``examples/inference-components-request.json``, for the function
that deploys inference components), and each function is then invoked again, in its
subprocess, with the event the state machine gave it and the environment the installer gave
it, against that server.
Tracing is measured both ways: off (``POWERTOOLS_TRACE_DISABLED``: the X-Ray SDK is never
imported) and on (as with active tracing in Lambda, as the stack deploys the functions,
where Powertools loads the X-Ray SDK).

``python -m bench.coldstart [--runs N] [--write-docs]`` (``make bench`` runs it last);
``--write-docs`` writes the table into docs/internals/costs.md between its
``<!-- bench: coldstart begin -->`` and ``<!-- bench: coldstart end -->`` markers.

The same, counted in instructions: :mod:`bench.coldstart_instructions`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from rich.console import Console
from rich.table import Table

from bench.fuzz import BASE
from cdk import asset
from deployer import interface
from smdeploy.resources import EXAMPLES
from smdeploy.runtime.server import ACCESS_KEY, SECRET_KEY, EmulatorServer

CHILD = Path(__file__).with_name("coldstart_child.py")
MARK = "COLDSTART "
TARGET_RATIO = 1.2
RUNS = 7
REGION = "us-east-1"
# The same lock built for this machine's Python 3.13 (the Makefile's LAMBDA_TREE): where the
# native modules for this machine's platform come from.
HOST_TREE = asset.BUILD / "lambda-py313"
COSTS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "internals" / "costs.md"
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


@dataclass(frozen=True)
class Tree:
    """An unpacked asset the children import from, and how they run on it."""

    root: Path
    python: str
    bytecode: bool


def unpack(archive: Path, into: Path, *, host_tree: Path = HOST_TREE) -> Path:
    """``archive`` unpacked into ``into``, with this machine's builds of its native modules
    beside Lambda's (from ``host_tree``, which must hold the same versions)."""
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
    if not host_tree.is_dir():
        raise SystemExit(
            f"{host_tree} is missing: the native modules for this machine come from it "
            f"(make {os.path.relpath(host_tree)}.built)"
        )
    shipped, built = (sorted(p.name for p in t.glob("*.dist-info")) for t in (into, host_tree))
    if shipped != built:
        raise SystemExit(f"{host_tree} holds other versions than {archive}: rebuild both")
    for folder in sorted({p.parent for p in into.rglob("*.so")}):
        for native in (host_tree / folder.relative_to(into)).glob("*.so"):
            if not (folder / native.name).exists():
                shutil.copy2(native, folder / native.name)
    return into


def without_bytecode(tree: Path, into: Path) -> Path:
    """A copy of ``tree`` without its ``.pyc``."""
    shutil.copytree(tree, into, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def _request() -> dict[str, Any]:
    """The example request with a smoke test: one guardrail, so that the deployment invokes
    every function (the guardrail steps are skipped when no guardrail is asked for)."""
    request: dict[str, Any] = json.loads((EXAMPLES / "request.json").read_text())
    request["Guardrails"] = {"SmokeTest": BASE["Guardrails"]["SmokeTest"]}
    return request


def _requests() -> list[dict[str, Any]]:
    """The deployments that invoke every function: :func:`_request`'s, then one with
    inference components (the Components function runs only for those)."""
    components = json.loads((EXAMPLES / "inference-components-request.json").read_text())
    return [_request(), components]


def invocations_of(server: EmulatorServer) -> list[Invocation]:
    """Deployments through the server; each stage's first event and its environment."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    sfn = session.client("stepfunctions", endpoint_url=server.endpoint_url)
    lam = session.client("lambda", endpoint_url=server.endpoint_url)
    assert server.installation is not None
    events: dict[str, Any] = {}
    for number, request in enumerate(_requests()):
        arn = sfn.start_execution(
            stateMachineArn=server.installation.state_machine_arn,
            name=f"coldstart-{number}",
            input=json.dumps(request),
        )["executionArn"]
        deadline = time.monotonic() + 120
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bench deployment {arn} did not finish in 120 s")
            time.sleep(0.05)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
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


def base_environment(server: EmulatorServer) -> dict[str, str]:
    """Every variable but AWS's, Powertools' and Python's own, and what a function in Lambda
    has."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))
    }
    env.update(
        {
            "AWS_ENDPOINT_URL": server.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    return env


def child_environment(tree: Tree, env: dict[str, str]) -> dict[str, str]:
    # the tree as the task root, first on the path; nothing written (Lambda's task root is
    # read-only), so a tree without .pyc compiles in every child, as every cold start did
    env = {**env, "PYTHONPATH": str(tree.root), "LAMBDA_TASK_ROOT": str(tree.root)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(tree: Tree, handler: str | None, event: Any, env: dict[str, str]) -> Sample:
    env = child_environment(tree, env)
    done = subprocess.run(
        # -P: the child's own folder (bench/) is not on the path
        [tree.python, "-P", str(CHILD)],
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


def function_environment(
    base: dict[str, str], invocation: Invocation, *, tracing: bool
) -> dict[str, str]:
    env = {**base, **invocation.environment}
    env["AWS_LAMBDA_FUNCTION_NAME"] = f"smdeploy-{invocation.stage.lower()}"
    env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "512"
    if tracing:
        env.update(TRACE_ENVIRONMENT)
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


@dataclass
class Measured:
    """Per tree (with .pyc: True, without: False): the floor's samples, and each stage's
    samples with tracing off (False) and on (True)."""

    floors: dict[bool, list[float]]
    samples: dict[bool, dict[str, dict[bool, list[Sample]]]]

    def floor(self, bytecode: bool = True) -> float:
        return min(self.floors[bytecode])


def measure(trees: Sequence[Tree], runs: int = RUNS) -> Measured:
    """Each tree's floor and stage functions, ``runs`` times, interleaved; tracing both ways
    on the tree with bytecode, off on the others."""
    result = Measured({}, {})
    with EmulatorServer(port=0, seed=1) as server:
        invocations = invocations_of(server)
        base = base_environment(server)
        for _ in range(runs):
            for tree in trees:
                floors = result.floors.setdefault(tree.bytecode, [])
                floors.append(_run(tree, None, None, base).imported)
                by_stage = result.samples.setdefault(tree.bytecode, {})
                for invocation in invocations:
                    for tracing in (False, True) if tree.bytecode else (False,):
                        env = function_environment(base, invocation, tracing=tracing)
                        sample = _run(tree, invocation.handler, invocation.event, env)
                        by_stage.setdefault(invocation.stage, {}).setdefault(tracing, []).append(
                            sample
                        )
    return result


COLUMNS = (
    "function",
    "floor ms",
    "cold ms",
    "ratio",
    "traced cold ms",
    "traced ratio",
    "X-Ray SDK (traced)",
    "cold ms without .pyc",
)
RIGHT = tuple(column for column in COLUMNS[1:] if not column.startswith("X-Ray"))  # numbers


def rows(measured: Measured) -> list[tuple[str, ...]]:
    """One row per stage function (the "without .pyc" column only when it was measured)."""
    floor = measured.floor()
    found: list[tuple[str, ...]] = []
    for stage, by_tracing in measured.samples[True].items():
        cold = min(s.cold for s in by_tracing[False])
        traced = min(s.cold for s in by_tracing[True])
        source = measured.samples.get(False, {}).get(stage, {}).get(False)
        found.append(
            (
                stage,
                f"{floor * 1000:.0f}",
                f"{cold * 1000:.0f}",
                f"{cold / floor:.2f}x",
                f"{traced * 1000:.0f}",
                f"{traced / floor:.2f}x",
                f"{_loaded(by_tracing[False])} ({_loaded(by_tracing[True])})",
                f"{min(s.cold for s in source) * 1000:.0f}" if source else "-",
            )
        )
    return found


def title(measured: Measured, runs: int) -> str:
    without = (
        f"; without .pyc the floor is {measured.floor(False) * 1000:.0f} ms"
        if False in measured.floors
        else ""
    )
    return (
        f"smdeploy: cold start of each stage function on the unpacked asset, Python "
        f"{'.'.join(map(str, asset.LAMBDA_PYTHON_VERSION))} (least of {runs} fresh "
        f'interpreters), as a ratio to the floor: import boto3 + boto3.client("sagemaker") '
        f"from the same tree = {measured.floor() * 1000:.0f} ms{without}; "
        f"target <= {TARGET_RATIO}x"
    )


def table(measured: Measured, runs: int) -> Table:
    result = Table(title=title(measured, runs), title_justify="left")
    for column in COLUMNS:
        result.add_column(column, justify="right" if column in RIGHT else "left")
    for row in rows(measured):
        result.add_row(*row)
    return result


def _loaded(samples: list[Sample]) -> str:
    loaded = {s.xray for s in samples}
    return "loaded" if loaded == {True} else "not loaded" if loaded == {False} else "varies"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, metavar="N")
    parser.add_argument(
        "--write-docs", action="store_true", help=f"also write the table into {COSTS_PAGE.name}"
    )
    options = parser.parse_args(argv)
    if not asset.ASSET_ZIP.is_file():
        raise SystemExit(f"{asset.ASSET_ZIP} is missing: run make lambda-asset")
    python = asset.lambda_python()
    with tempfile.TemporaryDirectory(prefix="smdeploy-coldstart-") as folder:
        shipped = unpack(asset.ASSET_ZIP, Path(folder) / "task")
        source = without_bytecode(shipped, Path(folder) / "task-without-pyc")
        trees = (Tree(shipped, python, bytecode=True), Tree(source, python, bytecode=False))
        measured = measure(trees, options.runs)
    Console(width=200).print(table(measured, options.runs))
    if options.write_docs:
        from bench.__main__ import markdown, write_between

        text = markdown(COLUMNS, rows(measured), RIGHT)
        write_between(COSTS_PAGE, "coldstart", text)
        print(f"wrote the cold-start table into {COSTS_PAGE}", file=sys.stderr)


if __name__ == "__main__":
    main()
