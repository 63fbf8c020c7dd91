"""The validator, fuzzed: ``python -m bench --only fuzz``.

Each input is a valid request with every guardrail (:data:`BASE`), with one to three fields
of one family changed: given a value of any JSON type (null, boolean, integer, number,
string, list, object, and edges of each), removed, or added where the request had none.
Each goes through both doors that check it: :func:`deployer.request.deployment.validate_request` as
a
request, and :func:`deployer.request.profiles.parse_profiles` as the profile it would be (the same
fields, its variants without ModelName). A traceback is any exception other than the answer
the door documents (violations; ``ProfileInvalid``).

"wrong types" counts the fields left holding a value of a JSON type the field does not take
(:data:`FIELDS`); "reported" those of them the validator named by their own path: every
problem is reported at once, not the first one only.

The generator is seeded (seed 1): the table is the same on every run. The unit tests draw
their inputs from the same :data:`FIELDS` with Hypothesis
(``tests/unit/test_guardrail_properties.py``).
"""

from __future__ import annotations

import copy
import random
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from deployer.errors import ProfileInvalid
from deployer.request.deployment import validate_request
from deployer.request.profiles import parse_profiles

INPUTS = 10_000
SEED = 1

Path = tuple[str | int, ...]

# A valid request with every guardrail, and every field the guardrails read of the rest of
# the request (the variants and their names, the endpoint's name, the alarms the
# DeploymentConfig names itself).
BASE: dict[str, Any] = {
    "EndpointName": "fraud-scorer",
    "ProductionVariants": [
        {
            "VariantName": "primary",
            "ModelName": "fraud-v1",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 2,
        },
        {
            "VariantName": "canary",
            "ModelName": "fraud-v1",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        },
    ],
    "DeploymentConfig": {
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "fraud-scorer-latency"}]}
    },
    "Guardrails": {
        "AutoScaling": {
            "Variants": ["primary"],
            "MinCapacity": 1,
            "MaxCapacity": 4,
            "TargetValue": 100,
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance",
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
        },
        "RollbackAlarms": [
            {
                "Metric": "Invocation5XXErrors",
                "Threshold": 5,
                "Statistic": "Sum",
                "PeriodSeconds": 60,
                "EvaluationPeriods": 2,
                "Variants": ["primary"],
            },
            {"Metric": "ModelErrorRate", "Threshold": 0.05},
        ],
        "SmokeTest": {
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": {"instances": [[1, 2]]},
            "ExpectStatus": 200,
            "ExpectJsonPath": "$.predictions[0]",
        },
    },
}

# The JSON types, as :func:`kind` names them.
KINDS = ("null", "boolean", "integer", "number", "string", "list", "object")
ANY = frozenset(KINDS)
_NUMBER = frozenset({"integer", "number"})
_ALARM: dict[str, frozenset[str]] = {
    "Metric": frozenset({"string"}),
    "Threshold": _NUMBER,
    "Statistic": frozenset({"string"}),
    "PeriodSeconds": frozenset({"integer"}),
    "EvaluationPeriods": frozenset({"integer"}),
    "Variants": frozenset({"list"}),
    "InferenceComponents": frozenset({"list"}),
}

