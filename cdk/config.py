"""The stack's configuration, checked: the frozen :class:`DeployerConfig` the constructs
receive as typed props (:func:`cdk.context.load_config` makes it from the ``cdk.json`` context
and the settings of :mod:`cdk.settings`), and the functions' environments made of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deployer import interface
from deployer.decide.deadline import DEFAULT_PARK_SECONDS
from deployer.request.profiles import DeploymentProfile

# Lambda's limit on the environment of one function: all keys and values, 4 KB in total.
LAMBDA_ENVIRONMENT_LIMIT = 4096


@dataclass(frozen=True)
class DeployerConfig:
    """The checked configuration the constructs are built from."""

    stack_name: str
    name_prefix: str
    sagemaker_role_arn: str
    profiles: Mapping[str, DeploymentProfile]
    # group -> its profile as compact JSON: the value of its SSM parameter, which the Validate
    # function reads (deployer.interface.profile_parameter)
    profile_values: Mapping[str, str]
    config_retention: int
    deadline_seconds: int
    manifest_prefix: str
    log_retention_days: int
    notification_email: str | None = None
    kms_key_arns: tuple[str, ...] = ()
    park_seconds: int = DEFAULT_PARK_SECONDS  # the park's safety net
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def profiles_path(self) -> str:
        """The SSM path of the profiles' parameters (deployer.interface.profiles_path)."""
        return interface.profiles_path(self.stack_name)

    @property
    def approval_groups(self) -> list[str]:
        """Model package groups whose approvals deploy (every group with a profile)."""
        return sorted(self.profiles)

    @property
    def rollback_groups(self) -> list[str]:
        """Groups whose profile redeploys the previous version when the serving one is rejected."""
        return sorted(g for g, p in self.profiles.items() if p.rollback_on_rejection)

    @property
    def model_roles(self) -> list[str]:
        """Every role the deployer may pass to SageMaker: the configured one and the profiles'."""
        roles = {self.sagemaker_role_arn}
        roles.update(p.model_role_arn for p in self.profiles.values() if p.model_role_arn)
        return sorted(roles)


# --- Environments -------------------------------------------------------------------------


def environment_values(
    config: DeployerConfig, topic_arn: str, table_name: str
) -> dict[str, str | None]:
    """The value, in the stack, of every variable a function may read (``deployer.interface``);
    each function gets those its spec names (``FunctionSpec.environment_of``)."""
    return {
        interface.ENV_TABLE: table_name,
        interface.ENV_PROFILES_PATH: config.profiles_path,
        interface.ENV_NAME_PREFIX: config.name_prefix,
        interface.ENV_MODEL_ROLE: config.sagemaker_role_arn,
        interface.ENV_DEADLINE: str(config.deadline_seconds),
        interface.ENV_CONFIG_RETENTION: str(config.config_retention),
        interface.ENV_PARK_SECONDS: str(config.park_seconds),
        interface.ENV_TOPIC_ARN: topic_arn,
        interface.ENV_EVENT_BUS: "default",
    }


def function_environment(
    spec: interface.FunctionSpec, config: DeployerConfig, topic_arn: str, table_name: str
) -> dict[str, str]:
    """The environment variables of one function."""
    return spec.environment_of(environment_values(config, topic_arn, table_name))


def environment_size(env: Mapping[str, str]) -> int:
    """Bytes Lambda counts against its 4 KB limit: every key and value, UTF-8."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in env.items())


# The longest topic ARN SNS can give (256-character name), for the size check at synth.
_LONGEST_TOPIC_ARN = "arn:aws-us-gov:sns:us-gov-west-1:123456789012:" + "t" * 256
_LONGEST_TABLE_NAME = "t" * 255  # DynamoDB's limit


def environment_problems(config: DeployerConfig) -> list[str]:
    """A problem for each function whose environment would be over Lambda's limit with the
    longest topic ARN and table name AWS can give."""
    problems: list[str] = []
    for spec in interface.FUNCTIONS:
        size = environment_size(
            function_environment(spec, config, _LONGEST_TOPIC_ARN, _LONGEST_TABLE_NAME)
        )
        if size > LAMBDA_ENVIRONMENT_LIMIT:
            problems.append(
                f"the {spec.stage} function's environment would be {size} bytes, over "
                f"Lambda's limit of {LAMBDA_ENVIRONMENT_LIMIT} bytes for all variables of a "
                f"function"
            )
    return problems


# --- Profiles: one SSM parameter each ------------------------------------------------------


def profile_values(raw_profiles: Mapping[str, Any]) -> dict[str, str]:
    """Each group's profile as the compact JSON its parameter holds (keys sorted, so that the
    same profile gives the same value, and ``cdk diff`` shows only real changes)."""
    return {
        str(group): json.dumps(profile, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        for group, profile in sorted(raw_profiles.items())
    }


def profile_parameter_problems(raw_profiles: Mapping[str, Any], label: str) -> list[str]:
    """A problem for each profile too large for an SSM parameter (8 KB, the Advanced tier's
    limit), naming its group."""
    problems = []
    for group, value in profile_values(raw_profiles).items():
        size = len(value.encode())
        if size > interface.PROFILE_ADVANCED_BYTES:
            where = f"profiles.{group}" if label == "profiles" else f"{label}: {group}"
            problems.append(
                f"{where}: is {size} bytes as compact JSON, over the "
                f"{interface.PROFILE_ADVANCED_BYTES} bytes an SSM parameter holds (the Advanced "
                f"tier's limit); leave out fields that have defaults"
            )
    return problems
