"""What the stack (``cdk/``), the local runtime (``smdeploy/``) and the handlers agree on.

One place for the names that cross the boundary between infrastructure and code: the
functions and their handler strings, the ASL's ``${...}`` placeholders, the environment
variables each handler reads, the EventBridge patterns that start a deployment, and the
outcome events the deployer publishes. Pure data: no AWS calls, no Powertools, so the CDK
app and the command line can import it without importing any handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# --- Environment variables (name -> which function reads it) ------------------------------

# Validate: where the deployment profiles are, in SSM Parameter Store: the path of one String
# parameter per model package group (profile_parameter), valued with its profile's JSON
ENV_PROFILES_PATH = "SMDEPLOY_PROFILES_PATH"
# Validate: every endpoint, endpoint config and model name must start with it ("" = any)
ENV_NAME_PREFIX = "SMDEPLOY_NAME_PREFIX"
# Validate: the role SageMaker assumes for models made from a model package
ENV_MODEL_ROLE = "SMDEPLOY_SAGEMAKER_ROLE_ARN"
# Deploy, Describe: the longest a deployment stays parked without an event before it looks at
# the endpoint itself (default 1800)
ENV_PARK_SECONDS = "SMDEPLOY_PARK_SECONDS"
# Deploy, Describe, Wait: seconds from the end of Deploy until the deployment is given up
# (default 3600)
ENV_DEADLINE = "SMDEPLOY_DEADLINE_SECONDS"
# Describe: after a success, keep this many endpoint configs of the endpoint (the serving one
# and the one it replaced are always kept); unset or 0: delete none
ENV_CONFIG_RETENTION = "SMDEPLOY_CONFIG_RETENTION"
# Lease, Deploy, Describe, Wait: the deployer's DynamoDB table (one record per endpoint: the lease,
# the waiting intents, the newest deployment that succeeded)
ENV_TABLE = "SMDEPLOY_TABLE_NAME"
# Notify: where outcomes go
ENV_TOPIC_ARN = "SMDEPLOY_TOPIC_ARN"
ENV_EVENT_BUS = "SMDEPLOY_EVENT_BUS"  # default: "default"
# Sweep: the Wait function it hands the endpoints that changed (name or ARN)
ENV_WAIT_FUNCTION = "SMDEPLOY_WAIT_FUNCTION"
# Start: the state machine it starts an execution of, for each trigger event
ENV_STATE_MACHINE_ARN = "SMDEPLOY_STATE_MACHINE_ARN"

# --- Deployment profiles: one SSM parameter per model package group --------------------------

# A profile is a Lambda environment no longer: all variables of a function share 4 KB, about
# 20 profiles. An SSM String parameter holds one profile: 4 KB in the Standard tier, 8 KB in
# the Advanced one (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
PROFILE_STANDARD_BYTES = 4096
PROFILE_ADVANCED_BYTES = 8192


def profiles_path(stack_name: str) -> str:
    """The path under which an installation's profiles are, ending in "/": one per stack, so
    two installations in one account and Region keep theirs apart."""
    return f"/smdeploy/{stack_name}/profiles/"


def profile_parameter(path: str, group: str) -> str:
    """The name of ``group``'s parameter under ``path`` (:func:`profiles_path`)."""
    return f"{path}{group}"


def profile_tier(value: str) -> str:
    """The parameter tier a profile's JSON needs: Standard up to 4 KB, else Advanced."""
    return "Standard" if len(value.encode()) <= PROFILE_STANDARD_BYTES else "Advanced"


# --- Functions ----------------------------------------------------------------------------

