"""The deployment request: the union of CreateEndpointConfig, CreateEndpoint and UpdateEndpoint
members, plus ``Models`` (CreateModel requests to run first) and ``InferenceComponents``
(CreateInferenceComponent requests to run on the endpoint: see
:mod:`deployer.request.inference_components`), and its one validator.

``validate_request`` checks any value (JSON text, or the parsed JSON) against every rule:
the JSON itself, botocore's SageMaker model (:mod:`deployer.request.shapes`), the documented rules
the
model cannot express (:mod:`deployer.request.rules`) and botocore's own client-side validation, and
returns a :class:`Validation` listing every violation, each naming the field (a JSON path),
the rule and the value. ``parse_request`` is the same check for the deployment stages: it
returns the :class:`DeploymentRequest` or raises :class:`~deployer.errors.RequestInvalid`.
Nothing in this module talks to AWS: whether a variant's model exists is Configure's to check.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from pydantic import ConfigDict, Field

from deployer import interface
from deployer.basemodel import Model
from deployer.errors import RequestInvalid
from deployer.request import (
    guardrails_check,
    inference_components,
    jsontext,
    rules,
    shapes,
    variant_rules,
)
from deployer.request.violations import REQUEST_PATH, Violation, described, render

# Step Functions refuses execution input and state output above 256 KiB.
MAX_PAYLOAD_BYTES = 262_144
DERIVED_HASH_LENGTH = 10


def known_fields() -> tuple[str, ...]:
    """Every top-level field a request may carry, in the model's order, then ``Models``,
    ``InferenceComponents`` and the smdeploy keys ``Guardrails`` and ``DeadlineSeconds``."""
    return (
        *shapes.request_members(),
        shapes.MODELS_FIELD,
        shapes.COMPONENTS_FIELD,
        shapes.GUARDRAILS_FIELD,
        shapes.DEADLINE_FIELD,
    )


class DeploymentRequest(Model):
    """A validated request. ``fields`` holds the request exactly as SageMaker will receive it."""

    model_config = ConfigDict(frozen=True)

    endpoint_name: str
    endpoint_config_name: str
    config_name_derived: bool
    fields: dict[str, Any] = Field(repr=False)

    @property
    def deadline_seconds(self) -> int | None:
        """The request's own deadline (``DeadlineSeconds``), if it sets one."""
        value = self.fields.get(interface.DEADLINE_FIELD)
        return value if isinstance(value, int) else None

    @property
    def models(self) -> list[dict[str, Any]]:
        models: list[dict[str, Any]] = self.fields.get("Models", [])
        return models

    @property
    def inference_components(self) -> list[dict[str, Any]]:
        """Each inference component's parameters, EndpointName and VariantName filled in,
        every base before its adapters (``normalised`` in
        :mod:`deployer.request.inference_components`, whose ``create_params`` and
        ``update_params`` cut one into the parameters of a call)."""
        return inference_components.normalised(self.fields, self.endpoint_name)

    def _pick(self, operation: str) -> dict[str, Any]:
        return {k: v for k, v in self.fields.items() if k in shapes.members(operation)}

    def endpoint_config_params(self) -> dict[str, Any]:
        """Parameters of CreateEndpointConfig."""
        params = self._pick(shapes.CONFIG_OPERATION)
        params["EndpointConfigName"] = self.endpoint_config_name
        return params

    def create_endpoint_params(self) -> dict[str, Any]:
        """Parameters of CreateEndpoint."""
        params = self._pick(shapes.CREATE_OPERATION)
        params["EndpointName"] = self.endpoint_name
        params["EndpointConfigName"] = self.endpoint_config_name
        return params

    def update_endpoint_params(self, endpoint_name: str) -> dict[str, Any]:
        """Parameters of UpdateEndpoint, for the endpoint as SageMaker spells its name."""
        params = self._pick(shapes.UPDATE_OPERATION)
        params["EndpointName"] = endpoint_name
        params["EndpointConfigName"] = self.endpoint_config_name
        return params

    def to_payload(self) -> dict[str, Any]:
        """The request as the state machine carries it between stages: exactly as given, so
        that each stage re-derives the same names from it."""
        return dict(self.fields)


def config_content_hash(fields: dict[str, Any]) -> str:
    """A short, stable hash of everything that makes an endpoint config what it is.

    Tags and the config's own name are left out: they do not change what the config does.
    """
    content = {
        k: v
        for k, v in fields.items()
        if k in shapes.members(shapes.CONFIG_OPERATION) and k not in ("EndpointConfigName", "Tags")
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:DERIVED_HASH_LENGTH]


