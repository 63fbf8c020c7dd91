"""SageMaker API shapes, read from botocore's service model (the source of truth).

Nothing here copies a constant out of the API reference: member lists, required members,
types, lengths, ranges, patterns and enums (the instance types...) come from the model that
ships with the pinned botocore, so a newer botocore brings newer members and values with it.

botocore's own client-side validator checks only required members, types and minimums;
:func:`check_value` walks the model and checks everything it says, and :func:`model_violations`
does so for a whole deployment request.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

from deployer import interface
from deployer.aws.clients import botocore_session
from deployer.request.patterns import PATTERN_MEANINGS, compile_pattern
from deployer.request.violations import Violation, described, join, join_key, render

# The request is the union of these operations' inputs (see DESIGN.md).
CONFIG_OPERATION = "CreateEndpointConfig"
CREATE_OPERATION = "CreateEndpoint"
UPDATE_OPERATION = "UpdateEndpoint"
MODEL_OPERATION = "CreateModel"
# ``InferenceComponents``: CreateInferenceComponent requests, with UpdateInferenceComponent's
# DeploymentConfig (deployer.request.inference_components walks them with this module's walk).
IC_OPERATIONS = ("CreateInferenceComponent", "UpdateInferenceComponent")


@cache
def service_model() -> ServiceModel:
    """The SageMaker service model, through the session the clients share: read from disk once
    per process (about 0.1 s), by whichever comes first, this or the SageMaker client."""
    return botocore_session().get_service_model("sagemaker")


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


_CLASS_NAME = re.compile(r"<class '([\w.]+)'>")


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """' (did you mean X?)' for the closest known name, or ''."""
    import difflib  # only when a request names an unknown field

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def botocore_violations(
    operation: str, params: dict[str, Any], prefix: str = ""
) -> list[Violation]:
    """Run botocore's own client-side validation (required, type, min) and phrase each finding.

    botocore checks only required members, types and minimums; it never checks max, pattern
    or enum, so this is a floor, not the whole rule set. Its findings are read from the
    structured list that ``generate_report`` formats (botocore is pinned exactly).
    """
    report = ParamValidator().validate(params, input_shape(operation))
    found: list[Violation] = []
    for kind, name, extra in report._errors:
        path = _join(prefix, name.lstrip("."))
        if kind == "missing required field":
            missing = _join(path, extra["required_name"])
            found.append(Violation(missing, "required", "required field is missing"))
        elif kind == "unknown field":
            unknown = str(extra["unknown_param"])
            hint = suggest(unknown, extra["valid_names"])
            found.append(
                Violation(join_key(path, unknown), "unknown-field", f"unknown field{hint}")
            )
        elif kind in ("invalid type", "invalid type for document"):
            wanted = " or ".join(_CLASS_NAME.sub(r"\1", str(t)) for t in extra["valid_types"])
            found.append(
                Violation(
                    path,
                    "type",
                    f"must be of type {wanted}, got {extra['param']!r}",
                    extra["param"],
                )
            )
        elif kind == "invalid range":
            message = f"must be at least {extra['min_allowed']}, got {extra['param']!r}"
            found.append(Violation(path, "min", message, extra["param"]))
        elif kind == "invalid length":
            message = f"must have length at least {extra['min_allowed']}, got {extra['param']!r}"
            found.append(Violation(path, "min-length", message, extra["param"]))
        else:
            message = report._format_error((kind, name, extra))
            found.append(Violation(path, "botocore", message))
    return found


# --- the model's rules, all of them ------------------------------------------------------

# The seed operations whose inputs make up a request, and the request's own required fields
# (EndpointConfigName is derived when absent).
REQUEST_OPERATIONS = (CONFIG_OPERATION, CREATE_OPERATION, UPDATE_OPERATION)
REQUEST_REQUIRED = ("EndpointName", "ProductionVariants")
MODELS_FIELD = "Models"
COMPONENTS_FIELD = interface.COMPONENTS_FIELD
# The smdeploy key beside the SageMaker fields (checked by deployer.request.guardrails)
GUARDRAILS_FIELD = interface.GUARDRAILS_FIELD
DEADLINE_FIELD = interface.DEADLINE_FIELD

# How SageMaker (a Java service) holds numbers: "integer" is 32-bit, "long" 64-bit.
FLOAT32_MAX = 3.4028234663852886e38
_INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


@cache
def request_members() -> dict[str, Shape]:
    """Every top-level field of a request but ``Models``, with its shape, in model order.

    A field that several operations share has one shape in all of them (checked by a test).
    """
    found: dict[str, Shape] = {}
    for operation in REQUEST_OPERATIONS:
        for name, shape in input_shape(operation).members.items():
            found.setdefault(name, shape)
    return found


def model_violations(raw: Mapping[str, Any]) -> list[Violation]:
    """Every rule of botocore's model that the request breaks, reading the request as the
    union of CreateEndpointConfig, CreateEndpoint and UpdateEndpoint, with ``Models`` as a
    list of CreateModel requests."""
    members = request_members()
    own = [MODELS_FIELD, COMPONENTS_FIELD, GUARDRAILS_FIELD, DEADLINE_FIELD]
    found = unknown_fields("", raw, [*members, *own])
    found += [
        Violation(name, "required", "required field is missing")
        for name in REQUEST_REQUIRED
        if name not in raw
    ]
    for name, shape in members.items():
        if name not in raw or (name == "EndpointConfigName" and raw[name] is None):
            continue  # a null EndpointConfigName asks for a derived one, as leaving it out does
        found += check_value(shape, raw[name], name)
    if MODELS_FIELD in raw:
        models = raw[MODELS_FIELD]
        if not isinstance(models, list | tuple):
            return [*found, _wrong_type(MODELS_FIELD, "a list", models)]
        model_shape = input_shape(MODEL_OPERATION)
        for i, model in enumerate(models):
            found += check_value(model_shape, model, join(MODELS_FIELD, i))
    return found


def check_value(shape: Shape, value: Any, path: str) -> list[Violation]:
    """Every rule of ``shape`` (and of the shapes inside it) that ``value`` breaks."""
    if isinstance(shape, StructureShape):
        return _check_structure(shape, value, path)
    if isinstance(shape, ListShape):
        return _check_list(shape, value, path)
    if isinstance(shape, MapShape):
        return _check_map(shape, value, path)
    problem = _check_scalar(shape, value, path)
    return [problem] if problem else []


def _wrong_type(path: str, wanted: str, value: Any) -> Violation:
    return Violation(path, "type", f"must be {wanted}, got {described(value)}", value)


def unknown_fields(path: str, value: Mapping[Any, Any], known: list[str]) -> list[Violation]:
    """A violation for each field of ``value`` (at ``path``) that is not ``known``."""
    found: list[Violation] = []
    for key in value:
        if not isinstance(key, str):
            message = f"field names must be strings, got {described(key)}"
            found.append(Violation(path or "(request)", "type", message, key))
        elif key not in known:
            message = f"unknown field{suggest(key, known)}"
            found.append(Violation(join_key(path, key), "unknown-field", message, key))
    return found


def _check_structure(shape: StructureShape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, dict):
        return [_wrong_type(path, "an object", value)]
    found = unknown_fields(path, value, list(shape.members))
    found += [
        Violation(join(path, name), "required", "required field is missing")
        for name in shape.required_members
        if name not in value
    ]
    for name, member in shape.members.items():
        if name in value:
            found += check_value(member, value[name], join(path, name))
    return found


def _outside(value: float, low: float | None, high: float | None) -> str | None:
    """Which bound ``value`` breaks: "min" (below ``low``), "max" (above ``high``), or None."""
    if low is not None and value < low:
        return "min"
    if high is not None and value > high:
        return "max"
    return None


def _length_rule(shape: Shape, count: int, noun: str) -> tuple[str, str] | None:
    """(rule, message) when ``count`` is outside the shape's min/max, else None."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    side = _outside(count, low, high)
    if side is None:
        return None
    rule = f"{side}-length"
    if low and high is not None:
        bounds = f"{low} to {high}"
    elif high is not None:
        bounds = f"at most {high}"
    else:
        bounds = f"at least {low}"
    if noun == "characters" and low == 1 and count == 0 and high is not None:
        return rule, "must not be empty"
    unit = noun if (high if high is not None else low) != 1 else noun.rstrip("s")
    return rule, f"must {'be' if noun == 'characters' else 'hold'} {bounds} {unit}, got {count}"


