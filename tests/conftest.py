"""Settings shared by every test tier.

Hypothesis profiles: "dev" (the default) explores fast; "ci" (chosen when CI is set, or with
HYPOTHESIS_PROFILE=ci) runs more examples, derandomized, so a CI failure reproduces exactly;
"runtime" (the Makefile's lambda-runtime tier) runs the same tests again on Lambda's Python to
show the code runs there, so a few derandomized examples each: exploring inputs is the main
tier's job. None has a deadline: tests never assert on time.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support.forkserver import GC_THRESHOLDS

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("runtime", max_examples=20, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# Every response of the emulator is checked against botocore's model of its operation
# (smdeploy/runtime/emulator/shapes.py): each process that runs the emulator, this one and
# those it starts, appends what differs to this file, and the test during which a line
# appeared fails.
CHECK_SHAPES_ENV = "SMDEPLOY_CHECK_SHAPES"
SHAPE_MISMATCHES = Path(tempfile.mkdtemp(prefix="smdeploy-shapes-")) / "mismatches.jsonl"
os.environ[CHECK_SHAPES_ENV] = str(SHAPE_MISMATCHES)


@pytest.fixture(autouse=True)
def responses_match_the_model() -> Iterator[None]:
    """Fail the test if the emulator answered it outside the operation's model."""
    before = SHAPE_MISMATCHES.stat().st_size if SHAPE_MISMATCHES.exists() else 0
    yield
    if SHAPE_MISMATCHES.exists() and SHAPE_MISMATCHES.stat().st_size > before:
        with SHAPE_MISMATCHES.open(encoding="utf-8") as lines:
            lines.seek(before)
            found = sorted({json.loads(line)["problem"] for line in lines if line.strip()})
        pytest.fail(
            "the emulator answered outside botocore's model of the operation:\n" + "\n".join(found)
        )


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)  # tests/support/forkserver.py says why


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest test files (marked ``long``) first: pytest-xdist hands whole files to its
    workers in collection order (``--dist loadfile``), so started last, a long file would
    run alone at the end while the other worker has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
