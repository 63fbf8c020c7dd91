"""Helpers shared by the end-to-end tests (fixtures live in conftest.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def states_entered(history: list[dict[str, Any]]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]


def failures(history: list[dict[str, Any]]) -> list[str]:
    """Error names of every Lambda failure in the history, in order (retried ones included)."""
    return [
        e["lambdaFunctionFailedEventDetails"]["error"]
        for e in history
        if e["type"] == "LambdaFunctionFailed"
    ]


def variant(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``request`` with its first production variant changed."""
    changed = copy.deepcopy(request)
    changed["ProductionVariants"][0].update(changes)
    return changed
