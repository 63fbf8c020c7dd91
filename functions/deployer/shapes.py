"""SageMaker API shapes, read from botocore's service model (the source of truth).

Nothing here copies a constant out of the API reference: member lists, required members,
lengths and patterns come from the model that ships with the pinned botocore, so a newer
botocore brings newer members with it.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel, StructureShape
from botocore.validate import ParamValidator

# The request is the union of these operations' inputs (see DESIGN.md).
CONFIG_OPERATION = "CreateEndpointConfig"
CREATE_OPERATION = "CreateEndpoint"
UPDATE_OPERATION = "UpdateEndpoint"
MODEL_OPERATION = "CreateModel"


@cache
def service_model() -> ServiceModel:
    """The SageMaker service model; loaded once per process (about 0.2 s)."""
    return botocore.session.get_session().get_service_model("sagemaker")


def input_shape(operation: str) -> StructureShape:
    shape = service_model().operation_model(operation).input_shape
    assert isinstance(shape, StructureShape), operation
    return shape


@cache
def members(operation: str) -> tuple[str, ...]:
    """Top-level member names of an operation's input, in model order."""
    return tuple(input_shape(operation).members)


@cache
def name_rule(shape_name: str) -> tuple[int, re.Pattern[str]]:
    """(max length, full-match pattern) of a name shape such as ``EndpointName``.

    The model's patterns carry no anchors; SageMaker applies them to the whole value.
    """
    meta: dict[str, Any] = service_model().shape_for(shape_name).metadata
    return int(meta["max"]), re.compile(str(meta["pattern"]))


def name_problem(field: str, shape_name: str, value: object) -> str | None:
    """A problem sentence for a name that breaks its documented rule, or None."""
    max_len, pattern = name_rule(shape_name)
    if not isinstance(value, str):
        return f"{field}: must be a string, got {value!r}"
    if not value:
        return f"{field}: must not be empty"
    if len(value) > max_len:
        return f"{field}: must be at most {max_len} characters, got {len(value)} ({value!r})"
    if not pattern.fullmatch(value):
        return (
            f"{field}: must match the pattern {pattern.pattern} "
            f"(letters, digits and hyphens, starting and ending with a letter or digit), "
            f"got {value!r}"
        )
    return None


_CLASS_NAME = re.compile(r"<class '([\w.]+)'>")


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """' (did you mean X?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def botocore_problems(operation: str, params: dict[str, Any], prefix: str = "") -> list[str]:
    """Run botocore's own client-side validation (required, type, min) and phrase each finding.

    botocore checks only required members, types and minimums; it never checks max, pattern
    or enum, so this is a floor, not the whole rule set. Its findings are read from the
    structured list that ``generate_report`` formats (botocore is pinned exactly).
    """
    report = ParamValidator().validate(params, input_shape(operation))
    problems: list[str] = []
    for kind, name, extra in report._errors:
        path = _join(prefix, name.lstrip("."))
        if kind == "missing required field":
            problems.append(f"{_join(path, extra['required_name'])}: required field is missing")
        elif kind == "unknown field":
            unknown = extra["unknown_param"]
            hint = suggest(unknown, extra["valid_names"])
            problems.append(f"{_join(path, unknown)}: unknown field{hint}")
        elif kind in ("invalid type", "invalid type for document"):
            wanted = " or ".join(_CLASS_NAME.sub(r"\1", str(t)) for t in extra["valid_types"])
            problems.append(f"{path}: must be of type {wanted}, got {extra['param']!r}")
        elif kind == "invalid range":
            problems.append(
                f"{path}: must be at least {extra['min_allowed']}, got {extra['param']!r}"
            )
        elif kind == "invalid length":
            problems.append(
                f"{path}: must have length at least {extra['min_allowed']}, got {extra['param']!r}"
            )
        else:
            problems.append(f"{path}: {report._format_error((kind, name, extra))}")
    return problems
