"""What the stack (``cdk/``), the local runtime (``smdeploy/``) and the handlers agree on.

One place for the names that cross the boundary between infrastructure and code: the
functions and their handler strings, the ASL's ``${...}`` placeholders, the environment
variables each handler reads, the EventBridge patterns that start a deployment, and the
outcome events the deployer publishes. Pure data: no AWS calls, no Powertools, so the CDK
app and the command line can import it without importing any handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# --- Functions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function of the deployer."""

    stage: str  # Validate, Configure, ...: also the construct id in the stack
    placeholder: str  # the ASL's ${...} that takes the function's ARN
    handler: str  # the handler string, relative to the functions/ asset root
    description: str


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "Validate",
        "ValidateFunctionArn",
        "deployer.handlers.validate.handler",
        "smdeploy stage 1: turn a request, approval event or S3 manifest into a checked request",
    ),
    FunctionSpec(
        "Lease",
        "LeaseFunctionArn",
        "deployer.handlers.lease.handler",
        "smdeploy: one deployment per endpoint at a time, the newest intent winning",
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
    ),
    FunctionSpec(
        "Guardrails",
        "GuardrailsFunctionArn",
        "deployer.handlers.guardrails.handler",
        "smdeploy: rollback alarms and autoscaling around the update, the smoke test after it",
    ),
    FunctionSpec(
        "Describe",
        "DescribeFunctionArn",
        "deployer.handlers.describe.handler",
        "smdeploy stage 4: DescribeEndpoint until the outcome is known",
    ),
    FunctionSpec(
        "Notify",
        "NotifyFunctionArn",
        "deployer.handlers.notify.handler",
        "smdeploy: publish the outcome to EventBridge and SNS",
    ),
)

# A ``${Name}`` placeholder of the ASL, as CloudFormation's DefinitionSubstitutions reads it.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholders(definition: str) -> list[str]:
    """The names of the placeholders a definition uses, sorted, each once."""
    return sorted(set(PLACEHOLDER.findall(definition)))


# --- Environment variables (name -> which function reads it) ------------------------------

# Validate: the deployment profiles, JSON: {"<model package group>": {profile}, ...}
ENV_PROFILES = "SMDEPLOY_PROFILES"
# Validate: every endpoint, endpoint config and model name must start with it ("" = any)
ENV_NAME_PREFIX = "SMDEPLOY_NAME_PREFIX"
# Validate: the role SageMaker assumes for models made from a model package
ENV_MODEL_ROLE = "SMDEPLOY_SAGEMAKER_ROLE_ARN"
# Describe: seconds from the end of Deploy until the deployment is given up (default 3600)
ENV_DEADLINE = "SMDEPLOY_DEADLINE_SECONDS"
# Describe: after a success, keep this many endpoint configs of the endpoint (the serving one
# and the one it replaced are always kept); unset or 0: delete none
ENV_CONFIG_RETENTION = "SMDEPLOY_CONFIG_RETENTION"
# Lease, Deploy, Describe: the deployer's DynamoDB table (one record per endpoint: the lease,
# the waiting intents, the newest deployment that succeeded)
ENV_TABLE = "SMDEPLOY_TABLE_NAME"
# Notify: where outcomes go
ENV_TOPIC_ARN = "SMDEPLOY_TOPIC_ARN"
ENV_EVENT_BUS = "SMDEPLOY_EVENT_BUS"  # default: "default"

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
    """Rejections in the groups whose profile asks to roll back on rejection."""
    return {
        "source": [APPROVAL_SOURCE],
        "detail-type": [APPROVAL_DETAIL_TYPE],
        "detail": {
            "ModelPackageGroupName": sorted(groups),
            "ModelApprovalStatus": ["Rejected"],
        },
    }


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
# The state machine's own time limit (TimeoutSeconds): a lease never outlives its holder's.
EXECUTION_TIMEOUT_SECONDS = 24 * 3600
