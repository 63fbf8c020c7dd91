"""Stage 2: create the requested models, then the endpoint config, idempotently.

Models and endpoint configs are immutable in SageMaker. So a replay of the same request
reuses what the first run created, and a request that reuses a name for different content is
refused with the differences spelled out, before anything else is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployer.aws.sagemaker import AlreadyExists, SageMakerGateway
from deployer.decide import configure as decide
from deployer.decide.configure import marked
from deployer.errors import (
    EndpointConfigConflict,
    ModelConflict,
    ModelNotFound,
    NoRollbackTarget,
)
from deployer.observability import logger, tracer
from deployer.payloads.results import ConfigureResult
from deployer.request import shapes

# Only named in signatures: the request's module (the validator and its rules) is loaded
# by the functions that read a request, not by those that only need this module's names.
if TYPE_CHECKING:
    from deployer.request.deployment import DeploymentRequest


def _ensure_model(gateway: SageMakerGateway, model: dict[str, Any], endpoint_name: str) -> bool:
    """Create ``model`` unless it exists; True when created. Raise ModelConflict on a mismatch."""
    name = model["ModelName"]
    existing = gateway.describe_model(name)
    if existing is None:
        try:
            gateway.create_model(model | {"Tags": marked(model.get("Tags"), endpoint_name)})
            logger.info("model created", extra={"model_name": name})
            return True
        except AlreadyExists:
            # Created by a concurrent run (a duplicate approval event): compare with it.
            existing = gateway.describe_model(name)
            if existing is None:
                raise ModelConflict(
                    f"CreateModel {name}: SageMaker says the model exists, yet DescribeModel "
                    f"does not find it; try again"
                ) from None
    found = decide.model_differences(model, existing)
    if found:
        raise ModelConflict(
            f"model {name} already exists with a different definition (models are immutable; "
            f"give the new one another ModelName): " + "; ".join(found)
        )
    logger.info("model exists with the same definition; reused", extra={"model_name": name})
    return False


def _check_variant_models(
    gateway: SageMakerGateway, request: DeploymentRequest, known: set[str]
) -> None:
    """Read whether each variant's model the request does not create exists, then decide."""
    unknown = decide.unknown_variant_models(request.fields, known)
    found = {name for name in unknown if gateway.describe_model(name) is not None}
    missing = decide.missing_variant_models(request.fields, known | found)
    if missing:
        raise ModelNotFound(decide.missing_message(missing))


@tracer.capture_method
def configure(request: DeploymentRequest, gateway: SageMakerGateway) -> ConfigureResult:
    # Every variant's model must exist or be requested: checked before anything is created.
    _check_variant_models(gateway, request, {model["ModelName"] for model in request.models})
    created: list[str] = []
    reused: list[str] = []
    for model in request.models:
        made = _ensure_model(gateway, model, request.endpoint_name)
        (created if made else reused).append(model["ModelName"])

    params = request.endpoint_config_params()
    params["Tags"] = marked(params.get("Tags"), request.endpoint_name)
    name = params["EndpointConfigName"]
    existing = gateway.describe_endpoint_config(name)
    config_created = False
    if existing is None:
        try:
            arn = gateway.create_endpoint_config(params)
            config_created = True
        except AlreadyExists:
            # Created by a concurrent run between our describe and create: compare with it.
            existing = gateway.describe_endpoint_config(name)
    if existing is not None:
        found = decide.config_differences(params, existing)
        if found:
            hint = (
                "leave EndpointConfigName out to get a name derived from the content"
                if not request.config_name_derived
                else "its derived name collides; report this"
            )
            raise EndpointConfigConflict(
                f"endpoint config {name} already exists with different content (configs are "
                f"immutable; {hint}): " + "; ".join(found)
            )
        arn = existing["EndpointConfigArn"]
        name = existing["EndpointConfigName"]  # names match without regard to case
        logger.info("endpoint config exists with the same content; reused")
    else:
        logger.info("endpoint config created", extra={"endpoint_config_name": name})

    return ConfigureResult(
        EndpointConfigName=name,
        EndpointConfigArn=arn,
        ConfigCreated=config_created,
        ModelsCreated=created,
        ModelsReused=reused,
    )


@tracer.capture_method
def restore_request(
    template: DeploymentRequest, config_name: str, gateway: SageMakerGateway
) -> dict[str, Any]:
    """The request that puts ``config_name``, a config that served the endpoint, back (a
    rejection whose stopped deployment had begun its rollout): the config's content as
    DescribeEndpointConfig gives it, under its own name, with the template's other settings
    (the profile's tags, deployment policy and guardrails); no model to create."""
    described = gateway.describe_endpoint_config(config_name)
    if described is None:
        raise NoRollbackTarget(
            f"DescribeEndpointConfig {config_name}: the config endpoint "
            f"{template.endpoint_name} served before no longer exists; nothing to put back"
        )
    content = set(shapes.members(shapes.CONFIG_OPERATION)) - {"Tags"}
    fields = {k: v for k, v in template.fields.items() if k not in content and k != "Models"}
    fields |= {k: v for k, v in described.items() if k in content}
    fields["EndpointConfigName"] = described["EndpointConfigName"]
    return fields
