"""Config retention: after a success, delete the endpoint's oldest derived endpoint configs.

Every deployment of new content makes a new endpoint config (configs are immutable and their
names derived from their content), so they pile up. With a retention of N, the N newest
configs of the endpoint are kept, and so are, always, the one it serves and the one it
replaced (the rollback target). Only configs whose names the deployer derived for this
endpoint (``<endpoint>-<10 hex digits>``) are ever considered: a config named by hand is the
operator's.
"""

from __future__ import annotations

import re
from typing import Any

from deployer.deploy import same_name
from deployer.errors import DeployerError
from deployer.gateway import SageMakerGateway
from deployer.observability import logger, tracer
from deployer.request import DERIVED_HASH_LENGTH, derive_config_name


def derived_pattern(endpoint_name: str) -> re.Pattern[str]:
    """The names :func:`derive_config_name` gives this endpoint's configs (any case)."""
    stem = derive_config_name(endpoint_name, {})[: -DERIVED_HASH_LENGTH - 1]
    return re.compile(rf"{re.escape(stem)}-[0-9a-f]{{{DERIVED_HASH_LENGTH}}}", re.IGNORECASE)


def to_delete(
    configs: list[dict[str, Any]], endpoint_name: str, keep: int, protected: list[str | None]
) -> list[str]:
    """The names to delete, from ListEndpointConfigs summaries (pure: decided apart from doing)."""
    if keep <= 0:
        return []
    pattern = derived_pattern(endpoint_name)
    ours = sorted(
        (c for c in configs if pattern.fullmatch(c["EndpointConfigName"])),
        key=lambda c: c["CreationTime"],
        reverse=True,
    )
    return [
        c["EndpointConfigName"]
        for c in ours[keep:]
        if not any(same_name(c["EndpointConfigName"], name) for name in protected)
    ]


@tracer.capture_method
def prune(
    gateway: SageMakerGateway,
    endpoint_name: str,
    keep: int,
    protected: list[str | None],
) -> list[str]:
    """Delete what :func:`to_delete` names; return the names deleted.

    A failure here never fails the deployment that just succeeded: it is logged, and the
    next successful deployment tries again.
    """
    if keep <= 0:
        return []
    try:
        names = to_delete(
            gateway.list_endpoint_configs(endpoint_name), endpoint_name, keep, protected
        )
        for name in names:
            gateway.delete_endpoint_config(name)
    except DeployerError as error:
        logger.warning(
            "old endpoint configs not deleted; the next deployment tries again",
            extra={"error": type(error).__name__, "cause": str(error)},
        )
        return []
    if names:
        logger.info("old endpoint configs deleted", extra={"deleted": names, "kept": keep})
    return names
