"""The documented rules of the SageMaker APIs that botocore's model cannot express.

Each rule reads the request (a JSON object; any field may have any type, because the model's
checks in :mod:`deployer.request.shapes` report wrong types) and yields a
:class:`~deployer.request.violations.Violation` per break. A rule skips values of the wrong type:
the model's checks already report those. The rules live by the API they belong to
(:mod:`~deployer.request.variant_rules`, :mod:`~deployer.request.endpoint_config_rules`,
:mod:`~deployer.request.endpoint_rules`, :mod:`~deployer.request.create_model_rules`,
:mod:`~deployer.request.tag_rules`, :mod:`~deployer.request.inference_component_rules`,
:mod:`~deployer.request.inference_component_copies`); this module lists them all, with the
rule of the deployer's own field.

Sources, quoted where a rule is defined: the SageMaker API reference (the documentation
strings in botocore's model for CreateEndpointConfig, CreateEndpoint, UpdateEndpoint,
CreateModel, CreateInferenceComponent and UpdateInferenceComponent;
https://docs.aws.amazon.com/sagemaker/latest/APIReference/Welcome.html), and the
SageMaker Developer Guide pages on deployment guardrails
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html), shadow tests
(https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests.html) and serverless inference
(https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from deployer import interface
from deployer.request import (
    create_model_rules,
    endpoint_config_rules,
    endpoint_rules,
    inference_component_capacity,
    inference_component_copies,
    inference_component_rules,
    tag_rules,
    variant_rules,
)
from deployer.request.violations import Violation, described

Rule = Callable[[dict[str, Any]], Iterator[Violation]]


def deadline(raw: dict[str, Any]) -> Iterator[Violation]:
    """``DeadlineSeconds``: how long the whole deployment may take from its execution's start
    (the wait for the endpoint's lease included), a whole number of seconds within the state
    machine's own time limit."""
    if interface.DEADLINE_FIELD not in raw:
        return
    value = raw[interface.DEADLINE_FIELD]
    low, high = interface.DEADLINE_MIN_SECONDS, interface.DEADLINE_MAX_SECONDS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"must be a whole number of seconds from {low} to {high}, got {described(value)}"
        yield Violation(interface.DEADLINE_FIELD, "deadline", message, value)


RULES: tuple[Rule, ...] = (
    variant_rules.variant_models,
    variant_rules.unique_variant_names,
    variant_rules.instance_or_serverless,
    variant_rules.serverless_config,
    endpoint_config_rules.serverless_exclusions,
    endpoint_config_rules.shadow_variants,
    variant_rules.weights,
    endpoint_config_rules.kms_local_storage,
    variant_rules.variant_options,
    endpoint_config_rules.endpoint_config_options,
    endpoint_rules.update_options,
    tag_rules.tags,
    endpoint_rules.deployment_config,
    create_model_rules.models,
    inference_component_rules.ic_endpoint,
    inference_component_rules.partition_layouts,
    inference_component_rules.unique_ic_names,
    inference_component_rules.ic_placement,
    inference_component_rules.ic_specifications,
    inference_component_copies.ic_runtime_config,
    inference_component_rules.ic_deployment_config,
    inference_component_copies.ic_rolling_batch_copies,
    inference_component_capacity.ic_capacity,
    deadline,
)


def documented_violations(raw: dict[str, Any]) -> list[Violation]:
    """Every documented rule the request breaks, rule by rule."""
    return [violation for rule in RULES for violation in rule(raw)]
