"""``InferenceComponents``: the inference components (ICs) a request hosts on its endpoint.

Each item is a CreateInferenceComponent request (InferenceComponentName, EndpointName,
VariantName, Specification or Specifications, RuntimeConfig, Tags) with UpdateInferenceComponent's
``DeploymentConfig``, which the deployer sends when the IC exists already. Two members may be
left out, because the request says them already: ``EndpointName`` is the request's
``EndpointName``, and ``VariantName`` is the endpoint's only production variant (with more than
one, it is required). botocore's model checks each item (:func:`model_violations`, with the walk
of :mod:`deployer.request.shapes`, the item read as :func:`item_shape`), botocore's own validator
too (:func:`botocore_violations`); the documented rules are in
:mod:`deployer.request.inference_component_rules`.

For the stages after Validate, :func:`normalised` gives each IC's parameters with those two
members filled in, bases before their adapters; :func:`create_params` and :func:`update_params`
cut one into the members of CreateInferenceComponent and UpdateInferenceComponent.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.model import Shape, StructureShape

from deployer import interface
from deployer.request import shapes
from deployer.request.reading import as_items, as_str, variants
from deployer.request.violations import Violation, described, join

FIELD = interface.COMPONENTS_FIELD
CREATE_OPERATION, UPDATE_OPERATION = shapes.IC_OPERATIONS
# The members of UpdateInferenceComponent that CreateInferenceComponent does not take.
UPDATE_ONLY = ("DeploymentConfig",)
# Members the request fills in when an item leaves them out (see the module's note).
DEFAULTED = ("EndpointName", "VariantName")


class _Combined(StructureShape):
    """A structure whose members are taken from other shapes (botocore's own :class:`Shape`
    objects, with their names, metadata and documentation), for the walk to check."""

    def __init__(self, name: str, members: dict[str, Shape], required: list[str]) -> None:
        super().__init__(name, {"type": "structure", "required": required, "members": {}})
        self._combined = members

    @property
    def members(self) -> dict[str, Shape]:
        return self._combined


@cache
def item_shape() -> StructureShape:
    """An item of ``InferenceComponents``: CreateInferenceComponent's input, with
    UpdateInferenceComponent's DeploymentConfig, EndpointName no longer required."""
    create = shapes.input_shape(CREATE_OPERATION).members
    update = shapes.input_shape(UPDATE_OPERATION).members
    members = {**create, **{name: update[name] for name in UPDATE_ONLY}}
    required = [
        name
        for name in shapes.input_shape(CREATE_OPERATION).required_members
        if name not in DEFAULTED
    ]
    return _Combined("InferenceComponent", members, required)


def items(raw: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, IC) for each item of ``InferenceComponents`` that is an object."""
    return [
        (join(FIELD, i), ic)
        for i, ic in enumerate(as_items(raw.get(FIELD)))
        if isinstance(ic, dict)
    ]


def name_of(ic: Mapping[str, Any]) -> str | None:
    return as_str(ic.get("InferenceComponentName"))


def specifications(path: str, ic: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, specification) for the IC's Specification and each of its Specifications."""
    found = []
    if isinstance(ic.get("Specification"), dict):
        found.append((join(path, "Specification"), ic["Specification"]))
    at = join(path, "Specifications")
    found += [
        (join(at, j), spec)
        for j, spec in enumerate(as_items(ic.get("Specifications")))
        if isinstance(spec, dict)
    ]
    return found


def base_of(ic: Mapping[str, Any]) -> str | None:
    """The base IC an adapter IC names (BaseInferenceComponentName), or None for a base IC."""
    for _, spec in specifications("", ic):
        if base := as_str(spec.get("BaseInferenceComponentName")):
            return base
    return None


def hosting_variant(raw: Mapping[str, Any], ic: Mapping[str, Any]) -> str | None:
    """The production variant that hosts ``ic``: its VariantName, or the endpoint's only
    production variant's name; None when neither says."""
    if "VariantName" in ic:
        return as_str(ic["VariantName"])
    production = variants(dict(raw))
    if len(as_items(raw.get("ProductionVariants"))) == 1 and production:
        return as_str(production[0][1].get("VariantName"))
    return None


# --- botocore's model ---------------------------------------------------------------------


def model_violations(raw: Mapping[str, Any]) -> list[Violation]:
    """Every rule of botocore's model that ``InferenceComponents`` breaks."""
    if FIELD not in raw:
        return []
    listed = raw[FIELD]
    if not isinstance(listed, list | tuple):
        return [Violation(FIELD, "type", f"must be a list, got {described(listed)}", listed)]
    found: list[Violation] = []
    for i, ic in enumerate(listed):
        found += shapes.check_value(item_shape(), ic, join(FIELD, i))
    return found


def botocore_violations(raw: Mapping[str, Any]) -> list[Violation]:
    """botocore's own validation of the CreateInferenceComponent and UpdateInferenceComponent
    calls each IC turns into (the members the request fills in by stand-ins)."""
    found: list[Violation] = []
    for path, ic in items(raw):
        stand_ins = {name: "stand-in" for name in DEFAULTED}
        create = {**stand_ins, **{k: v for k, v in ic.items() if k not in UPDATE_ONLY}}
        found += shapes.botocore_violations(CREATE_OPERATION, create, path)
        if "DeploymentConfig" in ic:
            update = {
                "InferenceComponentName": ic.get("InferenceComponentName", "stand-in"),
                "DeploymentConfig": ic["DeploymentConfig"],
            }
            found += shapes.botocore_violations(UPDATE_OPERATION, update, path)
    return found


# --- the parsed request's view ----------------------------------------------------------


def normalised(fields: Mapping[str, Any], endpoint_name: str) -> list[dict[str, Any]]:
    """Each IC of a checked request, with EndpointName (the request's) and VariantName (the
    hosting variant's) filled in, every base before its adapters: the base ICs in the
    request's order, then the adapters in the request's order."""
    found: list[dict[str, Any]] = []
    for _, ic in items(fields):
        params = copy.deepcopy(ic)
        params["EndpointName"] = endpoint_name
        variant = hosting_variant(fields, ic)
        if variant is not None:
            params["VariantName"] = variant
        found.append(params)
    return [ic for ic in found if base_of(ic) is None] + [ic for ic in found if base_of(ic)]


def create_params(ic: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateInferenceComponent parameters of a normalised IC."""
    members = shapes.input_shape(CREATE_OPERATION).members
    return {k: copy.deepcopy(v) for k, v in ic.items() if k in members}


def update_params(ic: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateInferenceComponent parameters of a normalised IC (its name, specification,
    runtime config and deployment config)."""
    members = shapes.input_shape(UPDATE_OPERATION).members
    return {k: copy.deepcopy(v) for k, v in ic.items() if k in members}
