"""Clean-up after a success: the endpoint's old endpoint configs, and what failed deployments
left behind, deleted under the endpoint's lease so that it can never hurt a deployment.

Every deployment of new content makes a new endpoint config (configs are immutable and their
names derived from their content), so they pile up; a deployment that failed or was superseded
leaves its config (and the models made for it) behind. With a retention of N:

- **kept**: the config just deployed and the newest configs that served the endpoint, N in
  all (the deployer's table remembers which served, newest first); always, whatever N, the
  config the endpoint serves, the one being rolled out, the one it replaced (the rollback
  target) and every config a waiting or in-flight deployment of the endpoint names;
- **deleted**: every other config **the deployer created for this endpoint** (it carries the
  ``contract.MANAGED_TAG`` tag valued with the endpoint's name), then every model it created
  for this endpoint that no remaining config of the endpoint uses.

Nothing without the tag is ever deleted: a config or model named by hand, made by another
tool, or made before the deployer marked what it creates, is the operator's. Retention 0
(the default) deletes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deployer import contract
from deployer.errors import DeployerError
from deployer.gateway import SageMakerGateway
from deployer.model import Model
from deployer.observability import logger, tracer


def _lower(names: Iterable[str | None]) -> set[str]:
    return {name.lower() for name in names if name}


def to_keep(target: str, served: list[str], keep: int, protected: Iterable[str | None]) -> set[str]:
    """Lower-cased names of the configs retention keeps (see the module doc)."""
    recent: list[str] = []
    for name in [target, *served]:
        if name.lower() not in recent:
            recent.append(name.lower())
    return set(recent[: max(keep, 1)]) | _lower([target, *protected])


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


def variant_models(config: dict[str, Any]) -> set[str]:
    """The names of the models a config's variants (production and shadow) use."""
    variants = config.get("ProductionVariants", []) + config.get("ShadowProductionVariants", [])
    return {v["ModelName"] for v in variants if v.get("ModelName")}


class Pruned(Model):
    EndpointConfigs: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Models: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)


def is_ours(gateway: SageMakerGateway, arn: str, endpoint_name: str) -> bool:
    """Whether the resource carries the deployer's mark for this endpoint."""
    mark = endpoint_name.lower()
    return any(
        t["Key"] == contract.MANAGED_TAG and t["Value"].lower() == mark
        for t in gateway.list_tags(arn)
    )


@tracer.capture_method
def prune(
    gateway: SageMakerGateway,
    endpoint_name: str,
    keep: int,
    target: str,
    served: list[str],
    protected: Iterable[str | None],
) -> Pruned:
    """Delete what retention does not keep; return what was deleted.

    Called by the holder of the endpoint's lease only. A failure here never fails the
    deployment that just succeeded: it is logged, and the next success tries again.
    """
    if keep <= 0:
        return Pruned()
    kept = to_keep(target, served, keep, protected)
    pruned = Pruned()
    try:
        listed = gateway.list_endpoint_configs(endpoint_name)
        owned = [c for c in listed if is_ours(gateway, c["EndpointConfigArn"], endpoint_name)]
        doomed = to_delete(owned, kept)
        in_use: set[str] = set()
        candidates: set[str] = set(gateway.list_models(endpoint_name))
        # every remaining config of the endpoint, ours or not, keeps its models
        for summary in listed:
            config = gateway.describe_endpoint_config(summary["EndpointConfigName"]) or {}
            if summary["EndpointConfigName"] in doomed:
                candidates |= variant_models(config)
            else:
                in_use |= _lower(variant_models(config))
        for name in doomed:
            gateway.delete_endpoint_config(name)
            pruned.EndpointConfigs.append(name)
        for model in models_to_delete(candidates, in_use):
            described = gateway.describe_model(model)
            if described is not None and is_ours(gateway, described["ModelArn"], endpoint_name):
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
