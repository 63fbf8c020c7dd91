"""Stage 2: create the requested models, then the endpoint config, idempotently.

Models and endpoint configs are immutable in SageMaker. So a replay of the same request
reuses what the first run created, and a request that reuses a name for different content is
refused with the differences spelled out, before anything else is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployer import interface
from deployer.aws.sagemaker import AlreadyExists, SageMakerGateway
from deployer.decide.differences import differences
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

# What a CreateModel request says that DescribeModel gives back to compare against.
_MODEL_COMPARED = ("PrimaryContainer", "Containers", "ExecutionRoleArn", "InferenceExecutionConfig")


def marked(tags: list[dict[str, str]] | None, endpoint_name: str) -> list[dict[str, str]]:
    """``tags`` plus the deployer's mark: what it created for this endpoint, clean-up may
    delete once nothing kept uses it; nothing without the mark is ever deleted."""
    mark = {"Key": interface.MANAGED_TAG, "Value": endpoint_name.lower()}
    return [*(t for t in tags or [] if t["Key"] != interface.MANAGED_TAG), mark]


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
    wanted = {k: v for k, v in model.items() if k in _MODEL_COMPARED}
    found = differences(wanted, existing)
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
    missing: list[str] = []
    checked: dict[str, bool] = {}
    for field in ("ProductionVariants", "ShadowProductionVariants"):
        for i, variant in enumerate(request.fields.get(field, [])):
            name = variant["ModelName"]
            if name in known:
                continue
            if name not in checked:
                checked[name] = gateway.describe_model(name) is not None
            if not checked[name]:
                missing.append(
                    f"{field}[{i}].ModelName: model {name} does not exist and the request's "
                    f"Models does not create it"
                )
    if missing:
        raise ModelNotFound("; ".join(missing))


def _config_conflict(name: str, params: dict[str, Any], existing: dict[str, Any]) -> list[str]:
    wanted = {k: v for k, v in params.items() if k not in ("EndpointConfigName", "Tags")}
    return differences(wanted, existing)


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
        found = _config_conflict(name, params, existing)
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
