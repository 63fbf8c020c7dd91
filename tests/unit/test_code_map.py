"""Every Task state of the state machine leads to its code: the table of
docs/internals/code-map.md names each one, its handler module exists (the handler string the
stack and the local runtime use), and a test file imports that module. The table's files exist.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployer import interface
from smdeploy import resources

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "functions" / "deployer"
TESTS = ROOT / "tests"
CODE_MAP = ROOT / "docs" / "internals" / "code-map.md"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
HANDLERS = {f"${{{spec.placeholder}}}": spec.handler for spec in interface.FUNCTIONS}


def tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from tasks(branch["States"])
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from tasks(state[key]["States"])


TASKS = dict(tasks(json.loads(resources.DEFINITION.read_text())["States"]))


def table() -> dict[str, list[str]]:
    """The code map's table: each state named in the first column -> the row's cells."""
    rows: dict[str, list[str]] = {}
    for line in CODE_MAP.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 6 and not cells[0].startswith(("ASL", "---")):
            for state in cells[0].split(","):
                rows[state.strip()] = cells
    return rows


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def importers(module: str) -> list[str]:
    """The test files that import ``module`` (a tier's conftest.py counts: the functional
    tier's calls each handler as the state machine does, for its tests)."""
    files = [*TESTS.rglob("test_*.py"), *TESTS.rglob("conftest.py")]
    return sorted(str(p.relative_to(TESTS)) for p in files if module in imported_modules(p))


def handler_of(state: dict[str, Any]) -> str:
    function = (
        state["Parameters"]["FunctionName"] if state["Resource"] == CALLBACK else state["Resource"]
    )
    return HANDLERS[function]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_state_has_its_handler_and_a_test_that_imports_it(name):
    module, _, attribute = handler_of(TASKS[name]).rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute))
    assert importers(module), f"{name}: no test file imports {module}"


@pytest.mark.parametrize("name", sorted(TASKS))
def test_the_code_map_leads_from_every_task_state_to_its_handler(name):
    row = table().get(name)
    assert row is not None, f"{name} is missing from the table of {CODE_MAP.name}"
    handler_file = handler_of(TASKS[name]).rsplit(".", 1)[0].rsplit(".", 1)[1] + ".py"
    assert row[1] == f"`{handler_file}`"


def test_every_file_the_code_map_table_names_exists():
    named = {
        (column, path)
        for row in table().values()
        for column, cell in enumerate(row)
        for path in re.findall(r"`([\w/]+\.py)`", cell)
    }
    assert named
    bases = {1: [PACKAGE / "handlers"], 2: [PACKAGE], 3: [PACKAGE], 4: [PACKAGE], 5: [TESTS]}
    missing = [
        path for column, path in named if not any((b / path).is_file() for b in bases[column])
    ]
    assert not missing
