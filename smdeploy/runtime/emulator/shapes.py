"""Every response the emulator gives, checked against the operation's output shape in
botocore's service model: the model AWS publishes and every SDK is generated from.

A client written by someone else reads what AWS documents, not what moto happens to send.
:func:`mismatches` walks a response against the output shape: a member the shape lacks, a
value of the wrong type, an enum value outside the model, a required member missing, a
timestamp no client can read, an empty structure (AWS leaves out a structure it has nothing
for; SageMaker's own SDK fails on an empty ``VpcConfig``). :func:`error_mismatches` checks
an error: its status, its code and its message, as the JSON and query protocols carry them.

The check runs where :data:`CHECK_ENV` names a file: :func:`answered` (a row of
:data:`.hooks.HOOKS`) appends one JSON line per response that differs, so that a test, a
server started by a test, and a CLI run by a test all report to the same file. The test
suite sets it (tests/conftest.py) and fails each test that leaves a line.

S3 answers outside ``call_action``; :mod:`.s3` finds each request's operation and checks
its answer the same way.

Protocols (https://smithy.io/2.0/aws/protocols/): for the JSON ones (``json``,
``rest-json``) the body is walked as sent, so that a member the model lacks is found; for
the XML ones (``query``, ``rest-xml``) what botocore's parser reads of it is walked, which
drops unknown members before the walk sees them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import io
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from botocore import parsers
from botocore.model import (
    OperationModel,
    OperationNotFoundError,
    ServiceModel,
    Shape,
    StructureShape,
)
from botocore.utils import parse_timestamp
from moto.core.utils import get_service_model

# the file each mismatch is appended to, one JSON object a line (unset: nothing is checked)
CHECK_ENV = "SMDEPLOY_CHECK_SHAPES"
JSON_PROTOCOLS = ("json", "rest-json")
# members every protocol adds beside the modeled ones
PROTOCOL_MEMBERS = frozenset({"ResponseMetadata"})
_write_lock = threading.Lock()
# how botocore prints an error (ClientError's text), which some of moto's messages start with;
# a client adds it to the service's message, so on AWS no message carries it
CLIENT_PREFIX = re.compile(r"An error oc+urred \(\w+\) when calling the \w+ operation: ")


def mismatches(operation: OperationModel, body: Any, raw: bool) -> list[str]:
    """How ``body`` (the decoded JSON body if ``raw``, else what botocore parsed) differs
    from ``operation``'s output shape: one line each, naming the member's path."""
    shape = operation.output_shape
    if shape is None:
        if raw and body not in ({}, None, ""):
            return [f"{operation.name}: a body where the model has no output: {body!r:.120}"]
        return []
    if not raw and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in PROTOCOL_MEMBERS}
    found = _walk(shape, body, "", raw, required=True)  # the output itself is never left out
    return [f"{operation.name}: {problem}" for problem in found]


def _walk(shape: Shape, value: Any, path: str, raw: bool, required: bool = False) -> Iterator[str]:
    here = path or "(output)"
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        yield from _structure(shape, value, path, raw, required)
    elif kind == "list":
        if not isinstance(value, list):
            yield f"{here}: a list in the model, {type(value).__name__} {value!r:.60}"
            return
        for index, item in enumerate(value):
            yield from _walk(shape.member, item, f"{path}[{index}]", raw)  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, dict):
            yield f"{here}: a map in the model, {type(value).__name__} {value!r:.60}"
            return
        for key, item in value.items():
            yield from _walk(shape.key, key, f"{path}{{key}}", raw)  # type: ignore[attr-defined]
            yield from _walk(shape.value, item, f"{path}[{key!r}]", raw)  # type: ignore[attr-defined]
    else:
        yield from _scalar(shape, value, here, raw)


def _structure(
    shape: StructureShape, value: Any, path: str, raw: bool, required: bool
) -> Iterator[str]:
    here = path or "(output)"
    if not isinstance(value, dict):
        yield f"{here}: a structure in the model, {type(value).__name__} {value!r:.60}"
        return
    # in the body, a member goes by its jsonName or locationName where the model gives one
    # (https://smithy.io/2.0/spec/protocol-traits.html#jsonname-trait); members bound to a
    # header or the status code never appear in it
    names: dict[str, str] = {}
    for member, member_shape in shape.members.items():
        location = member_shape.serialization.get("location")
        if raw and location in ("header", "headers", "statusCode"):
            continue
        wire = member
        if raw:
            wire = member_shape.serialization.get("name", member)
        names[wire] = member
    # a blob payload member is the body itself, bytes as the operation gives them
    payload = shape.serialization.get("payload")
    for key, item in value.items():
        found = names.get(key)
        if found is None:
            yield f"{_join(path, key)}: not a member of {shape.name} in the model"
            continue
        if found == payload and shape.members[found].type_name == "blob":
            continue
        yield from _walk(
            shape.members[found],
            item,
            _join(path, found),
            raw,
            required=found in shape.required_members,
        )
    for wire, member in names.items():
        if member in shape.required_members and wire not in value:
            yield f"{_join(path, member)}: required by {shape.name}, missing"
    if raw and not required and not value and shape.members:
        yield f"{here}: an empty {shape.name} (AWS leaves out a structure it has nothing for)"


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _scalar(shape: Shape, value: Any, here: str, raw: bool) -> Iterator[str]:
    kind = shape.type_name
    check = _FITS.get(kind)
    if check is None:
        yield f"{here}: a {kind} in the model, which this check does not read"
        return
    if not check(value, raw):
        yield f"{here}: a {kind} in the model, {type(value).__name__} {value!r:.60}"
        return
    enum = getattr(shape, "enum", None)  # a StringShape's
    if kind == "string" and enum and value not in enum:
        yield f"{here}: {value!r} is not one of {shape.name}'s values {enum}"


def _readable_time(value: Any, raw: bool) -> bool:
    if not raw:
        return isinstance(value, _dt.datetime)
    if isinstance(value, bool):
        return False
    try:
        parse_timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _blob(value: Any, raw: bool) -> bool:
    if not raw:
        return isinstance(value, bytes)
    try:
        base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        return False
    return True


def _whole(value: Any, _raw: bool) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any, _raw: bool) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# each scalar type of the model, and whether a value (as sent if raw, else as parsed) is one
_FITS: dict[str, Callable[[Any, bool], bool]] = {
    "string": lambda value, _raw: isinstance(value, str),
    "boolean": lambda value, _raw: isinstance(value, bool),
    "integer": _whole,
    "long": _whole,
    "float": _number,
    "double": _number,
    "timestamp": _readable_time,
    "blob": _blob,
}


def error_mismatches(operation: OperationModel, status: int, parsed: dict[str, Any]) -> list[str]:
    """How an error response differs from what AWS sends: a 4xx or 5xx status, a code, a
    message, and, for an error the operation models, the status its shape names."""
    error = parsed.get("Error") or {}
    code = error.get("Code")
    found = []
    if not 400 <= status < 600:
        found.append(f"an error answered with status {status}")
    if not code:
        found.append(f"an error without a code (status {status})")
    if "Message" not in error and "message" not in error:
        found.append(f"error {code}: without a message")
    elif CLIENT_PREFIX.match(str(error.get("Message", error.get("message")))):
        found.append(f"error {code}: a message that begins as a client prints one")
    for shape in operation.error_shapes:
        modeled = shape.metadata.get("error", {})
        named = code in (shape.name, modeled.get("code"))
        if named and modeled.get("httpStatusCode") and modeled["httpStatusCode"] != status:
            found.append(
                f"error {code}: status {status}, where the model says {modeled['httpStatusCode']}"
            )
    return [f"{operation.name}: {problem}" for problem in found]


def response_mismatches(
    operation: OperationModel, protocol: str, status: int, headers: dict[str, Any], body: Any
) -> list[str]:
    """How one response (its status, headers and body as sent) differs from the model."""
    raw_body = body.encode() if isinstance(body, str) else (body or b"")
    if status < 300 and protocol in JSON_PROTOCOLS and not _payload_shape(operation):
        try:
            decoded = json.loads(raw_body) if raw_body.strip() else {}
        except ValueError:
            return [f"{operation.name}: a body that is not JSON: {raw_body!r:.80}"]
        return mismatches(operation, decoded, raw=True)
    # a payload of bytes reaches a client as a stream, which the parser leaves as it is
    streamed = status < 300 and _streamed_payload(operation)
    response = {
        "status_code": status,
        "headers": dict(headers),
        "body": io.BytesIO(raw_body) if streamed else raw_body,
    }
    try:
        parsed = parsers.create_parser(protocol).parse(response, operation.output_shape)  # type: ignore[arg-type]
    except Exception as error:
        return [f"{operation.name}: a client cannot read the response: {error!r:.200}"]
    if streamed:
        parsed[streamed] = raw_body
    if status >= 300:
        return error_mismatches(operation, status, parsed)
    return mismatches(operation, parsed, raw=False)


def _streamed_payload(operation: OperationModel) -> str:
    """The output's payload member when it is bytes (a stream to a client), else ""."""
    shape = operation.output_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload and shape.members[payload].type_name == "blob":  # type: ignore[union-attr]
        return str(payload)
    return ""


