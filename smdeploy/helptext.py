"""Help pages as click lays them out (paragraphs rewrapped to the terminal, option names
whole), with the usage line and the option list a user reads in a synopsis:
``REQUEST.json...`` rather than a type's name, and no ``<bool>`` after a flag, and last the
exit codes that apply, generated from the one table (:mod:`smdeploy.exitcodes`).
docs/reference/cli.md is generated from these pages (``python -m smdeploy.docs``)."""

from __future__ import annotations

import re
from typing import Any

import typer.core

from smdeploy.documents import DOCUMENTS
from smdeploy.exitcodes import rows_for

EXIT_CODES_SECTION = "Exit codes"
JSON_KEYS_SECTION = "JSON keys (--json)"


def _json_keys(command: str | None, formatter: Any) -> None:
    """The "JSON keys" section: every key of the command's ``--json`` document, by its path
    (:mod:`smdeploy.documents`); nothing for a command without one."""
    document = DOCUMENTS.get(command or "")
    if document is None:
        return
    with formatter.section(JSON_KEYS_SECTION):
        formatter.write_dl(document.meanings(expand=False))


def _exit_codes(command: str | None, formatter: Any) -> None:
    """The "Exit codes" section: the table's rows for ``command`` (None: all of them)."""
    with formatter.section(EXIT_CODES_SECTION):
        formatter.write_dl([(str(int(row.code)), row.meaning) for row in rows_for(command)])


# typer's type label after a name: "REQUEST.json <list[Path]>", "--json <bool>"
_TYPE_LABEL = re.compile(r" <[^<>]*>$")


class Command(typer.core.TyperCommand):
    """A typer command whose help reads like a command synopsis."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, typer.core.TyperArgument):
                name = param.metavar or param.name or ""
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            name, text = record
            name = _TYPE_LABEL.sub("", name)
            if isinstance(param, typer.core.TyperArgument):
                name += "..." if param.nargs != 1 and not name.endswith("...") else ""
                arguments.append((name, text.replace("  [required]", "").strip()))
            else:
                options.append((name, text))
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        _json_keys(self.name, formatter)
        _exit_codes(self.name, formatter)
        super().format_epilog(ctx, formatter)


class Group(typer.core.TyperGroup):
    """The top-level command: its help ends with the whole exit-code table."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        _exit_codes(None, formatter)
        super().format_epilog(ctx, formatter)
