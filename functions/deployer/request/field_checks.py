"""The checks of one field of a request's smdeploy keys (``Guardrails``), each a function of
(its path, its value) that names every problem by its path, its rule and its value.

Type-first: each check looks at its value's JSON type (null, boolean, number, string, list,
object) before anything else reads it, so any value gives a violation and never an
exception; the rules between fields read only fields of the right type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeGuard

from deployer.request.violations import Violation, described, join

# A field's check: (its path, its value) -> what is wrong with it.
Check = Callable[[str, Any], list[Violation]]
# Application Auto Scaling and CloudWatch take Integer (32-bit) and Double values
# (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
INT32_MAX = 2**31 - 1


def unknown(path: str, value: dict[str, Any], known: tuple[str, ...]) -> list[Violation]:
    from deployer.request.shapes import unknown_fields  # the request's own check of its fields

    return unknown_fields(path, value, list(known))


def whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def double(value: Any) -> float | None:
    """The value as a finite 64-bit double, or None when it is not one (a boolean, a
    non-number, NaN, an infinity, an integer too large for a double)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def integer(path: str, value: Any, low: int, high: int | None = None) -> list[Violation]:
    if not whole(value):
        return [Violation(path, "type", f"must be a whole number, got {described(value)}", value)]
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        return [Violation(path, "range", f"must be {bound}, got {value}", value)]
    if value > INT32_MAX:
        message = f"must be a 32-bit integer (at most {INT32_MAX}), got {value}"
        return [Violation(path, "range", message, value)]
    return []


def number(path: str, value: Any, low: float, strict: bool = False) -> list[Violation]:
    number = double(value)
    if number is None:
        message = f"must be a number (a finite 64-bit double), got {described(value)}"
        return [Violation(path, "type", message, value)]
    if number < low or (strict and number == low):
        bound = f"greater than {low:g}" if strict else f"at least {low:g}"
        return [Violation(path, "range", f"must be {bound}, got {number:g}", value)]
    return []


def one_of(known: tuple[str, ...]) -> Check:
    def check(path: str, value: Any) -> list[Violation]:
        if isinstance(value, str) and value in known:
            return []
        message = f"must be one of {', '.join(known)}, got {described(value)}"
        return [Violation(path, "enum" if isinstance(value, str) else "type", message, value)]

    return check


def walk(
    path: str, raw: Any, fields: dict[str, Check], required: tuple[str, ...] = ()
) -> list[Violation]:
    """One guardrails object: its type, unknown fields, the required ones, then each field
    by its own check (in ``fields``' order)."""
    if not isinstance(raw, dict):
        return [Violation(path, "type", f"must be an object, got {described(raw)}", raw)]
    found = unknown(path, raw, tuple(fields))
    found += [
        Violation(join(path, key), "required", "required field is missing")
        for key in required
        if key not in raw
    ]
    for key, check in fields.items():
        if key in raw:
            found += check(join(path, key), raw[key])
    return found


def in_field_order(path: str, found: list[Violation], fields: tuple[str, ...]) -> list[Violation]:
    """The violations of one object as the fields stand in ``fields``: unknown fields first,
    then each field's (those of the field itself, the rules between fields included, before
    those of its members), then the object's own."""

    def position(violation: Violation) -> tuple[int, int]:
        if violation.path == path:
            return len(fields), 0
        for i, key in enumerate(fields):
            inside = join(path, key)
            if violation.path == inside:
                return i, 0
            if violation.path.startswith((f"{inside}.", f"{inside}[")):
                return i, 1
        return -1, 0

    return sorted(found, key=position)


def variants_named(production: dict[str, dict[str, Any]], instance_based: bool) -> Check:
    def check(path: str, value: Any) -> list[Violation]:
        if not isinstance(value, list) or not value:
            message = (
                f"must be a non-empty list of production variant names, got {described(value)}"
            )
            return [Violation(path, "type" if value else "min-length", message, value)]
        found: list[Violation] = []
        for i, name in enumerate(value):
            if not isinstance(name, str):
                message = f"must be a production variant's name (a string), got {described(name)}"
                found.append(Violation(join(path, i), "type", message, name))
            elif production and name not in production:
                found.append(
                    Violation(
                        join(path, i),
                        "variant",
                        f"names no production variant of the request "
                        f"({', '.join(production)}), got {json.dumps(name)}",
                        name,
                    )
                )
            elif instance_based and "ServerlessConfig" in production.get(name, {}):
                found.append(
                    Violation(
                        join(path, i),
                        "serverless",
                        f"{json.dumps(name)} is serverless: Application Auto Scaling scales the "
                        f"instance count of instance-based variants only",
                        name,
                    )
                )
        return found

    return check
