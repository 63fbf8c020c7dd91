"""``python -m bench.coldstart_instructions`` counts a cold start in instructions: each child
under callgrind, the import and first invocation less a warm one, less an interpreter that
does nothing (``valgrind`` must be installed: the bench says so when it is not)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from bench import coldstart, coldstart_instructions

HANDLERS = """
def handler(event, context):
    return sum(range(event["every"]))
"""
WORK = 500_000  # some 50 million instructions at every invocation


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind on the PATH")
def test_callgrind_counts_the_child_s_import_and_each_invocation(tmp_path: Path) -> None:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    tree = coldstart.Tree(tmp_path, sys.executable, bytecode=True)
    env = {"PATH": os.environ.get("PATH", "")}

    def count(calls: int) -> int:
        handler = "handlers.handler" if calls else None
        return coldstart_instructions.instructions(tree, handler, {"every": WORK}, env, calls)

    nothing, once, twice = count(0), count(1), count(2)

    assert nothing < once < twice
    # the second invocation is the work, counted as it ran, within the few instructions that
    # differ between two runs of the same code
    assert 10 * WORK < twice - once < 1000 * WORK


# (stage, traced, calls) -> instructions of the whole child; ("nothing",) and ("floor",)
COUNTS = {
    ("nothing",): 100,
    ("floor",): 1_100,
    # 300 to start and import, 50 for what only the first invocation does, 20 each call
    **{
        ("Wait", traced, 1): 100 + 300 + 50 + 20 + (40 if traced else 0) for traced in (False, True)
    },
    **{
        ("Wait", traced, 2): 100 + 300 + 50 + 40 + (40 if traced else 0) for traced in (False, True)
    },
}


def test_a_cold_start_is_the_import_and_first_invocation_less_a_warm_one() -> None:
    measured = coldstart_instructions.counted(COUNTS, ["Wait"])

    assert measured.floor == 1_000  # less the interpreter that does nothing
    assert measured.cold == {"Wait": {False: 300 + 50, True: 300 + 50 + 40}}
