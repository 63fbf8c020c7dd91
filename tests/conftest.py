"""Settings shared by every test tier.

Hypothesis profiles: "dev" (the default) explores fast; "ci" (chosen when CI is set, or with
HYPOTHESIS_PROFILE=ci) runs more examples, derandomized, so a CI failure reproduces exactly;
"runtime" (the Makefile's lambda-runtime tier) runs the same tests again on Lambda's Python to
show the code runs there, so a few derandomized examples each: exploring inputs is the main
tier's job. None has a deadline: tests never assert on time.
"""

from __future__ import annotations

import gc
import os

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


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)  # tests/support/forkserver.py says why


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest test files (marked ``long``) first: pytest-xdist hands whole files to its
    workers in collection order (``--dist loadfile``), so started last, a long file would
    run alone at the end while the other worker has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
