"""Properties of the one validator, on requests Hypothesis builds.

1. ``validate_request`` never raises, whatever it is given (JSON text or not, any JSON value,
   near-valid requests with fields changed, removed or added); ``parse_request`` raises only
   ``RequestInvalid``.
2. A request it accepts is accepted by botocore's own parameter validation for every call
   the request turns into (CreateEndpointConfig, CreateEndpoint, UpdateEndpoint, CreateModel,
   CreateInferenceComponent and UpdateInferenceComponent).
3. Every violation points into the request: its path, or the path's parent, is there.
"""

import copy
import json
import re
from pathlib import Path

import pytest
from botocore.validate import ParamValidator
from hypothesis import event, example, given
from hypothesis import strategies as st

from deployer.errors import RequestInvalid
from deployer.request import inference_components, shapes
from deployer.request.deployment import parse_request, validate_request
from deployer.request.violations import REQUEST_PATH

VALID_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "requests" / "valid"
VALID = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(VALID_DIR.glob("*.json"))]

# Values near the documented limits, of every JSON type, and some Python values that are
# not JSON at all (the validator is also called with parsed objects).
EDGES = st.sampled_from(
    [0, -1, 1, 2, 9, 10, 11, 50, 51, 63, 64, 200, 201, 600, 1023, 1024, 1500, 6144, 7168,
     2**31, 0.5, -0.5, True, False, None, "", " ", "a" * 63, "a" * 64, "a" * 257, "aws:x",
     "churn_x", "-x", "ml.m5.larg", "ml.g5.xlarge", "ml.m5.large", "CANARY", "LINEAR",
     "INSTANCE_COUNT", "CAPACITY_PERCENT", "s3://b/k", "gs://b", "é", [], {}, [{}],
     float("nan"), float("inf")]
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
VALUES = st.one_of(EDGES, JSON)


def locations(value, prefix=()):
    """Every (container, key) inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield value, key
            yield from locations(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from locations(item, (*prefix, index))


@st.composite
def near_valid(draw):
    """A valid request with up to three fields replaced, removed, added or repeated."""
    raw = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        inside = list(locations(raw))
        if not inside:
            break
        container, key = draw(st.sampled_from(inside))
        change = draw(st.sampled_from(["replace", "remove", "add", "repeat"]))
        event(change)
        if change == "replace":
            container[key] = copy.deepcopy(draw(VALUES))
        elif change == "remove":
            del container[key]
        elif change == "add" and isinstance(container, dict):
            name = draw(st.sampled_from([*container, "Extra", "Tag", "InstanceTyp"]))
            container[name] = copy.deepcopy(draw(VALUES))
        elif isinstance(container, list):
            container.append(copy.deepcopy(container[key]))
    return raw


ANYTHING = st.one_of(
    near_valid(),
    JSON,
    st.text(),
    st.binary(max_size=64),
    near_valid().map(json.dumps),
    st.dictionaries(st.sampled_from(["EndpointName", "ProductionVariants", "Models"]), VALUES),
)


def resolves(raw, path):
    """True when every segment of ``path`` but the last names something in ``raw``."""
    segments = re.findall(r'\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.\[]+)', path)
    node = raw
    for index, quoted, name in segments[:-1]:
        key = int(index) if index else json.loads(quoted) if quoted else name
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    return True


@given(ANYTHING)
@example("[" * 100_000)
@example(b"\xff\xfe\x00")
@example({"EndpointName": "x", "ProductionVariants": [{1: 2}]})
@example({"EndpointName": "x", "ProductionVariants": set()})
def test_the_validator_never_raises_and_parse_raises_only_request_invalid(raw):
    validation = validate_request(raw)

    assert validation.valid == (validation.violations == ())
    assert len(set(validation.violations)) == len(validation.violations)
    if validation.valid:
        assert parse_request(raw) == validation.request
    else:
        with pytest.raises(RequestInvalid) as caught:
            parse_request(raw)
        assert caught.value.problems == validation.problems


def botocore_findings(operation, params):
    report = ParamValidator().validate(params, shapes.input_shape(operation))
    return report.generate_report() if report.has_errors() else ""


@given(near_valid())
def test_what_the_validator_accepts_botocore_accepts(raw):
    validation = validate_request(raw)
    event("accepted" if validation.valid else "rejected")
    if not validation.valid:
        return
    request = validation.request
    calls = [
        ("CreateEndpointConfig", request.endpoint_config_params()),
        ("CreateEndpoint", request.create_endpoint_params()),
        ("UpdateEndpoint", request.update_endpoint_params(request.endpoint_name)),
        *(("CreateModel", model) for model in request.models),
        *(
            (operation, params(ic))
            for ic in request.inference_components
            for operation, params in (
                ("CreateInferenceComponent", inference_components.create_params),
                ("UpdateInferenceComponent", inference_components.update_params),
            )
        ),
    ]
    for operation, params in calls:
        assert botocore_findings(operation, params) == "", operation


@given(near_valid())
def test_every_violation_names_a_field_of_the_request(raw):
    validation = validate_request(raw)

    for violation in validation.violations:
        assert violation.path == REQUEST_PATH or resolves(raw, violation.path), violation
        assert str(violation).startswith(f"{violation.path}: ")
