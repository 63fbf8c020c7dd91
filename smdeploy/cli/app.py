"""The ``smdeploy`` application: its name, help and --version; the commands register on it."""

from __future__ import annotations

from typing import Annotated

import typer

from smdeploy import __version__, present
from smdeploy.cli.common import EXIT_OK
from smdeploy.helptext import Group

app = typer.Typer(
    name="smdeploy",
    cls=Group,
    help="Deploy Amazon SageMaker real-time endpoints through a Step Functions state machine; "
    "run it all offline against an embedded emulator of AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        present.stdout().write(f"smdeploy {__version__}\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """smdeploy: event-driven, serverless deployer of SageMaker real-time endpoints."""