# Every field the fuzzer changes -> the JSON types it takes (per the field's documentation:
# deployer.request.guardrails and the SageMaker API reference). A field the request lacks is added.
FIELDS: dict[Path, frozenset[str]] = {
    ("EndpointName",): frozenset({"string"}),
    ("ProductionVariants",): frozenset({"list"}),
    ("ProductionVariants", 0): frozenset({"object"}),
    ("ProductionVariants", 0, "VariantName"): frozenset({"string"}),
    ("ProductionVariants", 1): frozenset({"object"}),
    ("ProductionVariants", 1, "VariantName"): frozenset({"string"}),
    ("DeploymentConfig", "AutoRollbackConfiguration"): frozenset({"object"}),
    ("DeploymentConfig", "AutoRollbackConfiguration", "Alarms"): frozenset({"list"}),
    ("Guardrails",): frozenset({"object"}),
    ("Guardrails", "AutoScaling"): frozenset({"object"}),
    ("Guardrails", "AutoScaling", "Variants"): frozenset({"list"}),
    ("Guardrails", "AutoScaling", "Variants", 0): frozenset({"string"}),
    ("Guardrails", "AutoScaling", "InferenceComponents"): frozenset({"list"}),
    ("Guardrails", "AutoScaling", "InferenceComponents", 0): frozenset({"string"}),
    ("Guardrails", "AutoScaling", "MinCapacity"): frozenset({"integer"}),
    ("Guardrails", "AutoScaling", "MaxCapacity"): frozenset({"integer"}),
    ("Guardrails", "AutoScaling", "TargetValue"): _NUMBER,
    ("Guardrails", "AutoScaling", "PredefinedMetricType"): frozenset({"string"}),
    ("Guardrails", "AutoScaling", "CustomizedMetricSpecification"): frozenset({"object"}),
    ("Guardrails", "AutoScaling", "ScaleInCooldown"): frozenset({"integer"}),
    ("Guardrails", "AutoScaling", "ScaleOutCooldown"): frozenset({"integer"}),
    ("Guardrails", "RollbackAlarms"): frozenset({"list"}),
    ("Guardrails", "RollbackAlarms", 0): frozenset({"object"}),
    **{("Guardrails", "RollbackAlarms", 0, name): kinds for name, kinds in _ALARM.items()},
    ("Guardrails", "RollbackAlarms", 0, "Variants", 0): frozenset({"string"}),
    ("Guardrails", "RollbackAlarms", 1): frozenset({"object"}),
    **{("Guardrails", "RollbackAlarms", 1, name): kinds for name, kinds in _ALARM.items()},
    ("Guardrails", "SmokeTest"): frozenset({"object"}),
    ("Guardrails", "SmokeTest", "Body"): ANY,
    ("Guardrails", "SmokeTest", "ContentType"): frozenset({"string"}),
    ("Guardrails", "SmokeTest", "Accept"): frozenset({"string"}),
    ("Guardrails", "SmokeTest", "ExpectStatus"): frozenset({"integer"}),
    ("Guardrails", "SmokeTest", "ExpectJsonPath"): frozenset({"string"}),
}

# Values of each JSON type, near the guardrails' limits and names (and integers no double
# holds, and the non-finite numbers a parsed request can hold).
VALUES: dict[str, tuple[Any, ...]] = {
    "null": (None,),
    "boolean": (True, False),
    "integer": (0, -1, 1, 5, 10, 30, 61, 100, 599, 600, 86401, 2**31, 10**400),
    "number": (0.5, -0.5, 1.0, 1e308, float("nan"), float("inf"), -float("inf")),
    "string": (
        *("", "x", "primary", "canary", "4", "Sum", "p99", "p99.99", "ModelErrorRate"),
        *("SageMakerVariantInvocationsPerInstance", "$.a[0]", "$..a", "a" * 1025),
    ),
    "list": ([], ["primary"], ["nope"], [1], [None], [[]], [{}], ["primary", "primary"]),
    "object": (
        {},
        {"a": 1},
        {"MetricName": "x", "Namespace": "y", "Statistic": "Average"},
        {"Metric": "ModelLatency", "Threshold": 1},
        {"Body": "x"},
        {"VariantName": 7},
    ),
}


