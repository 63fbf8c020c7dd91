"""One exit-code table (smdeploy/exitcodes.py), the same everywhere: each command's --help
lists exactly its rows, the top-level --help all of them, and docs/reference/outputs.md's
table is the declared one, row by row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from smdeploy.cli import app
from smdeploy.exitcodes import ALL, TABLE, ExitCode, rows_for

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ROOT / "docs" / "reference" / "outputs.md"
GROUP: Any = typer.main.get_command(app)
ROOT_CONTEXT = GROUP.make_context("smdeploy", [], resilient_parsing=True)
COMMANDS = sorted(GROUP.list_commands(ROOT_CONTEXT))


def help_text(path: list[str]) -> str:
    """``smdeploy <path> --help`` wide enough that no row wraps."""
    command = GROUP.get_command(ROOT_CONTEXT, path[0]) if path else GROUP
    context = command.make_context(
        " ".join(["smdeploy", *path]),
        [],
        resilient_parsing=True,
        terminal_width=1000,
        max_content_width=1000,
    )
    return str(command.get_help(context))


def help_rows(text: str) -> list[tuple[int, str]]:
    """The (code, meaning) rows of a help page's "Exit codes" section, in order."""
    _, found, section = text.partition("\nExit codes:\n")
    assert found, f"no Exit codes section in:\n{text}"
    rows = re.findall(r"^  (\d+)\s{2,}(.+)$", section.split("\n\n")[0], re.MULTILINE)
    return [(int(code), meaning.strip()) for code, meaning in rows]


def declared(command: str | None) -> list[tuple[int, str]]:
    return [(int(row.code), row.meaning) for row in rows_for(command)]


def test_the_table_has_one_row_per_code_in_order_and_superseded_is_its_own() -> None:
    assert [row.code for row in TABLE] == list(ExitCode)
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 4]
    assert ExitCode.SUPERSEDED not in (ExitCode.OK, ExitCode.FAILED)
    assert set(ALL) == set(COMMANDS)  # every command, and only commands, in the table
    for row in TABLE:
        assert set(row.commands) <= set(COMMANDS), row


@pytest.mark.parametrize("command", COMMANDS)
def test_each_commands_help_lists_exactly_its_rows_of_the_table(command: str) -> None:
    assert help_rows(help_text([command])) == declared(command)


def test_every_command_can_succeed_and_be_misused() -> None:
    for command in COMMANDS:
        codes = {code for code, _ in declared(command)}
        assert {ExitCode.OK, ExitCode.MISUSE} <= codes, command


def test_changes_are_plans_alone_and_superseded_is_for_the_commands_that_report_an_end() -> None:
    commands = {row.code: set(row.commands) for row in TABLE}
    assert commands[ExitCode.CHANGES] == {"plan"}
    assert commands[ExitCode.SUPERSEDED] == {"local", "start", "status", "watch"}


def test_the_top_level_help_lists_the_whole_table() -> None:
    assert help_rows(help_text([])) == declared(None)


def outputs_table() -> list[tuple[int, str, str]]:
    """docs/reference/outputs.md's exit-code table: (code, meaning, commands) per row."""
    text = OUTPUTS.read_text()
    _, found, section = text.partition("\n## Exit codes\n")
    assert found, "docs/reference/outputs.md has no Exit codes section"
    lines = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("|")]
    header, rule, *rows = lines
    assert header == "| Exit code | Meaning | Commands |"
    assert set(rule.replace("|", "").split()) == {"---"}
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    return [(int(code), meaning, commands) for code, meaning, commands in cells]


def documented_commands(row_commands: tuple[str, ...]) -> str:
    return "every command" if row_commands == ALL else ", ".join(f"`{c}`" for c in row_commands)


def test_the_docs_table_is_the_declared_table() -> None:
    expected = [(int(r.code), r.meaning, documented_commands(r.commands)) for r in TABLE]
    assert outputs_table() == expected


def test_the_docs_have_one_exit_code_table() -> None:
    headers = [line for line in OUTPUTS.read_text().splitlines() if line.startswith("| Exit code")]
    assert headers == ["| Exit code | Meaning | Commands |"]
