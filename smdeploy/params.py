"""Parsers of the command line's number options: each error echoes the value given and says
the bound it breaks (``'abc' is not a whole number``, ``'-1' is below 0``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import typer

_N = TypeVar("_N", int, float)


def whole(low: int | None = None, high: int | None = None) -> Callable[[str | int], int]:
    """A parser of whole numbers from ``low`` to ``high`` whose error echoes the value."""

    def parse(value: str | int) -> int:
        if isinstance(value, int):  # the default
            return value
        try:
            found = int(value.strip())
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a whole number") from None
        return _bounded(found, value, low, high)

    return parse


def number(low: float | None = None) -> Callable[[str | float], float]:
    """A parser of finite numbers of at least ``low`` whose error echoes the value."""

    def parse(value: str | float) -> float:
        if isinstance(value, int | float):  # the default
            return float(value)
        try:
            found = float(value.strip())
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a number") from None
        if not math.isfinite(found):
            raise typer.BadParameter(f"{value!r} is not a finite number")
        return _bounded(found, value, low, None)

    return parse


def _bounded(found: _N, value: str, low: float | None, high: float | None) -> _N:
    if low is not None and found < low:
        raise typer.BadParameter(f"{value!r} is below {low:g}")
    if high is not None and found > high:
        raise typer.BadParameter(f"{value!r} is above {high:g}")
    return found
