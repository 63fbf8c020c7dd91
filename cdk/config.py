"""The stack's configuration: the ``cdk.json`` context (or ``-c key=value``), read once, checked.

Every setting a platform team may change is a context key listed in :data:`SETTINGS`, with
what it means and a valid example. :func:`load_config` reads them all, reports every problem
at once (each naming its key and showing a valid value), and returns one frozen
:class:`DeployerConfig` that the constructs receive as typed props. Nothing else in ``cdk/``
reads context or the environment.

Values given on the command line arrive as text (``-c deadlineSeconds=7200``,
``-c profiles='{"churn": {...}}'``); values in ``cdk.json`` arrive as JSON. Both are accepted.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deployer import interface
from deployer.decide.deadline import DEFAULT_PARK_SECONDS
from deployer.errors import ProfileInvalid
from deployer.request.profiles import DeploymentProfile, parse_profiles

# Lambda's limit on the environment of one function: all keys and values, 4 KB in total.
LAMBDA_ENVIRONMENT_LIMIT = 4096
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::(?P<account>\d{12}):role/?[a-zA-Z_0-9+=,.@\-_/]+")
# A valid start of a SageMaker name ([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}); at most 32 characters
# so that names made from it still fit in 63. No IAM wildcard characters can appear in it.
_NAME_PREFIX = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,31}")
# A KMS key ARN (not an alias: IAM authorizes a request that names an alias against the key).
_KEY_ARN = re.compile(r"arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:key/[a-zA-Z0-9\-]{1,128}")
EXAMPLE_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# S3 key prefix for manifests: safe characters only, no leading slash, no IAM wildcards.
_KEY_PREFIX = re.compile(r"[a-zA-Z0-9!_.'()\-][a-zA-Z0-9!_.'()\-/]{0,255}")

EXAMPLE_ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
EXAMPLE_PROFILES = (
    '{"churn-models": {"EndpointName": "smdeploy-churn", "ProductionVariants": '
    '[{"VariantName": "primary", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]}}'
)


@dataclass(frozen=True)
class Setting:
    """One context key: what it means, a valid example, and its default (None: required)."""

    key: str
    meaning: str
    example: str
    default: Any = None
    required: bool = False

    def hint(self) -> str:
        return f"{self.meaning[0].upper()}{self.meaning[1:]}. Example: -c {self.key}={self.example}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "sagemakerRoleArn",
        "the IAM role SageMaker assumes for the models smdeploy creates (the only role the "
        "deployer may pass, besides a profile's own ModelExecutionRoleArn)",
        EXAMPLE_ROLE,
        required=True,
    ),
    Setting(
        "profiles",
        "the deployment profile of each model package group whose approvals deploy: "
        '{"<group>": {<request without its model>, "RollbackOnRejection": false}}',
        f"'{EXAMPLE_PROFILES}'",
        required=True,
    ),
    Setting(
        "namePrefix",
        "every endpoint, endpoint config and model the deployer touches starts with it; its "
        "SageMaker permissions cover only such names",
        "smdeploy-",
        default="smdeploy-",
    ),
    Setting(
        "notificationEmail",
        "an address subscribed to the outcome topic (optional; confirm the subscription mail)",
        "ml-platform@example.com",
    ),
    Setting(
        "configRetention",
        "endpoint configs kept per endpoint after a successful deployment, older ones are "
        "deleted (0: keep all)",
        "5",
        default=0,
    ),
    Setting(
        "deadlineSeconds",
        "seconds a deployment may take, from CreateEndpoint/UpdateEndpoint to InService "
        "(600 to 86400)",
        "3600",
        default=3600,
    ),
    Setting(
        "parkSeconds",
        "seconds a deployment stays parked without an event from SageMaker before it looks at "
        "the endpoint itself (60 to 86400; never past the deadline)",
        str(DEFAULT_PARK_SECONDS),
        default=DEFAULT_PARK_SECONDS,
    ),
    Setting(
        "manifestPrefix",
        "the key prefix in the manifest bucket under which an uploaded manifest starts a "
        "deployment",
        "manifests/",
        default="manifests/",
    ),
    Setting(
        "logRetentionDays",
        f"days the function, state machine and access logs are kept (one of "
        f"{', '.join(map(str, LOG_RETENTION_DAYS))})",
        "90",
        default=90,
    ),
    Setting(
        "kmsKeyArns",
        "the KMS keys (key ARNs) a profile or request may name in KmsKeyId, "
        "DataCaptureConfig.KmsKeyId or AsyncInferenceConfig.OutputConfig.KmsKeyId; the "
        "Deploy function may have SageMaker create grants on them, and on no other key",
        f"'[\"{EXAMPLE_KEY}\"]'",
        default=[],
    ),
    Setting(
        "stackName",
        "the CloudFormation stack's name (one installation per name)",
        "smdeploy",
        default="smdeploy",
    ),
)
KEYS = tuple(s.key for s in SETTINGS)
_BY_KEY = {s.key: s for s in SETTINGS}


class ConfigError(Exception):
    """The configuration breaks one or more rules; every problem names its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(
            f"smdeploy: {count} {noun} in the configuration (cdk.json context, or -c key=value):"
            f"\n{lines}"
        )


