"""The Configure stage's decisions, pure functions of the request and of what SageMaker
describes (no AWS calls): which fields of a model and of an endpoint config are compared, what
differs, which variants' models exist, and what changes from the config an endpoint serves to
the one a request makes. ``perform/configure.py`` acts on them; ``smdeploy plan`` reports them.

Models and endpoint configs are immutable
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html): a
name reused for other content is a conflict, spelled out field by field.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from deployer import interface
from deployer.decide.differences import differences, shown
from deployer.request import inference_components, shapes, variant_rules

# What a CreateModel request says that DescribeModel gives back to compare against
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html).
MODEL_COMPARED = ("PrimaryContainer", "Containers", "ExecutionRoleArn", "InferenceExecutionConfig")
# What DescribeEndpointConfig returns that is no part of what a request asks for
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html).
NOT_CONTENT = frozenset({"EndpointConfigName", "EndpointConfigArn", "CreationTime", "Tags"})
# The lists of variants of an endpoint config, each variant naming its model.
VARIANT_KINDS = ("ProductionVariants", "ShadowProductionVariants")


def marked(tags: list[dict[str, str]] | None, endpoint_name: str) -> list[dict[str, str]]:
    """``tags`` plus the deployer's mark: what it created for this endpoint, clean-up may
    delete once nothing kept uses it; nothing without the mark is ever deleted."""
    mark = {"Key": interface.MANAGED_TAG, "Value": endpoint_name.lower()}
    return [*(t for t in tags or [] if t["Key"] != interface.MANAGED_TAG), mark]


def model_differences(model: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """How the model a request defines differs from the one of that name (DescribeModel);
    empty: the existing one is reused."""
    wanted = {k: v for k, v in model.items() if k in MODEL_COMPARED}
    return differences(wanted, dict(existing))


def config_content(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The endpoint config's content a request asks for: its CreateEndpointConfig members,
    without the name and the tags."""
    members = shapes.members(shapes.CONFIG_OPERATION)
    return {k: v for k, v in fields.items() if k in members and k not in NOT_CONTENT}


def config_differences(params: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """How the config ``params`` make differs from the one of that name
    (DescribeEndpointConfig); empty: the existing one is reused."""
    wanted = {k: v for k, v in params.items() if k not in NOT_CONTENT}
    return differences(wanted, dict(existing))


def model_references(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every model the request's config and inference components name, as (path, name): the
    variants' (an endpoint for inference components names none) and each IC
    specification's."""
    found = [
        (f"{kind}[{i}].ModelName", str(variant["ModelName"]))
        for kind in VARIANT_KINDS
        for i, variant in enumerate(fields.get(kind, []))
        if variant.get("ModelName")
    ]
    for path, ic in inference_components.items(fields):
        found += [
            (f"{where}.ModelName", str(spec["ModelName"]))
            for where, spec in inference_components.specifications(path, ic)
            if spec.get("ModelName")
        ]
    return found


def unknown_variant_models(fields: Mapping[str, Any], known: Collection[str]) -> list[str]:
    """The models named (variants, inference components) that the request does not create, in
    order of first use: each must be looked up (DescribeModel) before anything is created."""
    names: list[str] = []
    for _, name in model_references(fields):
        if name not in known and name not in names:
            names.append(name)
    return names


def missing_variant_models(
    fields: Mapping[str, Any], known: Collection[str]
) -> list[tuple[str, str]]:
    """The models named that are neither created by the request nor exist (``known``: the
    models of both kinds), as (path, model name)."""
    return [(path, name) for path, name in model_references(fields) if name not in known]


def missing_message(missing: Iterable[tuple[str, str]]) -> str:
    """ModelNotFound's message for the ``missing_variant_models``."""
    return "; ".join(
        f"{path}: model {name} does not exist and the request's Models does not create it"
        for path, name in missing
    )


def config_changes(served: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """What changes from the served config to the wanted one: field by field, and variant
    by variant (matched by VariantName), with each variant's share of the traffic."""
    found: list[str] = []
    for kind in VARIANT_KINDS:
        found += _variant_changes(kind, served.get(kind) or [], wanted.get(kind) or [])
    members = shapes.members(shapes.CONFIG_OPERATION)
    for key in sorted(set(wanted) | (set(served) - NOT_CONTENT)):
        if key in VARIANT_KINDS or key not in members:
            continue
        if key not in wanted:
            found.append(f"{key}: removed (serving {shown(served[key])}, request leaves it out)")
            continue
        found.extend(differences({key: wanted[key]}, dict(served)))
    return found


def _variant_changes(
    kind: str, served: list[dict[str, Any]], wanted: list[dict[str, Any]]
) -> list[str]:
    found: list[str] = []
    old = {v["VariantName"]: v for v in served}
    new = {v["VariantName"]: v for v in wanted}
    weighted = kind == VARIANT_KINDS[0]
    old_shares = variant_rules.traffic_shares({kind: list(old.values())}) if weighted else {}
    new_shares = variant_rules.traffic_shares({kind: list(new.values())}) if weighted else {}
    for name, variant in new.items():
        where = f"{kind}[{name}]"
        if name not in old:
            found.append(f"{where}: added ({capacity(variant)})")
        else:
            fields = {k: v for k, v in variant.items() if k != "InitialVariantWeight"}
            found.extend(differences(fields, old[name], where))
        before, after = old_shares.get(name), new_shares.get(name)
        if after is not None and (before is None or abs(before - after) > 1e-9):
            was = f"{before * 100:.1f}%" if before is not None else "none"
            found.append(f"{where}: traffic share {was} -> {after * 100:.1f}%")
    for name in old:
        if name not in new:
            share = old_shares.get(name)
            shown = f", {share * 100:.1f}% of the traffic" if share is not None else ""
            found.append(f"{kind}[{name}]: removed ({capacity(old[name])}{shown})")
    return found


def capacity(variant: Mapping[str, Any]) -> str:
    """A variant's capacity, as a plan shows it."""
    if "ServerlessConfig" in variant:
        config = variant["ServerlessConfig"]
        return f"serverless {config.get('MemorySizeInMB')} MB"
    count = variant.get("InitialInstanceCount")
    if variant.get("InstancePools"):  # in the order SageMaker tries them: priority 1 first
        pools = sorted(variant["InstancePools"], key=lambda pool: pool.get("Priority", 0))
        kinds = ", then ".join(
            f"{p.get('InstanceType')} (priority {p.get('Priority')})" for p in pools
        )
        return f"{count} x {kinds}"
    return f"{count} x {variant.get('InstanceType')}"