# How every function runs, in the stack and in the embedded runtime alike.
RUNTIME = "python3.13"
ARCHITECTURE = "arm64"
TIMEOUT_SECONDS = 55  # below the ASL's TimeoutSeconds (60), so Lambda reports a timeout first
MEMORY_MB = 512
# Every function's Powertools settings (the service name of its logs, traces and metrics),
# and no pydantic plugins: the functions use none, and looking for them reads the metadata of
# every installed distribution when the first model is built, in each cold start
# (PYDANTIC_DISABLE_PLUGINS, https://docs.pydantic.dev/latest/api/plugin/).
COMMON_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "smdeploy",
    "POWERTOOLS_METRICS_NAMESPACE": "smdeploy",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function of the deployer: its deployment spec, read by the stack
    (``cdk/functions.py``) and the embedded installer (``smdeploy/runtime/install.py``)."""

    stage: str  # Validate, Configure, ...: also the construct id in the stack
    placeholder: str  # the ASL's ${...} that takes the function's ARN ("": a rule's function)
    handler: str  # the handler string, relative to the functions/ asset root
    description: str
    environment: tuple[str, ...] = ()  # the ENV_* variables it reads (listed above)
    timeout_seconds: int = TIMEOUT_SECONDS
    memory_mb: int = MEMORY_MB

    def environment_of(self, values: Mapping[str, str | None]) -> dict[str, str]:
        """This function's environment: the common settings and the variables it reads,
        valued from ``values`` (every ENV_* name the platform can value; None: leave the
        variable unset, so the handler's default applies). A variable with no entry in
        ``values`` is an error: each platform must say what every variable is."""
        missing = [name for name in self.environment if name not in values]
        if missing:
            raise KeyError(f"{self.stage}: no value given for {', '.join(missing)}")
        chosen = {name: values[name] for name in self.environment}
        return {**COMMON_ENVIRONMENT, **{k: v for k, v in chosen.items() if v is not None}}


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "Validate",
        "ValidateFunctionArn",
        "deployer.handlers.validate.handler",
        "smdeploy stage 1: turn a request, approval event or S3 manifest into a checked request",
        # the deadline: Validate fixes each deployment's, from the execution's start
        environment=(ENV_PROFILES_PATH, ENV_NAME_PREFIX, ENV_MODEL_ROLE, ENV_DEADLINE),
    ),
    FunctionSpec(
        "Lease",
        "LeaseFunctionArn",
        "deployer.handlers.lease.handler",
        "smdeploy: one deployment per endpoint at a time, the newest intent winning",
        environment=(ENV_TABLE,),
    ),
    FunctionSpec(
        "Configure",
        "ConfigureFunctionArn",
        "deployer.handlers.configure.handler",
        "smdeploy stage 2: create the models and the endpoint config, idempotently",
    ),
    FunctionSpec(
        "Deploy",
        "DeployFunctionArn",
        "deployer.handlers.deploy.handler",
        "smdeploy stage 3: CreateEndpoint or UpdateEndpoint",
        environment=(ENV_TABLE, ENV_DEADLINE, ENV_PARK_SECONDS),
    ),
    FunctionSpec(
        "Guardrails",
        "GuardrailsFunctionArn",
        "deployer.handlers.guardrails.handler",
        "smdeploy: rollback alarms and autoscaling around the update, the smoke test after it",
        # the deadline bounds the putting back after a failed smoke test (timing.restore_deadline)
        environment=(ENV_DEADLINE,),
    ),
    FunctionSpec(
        "Describe",
        "DescribeFunctionArn",
        "deployer.handlers.describe.handler",
        "smdeploy stage 4: DescribeEndpoint until the outcome is known",
        environment=(ENV_DEADLINE, ENV_CONFIG_RETENTION, ENV_TABLE, ENV_PARK_SECONDS),
    ),
    FunctionSpec(
        "Components",
        "ComponentsFunctionArn",
        "deployer.handlers.components.handler",
        "smdeploy stage 4b: create or update the inference components, look until they are done",
    ),
    FunctionSpec(
        "Wait",
        "WaitFunctionArn",
        "deployer.handlers.wait.handler",
        "smdeploy stage 4: park on the endpoint until SageMaker's events (or a timeout) wake it",
        environment=(ENV_TABLE, ENV_DEADLINE),
    ),
    FunctionSpec(
        "Notify",
        "NotifyFunctionArn",
        "deployer.handlers.notify.handler",
        "smdeploy: publish the outcome to EventBridge and SNS",
        environment=(ENV_TOPIC_ARN, ENV_EVENT_BUS),
    ),
)

# The sweep: not a stage of the state machine (no placeholder), but a function of its own that
# EventBridge Scheduler starts once a minute; it wakes the deployments parked on endpoints that
# changed, through the Wait function, when SageMaker's events were lost.
SWEEP = FunctionSpec(
    "Sweep",
    "",
    "deployer.handlers.sweep.handler",
    "smdeploy: once a minute, hand the endpoints that changed to the Wait function (lost events)",
    environment=(ENV_TABLE, ENV_NAME_PREFIX, ENV_WAIT_FUNCTION),
)
# EventBridge Scheduler's expression and the input it gives the Sweep function, with the
# moment the invocation was scheduled for filled in by the Scheduler
# (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html,
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html)
SWEEP_SCHEDULE = "rate(1 minute)"
SWEEP_INTERVAL_SECONDS = 60
SWEEP_INPUT = '{"ScheduledTime": "<aws.scheduler.scheduled-time>"}'
# The function the trigger rules (approvals, rejections, manifests) invoke, never the state
# machine (so it fills no placeholder): it starts the execution for the event, named after
# the trigger (deployer.decide.names), with the whole event as its input.
START_FUNCTION = FunctionSpec(
    "Start",
    "",
    "deployer.handlers.start.handler",
    "smdeploy: start a deployment for an approval, rejection or manifest, named after it",
    environment=(ENV_STATE_MACHINE_ARN,),
)
# Every function of the deployer: the state machine's, the trigger rules' Start, the sweep.
EVERY_FUNCTION: tuple[FunctionSpec, ...] = (*FUNCTIONS, START_FUNCTION, SWEEP)

# A ``${Name}`` placeholder of the ASL, as CloudFormation's DefinitionSubstitutions reads it.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholders(definition: str) -> list[str]:
    """The names of the placeholders a definition uses, sorted, each once."""
    return sorted(set(PLACEHOLDER.findall(definition)))


# --- Triggers -----------------------------------------------------------------------------

APPROVAL_SOURCE = "aws.sagemaker"
APPROVAL_DETAIL_TYPE = "SageMaker Model Package State Change"
S3_SOURCE = "aws.s3"
S3_OBJECT_CREATED = "Object Created"


def approval_pattern(groups: list[str]) -> dict[str, Any]:
    """Approvals of model packages in the groups that have a deployment profile."""
    return {
        "source": [APPROVAL_SOURCE],
        "detail-type": [APPROVAL_DETAIL_TYPE],
        "detail": {
            "ModelPackageGroupName": sorted(groups),
            "ModelApprovalStatus": ["Approved"],
        },
    }


def rejection_pattern(groups: list[str]) -> dict[str, Any]:
    """Rejections in every group that has a deployment profile: a rejection always stops a
    deployment of the rejected version in flight; it rolls back a version that finished
    deploying only when the group's profile asks for it (RollbackOnRejection)."""
    return {
        "source": [APPROVAL_SOURCE],
        "detail-type": [APPROVAL_DETAIL_TYPE],
        "detail": {
            "ModelPackageGroupName": sorted(groups),
            "ModelApprovalStatus": ["Rejected"],
        },
    }


# EventBridge's limit on an event pattern: 2,048 characters by default (an adjustable quota:
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html). A list of 200
# group names is far longer: the groups are split across several rules.
EVENT_PATTERN_CHARACTERS = 2048


