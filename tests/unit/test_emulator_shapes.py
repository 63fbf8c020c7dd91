"""The emulator's responses against botocore's model (smdeploy/runtime/emulator/shapes.py):
each kind of difference is found and named by its member's path, and what AWS never sends
(null, a member the model lacks, an empty optional structure) is left out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest

from smdeploy.runtime.emulator import s3, shapes
from tests.conftest import CHECK_SHAPES_ENV

SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
SFN = botocore.session.get_session().get_service_model("stepfunctions")
DESCRIBE_ENDPOINT = SAGEMAKER.operation_model("DescribeEndpoint")
DESCRIBE_MODEL = SAGEMAKER.operation_model("DescribeModel")
ENDPOINT = {
    "EndpointName": "churn",
    "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn",
    "EndpointConfigName": "churn-v1",
    "EndpointStatus": "InService",
    "CreationTime": 1_700_000_000.0,
    "LastModifiedTime": 1_700_000_000.0,
}


def test_the_suite_checks_every_response_through_the_file_the_module_reads():
    assert CHECK_SHAPES_ENV == shapes.CHECK_ENV


def test_a_response_as_the_model_has_it_has_no_mismatch():
    assert shapes.mismatches(DESCRIBE_ENDPOINT, ENDPOINT, raw=True) == []


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ({"Colour": "blue"}, "Colour: not a member of DescribeEndpointOutput in the model"),
        ({"EndpointStatus": "Sleeping"}, "EndpointStatus: 'Sleeping' is not one of"),
        ({"EndpointName": 7}, "EndpointName: a string in the model, int 7"),
        ({"CreationTime": "yesterday"}, "CreationTime: a timestamp in the model, str"),
        ({"ProductionVariants": {}}, "ProductionVariants: a list in the model, dict"),
        (
            {"ProductionVariants": [{"CurrentWeight": 1.0}]},
            "ProductionVariants[0].VariantName: required by ProductionVariantSummary, missing",
        ),
        ({"DataCaptureConfig": {}}, "DataCaptureConfig: an empty DataCaptureConfigSummary"),
        ({"EndpointArn": None}, "EndpointArn: a string in the model, NoneType None"),
    ],
)
def test_each_difference_is_named_by_its_member_s_path(change, found):
    problems = shapes.mismatches(DESCRIBE_ENDPOINT, {**ENDPOINT, **change}, raw=True)

    assert any(p.startswith(f"DescribeEndpoint: {found}") for p in problems), problems


def test_a_missing_required_member_is_found():
    body = {k: v for k, v in ENDPOINT.items() if k != "EndpointArn"}

    assert shapes.mismatches(DESCRIBE_ENDPOINT, body, raw=True) == [
        "DescribeEndpoint: EndpointArn: required by DescribeEndpointOutput, missing"
    ]


def test_what_botocore_parsed_is_walked_with_its_types():
    parsed = {**ENDPOINT, "CreationTime": dt.datetime.now(dt.UTC), "ResponseMetadata": {}}
    parsed["LastModifiedTime"] = parsed["CreationTime"]

    assert shapes.mismatches(DESCRIBE_ENDPOINT, parsed, raw=False) == []


def test_what_aws_never_sends_is_left_out_and_a_required_empty_structure_kept():
    body = {
        "ModelName": "churn",
        "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/churn",
        "CreationTime": 1_700_000_000.0,
        "Containers": [{"Image": "img", "Environment": None}],
        "PrimaryContainer": {},
        "VpcConfig": {},
        "ExecutionRoleArn": None,
        "Colour": "blue",
    }

    conformed = shapes.conformed(DESCRIBE_MODEL.output_shape, body)

    assert conformed == {
        "ModelName": "churn",
        "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/churn",
        "CreationTime": 1_700_000_000.0,
        "Containers": [{"Image": "img"}],
    }
    assert shapes.mismatches(DESCRIBE_MODEL, conformed, raw=True) == []
    group = SAGEMAKER.operation_model("DescribeModelPackageGroup").output_shape
    assert shapes.conformed(group, {"CreatedBy": {}})["CreatedBy"] == {}


def test_an_error_needs_a_code_a_message_and_the_status_its_model_names():
    create = SFN.operation_model("CreateStateMachine")

    assert shapes.error_mismatches(create, 400, {"Error": {"Code": "", "Message": "m"}}) == [
        "CreateStateMachine: an error without a code (status 400)"
    ]
    assert shapes.error_mismatches(create, 200, {"Error": {"Code": "X", "Message": "m"}}) == [
        "CreateStateMachine: an error answered with status 200"
    ]
    assert (
        shapes.error_mismatches(
            create, 400, {"Error": {"Code": "InvalidDefinition", "Message": "bad"}}
        )
        == []
    )


def test_an_error_message_that_begins_as_a_client_prints_one_is_a_mismatch():
    create = SFN.operation_model("CreateStateMachine")
    printed = "An error ocurred (ValidationException) when calling the X operation: bad"

    assert shapes.error_mismatches(create, 400, {"Error": {"Code": "V", "Message": printed}}) == [
        "CreateStateMachine: error V: a message that begins as a client prints one"
    ]


def test_the_row_gives_a_json_error_s_message_without_the_client_s_prefix(monkeypatch):
    monkeypatch.delenv(shapes.CHECK_ENV, raising=False)
    printed = "An error occurred (ValidationException) when calling the X operation: Bad."
    response, _ = _responder("")

    _, _, body = shapes.answered(
        None,
        lambda _self: (400, {}, json.dumps({"__type": "ValidationException", "message": printed})),
    )(response)

    assert json.loads(body) == {"__type": "ValidationException", "message": "Bad."}


def test_a_body_no_client_can_read_is_a_mismatch():
    problems = shapes.response_mismatches(DESCRIBE_ENDPOINT, "json", 200, {}, "{not json")

    assert problems == ["DescribeEndpoint: a body that is not JSON: b'{not json'"]


def _responder(body: str, action: str = "DescribeModel") -> Any:
    """A response object as moto's call_action sees it, answering ``body``."""
    return SimpleNamespace(
        boto3_service_name="sagemaker",
        _get_action=lambda: action,
        determine_response_protocol=lambda model: model.protocol,
    ), lambda _self: (200, {}, body)


