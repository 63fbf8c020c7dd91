"""One registry of --json documents (smdeploy/documents.py), the same everywhere: every command
has one, each command's --help lists exactly its keys, and docs/reference/outputs.md shows an
example of each with exactly its keys. tests/e2e/test_json_documents.py compares the registry
with what each command prints."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from smdeploy.cli import app
from smdeploy.documents import DOCUMENTS, OPAQUE, Document, paths_of
from smdeploy.exitcodes import ALL

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ROOT / "docs" / "reference" / "outputs.md"
GROUP: Any = typer.main.get_command(app)
ROOT_CONTEXT = GROUP.make_context("smdeploy", [], resilient_parsing=True)
COMMANDS = sorted(GROUP.list_commands(ROOT_CONTEXT))
PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")


def help_text(command: str) -> str:
    """``smdeploy <command> --help`` wide enough that no row wraps."""
    found = GROUP.get_command(ROOT_CONTEXT, command)
    context = found.make_context(
        f"smdeploy {command}", [], resilient_parsing=True, terminal_width=1000
    )
    context.max_content_width = 1000
    return str(found.get_help(context))


def help_keys(text: str) -> list[str]:
    """The key paths of a help page's "JSON keys (--json)" section, in order."""
    _, found, section = text.partition("\nJSON keys (--json):\n")
    assert found, f"no JSON keys section in:\n{text}"
    return re.findall(r"^  (\S+)\s{2,}", section.split("\n\n")[0], re.MULTILINE)


def test_every_command_has_a_document_and_every_key_is_pascal_case() -> None:
    assert sorted(DOCUMENTS) == sorted(COMMANDS) == sorted(ALL)
    for document in DOCUMENTS.values():
        for path in document.paths():
            parts = path.replace("[]", "").split(".")
            assert all(PASCAL.fullmatch(part) for part in parts), (document.command, path)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_commands_help_lists_exactly_its_keys(command: str) -> None:
    text = help_text(command)

    assert help_keys(text) == DOCUMENTS[command].paths(expand=False)
    assert "--json" in text


def documented(command: str) -> Any:
    """The example document of ``command`` on docs/reference/outputs.md: the first ```json
    block (or ```console block, its ``$`` line left out and ``…`` read as 0) of its section
    ``## `smdeploy <command>` ``."""
    text = OUTPUTS.read_text()
    _, found, section = text.partition(f"\n## `smdeploy {command}`\n")
    assert found, f"docs/reference/outputs.md has no section for smdeploy {command}"
    section = section.split("\n## ")[0]
    block = re.search(r"```(json|console)\n(.*?)```", section, re.DOTALL)
    assert block, f"no example in the section of smdeploy {command}"
    lines = [line for line in block[2].splitlines() if not line.startswith("$ ")]
    return json.loads("\n".join(lines).replace("…", "0"))


def expected_keys(document: Document, example: Any) -> None:
    objects = example if document.array else [example]
    for each in objects:
        assert list(each) == [key.name for key in document.keys], document.command
    paths = paths_of(example, opaque=OPAQUE | {f"Execution.{p}" for p in OPAQUE})
    assert paths <= set(document.paths()), paths - set(document.paths())


@pytest.mark.parametrize("command", COMMANDS)
def test_the_docs_show_each_document_with_exactly_its_keys(command: str) -> None:
    expected_keys(DOCUMENTS[command], documented(command))


def test_nested_keys_are_shown_where_the_docs_show_them_filled() -> None:
    status = documented("status")
    assert set(paths_of(status, opaque=OPAQUE)) >= {"ServingInstances[].InstanceType"}
