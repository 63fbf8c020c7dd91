"""JSON as every door accepts it (deployer.request.jsontext), and the validator on hostile
values: each problem is one violation naming its path and the rule; nothing raises.
"""

from __future__ import annotations

import json

import pytest
from unit_builders import request, variant

from deployer.request import jsontext
from deployer.request.deployment import validate_request


def refused(data: str | bytes) -> list[tuple[str, str]]:
    with pytest.raises(jsontext.JsonRefused) as caught:
        jsontext.loads(data)
    return [(p.path, p.rule) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param('{"a": 1, "a": 2}', [("a", "duplicate-key")], id="top-level-duplicate"),
        pytest.param(
            '{"ProductionVariants": [{"VariantName": "x", "VariantName": "y"}]}',
            [("ProductionVariants[0].VariantName", "duplicate-key")],
            id="nested-duplicate",
        ),
        pytest.param(
            '{"Env": {"odd key": 1, "odd key": 2}}',
            [('Env["odd key"]', "duplicate-key")],
            id="duplicate-odd-key",
        ),
        pytest.param('{"EndpointName": "a\\ud800"}', [("EndpointName", "unicode")], id="surrogate"),
        pytest.param('{"a\\udfff": 1}', [("(request)", "unicode")], id="surrogate-key"),
        pytest.param("[" * 10_000 + "]" * 10_000, [("(request)", "depth")], id="10000-deep"),
        pytest.param('{"a":' * 40 + "1" + "}" * 40, [("a" + ".a" * 31, "depth")], id="40-deep"),
        pytest.param('{"a": NaN}', [("(request)", "json")], id="nan"),
        pytest.param("deploy please", [("(request)", "json")], id="not-json"),
        pytest.param(b"\xff\xfe{\x00}\x00", [("(request)", "encoding")], id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff\x00{\x00}", [("(request)", "encoding")], id="utf-16-be-bom"),
        pytest.param(b"{\x00}\x00", [("(request)", "encoding")], id="utf-16-no-bom"),
        pytest.param(b'{"a": "\xed\xa0\x80"}', [("(request)", "encoding")], id="utf-8-surrogate"),
        pytest.param(b'{"a": "\xff"}', [("(request)", "encoding")], id="not-utf-8"),
    ],
)
def test_hostile_json_is_refused_naming_the_path_and_rule(data, expected):
    assert refused(data) == expected


def test_a_utf8_byte_order_mark_is_ignored_as_rfc_8259_allows():
    assert jsontext.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_every_problem_is_reported_in_document_order():
    text = '{"b": {"x": 1, "x": 2}, "c": "\\ud800", "b": 3}'

    assert refused(text) == [("b", "duplicate-key"), ("c", "unicode")]


def test_32_levels_are_accepted():
    text = '{"a":' * 31 + "1" + "}" * 31

    assert jsontext.problems(jsontext.loads(text)) == []


@pytest.mark.parametrize(
    ("raw", "path", "rule"),
    [
        pytest.param('{"EndpointName": "a\\ud800"}', "EndpointName", "unicode", id="text"),
        pytest.param({"EndpointName": "a\ud800"}, "EndpointName", "unicode", id="parsed"),
        pytest.param(
            request(Tags=[{"Key": "k\udc00", "Value": "v"}]), "Tags[0].Key", "unicode", id="tag"
        ),
        pytest.param('{"a":' * 900 + "1" + "}" * 900, "a" + ".a" * 31, "depth", id="900-deep"),
        pytest.param(
            json.loads('{"a":' * 900 + "1" + "}" * 900), "a" + ".a" * 31, "depth", id="parsed-deep"
        ),
        pytest.param(
            '{"EndpointName": "a", "EndpointName": "b"}', "EndpointName", "duplicate-key", id="dup"
        ),
    ],
)
def test_the_validator_reports_hostile_values_without_raising(raw, path, rule):
    validation = validate_request(raw)

    assert not validation.valid
    assert [(v.path, v.rule) for v in validation.violations] == [(path, rule)]


FLOAT32_REFUSED = [
    ("ProductionVariants[0].InitialVariantWeight", "float32"),
    ("ProductionVariants[1].InitialVariantWeight", "float32"),
]


@pytest.mark.parametrize(
    ("weight", "refused"),
    [(1.7e308, FLOAT32_REFUSED), (3.4e38, [])],
    ids=["beyond-a-32-bit-float-refused", "the-largest-32-bit-float-valid"],
)
def test_weights_are_32_bit_floats_and_shares_never_overflow(
    weight: float, refused: list[tuple[str, str]]
) -> None:
    raw = request(ProductionVariants=[variant(n, InitialVariantWeight=weight) for n in "ab"])

    validation = validate_request(raw)

    assert [(v.path, v.rule) for v in validation.violations] == refused, validation.problems
    assert validation.valid is (not refused)
    assert validation.traffic == {"a": 0.5, "b": 0.5}


# AWS's sample event for an EC2 state change, as the EventBridge user guide shows it, with
# ``source`` given twice (a malformed copy): one violation that says what it is.
EC2_EVENT = (
    '{"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", '
    '"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", '
    '"source": "aws.ec2", "account": "123456789012", "time": "2015-11-11T21:29:54Z", '
    '"region": "us-east-1", "resources": [], "detail": {"instance-id": "i-abcd1111", '
    '"state": "pending"}}'
)


def test_an_event_the_deployer_does_not_handle_is_reported_as_such():
    validation = validate_request(EC2_EVENT)

    first, *rest = validation.violations
    assert first.rule == "event"
    assert 'an EventBridge event from "aws.ec2", detail-type "EC2 Instance' in first.message
    assert "smdeploy deploys on aws.sagemaker" in first.message
    assert [(v.path, v.rule) for v in rest] == [("source", "duplicate-key")]
    assert not any("unknown field" in v.message for v in validation.violations)


def test_a_handled_event_given_to_the_validator_says_the_state_machine_resolves_it():
    event = {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "detail": {"ModelApprovalStatus": "Approved"},
    }

    [violation] = validate_request(event).violations

    assert violation.rule == "event"
    assert "the state machine turns it into one" in violation.message
