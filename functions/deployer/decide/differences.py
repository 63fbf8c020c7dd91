"""Compare what a request asks for with what SageMaker describes.

SageMaker's Describe calls return what was created plus defaults it filled in (and, for
lists, nothing reordered). So "the same" means: every value the request gives is present,
equal, at the same place in the description. Values the request leaves out are ignored.
"""

from __future__ import annotations

import json
from typing import Any


def shown(value: Any) -> str:
    """A value in a sentence as the request writes it: JSON (``"ml.m5.large"``, ``{"A": 1}``),
    never a Python repr."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except ValueError:  # a circular value: not from JSON
        return str(value)


def differences(wanted: Any, actual: Any, path: str = "") -> list[str]:
    """Sentences, one per difference, each naming the path and both values."""
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            return [f"{path or '(root)'}: exists as {shown(actual)}, request says {shown(wanted)}"]
        found: list[str] = []
        for key, value in wanted.items():
            where = f"{path}.{key}" if path else key
            if key not in actual:
                found.append(
                    f"{where}: not set on the existing resource, request says {shown(value)}"
                )
            else:
                found.extend(differences(value, actual[key], where))
        return found
    if isinstance(wanted, list):
        if not isinstance(actual, list) or len(actual) != len(wanted):
            return [f"{path}: exists as {shown(actual)}, request says {shown(wanted)}"]
        found = []
        for i, (w, a) in enumerate(zip(wanted, actual, strict=True)):
            found.extend(differences(w, a, f"{path}[{i}]"))
        return found
    if _same_scalar(wanted, actual):
        return []
    return [f"{path}: exists as {shown(actual)}, request says {shown(wanted)}"]


def _same_scalar(wanted: Any, actual: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return wanted is actual
    if isinstance(wanted, int | float) and isinstance(actual, int | float):
        return float(wanted) == float(actual)
    return bool(wanted == actual)
