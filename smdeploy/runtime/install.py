"""Install the deployer into an (emulated) AWS account, as the stack installs it on AWS.

One function, :func:`install_deployer`, used by :class:`~smdeploy.runtime.local.LocalDeployment`
(in-process) and by ``smdeploy emulator`` (a local AWS endpoint). It creates, through the
ordinary AWS APIs and from the shared contract (``deployer.interface``):

- the roles: one for the functions and the state machine, and the SageMaker execution role
  for the models made from model packages, which the first may pass to SageMaker (a managed
  policy attached to it);
- the functions of ``interface.FUNCTIONS`` and the Start function, each with the runtime,
  timeout, memory and environment its spec names (as the stack gives them);
- the deployer's DynamoDB table (the endpoints' leases and records);
- the profiles, one SSM parameter per group under the stack's path
  (``deployer.interface.profiles_path``), where the Validate function reads them;
- the state machine from ``statemachine/deployer.asl.json``, every ``${...}`` filled;
- the SNS topic and the manifest bucket (versioned, EventBridge notifications on);
- the rules: approvals and rejections (groups with a profile), manifests (under
  ``manifests/`` of the bucket), each targeting the Start function, which starts the
  execution named after its trigger; and SageMaker's endpoint events, targeting Wait;
- the model package groups named in the profiles;
- the sweep of lost endpoint events: the Sweep function, and the EventBridge Scheduler
  schedule that invokes it once a minute (:func:`install_sweep`).
"""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib.resources.abc import Traversable
from typing import Any

from deployer import interface
from deployer.decide import deadline
from deployer.request.profiles import parse_profiles
from smdeploy import resources

STATE_MACHINE_NAME = "smdeploy-deployer"
TOPIC_NAME = "smdeploy-outcomes"
TABLE_NAME = "smdeploy-endpoints"
WAKE_RULE = "smdeploy-endpoint-events"
MANIFEST_PREFIX = "manifests/"
EVENT_BUS = "default"
STACK_NAME = "smdeploy"  # the stack's default name: the path of the profiles' parameters


@dataclass(frozen=True)
class Installation:
    """What a client of the installed deployer needs to know."""

    account: str
    region: str
    state_machine_arn: str
    bucket: str
    manifest_prefix: str
    topic_arn: str
    groups: tuple[str, ...]  # model package groups with a deployment profile
    rollback_groups: tuple[str, ...]  # ... whose profile rolls back on rejection
    model_role_arn: str  # the SageMaker execution role for models made from packages
    table_name: str = TABLE_NAME  # the deployer's DynamoDB table

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["groups"], out["rollback_groups"] = list(self.groups), list(self.rollback_groups)
        return out


def substitute(definition: str, values: dict[str, str]) -> str:
    """Fill ``${Name}`` placeholders as CloudFormation's DefinitionSubstitutions does.

    (``string.Template`` would not do: it turns the ASL's ``$$.`` context paths into ``$.``.)
    """

    def fill(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise KeyError(f"no value for placeholder ${{{match.group(1)}}}") from None

    return interface.PLACEHOLDER.sub(fill, definition)


def state_machine_arn_of(account: str, region: str) -> str:
    return f"arn:aws:states:{region}:{account}:stateMachine:{STATE_MACHINE_NAME}"


def function_name(spec: interface.FunctionSpec) -> str:
    return f"smdeploy-{spec.stage.lower()}"


def create_function(
    lambda_client: Any,
    spec: interface.FunctionSpec,
    role: str,
    code: bytes,
    environment: dict[str, str],
) -> str:
    """The function of ``spec``, with the runtime, architecture, timeout and memory it names
    (as the stack gives them), running as ``role``; its ARN."""
    return str(
        lambda_client.create_function(
            FunctionName=function_name(spec),
            Description=spec.description,
            Runtime=interface.RUNTIME,
            Architectures=[interface.ARCHITECTURE],
            Role=role,
            Handler=spec.handler,
            Code={"ZipFile": code},
            Timeout=spec.timeout_seconds,
            MemorySize=spec.memory_mb,
            Environment={"Variables": environment},
        )["FunctionArn"]
    )


# the sweep's schedule is named as the function it invokes, as the stack names it
SWEEP_SCHEDULE = function_name(interface.SWEEP)


@functools.cache
def asset_zip(package: Traversable = resources.DEPLOYER) -> bytes:
    """The Lambda code: the modules of the ``deployer`` package, zipped under ``deployer/`` as
    the stack's asset holds them (zipped once per process: each emulated account installs
    the same code)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, module in sorted(_modules(package, package.name)):
            archive.writestr(name, module.read_bytes())
    return buffer.getvalue()


def _modules(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name != "__pycache__":
            yield from _modules(entry, f"{prefix}/{entry.name}")
        elif entry.is_file() and entry.name.endswith(".py"):
            yield f"{prefix}/{entry.name}", entry


def _role(iam: Any, name: str, *services: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": list(services)},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(role["Role"]["Arn"])


PASS_ROLE_POLICY = "smdeploy-pass-sagemaker-role"


def pass_model_role(iam: Any, role_name: str, model_role: str) -> str:
    """Let ``role_name`` pass the SageMaker execution role to SageMaker only, as the stack lets
    the Configure function's role (the emulator does not enforce IAM; ``smdeploy doctor``
    reads the grant): a managed policy, attached. Returns its ARN."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PassModelRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": model_role,
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            }
        ],
    }
    arn = str(
        iam.create_policy(PolicyName=PASS_ROLE_POLICY, PolicyDocument=json.dumps(document))[
            "Policy"
        ]["Arn"]
    )
    iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    return arn