@dataclass(frozen=True)
class DeployerConfig:
    """The checked configuration the constructs are built from."""

    stack_name: str
    name_prefix: str
    sagemaker_role_arn: str
    profiles: Mapping[str, DeploymentProfile]
    profiles_json: str  # compact JSON, as the Validate function reads it
    config_retention: int
    deadline_seconds: int
    manifest_prefix: str
    log_retention_days: int
    notification_email: str | None = None
    kms_key_arns: tuple[str, ...] = ()
    park_seconds: int = DEFAULT_PARK_SECONDS  # the park's safety net
    extra: Mapping[str, Any] = field(default_factory=dict)

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
        interface.ENV_PROFILES: config.profiles_json,
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


# --- Reading --------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    return None


def _check_text(
    key: str, value: Any, pattern: re.Pattern[str], rule: str, problems: list[str]
) -> str:
    text = _text(value)
    if text is None or not pattern.fullmatch(text):
        problems.append(f"{key}: {rule}, got {value!r}. {_BY_KEY[key].hint()}")
        return ""
    return text


def _check_int(
    key: str, value: Any, accept: Callable[[int], bool], rule: str, problems: list[str]
) -> int:
    number = _integer(value)
    if number is None or not accept(number):
        problems.append(f"{key}: {rule}, got {value!r}. {_BY_KEY[key].hint()}")
        return 0
    return number


def _decode_profiles(value: Any, problems: list[str]) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            problems.append(f"profiles: not valid JSON ({error}). {_BY_KEY['profiles'].hint()}")
            return None
    return value


def _under_profiles(problem: str) -> str:
    """A profile problem ("group.Field: ..." or "(profiles): ...") under the profiles key."""
    if problem.startswith("(profiles)"):
        return "profiles" + problem[len("(profiles)") :]
    return f"profiles.{problem}"


def _check_keys(value: Any, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]  # one ARN given as text
    hint = _BY_KEY["kmsKeyArns"].hint()
    if not isinstance(value, list):
        problems.append(f"kmsKeyArns: must be a list of KMS key ARNs, got {value!r}. {hint}")
        return ()
    keys: list[str] = []
    for index, key in enumerate(value):
        if isinstance(key, str) and _KEY_ARN.fullmatch(key):
            keys.append(key)
        else:
            problems.append(
                f"kmsKeyArns[{index}]: must be a KMS key ARN (arn:aws:kms:<region>:<account>:"
                f"key/<key id>; not an alias), got {key!r}. {hint}"
            )
    return tuple(dict.fromkeys(keys))


def _key_fields(value: Any, path: str) -> list[tuple[str, Any]]:
    """(path, value) of every KmsKeyId field in a profile, at any depth."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key == "KmsKeyId":
                found.append((where, item))
            else:
                found.extend(_key_fields(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_key_fields(item, f"{path}[{index}]"))
    return found


def _foreign_keys(raw_profiles: Any, keys: tuple[str, ...]) -> list[str]:
    """A problem for each KMS key a profile names that is not one of ``keys``."""
    problems = []
    for group, profile in (raw_profiles or {}).items():
        for path, key in _key_fields(profile, f"profiles.{group}"):
            if key not in keys:
                problems.append(
                    f"{path}: names the KMS key {key!r}, which is not one of kmsKeyArns (the "
                    f"keys the deployer may have SageMaker use); add its key ARN to "
                    f"kmsKeyArns, or leave the field out. {_BY_KEY['kmsKeyArns'].hint()}"
                )
    return problems


def context_of(get: Callable[[str], Any]) -> dict[str, Any]:
    """The smdeploy settings present in a construct tree's context (``node.try_get_context``)."""
    return {key: get(key) for key in KEYS if get(key) is not None}


