"""One broken rule of a deployment request: where (a JSON path), which rule, what value.

Every check of the request (botocore's model, the documented rules, the JSON itself) reports
a :class:`Violation`; ``str(violation)`` is the ``"path: message"`` line users read.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

# The path of a problem with the request as a whole (not JSON, not an object, too large).
REQUEST_PATH = "(request)"
_SHOWN = 80  # characters of a value quoted in a message
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Violation:
    """``path`` as in ``ProductionVariants[2].ServerlessConfig.MemorySizeInMB``; ``rule`` a
    short stable name (``max``, ``pattern``, ``serverless-memory``...); ``message`` says the
    rule and the offending value; ``value`` is that value (not compared: the message shows
    it, and it may be a list or a NaN)."""

    path: str
    rule: str
    message: str
    value: Any = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def join(parent: str, child: str | int) -> str:
    """The path of a member (``name``) or an item (``int``) of ``parent``."""
    if isinstance(child, int):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else child


def join_key(parent: str, key: str) -> str:
    """The path of a map entry: ``Environment.NAME``, or ``Environment["odd key"]``."""
    if _IDENTIFIER.fullmatch(key):
        return join(parent, key)
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def render(value: Any) -> str:
    """A value as it looks in a JSON request, cut to a readable length."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):  # an integer of more digits than Python prints
            text = f"({kind(value)})"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def kind(value: Any) -> str:
    """The JSON kind of a value, with its article: 'a string', 'an object', 'null'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"  # an integer is finite however large (math.isfinite would overflow)
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else "a non-finite number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def described(value: Any) -> str:
    """'a string "2"', 'an object {...}', 'null': the value with its kind."""
    shown = kind(value)
    return shown if value is None else f"{shown} {render(value)}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
