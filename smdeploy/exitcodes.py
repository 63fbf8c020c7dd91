"""smdeploy's exit codes: one table, declared here and nowhere else.

Every command exits with one of these codes; each command's ``--help`` lists the rows that
apply to it (generated from :data:`TABLE` by :class:`smdeploy.helptext.Command`), the
top-level ``--help`` lists them all, and docs/reference/outputs.md shows the same table
(``tests/unit/test_exit_codes.py`` compares the three).

Misuse is 2, as click exits on a usage error
(https://click.palletsprojects.com/en/stable/exceptions/). ``plan --detailed-exitcode`` has
Terraform's meaning, non-zero on changes only when asked
(https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode), but with
smdeploy's own code for changes, 3, since 2 is misuse in every command.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """What a command's exit status says."""

    OK = 0
    FAILED = 1
    MISUSE = 2
    CHANGES = 3
    SUPERSEDED = 4


@dataclass(frozen=True)
class Row:
    """One row of the table: the code, what it means, and the commands that exit with it."""

    code: ExitCode
    meaning: str
    commands: tuple[str, ...]


ALL = ("local", "validate", "emulator", "start", "status", "plan", "watch", "doctor", "demo")

TABLE: tuple[Row, ...] = (
    Row(
        ExitCode.OK,
        "success: the deployment succeeded (or was started, or reported), the request is "
        "valid, there is nothing to change, or every check of doctor passed",
        ALL,
    ),
    Row(
        ExitCode.FAILED,
        "failure: a deployment failed (or would fail), the request is invalid, or a check of "
        "doctor failed",
        ("local", "validate", "start", "plan", "watch", "doctor", "demo"),
    ),
    Row(
        ExitCode.MISUSE,
        "misuse: unknown option or bad value, missing or unreadable file, or AWS refused the "
        "call (no credentials, endpoint unreachable, no such resource)",
        ALL,
    ),
    Row(
        ExitCode.CHANGES,
        "plan --detailed-exitcode only: the deployment would change something (without the "
        "option, plan exits 0 on changes)",
        ("plan",),
    ),
    Row(
        ExitCode.SUPERSEDED,
        "superseded: a newer deployment of the same endpoint, or the rejection of its package, "
        "took over (neither success nor failure)",
        ("local", "start", "status", "watch"),
    ),
)


def rows_for(command: str | None) -> tuple[Row, ...]:
    """The rows that apply to ``command`` (None: the whole table, for the top-level help)."""
    if command is None:
        return TABLE
    return tuple(row for row in TABLE if command in row.commands)