def _check_list(shape: ListShape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, list | tuple):
        return [_wrong_type(path, "a list", value)]
    found: list[Violation] = []
    if broken := _length_rule(shape, len(value), "items"):
        found.append(Violation(path, broken[0], broken[1], len(value)))
    for i, item in enumerate(value):
        found += check_value(shape.member, item, join(path, i))
    return found


def _check_map(shape: MapShape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, dict):
        return [_wrong_type(path, "an object", value)]
    found: list[Violation] = []
    if broken := _length_rule(shape, len(value), "entries"):
        found.append(Violation(path, broken[0], broken[1], len(value)))
    for key, item in value.items():
        if not isinstance(key, str):
            message = f"names must be strings, got {described(key)}"
            found.append(Violation(path, "type", message, key))
            continue
        entry = join_key(path, key)
        for problem in check_value(shape.key, key, entry):
            found.append(Violation(entry, problem.rule, f"name {problem.message}", key))
        found += check_value(shape.value, item, entry)
    return found


def _check_scalar(shape: Shape, value: Any, path: str) -> Violation | None:
    kind = shape.type_name
    if kind == "string":
        return _check_string(shape, value, path)
    if kind in _INTEGER_RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            return _wrong_type(path, "an integer", value)
        low, high = _INTEGER_RANGES[kind]
        return _check_range(shape, value, path, low, high)
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _wrong_type(path, "a number", value)
        if isinstance(value, float) and not math.isfinite(value):
            return _wrong_type(path, "a finite number", value)
        if kind == "float" and abs(value) > FLOAT32_MAX:
            # The API reference's Float is 32 bits wide (e.g. InitialVariantWeight:
            # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html)
            message = f"must be a 32-bit float (at most {FLOAT32_MAX:.8g}), got {render(value)}"
            return Violation(path, "float32", message, value)
        if abs(value) > sys.float_info.max:  # an integer no double holds
            message = (
                f"must be a 64-bit double (at most {sys.float_info.max:.8g}), got {render(value)}"
            )
            return Violation(path, "float64", message, value)
        return _check_range(shape, value, path, None, None)
    if kind == "boolean":
        return None if isinstance(value, bool) else _wrong_type(path, "true or false", value)
    return None  # timestamps and blobs: no request field of ours has one