def kind(value: Any) -> str:
    """The JSON type of a value: one of :data:`KINDS`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def family(path: Path) -> str:
    """The field family a path belongs to: ``Guardrails.AutoScaling``, ``ProductionVariants``..."""
    if path[0] == "Guardrails" and len(path) > 1:
        return f"Guardrails.{path[1]}"
    return str(path[0])


FAMILIES = tuple(dict.fromkeys(family(p) for p in FIELDS))
REMOVED = object()  # the value of a change that removes the field


def path_text(path: Path) -> str:
    """A path as a violation names it: ``Guardrails.RollbackAlarms[0].Metric``."""
    text = ""
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else f"{text}.{part}" if text else part
    return text


def changed(base: dict[str, Any], changes: list[tuple[Path, Any]]) -> dict[str, Any]:
    """``base`` with each change made in turn: the field at the path set to the value (added
    when absent), or removed (:data:`REMOVED`). A change whose parent is no longer an object
    or a list long enough is skipped."""
    raw = copy.deepcopy(base)
    for path, value in changes:
        parent = at(raw, path[:-1])
        last = path[-1]
        if isinstance(parent, dict) and isinstance(last, str):
            if value is REMOVED:
                parent.pop(last, None)
            else:
                parent[last] = copy.deepcopy(value)
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            if value is REMOVED:
                del parent[last]
            else:
                parent[last] = copy.deepcopy(value)
    return raw


def at(raw: Any, path: Path) -> Any:
    """The value at ``path`` in ``raw``, or :data:`REMOVED` when nothing is there."""
    for part in path:
        if isinstance(raw, dict):
            there = part in raw
        else:
            there = isinstance(raw, list) and isinstance(part, int) and part < len(raw)
        if not there:
            return REMOVED
        raw = raw[part]
    return raw


def wrong_types(raw: dict[str, Any], paths: list[Path]) -> list[str]:
    """The paths (as violations name them) among ``paths`` whose value in ``raw`` is of a JSON
    type the field does not take."""
    found = []
    for path in paths:
        value = at(raw, path)
        if value is not REMOVED and kind(value) not in FIELDS[path]:
            found.append(path_text(path))
    return sorted(set(found))


def as_profile(request: dict[str, Any]) -> dict[str, Any]:
    """The profile a request would be: the same fields, its variants without ModelName."""
    profile = copy.deepcopy(request)
    variants = profile.get("ProductionVariants")
    for variant in variants if isinstance(variants, list) else []:
        if isinstance(variant, dict):
            variant.pop("ModelName", None)
    return profile


@dataclass
class Tally:
    inputs: int = 0
    rejected: int = 0
    violations: int = 0
    profiles_rejected: int = 0
    wrong_types: int = 0
    reported: int = 0
    tracebacks: Counter[str] = field(default_factory=Counter)


def draw(rng: random.Random) -> tuple[str, list[tuple[Path, Any]]]:
    """One input's family and its one to three changes."""
    chosen = rng.choice(FAMILIES)
    paths = [p for p in FIELDS if family(p) == chosen]
    changes: list[tuple[Path, Any]] = []
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        if rng.random() < 0.15:
            changes.append((path, REMOVED))
        else:
            changes.append((path, rng.choice(VALUES[rng.choice(KINDS)])))
    return chosen, changes


def check(raw: dict[str, Any], paths: list[Path], tally: Tally) -> None:
    """Both doors on one input, counted in ``tally``."""
    tally.inputs += 1
    try:
        validation = validate_request(raw)
        named = {v.path for v in validation.violations}
        tally.rejected += not validation.valid
        tally.violations += len(validation.violations)
        wrong = wrong_types(raw, paths)
        tally.wrong_types += len(wrong)
        tally.reported += sum(path in named for path in wrong)
    except Exception as error:  # the one thing measured: any exception is a traceback
        tally.tracebacks[_where(error)] += 1
    try:
        parse_profiles({"fraud-scorer": as_profile(raw)})
    except ProfileInvalid:
        tally.profiles_rejected += 1
    except Exception as error:
        tally.tracebacks[_where(error)] += 1


def _where(error: Exception) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{type(error).__name__} in {frame.name} ({frame.filename}:{frame.lineno})"


def measure(inputs: int = INPUTS, seed: int = SEED) -> dict[str, Tally]:
    rng = random.Random(seed)
    tallies = {name: Tally() for name in FAMILIES}
    for _ in range(inputs):
        chosen, changes = draw(rng)
        check(changed(BASE, changes), [p for p, _ in changes], tallies[chosen])
    return tallies


FUZZ_TITLE = (
    f"the validator, fuzzed: {INPUTS:,} requests (seed {SEED}), each also checked as a profile"
)
FUZZ_COLUMNS = (
    "field family",
    "requests",
    "rejected",
    "violations",
    "profiles rejected",
    "wrong types",
    "reported",
    "tracebacks",
)


def fuzz_rows(tallies: dict[str, Tally]) -> list[tuple[str, ...]]:
    total = Tally()
    rows = []
    for name, t in tallies.items():
        rows.append(_row(name, t))
        total.inputs += t.inputs
        total.rejected += t.rejected
        total.violations += t.violations
        total.profiles_rejected += t.profiles_rejected
        total.wrong_types += t.wrong_types
        total.reported += t.reported
        total.tracebacks.update(t.tracebacks)
    rows.append(_row("all", total))
    return rows


def _row(name: str, t: Tally) -> tuple[str, ...]:
    return (
        name,
        f"{t.inputs:,}",
        f"{t.rejected:,}",
        f"{t.violations:,}",
        f"{t.profiles_rejected:,}",
        f"{t.wrong_types:,}",
        f"{t.reported:,}",
        str(sum(t.tracebacks.values())),
    )


def tracebacks(tallies: dict[str, Tally]) -> Counter[str]:
    found: Counter[str] = Counter()
    for t in tallies.values():
        found.update(t.tracebacks)
    return found
