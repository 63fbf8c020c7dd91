"""The moto the emulator is written for: its exact version (the pin of pyproject.toml), the
error raised when moto's internals are not where the emulator expects them, and moto's name of
a response method."""

from __future__ import annotations

import re

MOTO_VERSION = "5.2.5"  # the exact pin of pyproject.toml


class MotoChanged(RuntimeError):
    """moto is not the version the hooks were written against, or a hooked attribute moved."""


def snake_case(operation: str) -> str:
    """moto's name of an operation's response method: ``CreateModel`` -> ``create_model``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