def group_batches(
    groups: list[str], pattern: Callable[[list[str]], dict[str, Any]]
) -> list[list[str]]:
    """``groups``, sorted, cut into the fewest consecutive batches whose ``pattern`` fits in
    :data:`EVENT_PATTERN_CHARACTERS` (measured with JSON's spaced separators, longer than
    the compact form). Deterministic: the same groups always give the same batches, one rule
    each; a group added or removed moves only the boundaries after it."""
    batches: list[list[str]] = []
    for group in sorted(groups):
        if batches and len(json.dumps(pattern([*batches[-1], group]))) <= (
            EVENT_PATTERN_CHARACTERS
        ):
            batches[-1].append(group)
        else:
            batches.append([group])
    return batches


def manifest_pattern(bucket: str, prefix: str) -> dict[str, Any]:
    """A manifest uploaded under ``prefix`` of the deployer's bucket."""
    return {
        "source": [S3_SOURCE],
        "detail-type": [S3_OBJECT_CREATED],
        "detail": {
            "bucket": {"name": [bucket]},
            "object": {"key": [{"prefix": prefix}]},
        },
    }


# --- SageMaker's endpoint events (they wake parked deployments) ----------------------------

ENDPOINT_SOURCE = "aws.sagemaker"
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
ENDPOINT_DEPLOYMENT_STATE_CHANGE = "SageMaker Endpoint Deployment State Change"


