"""S3's answers through the response check (:mod:`.shapes`).

S3 answers through moto's own dispatch (``S3Response.bucket_response`` and
``.key_response``), not ``call_action``, and names no operation. :func:`operation_of` finds
it as S3 routes a request, by the model's HTTP bindings
(https://smithy.io/2.0/spec/http-bindings.html): the method, the kind of path, the query
markers of the operation's URI, and its required query and header members. :func:`answered`
(two rows of :data:`.hooks.HOOKS`) checks each answer against that operation's output shape.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.model import OperationModel

from smdeploy.runtime.emulator import shapes


def _wire_present(shape: Any, members: Any, location: str, found: Callable[[str], bool]) -> int:
    """How many of the required ``members`` bound to ``location`` are in the request (-1: one
    is not)."""
    count = 0
    for name in members:
        member = shape.members[name]
        if member.serialization.get("location") != location:
            continue
        if not found(member.serialization.get("name", name)):
            return -1
        count += 1
    return count


def operation_of(
    method: str, url: str, headers: Any, key: bool, bucket: bool
) -> OperationModel | None:
    """The S3 operation a request to the account (``bucket`` False), a bucket (``key``
    False) or an object is: of the operations bound to its method and kind of path, the one
    whose query markers (``?tagging``, ``?list-type=2``) and required query and header members
    the request carries, the most specific first. None when no operation fits."""
    model = shapes.model_of("s3")
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    names = {name.lower() for name in dict(headers)}
    best: tuple[int, OperationModel | None] = (-1, None)
    for name in model.operation_names:
        operation = model.operation_model(name)
        uri = operation.http.get("requestUri", "")
        path, _, markers = uri.partition("?")
        if operation.http.get("method") != method or ("{Key+}" in path) != key:
            continue
        if not key and (path == "/") == bucket:
            continue
        wanted = [marker.partition("=") for marker in filter(None, markers.split("&"))]
        if not all(k in query and (not v or query[k][0] == v) for k, _, v in wanted):
            continue
        shape = operation.input_shape
        required = shape.required_members if shape is not None else []
        in_query = _wire_present(shape, required, "querystring", query.__contains__)
        in_headers = _wire_present(shape, required, "header", lambda h: h.lower() in names)
        score = len(wanted) + in_query + in_headers
        if in_query >= 0 and in_headers >= 0 and score > best[0]:
            best = (score, operation)
    return best[1]


def answered(_emulator: Any, original: Callable[..., Any]) -> Any:
    """``S3Response.bucket_response`` or ``.key_response``: moto's answer, checked (when
    :data:`.shapes.CHECK_ENV` names a file) against the output shape of the operation the
    request is (:func:`operation_of`)."""
    path = os.environ.get(shapes.CHECK_ENV)
    key = original.__name__ == "key_response"

    def respond(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        status, out_headers, body = original(self, request, full_url, headers)
        if path:
            bucket = bool(self.parse_bucket_name_from_url(request, full_url))
            operation = operation_of(request.method, full_url, request.headers, key, bucket)
            if operation is None:
                found = [f"{request.method} {full_url}: no S3 operation of the model"]
            else:
                found = shapes.response_mismatches(
                    operation, "rest-xml", int(status), out_headers, body
                )
            if found:
                shapes.record(found, "s3", operation.name if operation else "", path)
        return status, out_headers, body

    respond.__name__ = respond.__qualname__ = original.__name__
    return respond