def _check_range(
    shape: Shape, value: float, path: str, floor: int | None, ceiling: int | None
) -> Violation | None:
    low = shape.metadata.get("min", floor)
    high = shape.metadata.get("max", ceiling)
    rule = _outside(value, low, high)
    if rule is None:
        return None
    if "min" in shape.metadata and "max" in shape.metadata:
        bounds = f"from {low} to {high}"
    else:
        bounds = f"at least {low}" if rule == "min" else f"at most {high}"
    return Violation(path, rule, f"must be {bounds}, got {render(value)}", value)


def _check_string(shape: Shape, value: Any, path: str) -> Violation | None:
    if not isinstance(value, str):
        return _wrong_type(path, "a string", value)
    if broken := _length_rule(shape, len(value), "characters"):
        rule, message = broken
        if rule == "max-length":
            message = f"{message}: {render(value)}"
        return Violation(path, rule, message, value)
    enum: list[str] | None = shape.metadata.get("enum")
    if enum:
        return None if value in enum else _enum_violation(shape, enum, value, path)
    pattern = shape.metadata.get("pattern")
    compiled = compile_pattern(pattern, value) if pattern else None
    if compiled is None or compiled.fullmatch(value):
        return None
    if not value:
        return Violation(path, "pattern", "must not be empty", value)
    meaning = PATTERN_MEANINGS.get(shape.name)
    hint = f" ({meaning})" if meaning else ""
    message = f"must match the pattern {pattern}{hint}, got {render(value)}"
    return Violation(path, "pattern", message, value)


def _enum_violation(shape: Shape, enum: list[str], value: str, path: str) -> Violation:
    by_case = {v.lower(): v for v in enum}
    if value.lower() in by_case:
        hint = f"; did you mean {by_case[value.lower()]}?"
    else:
        hint = suggest(value, enum)
    if len(enum) <= 12:
        wanted = f"one of {', '.join(enum)}"
    else:
        wanted = f"one of the {len(enum)} values of {shape.name} in botocore's SageMaker model"
    return Violation(path, "enum", f"must be {wanted}, got {render(value)}{hint}", value)


def _reachable(shape: Shape, seen: dict[str, Shape]) -> None:
    if shape.name in seen:
        return
    seen[shape.name] = shape
    if isinstance(shape, StructureShape):
        for member in shape.members.values():
            _reachable(member, seen)
    elif isinstance(shape, ListShape):
        _reachable(shape.member, seen)
    elif isinstance(shape, MapShape):
        _reachable(shape.key, seen)
        _reachable(shape.value, seen)


def request_shapes() -> dict[str, Shape]:
    """Every shape a request can hold (the seed operations' inputs, CreateModel's and the
    inference components' operations')."""
    seen: dict[str, Shape] = {}
    for operation in (*REQUEST_OPERATIONS, MODEL_OPERATION, *IC_OPERATIONS):
        _reachable(input_shape(operation), seen)
    return seen


def unchecked_patterns(shapes: Iterable[Shape] | None = None) -> dict[str, str]:
    """Shape name -> pattern, for each pattern that cannot be checked (see above)."""
    return {
        shape.name: shape.metadata["pattern"]
        for shape in (request_shapes().values() if shapes is None else shapes)
        if "pattern" in shape.metadata and compile_pattern(shape.metadata["pattern"]) is None
    }
