"""Clean-up after a success: the endpoint's old endpoint configs, and what failed deployments
left behind, deleted under the endpoint's lease so that it can never hurt a deployment.

Every deployment of new content makes a new endpoint config (configs are immutable and their
names derived from their content), so they pile up; a deployment that failed or was superseded
leaves its config (and the models made for it) behind. With a retention of N, by mark and
sweep over references (as Chalice's ``UnreferencedResourcePlanner`` does), never by age alone:

- **marked (kept)**: the config just deployed and the newest configs that served the endpoint,
  N in all (the deployer's table remembers which served, newest first); always, whatever N,
  the config the endpoint serves, the one being rolled out, the one it replaced (the rollback
  target), every config a waiting or in-flight deployment of the endpoint names, what the
  deployer's other endpoints need (their records: the configs their deployments name and the
  ones their retention keeps), and **every config any endpoint of the account references**:
  its current config and, during an update, its pending one
  (``PendingDeploymentSummary.EndpointConfigName``). SageMaker cannot patch
  or scale out an endpoint whose config or models were deleted
  (https://docs.aws.amazon.com/sagemaker/latest/dg/best-practice-endpoint-security.html; and
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html:
  "You must not delete an EndpointConfig in use by an endpoint");
- every model a config that stays references (its production and shadow variants' models and
  their instance pools' ``ModelNameOverride``) is marked too, and so is every model an
  inference component of the account names, or one the deployment's request is about to
  create (an IC endpoint's config names no model: its ICs do);
- **swept**: only among what **the deployer created for this endpoint** (it carries the
  ``contract.MANAGED_TAG`` tag valued with the endpoint's name): its configs not marked, then
  its models that no config that stays references. A config or model referenced only by a
  config being deleted goes with it.

Nothing without the tag is ever deleted: a config or model named by hand, made by another
tool, or made before the deployer marked what it creates, is the operator's. Retention 0
(the default) reads and deletes nothing.

Read first (:func:`read`), decide from data (:func:`sweep`, pure), perform last (:func:`prune`).
What it reads is bounded by the deployer's table, the account's endpoints and the endpoint's
own configs and models: one Scan of the deployer's table (paged; two items per endpoint, by
the Describe handler); ListEndpoints (a page per 100 endpoints) and one DescribeEndpoint per
endpoint; ListEndpointConfigs of the endpoint's name (paged) and one ListTags per config
listed; one DescribeEndpointConfig per config marked or listed; ListModels of the endpoint's
name (paged), and one DescribeModel and one ListTags per candidate model (those listed and
those the endpoint's own configs use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from deployer import interface
from deployer.aws.sagemaker import SageMakerGateway
from deployer.decide.lease_record import Record
from deployer.errors import DeployerError
from deployer.observability import logger, tracer
from deployer.payloads.results import Pruned


def _lower(names: Iterable[str | None]) -> set[str]:
    return {name.lower() for name in names if name}


def to_keep(target: str, served: list[str], keep: int, protected: Iterable[str | None]) -> set[str]:
    """Lower-cased names of the configs the endpoint's own retention keeps (see the module
    doc): the target and the newest that served, N in all, and the protected ones."""
    recent: list[str] = []
    for name in [target, *served]:
        if name.lower() not in recent:
            recent.append(name.lower())
    return set(recent[: max(keep, 1)]) | _lower([target, *protected])


def kept_by_deployments(records: Iterable[Record], endpoint_name: str, keep: int) -> set[str]:
    """Lower-cased names of the configs the deployer's other endpoints still need (their
    records in its table): those their holders and waiting deployments name (made, or about to
    be, before the endpoint references them) and those their own retention keeps for rollback
    (the newest ``keep`` that served). The endpoint's own record is :func:`to_keep`'s."""
    mine = endpoint_name.lower()
    kept: set[str] = set()
    for record in records:
        if record.Endpoint.lower() != mine:
            kept |= record.configs_in_use() | _lower(record.Served[: max(keep, 1)])
    return kept


def to_delete(owned: list[dict[str, Any]], kept: set[str]) -> list[str]:
    """The deployer's configs of the endpoint (ListEndpointConfigs summaries) not kept, oldest
    last (pure: decided apart from doing)."""
    newest_first = sorted(owned, key=lambda c: c["CreationTime"], reverse=True)
    return [
        c["EndpointConfigName"] for c in newest_first if c["EndpointConfigName"].lower() not in kept
    ]


def models_to_delete(owned: Iterable[str], in_use: set[str]) -> list[str]:
    """The deployer's models of the endpoint that no remaining config uses."""
    return sorted({m for m in owned if m.lower() not in in_use})


def variant_models(config: Mapping[str, Any]) -> set[str]:
    """The names of the models a config uses: its production and shadow variants' models and
    their instance pools' ``ModelNameOverride``
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html)."""
    variants = [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]
    names = [v.get("ModelName") for v in variants]
    names += [
        pool.get("ModelNameOverride") for v in variants for pool in v.get("InstancePools", [])
    ]
    return {name for name in names if name}


def endpoint_configs(description: Mapping[str, Any]) -> set[str]:
    """The configs an endpoint references (DescribeEndpoint): the one it serves and, during an
    update, the one being rolled out (``PendingDeploymentSummary.EndpointConfigName``)."""
    pending = description.get("PendingDeploymentSummary") or {}
    return _lower([description.get("EndpointConfigName"), pending.get("EndpointConfigName")])