def _payload_shape(operation: OperationModel) -> bool:
    """Whether the output's body is one member's payload (a blob or a document), not a
    structure of members."""
    shape = operation.output_shape
    return shape is not None and bool(shape.serialization.get("payload"))


def conformed(shape: Shape, value: Any) -> Any:
    """``value`` without what AWS never sends: a member the model lacks (moto's ListRules
    gives each rule DescribeRule's ``CreatedBy``), a member with no value (JSON's null) and
    an empty structure its parent does not require. Each API reference's "Response
    Syntax" lists the members a response may carry, and a member that has nothing to say is
    absent, never null (for instance
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html#API_DescribeModel_ResponseSyntax:
    ``VpcConfig`` only for a model created with one, ``PrimaryContainer`` or ``Containers``
    as the model was created)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        required = shape.required_members
        by_wire = {
            member.serialization.get("name", name): (name, member)
            for name, member in shape.members.items()  # type: ignore[attr-defined]
        }
        kept = {}
        for key, item in value.items():
            if item is None:
                continue
            name, member = by_wire.get(key, (key, None))
            if member is None:
                continue
            item = conformed(member, item)
            if item == {} and member.type_name == "structure" and name not in required:
                continue
            kept[key] = item
        return kept
    if kind == "list" and isinstance(value, list):
        return [conformed(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {k: conformed(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    return value


def record(problems: list[str], service: str, operation: str, path: str) -> None:
    """Append ``problems`` to the file at ``path``, one JSON line each (each line is written
    whole: the file is shared by this process, its threads and the processes it starts)."""
    lines = "".join(
        json.dumps({"service": service, "operation": operation, "problem": problem}) + "\n"
        for problem in problems
    )
    with _write_lock, open(path, "a", encoding="utf-8") as out:
        out.write(lines)


@functools.cache
def model_of(name: str) -> ServiceModel:
    """moto's botocore model of the service ``name``, made once per process."""
    model: ServiceModel = get_service_model(name)
    return model


