"""``python -m bench.coldstart_instructions`` counts a cold start in instructions: each child
under callgrind, the import and first invocation less a warm one, less an interpreter that
does nothing. Checked on two handlers that differ only in what their first invocation does
more than the next (``valgrind`` must be installed: the bench says so when it is not)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from bench import coldstart, coldstart_instructions

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind on the PATH"),
]

HANDLERS = """
DONE = []


def handler(event, context):
    if not DONE:  # what only a cold start pays
        DONE.append(sum(range(event["first"])))
    return sum(range(event["every"]))  # what every invocation pays
"""
WORK = 500_000  # some 50 million instructions, several times the import of the handler


def test_a_cold_start_is_the_import_and_first_call_less_a_warm_one(tmp_path: Path) -> None:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    tree = coldstart.Tree(tmp_path, sys.executable, bytecode=True)
    env = {"PATH": os.environ.get("PATH", "")}

    def counts(stage: str, first: int, every: int) -> dict[tuple[str, bool, int], int]:
        found = {}
        event = {"first": first, "every": every}
        for calls in (1, 2):
            found[(stage, False, calls)] = found[(stage, True, calls)] = (
                coldstart_instructions.instructions(tree, "handlers.handler", event, env, calls)
            )
        return found

    # the same work, at every invocation (Plain), or at the first only (Heavy)
    plain, heavy = counts("Plain", 0, WORK), counts("Heavy", WORK, 0)
    nothing = coldstart_instructions.instructions(tree, None, None, env, 0)
    measured = coldstart_instructions.counted(
        {("nothing",): nothing, ("floor",): plain[("Plain", False, 1)], **plain, **heavy},
        ["Plain", "Heavy"],
    )

    assert measured.floor == plain[("Plain", False, 1)] - nothing  # less the interpreter
    cold = {stage: measured.cold[stage][False] for stage in ("Plain", "Heavy")}
    assert 0 < cold["Plain"] < cold["Heavy"]
    # the work is Heavy's cold start, and no part of Plain's: a warm invocation's cancels
    # out, within the few instructions that differ between two runs of the same code
    assert 10 * WORK < cold["Heavy"] - cold["Plain"] < 1000 * WORK
    assert 2 * cold["Plain"] < cold["Heavy"] - cold["Plain"]  # Plain's: its import only