@dataclass(frozen=True)
class Seen:
    """What the clean-up read, before deciding anything.

    ``referenced``: the (lower-cased) configs some endpoint of the account references, or that
    retention or a deployment keeps; ``uses``: the models (as spelled) of every config
    described (those referenced and the endpoint's own), by its lower-cased name;
    ``owned_configs`` (ListEndpointConfigs summaries) and ``owned_models``: what carries the
    deployer's mark for the endpoint, the only candidates for deletion."""

    referenced: frozenset[str]
    uses: Mapping[str, frozenset[str]]
    owned_configs: tuple[dict[str, Any], ...]
    owned_models: tuple[str, ...]


@dataclass(frozen=True)
class Sweep:
    """What the clean-up deletes: configs newest first, then models."""

    EndpointConfigs: tuple[str, ...] = ()
    Models: tuple[str, ...] = ()


def sweep(seen: Seen) -> Sweep:
    """Mark and sweep (pure): every config referenced is marked; every config that stays (marked,
    or not the deployer's) marks its models; the deployer's unmarked configs and models go. A
    model used only by configs that go, goes with them."""
    doomed = to_delete(list(seen.owned_configs), set(seen.referenced))
    gone = _lower(doomed)
    in_use = {
        m.lower() for config, models in seen.uses.items() if config not in gone for m in models
    }
    return Sweep(tuple(doomed), tuple(models_to_delete(seen.owned_models, in_use)))


def is_ours(gateway: SageMakerGateway, arn: str, endpoint_name: str) -> bool:
    """Whether the resource carries the deployer's mark for this endpoint."""
    mark = endpoint_name.lower()
    return any(
        t["Key"] == interface.MANAGED_TAG and t["Value"].lower() == mark
        for t in gateway.list_tags(arn)
    )


# The models inference components name, kept as a config that stays would keep them
COMPONENTS = "(inference components)"


@tracer.capture_method
def read(
    gateway: SageMakerGateway,
    endpoint_name: str,
    kept: Iterable[str],
    component_models: Callable[[], Iterable[str]] = tuple,
) -> Seen:
    """Read what retention decides from (the calls the module doc counts); ``kept``: the
    configs the endpoint's retention and its deployments keep; ``component_models``: the
    models inference components use or are about to use (kept as a config that stays keeps
    its models: an IC endpoint's config names none)."""
    referenced = _lower(kept)
    for name in gateway.list_endpoints():
        description = gateway.describe_endpoint(name)
        if description is not None:  # deleted since it was listed: it references nothing
            referenced |= endpoint_configs(description)
    listed = gateway.list_endpoint_configs(endpoint_name)
    owned = [c for c in listed if is_ours(gateway, c["EndpointConfigArn"], endpoint_name)]
    uses: dict[str, frozenset[str]] = {}
    for config in sorted(referenced | _lower(c["EndpointConfigName"] for c in listed)):
        described = gateway.describe_endpoint_config(config) or {}
        uses[config] = frozenset(variant_models(described))
    candidates = set(gateway.list_models(endpoint_name))
    for summary in owned:
        candidates |= set(uses.get(summary["EndpointConfigName"].lower(), ()))
    owned_models = []
    for model in sorted(candidates):
        described_model = gateway.describe_model(model)
        if described_model is not None and is_ours(
            gateway, described_model["ModelArn"], endpoint_name
        ):
            owned_models.append(model)
    uses[COMPONENTS] = frozenset(component_models())
    return Seen(frozenset(referenced), uses, tuple(owned), tuple(owned_models))


@tracer.capture_method
def prune(
    gateway: SageMakerGateway,
    endpoint_name: str,
    keep: int,
    target: str,
    served: list[str],
    protected: Iterable[str | None],
    needed_elsewhere: Callable[[], Iterable[str]] = tuple,
    component_models: Callable[[], Iterable[str]] = tuple,
) -> Pruned:
    """Delete what retention does not keep; return what was deleted.

    Called by the holder of the endpoint's lease only. ``needed_elsewhere`` reads the configs
    the deployer's other endpoints need (:func:`kept_by_deployments` of its table). A failure
    here never fails the deployment that just succeeded, and deletes nothing more: it is
    logged, and the next success tries again.
    """
    if keep <= 0:
        return Pruned()
    kept = to_keep(target, served, keep, protected)
    pruned = Pruned()
    try:
        everything_kept = kept | _lower(needed_elsewhere())
        planned = sweep(read(gateway, endpoint_name, everything_kept, component_models))
        for name in planned.EndpointConfigs:
            gateway.delete_endpoint_config(name)
            pruned.EndpointConfigs.append(name)
        for model in planned.Models:
            gateway.delete_model(model)
            pruned.Models.append(model)
    except DeployerError as error:
        logger.warning(
            "clean-up incomplete; the next successful deployment tries again",
            extra={"error": type(error).__name__, "cause": str(error)},
        )
    if pruned.EndpointConfigs or pruned.Models:
        logger.info("clean-up", extra={"deleted": pruned.model_dump(), "kept": sorted(kept)})
    return pruned
