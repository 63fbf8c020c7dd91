"""S3's answers through the response check (:mod:`.shapes`).

S3 answers through moto's own dispatch (``S3Response.bucket_response`` and
``.key_response``), not ``call_action``, and names no operation. :func:`operation_of` finds
it as S3 routes a request, by the model's HTTP bindings
(https://smithy.io/2.0/spec/http-bindings.html): the method, the kind of path, the query
markers of the operation's URI, and its required query and header members. :func:`answered`
(two rows of :data:`.hooks.HOOKS`) checks each answer against that operation's output shape.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.model import OperationModel

from smdeploy.runtime.emulator import shapes


@dataclass(frozen=True)
class Route:
    """What an S3 request must be to be ``operation``: its method, whether its path names an
    object (``key``) or, if not, a bucket (``bucket``), the query markers of its URI, and the
    wire names of its required query and header members."""

    operation: OperationModel
    method: str
    key: bool
    bucket: bool
    markers: tuple[tuple[str, str], ...]
    query: tuple[str, ...]
    headers: tuple[str, ...]

    def score(self, method: str, key: bool, bucket: bool, query: Any, headers: Any) -> int:
        """How specifically a request fits (-1: it does not)."""
        if (method, key) != (self.method, self.key) or (not key and bucket != self.bucket):
            return -1
        if not all(k in query and (not v or query[k][0] == v) for k, v in self.markers):
            return -1
        if not all(name in query for name in self.query):
            return -1
        if not all(name in headers for name in self.headers):
            return -1
        return len(self.markers) + len(self.query) + len(self.headers)


def _required(shape: Any, location: str) -> tuple[str, ...]:
    """The wire names of ``shape``'s required members bound to ``location``."""
    if shape is None:
        return ()
    wire = [
        shape.members[name].serialization.get("name", name)
        for name in shape.required_members
        if shape.members[name].serialization.get("location") == location
    ]
    return tuple(name.lower() if location == "header" else name for name in wire)


@functools.cache
def routes() -> tuple[Route, ...]:
    """Every S3 operation's route, read once from the model."""
    model = shapes.model_of("s3")
    found = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        path, _, markers = operation.http.get("requestUri", "").partition("?")
        wanted = tuple(
            (k, v) for k, _, v in (m.partition("=") for m in filter(None, markers.split("&")))
        )
        found.append(
            Route(
                operation,
                operation.http.get("method", ""),
                "{Key+}" in path,
                path != "/",
                wanted,
                _required(operation.input_shape, "querystring"),
                _required(operation.input_shape, "header"),
            )
        )
    return tuple(found)


def operation_of(
    method: str, url: str, headers: Any, key: bool, bucket: bool
) -> OperationModel | None:
    """The S3 operation a request to the account (``bucket`` False), a bucket (``key``
    False) or an object is: of the operations bound to its method and kind of path, the one
    whose query markers (``?tagging``, ``?list-type=2``) and required query and header members
    the request carries, the most specific first. None when no operation fits."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    names = {name.lower() for name in dict(headers)}
    best: tuple[int, OperationModel | None] = (-1, None)
    for route in routes():
        score = route.score(method, key, bucket, query, names)
        if score > best[0]:
            best = (score, route.operation)
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