def answered(_emulator: Any, original: Callable[[Any], Any]) -> Any:
    """``moto.core.responses.BaseResponse.call_action``: moto's answer, without the members
    AWS leaves out (:func:`conformed`) in a JSON body; and, when :data:`CHECK_ENV` names a
    file, checked against the operation's output shape, each difference appended there."""
    path = os.environ.get(CHECK_ENV)

    def call_action(self: Any) -> Any:
        status, headers, body = original(self)
        service_model = model_of(self.boto3_service_name)
        action = self._get_action()
        try:
            operation = service_model.operation_model(action)
        except OperationNotFoundError:
            if path:
                record(
                    [f"{action}: answered, but not an operation of the model"],
                    service_model.service_name,
                    action,
                    path,
                )
            return status, headers, body
        protocol = self.determine_response_protocol(service_model)
        status = int(status)
        if status >= 300 and protocol in JSON_PROTOCOLS:
            body = _without_client_prefix(body)
        decoded = _json_result(operation, protocol, status, body)
        if decoded is not None:  # what a JSON success carries, as AWS would send it
            assert operation.output_shape is not None
            kept = conformed(operation.output_shape, decoded)
            if kept != decoded:
                body = json.dumps(kept)
        if path:
            found = (
                mismatches(operation, kept, raw=True)
                if decoded is not None
                else response_mismatches(operation, protocol, status, headers, body)
            )
            if found:
                record(found, service_model.service_name, operation.name, path)
        return status, headers, body

    call_action.__name__ = call_action.__qualname__ = "call_action"
    return call_action


def _without_client_prefix(body: Any) -> Any:
    """A JSON error's body with its message as the service gives it: without the text a
    client prints before it (:data:`CLIENT_PREFIX`; moto's CreateModelPackage, for one, said
    "An error ocurred (ValidationException) when calling the CreateModelPackage operation:
    Model Package Group does not exist.")."""
    try:
        error = json.loads(body or "{}")
    except ValueError:
        return body
    if not isinstance(error, dict):
        return body
    for key in ("message", "Message"):
        if isinstance(error.get(key), str) and CLIENT_PREFIX.match(error[key]):
            error[key] = CLIENT_PREFIX.sub("", error[key], count=1)
            return json.dumps(error)
    return body


def _json_result(operation: OperationModel, protocol: str, status: int, body: Any) -> Any:
    """The decoded body of a JSON protocol's success whose output is a structure of members
    (None otherwise, or when it is not JSON: the check says so)."""
    if status >= 300 or protocol not in JSON_PROTOCOLS or operation.output_shape is None:
        return None
    if _payload_shape(operation):
        return None
    try:
        return json.loads(body or "{}")
    except ValueError:
        return None
