"""The deployment request: the union of CreateEndpointConfig, CreateEndpoint and UpdateEndpoint
members, plus ``Models`` (CreateModel requests to run first).

``parse_request`` turns any JSON value into a :class:`DeploymentRequest` or raises
:class:`~deployer.errors.RequestInvalid` listing every problem found, each naming the field,
the rule and the value. Nothing in this module talks to AWS.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deployer import shapes
from deployer.errors import RequestInvalid

MAX_PRODUCTION_VARIANTS = 10
# Step Functions refuses execution input and state output above 256 KiB.
MAX_PAYLOAD_BYTES = 262_144
DERIVED_HASH_LENGTH = 10


def known_fields() -> tuple[str, ...]:
    """Every top-level field a request may carry, in a stable order."""
    names: list[str] = []
    for operation in (shapes.CONFIG_OPERATION, shapes.CREATE_OPERATION, shapes.UPDATE_OPERATION):
        names.extend(n for n in shapes.members(operation) if n not in names)
    names.append("Models")
    return tuple(names)


class DeploymentRequest(BaseModel):
    """A validated request. ``fields`` holds the request exactly as SageMaker will receive it."""

    model_config = ConfigDict(frozen=True)

    endpoint_name: str
    endpoint_config_name: str
    config_name_derived: bool
    fields: dict[str, Any] = Field(repr=False)

    @property
    def models(self) -> list[dict[str, Any]]:
        models: list[dict[str, Any]] = self.fields.get("Models", [])
        return models

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


def _structural_problems(raw: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    known = known_fields()
    for key in raw:
        if key not in known:
            problems.append(f"{key}: unknown field{shapes.suggest(key, known)}")

    if "EndpointName" not in raw:
        problems.append("EndpointName: required field is missing")
    elif problem := shapes.name_problem("EndpointName", "EndpointName", raw["EndpointName"]):
        problems.append(problem)

    if raw.get("EndpointConfigName") is not None and (
        problem := shapes.name_problem(
            "EndpointConfigName", "EndpointConfigName", raw["EndpointConfigName"]
        )
    ):
        problems.append(problem)

    variants = raw.get("ProductionVariants")
    if variants is None:
        problems.append("ProductionVariants: required field is missing")
    elif not isinstance(variants, list):
        problems.append(f"ProductionVariants: must be a list, got {type(variants).__name__}")
    elif not 1 <= len(variants) <= MAX_PRODUCTION_VARIANTS:
        problems.append(
            f"ProductionVariants: must hold 1 to {MAX_PRODUCTION_VARIANTS} variants, "
            f"got {len(variants)}"
        )
    for field in ("ProductionVariants", "ShadowProductionVariants"):
        listed = raw.get(field)
        if isinstance(listed, list):
            problems.extend(_variant_problems(field, listed))

    models = raw.get("Models", [])
    if not isinstance(models, list):
        problems.append(f"Models: must be a list, got {type(models).__name__}")
        models = []
    for i, model in enumerate(models):
        path = f"Models[{i}]"
        if not isinstance(model, dict):
            problems.append(f"{path}: must be an object, got {type(model).__name__}")
            continue
        if "ModelName" in model and (
            problem := shapes.name_problem(f"{path}.ModelName", "ModelName", model["ModelName"])
        ):
            problems.append(problem)
        if not model.get("PrimaryContainer") and not model.get("Containers"):
            problems.append(
                f"{path}: needs PrimaryContainer or Containers (a container image, "
                f"or a ModelPackageName from the model registry)"
            )
        problems.extend(shapes.botocore_problems(shapes.MODEL_OPERATION, model, path))
    return problems


def _variant_problems(field: str, variants: list[Any]) -> list[str]:
    """Name rules of each variant; every variant must name its model."""
    problems: list[str] = []
    for i, variant in enumerate(variants):
        if not isinstance(variant, dict):
            continue  # botocore's validator reports the type
        path = f"{field}[{i}]"
        if "VariantName" in variant and (
            problem := shapes.name_problem(
                f"{path}.VariantName", "VariantName", variant["VariantName"]
            )
        ):
            problems.append(problem)
        if "ModelName" not in variant:
            problems.append(f"{path}.ModelName: required field is missing")
        elif problem := shapes.name_problem(f"{path}.ModelName", "ModelName", variant["ModelName"]):
            problems.append(problem)
    return problems


def _botocore_floor(raw: dict[str, Any]) -> list[str]:
    """botocore's own checks of the SageMaker calls this request turns into.

    The names are checked (with better messages) above, so stand-ins fill them here.
    """
    stand_in = "stand-in"
    config = {k: v for k, v in raw.items() if k in shapes.members(shapes.CONFIG_OPERATION)}
    config["EndpointConfigName"] = stand_in
    # UpdateEndpoint's members are a superset of CreateEndpoint's, less Tags (checked above).
    update = {k: v for k, v in raw.items() if k in shapes.members(shapes.UPDATE_OPERATION)}
    update.update(EndpointName=stand_in, EndpointConfigName=stand_in)
    problems = shapes.botocore_problems(shapes.CONFIG_OPERATION, config)
    problems += shapes.botocore_problems(shapes.UPDATE_OPERATION, update)
    return problems


def parse_request(raw: Any) -> DeploymentRequest:
    """Validate a direct-deployment request and return it typed, or raise RequestInvalid."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise RequestInvalid([f"(request): is not valid JSON: {exc}"]) from None
    if not isinstance(raw, dict):
        raise RequestInvalid(
            [f"(request): must be a JSON object, got {type(raw).__name__}: {raw!r:.80}"]
        )
    # Step Functions counts the UTF-8 bytes of the JSON text
    size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise RequestInvalid(
            [
                f"(request): is {size} bytes; Step Functions carries at most "
                f"{MAX_PAYLOAD_BYTES} bytes (256 KiB) between states"
            ]
        )

    problems = _structural_problems(raw)
    reported = {p.split(":", 1)[0] for p in problems}
    problems.extend(p for p in _botocore_floor(raw) if p.split(":", 1)[0] not in reported)
    if problems:
        raise RequestInvalid(problems)

    fields = dict(raw)
    given = fields.get("EndpointConfigName")
    config_name = given or derive_config_name(fields["EndpointName"], fields)
    return DeploymentRequest(
        endpoint_name=fields["EndpointName"],
        endpoint_config_name=config_name,
        config_name_derived=not given,
        fields=fields,
    )
