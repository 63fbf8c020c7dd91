"""Help pages as click lays them out (paragraphs rewrapped to the terminal, option names
whole), with the usage line and the option list a user reads in a synopsis:
``REQUEST.json...`` rather than a type's name, and no ``<bool>`` after a flag.
docs/reference/cli.md is generated from these pages (``python -m smdeploy.docs``)."""

from __future__ import annotations

import re
from typing import Any

import typer.core

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