def test_the_row_conforms_the_body_and_writes_what_still_differs(tmp_path, monkeypatch):
    mismatches = tmp_path / "mismatches.jsonl"
    monkeypatch.setenv(shapes.CHECK_ENV, str(mismatches))
    response, original = _responder(
        json.dumps({"ModelName": "churn", "VpcConfig": {}, "CreationTime": "never"})
    )

    status, _, body = shapes.answered(None, original)(response)

    assert status == 200
    assert json.loads(body) == {"ModelName": "churn", "CreationTime": "never"}
    written = [json.loads(line) for line in Path(mismatches).read_text().splitlines()]
    assert {w["problem"] for w in written} == {
        "DescribeModel: CreationTime: a timestamp in the model, str 'never'",
        "DescribeModel: ModelArn: required by DescribeModelOutput, missing",
    }
    assert {(w["service"], w["operation"]) for w in written} == {("sagemaker", "DescribeModel")}


def test_without_the_file_the_row_checks_nothing_but_still_conforms(monkeypatch):
    monkeypatch.delenv(shapes.CHECK_ENV, raising=False)
    response, original = _responder(json.dumps({"ModelName": "churn", "VpcConfig": None}))

    _, _, body = shapes.answered(None, original)(response)

    assert json.loads(body) == {"ModelName": "churn"}


def test_the_row_leaves_out_a_member_the_model_lacks_whatever_else_the_body_holds(monkeypatch):
    # moto's ListRules gives each rule DescribeRule's CreatedBy, with or without a null beside
    monkeypatch.delenv(shapes.CHECK_ENV, raising=False)
    response, original = _responder(json.dumps({"ModelName": "churn", "CreatedBy": "me"}))

    _, _, body = shapes.answered(None, original)(response)

    assert json.loads(body) == {"ModelName": "churn"}


BUCKET_URL = "https://manifests.s3.amazonaws.com"


@pytest.mark.parametrize(
    ("method", "url", "headers", "key", "bucket", "operation"),
    [
        ("GET", "https://s3.amazonaws.com/", {}, False, False, "ListBuckets"),
        ("GET", f"{BUCKET_URL}/", {}, False, True, "ListObjects"),
        ("GET", f"{BUCKET_URL}/?list-type=2&prefix=m", {}, False, True, "ListObjectsV2"),
        ("PUT", f"{BUCKET_URL}/", {}, False, True, "CreateBucket"),
        ("PUT", f"{BUCKET_URL}/?versioning", {}, False, True, "PutBucketVersioning"),
        ("HEAD", f"{BUCKET_URL}/", {}, False, True, "HeadBucket"),
        ("POST", f"{BUCKET_URL}/?delete", {}, False, True, "DeleteObjects"),
        ("GET", f"{BUCKET_URL}/m/r.json", {}, True, True, "GetObject"),
        ("HEAD", f"{BUCKET_URL}/m/r.json", {}, True, True, "HeadObject"),
        ("PUT", f"{BUCKET_URL}/m/r.json", {}, True, True, "PutObject"),
        ("PUT", f"{BUCKET_URL}/m/r.json", {"X-Amz-Copy-Source": "a/b"}, True, True, "CopyObject"),
        ("PUT", f"{BUCKET_URL}/m/r.json?partNumber=1&uploadId=u", {}, True, True, "UploadPart"),
        ("GET", f"{BUCKET_URL}/m/r.json?uploadId=u", {}, True, True, "ListParts"),
        ("GET", f"{BUCKET_URL}/m/r.json?tagging", {}, True, True, "GetObjectTagging"),
        ("DELETE", f"{BUCKET_URL}/m/r.json", {}, True, True, "DeleteObject"),
    ],
)
def test_an_s3_request_is_the_operation_s3_routes_it_to(
    method, url, headers, key, bucket, operation
):
    found = s3.operation_of(method, url, headers, key, bucket)

    assert found is not None and found.name == operation


def test_an_s3_answer_no_client_can_read_is_written_for_its_operation(tmp_path, monkeypatch):
    mismatches = tmp_path / "mismatches.jsonl"
    monkeypatch.setenv(shapes.CHECK_ENV, str(mismatches))

    def key_response(_self: Any, _request: Any, _url: str, _headers: Any) -> Any:
        return 200, {}, b"<Tagging><TagSet><Tag><Key>a"

    responder = SimpleNamespace(parse_bucket_name_from_url=lambda request, url: "manifests")
    request = SimpleNamespace(method="GET", headers={})
    url = f"{BUCKET_URL}/m/r.json?tagging"

    status, _, body = s3.answered(None, key_response)(responder, request, url, {})

    assert (status, body) == (200, b"<Tagging><TagSet><Tag><Key>a")
    (written,) = [json.loads(line) for line in mismatches.read_text().splitlines()]
    assert (written["service"], written["operation"]) == ("s3", "GetObjectTagging")
    assert written["problem"].startswith("GetObjectTagging: a client cannot read the response")
