"""Every rule, table-driven from files: tests/fixtures/requests/valid/*.json must pass, and
each tests/fixtures/requests/invalid/<name>.json must give exactly the violations listed in
<name>.expected.json (path and rule, in order, and a fragment of each message).

The request files are read as text and validated as text, as the Validate stage and
``smdeploy validate`` receive them.
"""

import json
from pathlib import Path

import pytest
from botocore.validate import ParamValidator

from deployer.errors import RequestInvalid
from deployer.request import inference_components, rules, shapes
from deployer.request.deployment import parse_request, validate_request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requests"
VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID = sorted(
    p for p in (FIXTURES / "invalid").glob("*.json") if not p.name.endswith(".expected.json")
)


def expected_of(path):
    return json.loads(path.with_name(f"{path.stem}.expected.json").read_text(encoding="utf-8"))


def botocore_accepts(operation, params):
    report = ParamValidator().validate(params, shapes.input_shape(operation))
    assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_request_is_accepted_and_botocore_agrees(path):
    text = path.read_text(encoding="utf-8")

    validation = validate_request(text)

    assert validation.violations == (), validation.problems
    assert validation.valid
    request = validation.request
    assert request is not None
    assert request.fields == json.loads(text)
    botocore_accepts("CreateEndpointConfig", request.endpoint_config_params())
    botocore_accepts("CreateEndpoint", request.create_endpoint_params())
    botocore_accepts("UpdateEndpoint", request.update_endpoint_params(request.endpoint_name))
    for model in request.models:
        botocore_accepts("CreateModel", model)
    for ic in request.inference_components:
        botocore_accepts("CreateInferenceComponent", inference_components.create_params(ic))
        botocore_accepts("UpdateInferenceComponent", inference_components.update_params(ic))
    assert set(validation.traffic) == {
        v["VariantName"] for v in request.fields["ProductionVariants"]
    }
    assert sum(validation.traffic.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_request_gives_exactly_the_expected_violations(path):
    text = path.read_text(encoding="utf-8")
    expected = expected_of(path)

    validation = validate_request(text)

    assert not validation.valid
    assert validation.request is None
    found = [(v.path, v.rule) for v in validation.violations]
    assert found == [(e["path"], e["rule"]) for e in expected], validation.problems
    for violation, wanted in zip(validation.violations, expected, strict=True):
        assert wanted.get("message", "") in violation.message, str(violation)
        assert str(violation) == f"{violation.path}: {violation.message}"


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_parse_request_raises_the_same_violations(path):
    text = path.read_text(encoding="utf-8")

    with pytest.raises(RequestInvalid) as caught:
        parse_request(text)

    error = caught.value
    assert error.violations == list(validate_request(text).violations)
    assert error.problems == [str(v) for v in error.violations]
    assert all(f"- {line}" in str(error) for line in error.problems)


def test_each_request_file_has_its_expectations_and_each_expectation_its_request():
    requests = {p.stem for p in INVALID}
    expectations = {
        p.name.removesuffix(".expected.json")
        for p in (FIXTURES / "invalid").glob("*.expected.json")
    }

    assert requests == expectations


def test_every_file_of_the_fixture_folders_is_a_case():
    valid = {p.name for p in (FIXTURES / "valid").iterdir()}
    invalid = {p.name for p in (FIXTURES / "invalid").iterdir()}

    assert valid == {p.name for p in VALID}
    assert invalid == {p.name for p in INVALID} | {f"{p.stem}.expected.json" for p in INVALID}


# Top-level fields that no valid fixture sets yet
FIELDS_IN_NO_VALID_FIXTURE = {"CrossRegionTrafficConfig", "ExplainerConfig"}


def test_every_field_of_a_request_is_accepted_in_some_valid_fixture():
    own = {"Models", "InferenceComponents", "Guardrails", "DeadlineSeconds"}
    fields = set(shapes.request_members()) | own
    used = {key for path in VALID for key in json.loads(path.read_text(encoding="utf-8"))}

    assert used == fields - FIELDS_IN_NO_VALID_FIXTURE


def test_every_documented_rule_is_broken_by_some_fixture_and_kept_by_every_valid_one():
    broken = set()
    for path in INVALID:
        raw = json.loads(path.read_text(encoding="utf-8")) if path.stem != "not-json" else None
        if isinstance(raw, dict):
            broken |= {rule.__name__ for rule in rules.RULES if list(rule(raw))}
    for path in VALID:
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert [v for rule in rules.RULES for v in rule(raw)] == [], path.stem

    assert broken == {rule.__name__ for rule in rules.RULES}


def test_every_kind_of_model_rule_is_broken_by_some_fixture():
    kinds = {e["rule"] for path in INVALID for e in expected_of(path)}

    assert kinds >= {
        "json", "object", "type", "required", "unknown-field", "min", "max", "min-length",
        "max-length", "pattern", "enum",
    }  # fmt: skip
