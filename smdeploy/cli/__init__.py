"""The ``smdeploy`` command line: one thin function per command.

The exit codes are one table, :data:`smdeploy.exitcodes.TABLE`: every command exits with
its codes, and its ``--help`` lists them. Progress goes to stderr; stdout carries only
results (a table or the problems, or with ``--json`` exactly one JSON document). How things
are shown lives in :mod:`smdeploy.present`; files are read by :mod:`smdeploy.files` only.
"""

# each module registers its commands, in the order the help lists them
# isort: off
from smdeploy.cli import offline  # noqa: F401
from smdeploy.cli import aws  # noqa: F401
from smdeploy.cli import doctor  # noqa: F401
from smdeploy.cli import demo  # noqa: F401

# isort: on
from smdeploy.cli.app import app


def main() -> None:
    """Console-script entry point: usage errors exit 2 (click's convention)."""
    app()


__all__ = ["app", "main"]
