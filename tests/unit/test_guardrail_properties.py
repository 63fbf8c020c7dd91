"""The guardrails under fuzzing, as properties (Hypothesis; ``bench/fuzz.py`` runs the same
changes 10,000 times and prints the table).

Inputs: a valid request with every guardrail (``fuzz.BASE``) with one to four of its fields
(``fuzz.FIELDS``: every field of every guardrails shape, the variants and their names, the
endpoint's name, the DeploymentConfig's own alarms) given any JSON value, of every type and
edges of each, removed, or added. Checked as a request and as a profile:

1. the validator answers, never raises; a request it accepts gives its guardrail settings;
2. every field left holding a JSON type it does not take is reported at its own path, all of
   them at once; the profile check reports them too, under the group's name;
3. the profile check raises ProfileInvalid and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import event, example, given
from hypothesis import strategies as st

from bench import fuzz
from deployer.decide.guardrails import alarm_requests
from deployer.errors import ProfileInvalid
from deployer.request import guardrails
from deployer.request.deployment import validate_request
from deployer.request.profiles import parse_profiles

GROUP = "fraud-scorer"
VALID_FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures/requests/valid/guardrails-every-setting.json"
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
VALUES = st.one_of(
    st.sampled_from([v for values in fuzz.VALUES.values() for v in values]),
    JSON,
    st.just(fuzz.REMOVED),
)
CHANGES = st.lists(st.tuples(st.sampled_from(sorted(fuzz.FIELDS, key=str)), VALUES), max_size=4)


def request_with(changes: list[tuple[fuzz.Path, Any]]) -> dict[str, Any]:
    return fuzz.changed(fuzz.BASE, changes)


# the crashes a fuzzer found before the check was type-first, one per kind
FOUND = [
    [(("Guardrails", "RollbackAlarms", 0, "Metric"), ["Invocation5XXErrors"])],
    [(("Guardrails", "RollbackAlarms", 0, "Metric"), {"a": 1})],
    [(("ProductionVariants", 1, "VariantName"), fuzz.REMOVED)],
    [(("ProductionVariants",), {"VariantName": "primary"})],
    [(("ProductionVariants", 1), None)],
    [(("Guardrails", "SmokeTest"), "curl localhost")],
    [(("Guardrails", "SmokeTest", "ExpectStatus"), "200")],
    [(("Guardrails", "AutoScaling", "TargetValue"), 10**400)],
    [(("Guardrails", "RollbackAlarms", 0, "Threshold"), 10**400)],
    # a selector of inference components in a request that has none: its items still typed
    [
        (("Guardrails", "AutoScaling", "InferenceComponents"), [None]),
        (("Guardrails", "AutoScaling", "InferenceComponents", 0), None),
    ],
]


@given(CHANGES)
@example(FOUND[0])
@example(FOUND[1])
@example(FOUND[2])
@example(FOUND[3])
@example(FOUND[4])
@example(FOUND[5])
@example(FOUND[6])
@example(FOUND[7])
@example(FOUND[8])
@example(FOUND[9])
def test_every_wrong_type_is_reported_at_its_path_and_nothing_raises(changes):
    raw = request_with(changes)

    validation = validate_request(raw)

    event("accepted" if validation.valid else "rejected")
    named = {v.path for v in validation.violations}
    wrong = fuzz.wrong_types(raw, [path for path, _ in changes])
    assert [path for path in wrong if path not in named] == [], validation.problems
    if validation.valid:
        assert validation.request is not None
        guard = guardrails.settings(validation.request.fields)
        variants = [v["VariantName"] for v in raw["ProductionVariants"]]
        assert len(alarm_requests(raw["EndpointName"], variants, guard)) <= 10


@given(CHANGES)
@example(FOUND[3])
@example([(("ProductionVariants",), float("inf"))])
def test_the_profile_check_raises_only_profile_invalid_naming_every_wrong_type(changes):
    raw = request_with(changes)
    wrong = fuzz.wrong_types(raw, [path for path, _ in changes])

    problems: list[str] = []
    try:
        parse_profiles({GROUP: fuzz.as_profile(raw)})
    except ProfileInvalid as error:  # any other exception fails the test
        problems = error.problems

    named = {problem.split(": ", 1)[0] for problem in problems}
    assert [p for p in wrong if f"{GROUP}.{p}" not in named] == [], problems


def test_the_base_is_valid_as_a_request_and_as_a_profile():
    # the valid corpus holds it too, so the properties of every valid request cover guardrails
    assert json.loads(VALID_FIXTURE.read_text(encoding="utf-8")) == fuzz.BASE
    assert validate_request(fuzz.BASE).problems == []
    assert parse_profiles({GROUP: fuzz.as_profile(fuzz.BASE)})[GROUP].endpoint_name == GROUP


def test_every_field_of_every_guardrails_shape_is_fuzzed():
    shapes = {
        ("Guardrails", "AutoScaling"): guardrails.ScalingSetting,
        ("Guardrails", "RollbackAlarms", 0): guardrails.AlarmSetting,
        ("Guardrails", "RollbackAlarms", 1): guardrails.AlarmSetting,
        ("Guardrails", "SmokeTest"): guardrails.SmokeTestSetting,
        ("Guardrails",): guardrails.Guardrails,
    }
    for parent, model in shapes.items():
        assert {(*parent, name) for name in model.model_fields} <= set(fuzz.FIELDS), parent