def derive_config_name(endpoint_name: str, fields: dict[str, Any]) -> str:
    """``<endpoint name>-<hash of the config>``, within the 63-character limit.

    The same request always gives the same name, so replaying it creates nothing new; any
    change to the config's content gives a new name, so configs are never edited in place.
    """
    max_len, _ = shapes.name_rule("EndpointConfigName")
    stem = endpoint_name[: max_len - DERIVED_HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{config_content_hash(fields)}"


class Validation(Model):
    """What :func:`validate_request` found: every violation, in the order of the request's
    fields; each production variant's share of the traffic (0 to 1; empty when the variants
    do not say); and the request itself when it is valid."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    violations: tuple[Violation, ...]
    traffic: dict[str, float]
    request: DeploymentRequest | None = None

    @property
    def valid(self) -> bool:
        return self.request is not None

    @property
    def problems(self) -> list[str]:
        """The violations as ``"path: message"`` lines."""
        return [str(v) for v in self.violations]

    def error(self) -> RequestInvalid:
        """The error that reports these violations."""
        return RequestInvalid.of(list(self.violations))

    def to_json(self) -> dict[str, Any]:
        """``{"valid": ..., "errors": [{"path": ..., "message": ...}], "traffic": {...}}``."""
        return {
            "valid": self.valid,
            "errors": [{"path": v.path, "message": v.message} for v in self.violations],
            "traffic": dict(self.traffic),
        }


def _decode(raw: Any) -> tuple[dict[str, Any] | None, list[Violation]]:
    """The request as a JSON object, or the violations that stop every other check."""
    decoded = isinstance(raw, str | bytes | bytearray)
    if decoded:
        try:
            raw = jsontext.loads(raw)  # refuses what jsontext.problems finds, as it decodes
        except jsontext.JsonRefused as refused:
            found = [Violation(p.path, p.rule, p.message) for p in refused.problems]
            event = _event_problem(refused.value) if isinstance(refused.value, dict) else None
            return None, [event, *found] if event else found
    if not isinstance(raw, dict):
        message = f"must be a JSON object, got {described(raw)}"
        return None, [Violation(REQUEST_PATH, "object", message, raw)]
    problems = [] if decoded else jsontext.problems(raw)
    if problems:
        return None, [Violation(p.path, p.rule, p.message) for p in problems]
    event = _event_problem(raw)
    if event is not None:
        return None, [event]
    try:
        # Step Functions counts the UTF-8 bytes of the JSON text
        text = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as error:
        return None, [Violation(REQUEST_PATH, "json", f"is not a JSON value: {error}")]
    size = len(text.encode())
    if size > MAX_PAYLOAD_BYTES:
        message = (
            f"is {size} bytes; Step Functions carries at most "
            f"{MAX_PAYLOAD_BYTES} bytes (256 KiB) between states"
        )
        return None, [Violation(REQUEST_PATH, "payload-size", message, size)]
    return raw, []


# The EventBridge envelope's own fields:
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
_EVENT_FIELDS = frozenset({"detail-type", "source", "detail", "account", "region", "resources"})
# What the deployer deploys on (the rules that start it; see deployer.interface).
HANDLED_EVENTS = (
    f'{interface.APPROVAL_SOURCE} "{interface.APPROVAL_DETAIL_TYPE}" (a model package approval '
    f'or rejection) and {interface.S3_SOURCE} "{interface.S3_OBJECT_CREATED}" (a manifest)'
)


def _event_problem(raw: dict[str, Any]) -> Violation | None:
    """An EventBridge event that reached the validator (one the deployer does not handle, or
    a malformed one) is said to be one, not reported as a dozen unknown fields."""
    if "detail-type" not in raw and not ("source" in raw and "detail" in raw):
        return None
    if len(_EVENT_FIELDS & raw.keys()) < 2:
        return None
    source = raw.get("source")
    detail_type = raw.get("detail-type")
    handled = (source, detail_type) in (
        (interface.APPROVAL_SOURCE, interface.APPROVAL_DETAIL_TYPE),
        (interface.S3_SOURCE, interface.S3_OBJECT_CREATED),
    )
    message = (
        f"is an EventBridge event from {render(source)}, detail-type {render(detail_type)}, "
        + (
            "not a deployment request: the state machine turns it into one (with a deployment "
            "profile, or from the manifest it names)"
            if handled
            else f"not a deployment request; smdeploy deploys on {HANDLED_EVENTS} events"
        )
    )
    if not isinstance(raw.get("detail"), dict):
        message += " (this one has no detail object)"
    return Violation(REQUEST_PATH, "event", message)


def _botocore_floor(raw: dict[str, Any]) -> list[Violation]:
    """botocore's own checks of the SageMaker calls this request turns into.

    The names are checked (with better messages) by the model's rules, so stand-ins fill
    them here.
    """
    stand_in = "stand-in"
    config = {k: v for k, v in raw.items() if k in shapes.members(shapes.CONFIG_OPERATION)}
    config["EndpointConfigName"] = stand_in
    # UpdateEndpoint's members are a superset of CreateEndpoint's, less Tags (in the config).
    update = {k: v for k, v in raw.items() if k in shapes.members(shapes.UPDATE_OPERATION)}
    update.update(EndpointName=stand_in, EndpointConfigName=stand_in)
    found = shapes.botocore_violations(shapes.CONFIG_OPERATION, config)
    found += shapes.botocore_violations(shapes.UPDATE_OPERATION, update)
    found += inference_components.botocore_violations(raw)
    models = raw.get("Models")
    for i, model in enumerate(models if isinstance(models, list) else []):
        if isinstance(model, dict):
            found += shapes.botocore_violations(shapes.MODEL_OPERATION, model, f"Models[{i}]")
    return found


def _merge(*sources: list[Violation]) -> list[Violation]:
    """The violations of every source, one report per field: a field that an earlier source
    reported is not reported again by a later one (the documented rules say it best, then
    the model's rules, then botocore's floor)."""
    merged: list[Violation] = []
    reported: set[str] = set()
    for source in sources:
        paths = {v.path for v in source}
        merged.extend(v for v in source if v.path not in reported and v not in merged)
        reported |= paths
    return sorted(merged, key=lambda v: _order(v.path))


_SEGMENT = re.compile(r'\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.\[]+)')
_Key = tuple[tuple[int, int, str], ...]


def _order(path: str) -> _Key:
    """Where a path's field stands in the request: the model's member order at each level,
    unknown fields first, list items by index. The report reads like the request."""
    if path == REQUEST_PATH:
        return ((-1, 0, ""),)
    top = shapes.request_members()
    key: list[tuple[int, int, str]] = []
    shape: Shape | None = None
    item: Shape | None = None  # the shape of a list's items, when the model has no list
    for segment in _SEGMENT.finditer(path):
        index, quoted, name = segment.groups()
        if index is not None:
            key.append((1, int(index), ""))
            if item is not None:
                shape = item
            else:
                shape = shape.member if isinstance(shape, ListShape) else None
            item = None
        elif isinstance(shape, MapShape):
            key.append((1, 0, ""))  # map entries keep the request's order
            shape = shape.value
        elif quoted is not None:
            key.append((0, 0, json.loads(quoted)))  # an unknown field with an odd name
            shape = None
        elif not key:
            known = [
                "EndpointName",
                *(n for n in top if n != "EndpointName"),
                shapes.MODELS_FIELD,
                shapes.COMPONENTS_FIELD,
                shapes.GUARDRAILS_FIELD,
                shapes.DEADLINE_FIELD,
            ]
            key.append((1, known.index(name), name) if name in known else (0, 0, name))
            if name == shapes.GUARDRAILS_FIELD:
                break  # its problems keep the order the guardrails' check gives them
            shape, item = top.get(name), _list_item(name)
        else:
            known = list(shape.members) if isinstance(shape, StructureShape) else []
            key.append((1, known.index(name), name) if name in known else (0, 0, name))
            shape = shape.members.get(name) if isinstance(shape, StructureShape) else None
    return tuple(key)


def _list_item(name: str) -> Shape | None:
    """The shape of an item of the request's own lists (Models, InferenceComponents)."""
    if name == shapes.MODELS_FIELD:
        return shapes.input_shape(shapes.MODEL_OPERATION)
    return inference_components.item_shape() if name == shapes.COMPONENTS_FIELD else None


def validate_request(raw: Any) -> Validation:
    """Check a deployment request against every rule at once; never raises.

    ``raw`` is the request as JSON text (str or bytes) or as parsed JSON.
    """
    request, stop = _decode(raw)
    if request is None:
        return Validation(violations=tuple(stop), traffic={})
    violations = _merge(
        rules.documented_violations(request),
        guardrails_check.violations(request),
        shapes.model_violations(request) + inference_components.model_violations(request),
        _botocore_floor(request),
    )
    traffic = variant_rules.traffic_shares(request)
    if violations:
        return Validation(violations=tuple(violations), traffic=traffic)
    fields = dict(request)
    given = fields.get("EndpointConfigName")
    config_name = given or derive_config_name(fields["EndpointName"], fields)
    parsed = DeploymentRequest(
        endpoint_name=fields["EndpointName"],
        endpoint_config_name=config_name,
        config_name_derived=not given,
        fields=fields,
    )
    return Validation(violations=(), traffic=traffic, request=parsed)


def parse_request(raw: Any) -> DeploymentRequest:
    """Validate a direct-deployment request and return it typed, or raise RequestInvalid
    listing every violation (see :func:`validate_request`)."""
    validation = validate_request(raw)
    if validation.request is None:
        raise validation.error()
    return validation.request


def checked_request(payload: Any) -> DeploymentRequest:
    """A request that :func:`parse_request` already accepted in this execution, typed again
    without checking it again: for Configure (the execution's ``Request``: Validate's
    ``Accepted.Request``, or Restore's ``Restoring.Request``, each the ``to_payload()`` of a
    checked request, which the state machine carries unchanged) and the guardrails' Prepare,
    which runs before anything changes it. (Prepare's result, the request with its alarms,
    becomes the ``Request`` of Deploy and the steps after it: those still check it.)

    The check is a pure function of the request and the pinned botocore model: made again on
    the same request, it finds nothing new, and costs a cold start its time. What is not even
    shaped like a request (no ``EndpointName``) is checked, so it fails as before, every
    problem named.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("EndpointName"), str):
        return parse_request(payload)
    fields = dict(payload)
    given = fields.get("EndpointConfigName")
    return DeploymentRequest(
        endpoint_name=fields["EndpointName"],
        endpoint_config_name=given or derive_config_name(fields["EndpointName"], fields),
        config_name_derived=not given,
        fields=fields,
    )
