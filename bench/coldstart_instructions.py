"""Cold starts counted in instructions, which the machine's other work does not move.

``python -m bench.coldstart_instructions [--functions Wait,Deploy] [--write-docs]`` (``make
bench`` runs it after :mod:`bench.coldstart`, where valgrind is installed): the same children
on the same unpacked asset and events as :mod:`bench.coldstart`, each under valgrind's
callgrind (https://valgrind.org/docs/manual/cl-manual.html), once invoking its function once
and once twice, with a fixed hash seed. A cold start is the first run less the second's extra
invocation less an interpreter that does nothing (import plus first invocation less a warm
one, as :mod:`bench.coldstart` measures it in CPU time); the floor is the floor's child less
that interpreter. One run each: the counts move by well under 1 % from run to run.
``--write-docs`` writes the table into docs/internals/costs.md between its
``<!-- bench: coldstart-instructions begin -->`` and ``... end -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.coldstart import (
    CHILD,
    COSTS_PAGE,
    TARGET_RATIO,
    Tree,
    base_environment,
    child_environment,
    function_environment,
    invocations_of,
    unpack,
)
from cdk import asset
from smdeploy.runtime.server import EmulatorServer

VALGRIND = "valgrind"
_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(
    tree: Tree, handler: str | None, event: Any, env: dict[str, str], calls: int
) -> int:
    """The instructions a child executes, counted by callgrind: ``calls`` 0 (an interpreter
    that does nothing), or the handler's import and ``calls`` invocations (the floor's child,
    ``handler`` None, with any ``calls`` but 0)."""
    env = {**child_environment(tree, env), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [VALGRIND, "--tool=callgrind", "--callgrind-out-file=/dev/null",
         tree.python, "-P", str(CHILD)],
        input=json.dumps({"handler": handler, "event": event, "calls": calls}),
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip
    found = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{handler}: exit {done.returncode}: {done.stderr[-3000:]}")
    return int(found[-1])


# What each child counted: ("nothing",), ("floor",), or (stage, traced, calls).
Counts = Mapping[tuple[Any, ...], int]


@dataclass(frozen=True)
class Counted:
    """Instructions: the floor's, and each stage's cold start untraced (False) and traced."""

    floor: int
    cold: dict[str, dict[bool, int]]


def counted(counts: Counts, stages: Sequence[str]) -> Counted:
    """The floor and each cold start from the children's counts: a cold start is the import
    and first invocation less a warm one, ``once - (twice - once) - nothing``."""
    nothing = counts[("nothing",)]
    cold = {
        stage: {
            traced: 2 * counts[(stage, traced, 1)] - counts[(stage, traced, 2)] - nothing
            for traced in (False, True)
        }
        for stage in stages
    }
    return Counted(counts[("floor",)] - nothing, cold)


def count(tree: Tree, functions: Sequence[str] = ()) -> Counted:
    """Each stage function's cold start (``functions``, else all) and the floor, counted
    in instructions, the children run side by side, one per core."""
    with EmulatorServer(port=0, seed=1) as server:
        chosen = [i for i in invocations_of(server) if not functions or i.stage in functions]
        base = base_environment(server)
        jobs: dict[tuple[Any, ...], tuple[str | None, Any, dict[str, str], int]] = {
            ("nothing",): (None, None, base, 0),
            ("floor",): (None, None, base, 1),
        }
        for invocation in chosen:
            for traced in (False, True):
                env = function_environment(base, invocation, tracing=traced)
                for calls in (1, 2):
                    jobs[(invocation.stage, traced, calls)] = (
                        invocation.handler, invocation.event, env, calls,
                    )  # fmt: skip
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            futures = {key: pool.submit(instructions, tree, *job) for key, job in jobs.items()}
            counts = {key: future.result() for key, future in futures.items()}
    return counted(counts, [i.stage for i in chosen])


INSTRUCTION_COLUMNS = (
    "function",
    "floor M instr.",
    "cold M instr.",
    "ratio",
    "traced cold M instr.",
    "traced ratio",
)


def instruction_rows(measured: Counted) -> list[tuple[str, ...]]:
    floor = measured.floor
    return [
        (
            stage,
            f"{floor / 1e6:,.0f}",
            f"{by_tracing[False] / 1e6:,.0f}",
            f"{by_tracing[False] / floor:.2f}x",
            f"{by_tracing[True] / 1e6:,.0f}",
            f"{by_tracing[True] / floor:.2f}x",
        )
        for stage, by_tracing in measured.cold.items()
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coldstart_instructions", description=__doc__
    )
    parser.add_argument("--functions", default="", metavar="A,B", help="these functions only")
    parser.add_argument(
        "--write-docs", action="store_true", help=f"also write the table into {COSTS_PAGE.name}"
    )
    options = parser.parse_args(argv)
    if not asset.ASSET_ZIP.is_file():
        raise SystemExit(f"{asset.ASSET_ZIP} is missing: run make lambda-asset")
    if shutil.which(VALGRIND) is None:
        raise SystemExit("instructions are counted with valgrind, which is not on the PATH")
    functions = [f for f in options.functions.split(",") if f]
    _instructions(asset.lambda_python(), functions, options.write_docs)


def _instructions(python: str, functions: list[str], write_docs: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="smdeploy-coldstart-") as folder:
        tree = Tree(unpack(asset.ASSET_ZIP, Path(folder) / "task"), python, bytecode=True)
        measured = count(tree, functions)
    title = (
        f"smdeploy: cold start of each stage function on the unpacked asset, Python "
        f"{'.'.join(map(str, asset.LAMBDA_PYTHON_VERSION))}, in instructions (callgrind), as "
        f"a ratio to the floor's {measured.floor / 1e6:,.0f} million; target <= {TARGET_RATIO}x"
    )
    shown = Table(title=title, title_justify="left")
    for column in INSTRUCTION_COLUMNS:
        shown.add_column(column, justify="left" if column == "function" else "right")
    rows_ = instruction_rows(measured)
    for row in rows_:
        shown.add_row(*row)
    Console(width=200).print(shown)
    if write_docs:
        from bench.__main__ import markdown, write_between

        text = markdown(INSTRUCTION_COLUMNS, rows_, INSTRUCTION_COLUMNS[1:])
        write_between(COSTS_PAGE, "coldstart-instructions", text)
        print(f"wrote the instruction-count table into {COSTS_PAGE}", file=sys.stderr)


if __name__ == "__main__":
    main()