def create_table(dynamodb: Any, name: str = TABLE_NAME) -> str:
    """The deployer's table, as the stack makes it: one record per endpoint, keyed by its
    lower-cased name, on demand, encrypted, with a TTL attribute."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": interface.TABLE_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": interface.TABLE_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True},
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": interface.TABLE_TTL_ATTRIBUTE},
    )
    return name


def put_profiles(ssm: Any, path: str, raw_profiles: dict[str, Any]) -> None:
    """Each group's profile as its SSM parameter under ``path``, as the stack stores them
    (``cdk/profiles.py``: compact JSON, the tier its size needs)."""
    for group, profile in sorted(raw_profiles.items()):
        value = json.dumps(profile, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        ssm.put_parameter(
            Name=interface.profile_parameter(path, group),
            Value=value,
            Type="String",
            Tier=interface.profile_tier(value),
            Overwrite=True,
        )


def install_deployer(
    client: Callable[[str], Any],
    profiles: dict[str, Any] | None = None,
    *,
    name_prefix: str = "",
    deadline_seconds: int | None = None,
    config_retention: int | None = None,
    functions_endpoint_url: str | None = None,
    definition_file: Traversable = resources.DEFINITION,
) -> Installation:
    """Install the deployer with ``client(service)`` (boto3 clients of the target account).

    ``profiles`` is the profiles file's object (group -> profile); it is checked first, as
    ``cdk synth`` checks it (``deployer.errors.ProfileInvalid`` lists every problem).
    ``functions_endpoint_url``: where the functions' own AWS calls go (``AWS_ENDPOINT_URL``),
    when the account is a server rather than an in-process mock.
    """
    raw_profiles = profiles or {}
    checked = parse_profiles(raw_profiles, name_prefix)
    groups = tuple(sorted(checked))
    rollback_groups = tuple(g for g in groups if checked[g].rollback_on_rejection)

    sts = client("sts")
    account = str(sts.get_caller_identity()["Account"])
    region = str(sts.meta.region_name)

    iam = client("iam")
    deployer_role = _role(iam, "smdeploy-deployer", "lambda.amazonaws.com", "states.amazonaws.com")
    model_role = _role(iam, "smdeploy-sagemaker-execution", "sagemaker.amazonaws.com")
    pass_model_role(iam, "smdeploy-deployer", model_role)

    topic_arn = str(client("sns").create_topic(Name=TOPIC_NAME)["TopicArn"])
    bucket = f"smdeploy-{account}-{region}"
    s3 = client("s3")
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    # versioned, as the stack's: each upload's event names its version, which Validate reads
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )

    create_table(client("dynamodb"))
    profiles_path = interface.profiles_path(STACK_NAME)
    put_profiles(client("ssm"), profiles_path, raw_profiles)

    # The value, here, of every variable a function may read; each function gets those its
    # spec names, as in the stack (None: unset, the handler's default).
    values: dict[str, str | None] = {
        interface.ENV_TABLE: TABLE_NAME,
        interface.ENV_PROFILES_PATH: profiles_path,
        interface.ENV_NAME_PREFIX: name_prefix,
        interface.ENV_MODEL_ROLE: model_role,
        interface.ENV_TOPIC_ARN: topic_arn,
        interface.ENV_EVENT_BUS: EVENT_BUS,
        interface.ENV_DEADLINE: None if deadline_seconds is None else str(deadline_seconds),
        interface.ENV_CONFIG_RETENTION: None if config_retention is None else str(config_retention),
        # the park's safety net: the stack's default (parkSeconds), which the handlers share
        interface.ENV_PARK_SECONDS: str(deadline.DEFAULT_PARK_SECONDS),
        # Start: the state machine created below (its ARN follows from its name)
        interface.ENV_STATE_MACHINE_ARN: state_machine_arn_of(account, region),
    }
    local = {} if functions_endpoint_url is None else {"AWS_ENDPOINT_URL": functions_endpoint_url}
    code = asset_zip()
    lambda_client = client("lambda")
    arns: dict[str, str] = {}
    for spec in (*interface.FUNCTIONS, interface.START_FUNCTION):
        arns[spec.placeholder or spec.stage] = create_function(
            lambda_client, spec, deployer_role, code, {**spec.environment_of(values), **local}
        )
    definition = substitute(definition_file.read_text(), arns)
    state_machine_arn = str(
        client("stepfunctions").create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=deployer_role, type="STANDARD"
        )["stateMachineArn"]
    )

    if state_machine_arn != values[interface.ENV_STATE_MACHINE_ARN]:
        raise RuntimeError(f"the state machine is {state_machine_arn}, not the one Start starts")

    events = client("events")
    # the triggers' target: the Start function (the stack's too), with the whole event
    target = {"Id": "start", "Arn": arns[interface.START_FUNCTION.stage]}
    rules = {"smdeploy-manifests": interface.manifest_pattern(bucket, MANIFEST_PREFIX)}
    # one rule per batch of groups whose pattern fits EventBridge's size limit, as the stack
    # makes them (none without groups: EventBridge refuses an empty list in a pattern)
    for rule, of_groups in (
        ("smdeploy-approvals", interface.approval_pattern),
        # a rejection always stops a deployment of the rejected version in flight
        ("smdeploy-rejections", interface.rejection_pattern),
    ):
        for number, batch in enumerate(interface.group_batches(list(groups), of_groups), 1):
            rules[rule if number == 1 else f"{rule}-{number}"] = of_groups(batch)
    for name, pattern in rules.items():
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=name, Targets=[target])
    # SageMaker's endpoint events wake parked deployments (the Wait function)
    events.put_rule(
        Name=WAKE_RULE,
        EventPattern=json.dumps(interface.endpoint_events_pattern(name_prefix)),
        State="ENABLED",
    )
    wait_arn = arns[next(s.placeholder for s in interface.FUNCTIONS if s.stage == "Wait")]
    events.put_targets(Rule=WAKE_RULE, Targets=[{"Id": "wake", "Arn": wait_arn}])
    install_sweep(client, {**values, interface.ENV_WAIT_FUNCTION: wait_arn}, code, local)

    sagemaker = client("sagemaker")
    for group in groups:
        sagemaker.create_model_package_group(
            ModelPackageGroupName=group,
            ModelPackageGroupDescription=f"approved versions deploy {checked[group].endpoint_name}",
        )
    return Installation(
        account=account,
        region=region,
        state_machine_arn=state_machine_arn,
        bucket=bucket,
        manifest_prefix=MANIFEST_PREFIX,
        topic_arn=topic_arn,
        groups=groups,
        rollback_groups=rollback_groups,
        model_role_arn=model_role,
    )


def install_sweep(
    client: Callable[[str], Any], values: dict[str, str | None], code: bytes, local: dict[str, str]
) -> str:
    """The Sweep function (``interface.SWEEP``, with the deployer's other functions' settings)
    and the schedule that invokes it every minute with the moment it was scheduled for, as the
    stack makes them (``cdk/sweep.py``); its own role, which may only invoke the function.
    Returns the schedule's ARN."""
    spec = interface.SWEEP
    role = _role(client("iam"), "smdeploy-sweep", "lambda.amazonaws.com")
    arn = create_function(
        client("lambda"), spec, role, code, {**spec.environment_of(values), **local}
    )
    scheduler_role = _role(client("iam"), "smdeploy-sweep-schedule", "scheduler.amazonaws.com")
    return str(
        client("scheduler").create_schedule(
            Name=SWEEP_SCHEDULE,
            ScheduleExpression=interface.SWEEP_SCHEDULE,
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": arn, "RoleArn": scheduler_role, "Input": interface.SWEEP_INPUT},
            State="ENABLED",
        )["ScheduleArn"]
    )
