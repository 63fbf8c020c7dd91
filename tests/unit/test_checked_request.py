"""``checked_request``: a request the execution already checked, typed again without checking it
again, is the very request ``parse_request`` gives; what is not shaped like a request is still
checked and refused, every problem named."""

import json
from pathlib import Path
from typing import Any

import pytest

from deployer.errors import RequestInvalid
from deployer.request.deployment import checked_request, parse_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VALID = [
    "request.json",
    "request-v2.json",
    "serverless-request.json",
    "inference-components-request.json",
]


@pytest.mark.parametrize("name", VALID)
def test_same_request_as_parse_request(name: str) -> None:
    payload = parse_request(json.loads((EXAMPLES / name).read_text())).to_payload()

    assert checked_request(payload) == parse_request(payload)


def test_named_config_kept() -> None:
    raw = {**json.loads((EXAMPLES / "request.json").read_text()), "EndpointConfigName": "given"}
    payload = parse_request(raw).to_payload()

    request = checked_request(payload)

    assert request == parse_request(payload)
    assert (request.endpoint_config_name, request.config_name_derived) == ("given", False)


@pytest.mark.parametrize("payload", [None, [], {}, {"EndpointName": 7}, "text"])
def test_not_a_request_is_refused_as_before(payload: Any) -> None:
    with pytest.raises(RequestInvalid) as ours:
        checked_request(payload)
    with pytest.raises(RequestInvalid) as theirs:
        parse_request(payload)

    assert str(ours.value) == str(theirs.value)
