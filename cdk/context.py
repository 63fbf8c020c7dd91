"""Reading the settings: :func:`load_config` checks every key of the context against
:data:`cdk.settings.SETTINGS`, reports every problem at once (each naming its key and showing a
valid value), and returns the :class:`cdk.config.DeployerConfig`. Nothing else in ``cdk/``
reads context or the environment.

Values given on the command line arrive as text (``-c deadlineSeconds=7200``,
``-c profiles='{"churn": {...}}'``); values in ``cdk.json`` arrive as JSON. Both are accepted.
The profiles come from a file (``-c profilesFile=profiles.json``, JSON with comments), or
inline (``profiles``): one of the two.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cdk.config import (
    DeployerConfig,
    environment_problems,
    profile_parameter_problems,
    profile_values,
)
from cdk.settings import BY_KEY, KEYS, LOG_RETENTION_DAYS
from deployer.errors import ProfileInvalid
from deployer.request import jsontext
from deployer.request.profiles import DeploymentProfile, parse_profiles

_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::(?P<account>\d{12}):role/?[a-zA-Z_0-9+=,.@\-_/]+")
# A valid start of a SageMaker name ([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}); at most 32 characters
# so that names made from it still fit in 63. No IAM wildcard characters can appear in it.
_NAME_PREFIX = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,31}")
# A KMS key ARN (not an alias: IAM authorizes a request that names an alias against the key).
_KEY_ARN = re.compile(r"arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:key/[a-zA-Z0-9\-]{1,128}")
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# S3 key prefix for manifests: safe characters only, no leading slash, no IAM wildcards.
_KEY_PREFIX = re.compile(r"[a-zA-Z0-9!_.'()\-][a-zA-Z0-9!_.'()\-/]{0,255}")


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


# The rule of each text setting: the pattern its value must match, and how a problem says so.
_TEXT_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "stackName": (
        _STACK_NAME,
        "must be a CloudFormation stack name (a letter, then letters, digits and hyphens)",
    ),
    "namePrefix": (
        _NAME_PREFIX,
        "must be the start of a SageMaker name: 1 to 32 letters, digits and hyphens, "
        "starting with a letter or digit",
    ),
    "sagemakerRoleArn": (_ROLE_ARN, "must be an IAM role ARN"),
    "notificationEmail": (_EMAIL, "must be an email address"),
    "manifestPrefix": (
        _KEY_PREFIX,
        "must be an S3 key prefix of letters, digits and ! _ . ' ( ) - /, not starting with /",
    ),
}
# The rule of each whole-number setting: the numbers it accepts, and how a problem says so.
_NUMBER_RULES: dict[str, tuple[Callable[[int], bool], str]] = {
    "configRetention": (
        lambda n: 0 <= n <= 1000,
        "must be a whole number from 0 (keep all) to 1000",
    ),
    "deadlineSeconds": (
        lambda n: 600 <= n <= 86400,
        "must be a whole number of seconds from 600 to 86400",
    ),
    "parkSeconds": (
        lambda n: 60 <= n <= 86400,
        "must be a whole number of seconds from 60 to 86400",
    ),
    "logRetentionDays": (
        lambda n: n in LOG_RETENTION_DAYS,
        "must be a retention period CloudWatch Logs accepts",
    ),
}


def _check_text(key: str, value: Any, problems: list[str]) -> str:
    """``value`` when it follows the text rule of ``key``, else "" and a problem."""
    pattern, rule = _TEXT_RULES[key]
    text = _text(value)
    if text is None or not pattern.fullmatch(text):
        problems.append(f"{key}: {rule}, got {value!r}. {BY_KEY[key].hint()}")
        return ""
    return text


def _check_int(key: str, value: Any, problems: list[str]) -> int:
    """``value`` as a number when it follows the number rule of ``key``, else 0 and a problem."""
    accept, rule = _NUMBER_RULES[key]
    number = _integer(value)
    if number is None or not accept(number):
        problems.append(f"{key}: {rule}, got {value!r}. {BY_KEY[key].hint()}")
        return 0
    return number


def _decode_profiles(value: Any, problems: list[str]) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            problems.append(f"profiles: not valid JSON ({error}). {BY_KEY['profiles'].hint()}")
            return None
    return value


def _read_profiles_file(value: Any, label: str, problems: list[str]) -> Any:
    """The profiles of the file ``value`` names (JSON, comments allowed), or None and every
    problem of its text (each naming the file, and the line of a syntax error)."""
    hint = BY_KEY["profilesFile"].hint()
    if not isinstance(value, str):
        problems.append(f"profilesFile: must be a file's path, got {value!r}. {hint}")
        return None
    try:
        data = Path(value).read_bytes()
    except OSError as error:
        where = Path(value).resolve()
        problems.append(f"{label}: cannot be read ({error.strerror}: {where}). {hint}")
        return None
    try:
        return jsontext.loads_with_comments(data, label)
    except jsontext.JsonRefused as refused:
        problems.extend(str(p) if p.path == label else f"{label}: {p}" for p in refused.problems)
        return None


def _profiles_source(context: Mapping[str, Any], problems: list[str]) -> tuple[Any, str]:
    """(the profiles as given, decoded, or None; the label their problems start with):
    ``profilesFile`` (``profilesFile=<path>``) or ``profiles`` inline (``profiles``)."""
    given = {k: context.get(k) for k in ("profilesFile", "profiles")}
    given = {k: v for k, v in given.items() if v is not None and v != ""}
    if len(given) == 2:
        problems.append(
            "profiles, profilesFile: both are given; give one (a -c key=value adds to cdk.json's "
            "context, it does not replace a different key: remove the other from cdk.json). "
            f"{BY_KEY['profilesFile'].hint()}"
        )
        return None, "profiles"
    if "profilesFile" in given:
        label = f"profilesFile={given['profilesFile']}"
        return _read_profiles_file(given["profilesFile"], label, problems), label
    if "profiles" in given:
        return _decode_profiles(given["profiles"], problems), "profiles"
    problems.append(f"profilesFile: missing (or profiles, inline). {BY_KEY['profilesFile'].hint()}")
    return None, "profiles"


def _under(label: str, problem: str) -> str:
    """A profile problem ("group.Field: ..." or "(profiles): ...") under ``label``: the
    profiles key ("profiles.group.Field: ...") or the file ("profilesFile=p.json: group...")."""
    if problem.startswith("(profiles)"):
        return label + problem[len("(profiles)") :]
    return f"{label}.{problem}" if label == "profiles" else f"{label}: {problem}"


def _check_keys(value: Any, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]  # one ARN given as text
    hint = BY_KEY["kmsKeyArns"].hint()
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


def _foreign_keys(raw_profiles: Any, keys: tuple[str, ...], label: str) -> list[str]:
    """A problem for each KMS key a profile names that is not one of ``keys``."""
    problems = []
    for group, profile in (raw_profiles or {}).items():
        for path, key in _key_fields(profile, _under(label, str(group))):
            if key not in keys:
                problems.append(
                    f"{path}: names the KMS key {key!r}, which is not one of kmsKeyArns (the "
                    f"keys the deployer may have SageMaker use); add its key ARN to "
                    f"kmsKeyArns, or leave the field out. {BY_KEY['kmsKeyArns'].hint()}"
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
        if key in BY_KEY or key.startswith(("@", "aws:", "aws-cdk:")):
            continue
        close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.8)
        if close:
            problems.append(f"{key}: not a setting; did you mean {close[0]}?")

    def get(key: str) -> Any:
        value = context.get(key)
        if value is None or value == "":
            setting = BY_KEY[key]
            if setting.required:
                problems.append(f"{key}: missing. {setting.hint()}")
            return setting.default
        return value

    stack_name = _check_text("stackName", get("stackName"), problems)
    name_prefix = _check_text("namePrefix", get("namePrefix"), problems)

    role_arn = ""
    raw_role = get("sagemakerRoleArn")
    if raw_role is not None:
        role_arn = _check_text("sagemakerRoleArn", raw_role, problems)
        account = _ROLE_ARN.fullmatch(role_arn)
        if account and deploy_account and account["account"] != deploy_account:
            problems.append(
                f"sagemakerRoleArn: is in account {account['account']}, but the stack deploys "
                f"to account {deploy_account} (SageMaker can only be passed a role of its own "
                f"account). {BY_KEY['sagemakerRoleArn'].hint()}"
            )

    profiles: dict[str, DeploymentProfile] = {}
    raw_profiles, label = _profiles_source(context, problems)
    if raw_profiles is not None:
        try:
            # The Validate stage's own check, with the prefix its permissions are scoped to.
            profiles = parse_profiles(raw_profiles, name_prefix or "")
        except ProfileInvalid as error:
            found = [_under(label, p) for p in error.problems]
            if label == "profiles":
                found[-1] += f". Example: -c profiles={BY_KEY['profiles'].example}"
            problems.extend(found)
        else:
            problems.extend(profile_parameter_problems(raw_profiles, label))

    kms_keys = _check_keys(get("kmsKeyArns"), problems)
    if profiles:
        problems.extend(_foreign_keys(raw_profiles, kms_keys, label))

    email_value = get("notificationEmail")
    email = None if email_value is None else _check_text("notificationEmail", email_value, problems)
    retention = _check_int("configRetention", get("configRetention"), problems)
    deadline = _check_int("deadlineSeconds", get("deadlineSeconds"), problems)
    park = _check_int("parkSeconds", get("parkSeconds"), problems)
    manifest_prefix = _check_text("manifestPrefix", get("manifestPrefix"), problems)
    log_days = _check_int("logRetentionDays", get("logRetentionDays"), problems)
    config = DeployerConfig(
        stack_name=stack_name,
        name_prefix=name_prefix,
        sagemaker_role_arn=role_arn,
        profiles=profiles,
        profile_values=profile_values(raw_profiles) if profiles else {},
        config_retention=retention,
        deadline_seconds=deadline,
        park_seconds=park,
        manifest_prefix=manifest_prefix,
        log_retention_days=log_days,
        kms_key_arns=kms_keys,
        notification_email=email,
    )
    problems.extend(environment_problems(config))
    if problems:
        raise ConfigError(problems)
    return config