def load_config(
    context: Mapping[str, Any],
    *,
    all_keys: tuple[str, ...] = (),
    deploy_account: str | None = None,
) -> DeployerConfig:
    """Check every setting of ``context`` and return the configuration, or raise ConfigError.

    ``all_keys`` are every key of the app's context (to point out a misspelt setting);
    ``deploy_account`` is the account being deployed to, when the CLI knows it (the role
    SageMaker is passed must live in that account).
    """
    problems: list[str] = []

    for key in all_keys:
        if key in _BY_KEY or key.startswith(("@", "aws:", "aws-cdk:")):
            continue
        close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.8)
        if close:
            problems.append(f"{key}: not a setting; did you mean {close[0]}?")

    def get(key: str) -> Any:
        value = context.get(key)
        if value is None or value == "":
            setting = _BY_KEY[key]
            if setting.required:
                problems.append(f"{key}: missing. {setting.hint()}")
            return setting.default
        return value

    stack_name = _check_text(
        "stackName",
        get("stackName"),
        _STACK_NAME,
        "must be a CloudFormation stack name (a letter, then letters, digits and hyphens)",
        problems,
    )
    name_prefix = _check_text(
        "namePrefix",
        get("namePrefix"),
        _NAME_PREFIX,
        "must be the start of a SageMaker name: 1 to 32 letters, digits and hyphens, "
        "starting with a letter or digit",
        problems,
    )

    role_arn = ""
    raw_role = get("sagemakerRoleArn")
    if raw_role is not None:
        role_arn = _check_text(
            "sagemakerRoleArn", raw_role, _ROLE_ARN, "must be an IAM role ARN", problems
        )
        account = _ROLE_ARN.fullmatch(role_arn)
        if account and deploy_account and account["account"] != deploy_account:
            problems.append(
                f"sagemakerRoleArn: is in account {account['account']}, but the stack deploys "
                f"to account {deploy_account} (SageMaker can only be passed a role of its own "
                f"account). {_BY_KEY['sagemakerRoleArn'].hint()}"
            )

    profiles: dict[str, DeploymentProfile] = {}
    profiles_json = "{}"
    raw_profiles = _decode_profiles(get("profiles"), problems)
    if raw_profiles is not None:
        try:
            # The Validate stage's own check, with the prefix its permissions are scoped to.
            profiles = parse_profiles(raw_profiles, name_prefix or "")
        except ProfileInvalid as error:
            found = [_under_profiles(p) for p in error.problems]
            found[-1] += f". Example: -c profiles={_BY_KEY['profiles'].example}"
            problems.extend(found)
        else:
            profiles_json = json.dumps(raw_profiles, separators=(",", ":"), sort_keys=True)

    kms_keys = _check_keys(get("kmsKeyArns"), problems)
    if profiles:
        problems.extend(_foreign_keys(raw_profiles, kms_keys))

    email_value = get("notificationEmail")
    email = None
    if email_value is not None:
        email = _check_text(
            "notificationEmail", email_value, _EMAIL, "must be an email address", problems
        )
    retention = _check_int(
        "configRetention",
        get("configRetention"),
        lambda n: 0 <= n <= 1000,
        "must be a whole number from 0 (keep all) to 1000",
        problems,
    )
    deadline = _check_int(
        "deadlineSeconds",
        get("deadlineSeconds"),
        lambda n: 600 <= n <= 86400,
        "must be a whole number of seconds from 600 to 86400",
        problems,
    )
    park = _check_int(
        "parkSeconds",
        get("parkSeconds"),
        lambda n: 60 <= n <= 86400,
        "must be a whole number of seconds from 60 to 86400",
        problems,
    )
    manifest_prefix = _check_text(
        "manifestPrefix",
        get("manifestPrefix"),
        _KEY_PREFIX,
        "must be an S3 key prefix of letters, digits and ! _ . ' ( ) - /, not starting with /",
        problems,
    )
    log_days = _check_int(
        "logRetentionDays",
        get("logRetentionDays"),
        lambda n: n in LOG_RETENTION_DAYS,
        "must be a retention period CloudWatch Logs accepts",
        problems,
    )
    config = DeployerConfig(
        stack_name=stack_name,
        name_prefix=name_prefix,
        sagemaker_role_arn=role_arn,
        profiles=profiles,
        profiles_json=profiles_json,
        config_retention=retention,
        deadline_seconds=deadline,
        park_seconds=park,
        manifest_prefix=manifest_prefix,
        log_retention_days=log_days,
        kms_key_arns=kms_keys,
        notification_email=email,
    )
    for spec in interface.FUNCTIONS:
        size = environment_size(
            function_environment(spec, config, _LONGEST_TOPIC_ARN, _LONGEST_TABLE_NAME)
        )
        if size > LAMBDA_ENVIRONMENT_LIMIT:
            problems.append(
                f"profiles: the {spec.stage} function's environment would be {size} bytes, over "
                f"Lambda's limit of {LAMBDA_ENVIRONMENT_LIMIT} bytes for all variables of a "
                f"function; the profiles take {len(config.profiles_json.encode())} bytes as "
                f"compact JSON. Shorten them (fewer groups, or leave out fields that have "
                f"defaults). {_BY_KEY['profiles'].hint()}"
            )
    if problems:
        raise ConfigError(problems)
    return config