def endpoint_events_pattern(name_prefix: str) -> dict[str, Any]:
    """SageMaker's endpoint events for the endpoints within the deployer's scope (names that
    start with the prefix, in either spelling: SageMaker matches names without regard to case).
    https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
    """
    pattern: dict[str, Any] = {
        "source": [ENDPOINT_SOURCE],
        "detail-type": [ENDPOINT_STATE_CHANGE, ENDPOINT_DEPLOYMENT_STATE_CHANGE],
    }
    if name_prefix:
        spellings = sorted({name_prefix, name_prefix.lower()})
        pattern["detail"] = {"EndpointName": [{"prefix": p} for p in spellings]}
    return pattern


# --- Outcomes -----------------------------------------------------------------------------

OUTCOME_SOURCE = "smdeploy"
OUTCOME_SUCCEEDED = "Endpoint Deployment Succeeded"
OUTCOME_FAILED = "Endpoint Deployment Failed"
# A deployment that a newer one made unnecessary: a success that deployed nothing more (its
# own detail-type, so that rules on failures never fire for it).
OUTCOME_SUPERSEDED = "Endpoint Deployment Superseded"

# --- The deployer's table and its marks ----------------------------------------------------

TABLE_KEY = "Endpoint"  # partition key (string): the lower-cased endpoint name
TABLE_TTL_ATTRIBUTE = "ExpiresAt"  # epoch seconds; a record untouched this long is let go
TABLE_TTL_SECONDS = 400 * 24 * 3600
# Every model, endpoint config and endpoint the deployer creates carries this tag, valued with
# the (lower-cased) endpoint name: clean-up deletes only what carries it, and only a Failed
# endpoint that carries it is replaced.
MANAGED_TAG = "smdeploy:endpoint"
# Every alarm and scaling policy the deployer makes is named smdeploy-<endpoint>-...: the
# stack scopes the deployer's CloudWatch rights to this prefix followed by its name prefix.
GUARDRAIL_PREFIX = "smdeploy-"
# The request's inference components: CreateInferenceComponent requests (and an update's
# DeploymentConfig), deployed on the endpoint once it serves its config.
COMPONENTS_FIELD = "InferenceComponents"
# The request's own key for the guardrails (beside the SageMaker fields; SageMaker never sees it).
GUARDRAILS_FIELD = "Guardrails"
# The request's (or profile's) own key for the deployment's deadline, in seconds from the
# execution's start (SageMaker never sees it); without it, the function's configured one.
DEADLINE_FIELD = "DeadlineSeconds"
DEADLINE_MIN_SECONDS = 600
DEADLINE_MAX_SECONDS = 86400
# The state machine's own time limit (TimeoutSeconds): a lease never outlives its holder's.
EXECUTION_TIMEOUT_SECONDS = 24 * 3600
