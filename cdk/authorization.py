"""What each AWS call the functions make is authorized against, from AWS's own tables.

The embedded emulator does not enforce IAM, so a missing permission would show only in a
platform team's account. This table says, for every call the handlers' code makes, which IAM
actions AWS checks and on which resource types (``()``: the action supports no resource-level
permissions, so only ``"*"`` grants it). The infra tier finds the calls in the code and checks
each function's role against this table: every call covered, and nothing more granted.

Sources (the Service Authorization Reference, and the services' guides for dependent actions):

- SageMaker: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
  and, for kms:CreateGrant on CreateEndpoint with a KmsKeyId,
  https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html
- Amazon S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
  (GetObject with a VersionId is authorized as s3:GetObjectVersion)
- Amazon EventBridge: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
- Amazon SNS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
  and, publishing to a topic encrypted with a customer managed key,
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
- Amazon DynamoDB: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
- Systems Manager (the profiles' parameters; GetParametersByPath is authorized against the
  path): https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
- AWS Step Functions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
- Application Auto Scaling (and the actions it checks on the caller):
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_applicationautoscaling.html,
  https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html
- CloudWatch: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
- AWS Lambda (the sweep invokes the Wait function):
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
The infra test names any new call that has no row here, so a row comes with the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SAGEMAKER = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html"
)
SAGEMAKER_KMS = "https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html"
S3 = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html"
EVENTS = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html"
)
SNS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html"
SNS_KMS = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
SSM = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html"
)
SAGEMAKER_SCALING = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html"
)
AUTOSCALING = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/"
    "list_applicationautoscaling.html"
)
AUTOSCALING_IAM = (
    "https://docs.aws.amazon.com/autoscaling/application/userguide/"
    "security_iam_id-based-policy-examples.html"
)
CLOUDWATCH = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html"
)
DYNAMODB = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html"
)
LAMBDA = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html"
STATES = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html"
)


@dataclass(frozen=True)
class Call:
    """One API call: the IAM actions it is authorized against, each with its resource types.

    ``when_keys``: actions needed only when the deployer is configured with KMS keys
    (``kmsKeyArns``), because a request may then name one.
    """

    actions: Mapping[str, tuple[str, ...]]
    source: str
    when_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


CALLS: dict[str, Call] = {
    # SageMaker: reads
    "sagemaker:DescribeEndpoint": Call({"sagemaker:DescribeEndpoint": ("endpoint",)}, SAGEMAKER),
    "sagemaker:DescribeEndpointConfig": Call(
        {"sagemaker:DescribeEndpointConfig": ("endpoint-config",)}, SAGEMAKER
    ),
    "sagemaker:DescribeModel": Call({"sagemaker:DescribeModel": ("model",)}, SAGEMAKER),
    "sagemaker:DescribeModelPackage": Call(
        {"sagemaker:DescribeModelPackage": ("model-package",)}, SAGEMAKER
    ),
    # model-package is only an optional resource type of ListModelPackages
    "sagemaker:ListModelPackages": Call({"sagemaker:ListModelPackages": ()}, SAGEMAKER),
    "sagemaker:ListEndpointConfigs": Call({"sagemaker:ListEndpointConfigs": ()}, SAGEMAKER),
    # retention marks what every endpoint of the account references before it deletes
    "sagemaker:ListEndpoints": Call({"sagemaker:ListEndpoints": ()}, SAGEMAKER),
    # SageMaker: writes (AddTags: the requests carry Tags; PassRole: the model's role)
    "sagemaker:CreateModel": Call(
        {
            "sagemaker:CreateModel": ("model",),
            "sagemaker:AddTags": ("model",),
            "iam:PassRole": ("role",),
        },
        SAGEMAKER,
    ),
    "sagemaker:CreateEndpointConfig": Call(
        {
            "sagemaker:CreateEndpointConfig": ("endpoint-config",),
            "sagemaker:AddTags": ("endpoint-config",),
        },
        SAGEMAKER,
    ),
    "sagemaker:CreateEndpoint": Call(
        {
            "sagemaker:CreateEndpoint": ("endpoint", "endpoint-config"),
            "sagemaker:AddTags": ("endpoint",),
        },
        SAGEMAKER,
        when_keys={"kms:CreateGrant": ("key",)},
    ),
    "sagemaker:UpdateEndpoint": Call(
        {"sagemaker:UpdateEndpoint": ("endpoint", "endpoint-config")},
        SAGEMAKER,
        when_keys={"kms:CreateGrant": ("key",)},
    ),
    "sagemaker:DeleteEndpointConfig": Call(
        {"sagemaker:DeleteEndpointConfig": ("endpoint-config",)}, SAGEMAKER
    ),
    # the deployer's marks and its clean-up (the tag smdeploy:endpoint), the replacement of a
    # Failed endpoint it created
    "sagemaker:ListTags": Call(
        {"sagemaker:ListTags": ("endpoint", "endpoint-config", "model")}, SAGEMAKER
    ),
    "sagemaker:AddTags": Call({"sagemaker:AddTags": ("endpoint",)}, SAGEMAKER),
    "sagemaker:DeleteTags": Call({"sagemaker:DeleteTags": ("endpoint",)}, SAGEMAKER),
    # deleting an autoscaled endpoint deregisters its variants' scalable targets
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html)
    "sagemaker:DeleteEndpoint": Call(
        {
            "sagemaker:DeleteEndpoint": ("endpoint",),
            "application-autoscaling:DeregisterScalableTarget": ("scalable-target",),
        },
        f"{SAGEMAKER} and {SAGEMAKER_SCALING}",
    ),
    "sagemaker:ListModels": Call({"sagemaker:ListModels": ()}, SAGEMAKER),
    # inference components: CreateInferenceComponent is authorized on the endpoint and the IC
    # (the model is only a condition key, sagemaker:ModelArn), the others on the IC
    "sagemaker:CreateInferenceComponent": Call(
        {
            "sagemaker:CreateInferenceComponent": ("endpoint", "inference-component"),
            "sagemaker:AddTags": ("inference-component",),
        },
        SAGEMAKER,
    ),
    **{
        f"sagemaker:{operation}": Call(
            {f"sagemaker:{operation}": ("inference-component",)}, SAGEMAKER
        )
        for operation in (
            "DescribeInferenceComponent",
            "UpdateInferenceComponent",
            "UpdateInferenceComponentRuntimeConfig",
            "DeleteInferenceComponent",
        )
    },
    "sagemaker:ListInferenceComponents": Call({"sagemaker:ListInferenceComponents": ()}, SAGEMAKER),
    "sagemaker:DeleteModel": Call({"sagemaker:DeleteModel": ("model",)}, SAGEMAKER),
    # the endpoints' records (leases), and whether a lease's holder still runs
    "dynamodb:GetItem": Call({"dynamodb:GetItem": ("table",)}, DYNAMODB),
    "dynamodb:PutItem": Call({"dynamodb:PutItem": ("table",)}, DYNAMODB),
    # retention keeps what the deployer's other endpoints' records name
    "dynamodb:Scan": Call({"dynamodb:Scan": ("table",)}, DYNAMODB),
    "states:DescribeExecution": Call({"states:DescribeExecution": ("execution",)}, STATES),
    # the Start function: a trigger's execution
    "states:StartExecution": Call({"states:StartExecution": ("stateMachine",)}, STATES),
    # the parked wait: the Wait function completes the deployer's own parked executions
    "states:SendTaskSuccess": Call({"states:SendTaskSuccess": ("stateMachine",)}, STATES),
    "states:SendTaskFailure": Call({"states:SendTaskFailure": ("stateMachine",)}, STATES),
    # the sweep hands the endpoints whose events were lost to the Wait function
    "lambda:Invoke": Call({"lambda:InvokeFunction": ("function",)}, LAMBDA),
    # the guardrails: autoscaling (with the SageMaker and IAM actions Application Auto Scaling
    # checks on the caller), rollback alarms, the smoke test
    "application-autoscaling:RegisterScalableTarget": Call(
        {
            "application-autoscaling:RegisterScalableTarget": ("scalable-target",),
            "sagemaker:DescribeEndpoint": ("endpoint",),
            "sagemaker:UpdateEndpointWeightsAndCapacities": ("endpoint",),
            # an inference component's copies
            "sagemaker:DescribeInferenceComponent": ("inference-component",),
            "sagemaker:UpdateInferenceComponentRuntimeConfig": ("inference-component",),
            "iam:CreateServiceLinkedRole": ("role",),
        },
        f"{AUTOSCALING} and {AUTOSCALING_IAM}",
    ),
    "application-autoscaling:DeregisterScalableTarget": Call(
        {"application-autoscaling:DeregisterScalableTarget": ("scalable-target",)}, AUTOSCALING
    ),
    "application-autoscaling:PutScalingPolicy": Call(
        {
            "application-autoscaling:PutScalingPolicy": ("scalable-target",),
            "cloudwatch:PutMetricAlarm": ("alarm",),
            "cloudwatch:DescribeAlarms": ("alarm",),
            "cloudwatch:DeleteAlarms": ("alarm",),
        },
        f"{AUTOSCALING} and {AUTOSCALING_IAM}",
    ),
    "application-autoscaling:DeleteScalingPolicy": Call(
        {
            "application-autoscaling:DeleteScalingPolicy": ("scalable-target",),
            "cloudwatch:DescribeAlarms": ("alarm",),
            "cloudwatch:DeleteAlarms": ("alarm",),
        },
        f"{AUTOSCALING} and {AUTOSCALING_IAM}",
    ),
    "application-autoscaling:DescribeScalableTargets": Call(
        {"application-autoscaling:DescribeScalableTargets": ()}, AUTOSCALING
    ),
    "application-autoscaling:DescribeScalingPolicies": Call(
        {"application-autoscaling:DescribeScalingPolicies": ()}, AUTOSCALING
    ),
    "cloudwatch:PutMetricAlarm": Call(
        {"cloudwatch:PutMetricAlarm": ("alarm",), "cloudwatch:DescribeAlarms": ("alarm",)},
        CLOUDWATCH,
    ),
    # the clean-up of the rollback alarms a deployed request no longer names
    "cloudwatch:DescribeAlarms": Call({"cloudwatch:DescribeAlarms": ("alarm",)}, CLOUDWATCH),
    "cloudwatch:DeleteAlarms": Call({"cloudwatch:DeleteAlarms": ("alarm",)}, CLOUDWATCH),
    "sagemaker:InvokeEndpoint": Call({"sagemaker:InvokeEndpoint": ("endpoint",)}, SAGEMAKER),
    # S3: the manifest, by the version the event names
    "s3:GetObject": Call({"s3:GetObject": ("object",), "s3:GetObjectVersion": ("object",)}, S3),
    # Systems Manager: a group's deployment profile; every group's, when one has none
    "ssm:GetParameter": Call({"ssm:GetParameter": ("parameter",)}, SSM),
    "ssm:GetParametersByPath": Call({"ssm:GetParametersByPath": ("parameter",)}, SSM),
    # EventBridge and SNS: the outcome
    "events:PutEvents": Call({"events:PutEvents": ("event-bus",)}, EVENTS),
    "sns:Publish": Call(
        {"sns:Publish": ("topic",), "kms:GenerateDataKey": ("key",), "kms:Decrypt": ("key",)},
        f"{SNS} and {SNS_KMS}",
    ),
}

# Actions authorized against the resource the call names, of any of the types listed: a
# function that lists only some of them (Deploy reads an endpoint's tags, Describe those of
# configs and models) is granted those, and no other type.
ANY_OF_ITS_TYPES = frozenset({"sagemaker:ListTags"})

# What every function's role holds besides its calls: its own log group (Lambda writes the
# function's output there with the role's permissions) and X-Ray (active tracing).
RUNTIME_ACTIONS: dict[str, tuple[str, ...]] = {
    "logs:CreateLogStream": ("log-group",),
    "logs:PutLogEvents": ("log-group",),
    "xray:PutTraceSegments": (),
    "xray:PutTelemetryRecords": (),
}

# What the role of a function with a dead-letter queue holds besides: Lambda sends an event it
# could not process to the queue with the function's role
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
DEAD_LETTER_ACTIONS: dict[str, tuple[str, ...]] = {"sqs:SendMessage": ("queue",)}
