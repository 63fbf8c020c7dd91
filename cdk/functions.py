"""The deployer's Lambda functions: one per ``deployer.contract.FUNCTIONS`` entry.

All of them run the one asset (the ``functions/`` folder) on Python 3.13, arm64, with
Powertools (and the pydantic it ships) from the AWS-published layer. Each has its own role,
holding only what its stage calls (:mod:`cdk.permissions`), and its own log group.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnMapping, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk import paths
from cdk.checks import acknowledge, rendered
from cdk.config import LOG_RETENTION_DAYS, TABLE_STAGES, DeployerConfig, function_environment
from cdk.ids import stable_id
from cdk.permissions import guardrail_statements, sagemaker_statements
from deployer import contract

# The AWS accounts that publish the Powertools for AWS Lambda (Python) layers, per partition.
POWERTOOLS_PUBLISHERS = {"aws": "017000801446", "aws-cn": "498634801083"}
POWERTOOLS_LAYER = "AWSLambdaPowertoolsPythonV3-python313-arm64"
TIMEOUT = Duration.seconds(55)  # below the ASL's TimeoutSeconds (60): Lambda reports first
MEMORY_MB = 512
_XRAY = (
    "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no "
    "resource-level permissions"
)
_RUNTIME = (
    "Python 3.13 is the runtime the handlers are tested on (make test runs the domain and "
    "handler tiers on 3.13); moving to a newer runtime is a tested change, not a default"
)


def log_retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for ``days`` (jsii enum members carry names, not numbers)."""
    members = [m for m in logs.RetentionDays if m.name != "INFINITE"]
    return members[LOG_RETENTION_DAYS.index(days)]


class DeployerFunctions(Construct):
    """The stage functions, their roles and log groups, and the deployer's table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployerConfig,
        topic: sns.ITopic,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.config = config
        code = lambda_.Code.from_asset(
            str(paths.FUNCTIONS), exclude=["**/__pycache__", "**/*.pyc", "**/.*"]
        )
        layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", self._layer_arn(stack)
        )
        self.table = self._table()
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        self.logical_ids: dict[str, str] = {}
        for spec in contract.FUNCTIONS:
            log_group = logs.LogGroup(
                self,
                f"{spec.stage}Logs",
                retention=log_retention(config.log_retention_days),
                removal_policy=RemovalPolicy.RETAIN,
            )
            role = iam.Role(
                self,
                f"{spec.stage}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"smdeploy {spec.stage} function: only what this stage calls",
            )
            function = lambda_.Function(
                self,
                spec.stage,
                description=spec.description,
                runtime=lambda_.Runtime.PYTHON_3_13,
                architecture=lambda_.Architecture.ARM_64,
                handler=spec.handler,
                code=code,
                layers=[layer],
                role=role,
                log_group=log_group,
                tracing=lambda_.Tracing.ACTIVE,
                timeout=TIMEOUT,
                memory_size=MEMORY_MB,
                environment=function_environment(
                    spec.stage, config, topic.topic_arn, self.table.table_name
                ),
            )
            stable_id(log_group, f"{spec.stage}FunctionLogs")
            stable_id(role, f"{spec.stage}FunctionRole")
            self.logical_ids[spec.stage] = stable_id(function, f"{spec.stage}Function")
            log_group.grant_write(role)
            wildcards: dict[str, list[str]] = {"*": [_XRAY]}
            grants = sagemaker_statements(spec.stage, config, stack)
            for grant in grants + guardrail_statements(spec.stage, config, stack):
                role.add_to_principal_policy(grant.statement)
                for resource in grant.statement.resources:
                    name = rendered(stack, resource)
                    if "*" in name:
                        wildcards.setdefault(name, []).append(grant.why_wildcard)
            if spec.stage in TABLE_STAGES:
                # read and conditionally write the endpoints' records: nothing else
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        sid="EndpointRecords",
                        actions=["dynamodb:GetItem", "dynamodb:PutItem"],
                        resources=[self.table.table_arn],
                    )
                )
            self.functions[spec.stage] = function
            self.roles[spec.stage] = role
            self._acknowledge(function, role, wildcards)
        self._notify_permissions(stack, topic, topic_key)

    def _table(self) -> dynamodb.Table:
        """One record per endpoint (its lease, the deployments waiting for it, the newest that
        succeeded): on demand, encrypted, recoverable to any point in 35 days, with a TTL."""
        table = dynamodb.Table(
            self,
            "EndpointsTable",
            partition_key=dynamodb.Attribute(
                name=contract.TABLE_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=contract.TABLE_TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        stable_id(table, "EndpointsTable")
        return table

    def _acknowledge(
        self, function: lambda_.Function, role: iam.Role, wildcards: dict[str, list[str]]
    ) -> None:
        for resource, reasons in wildcards.items():
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{resource}]",
                "; ".join(dict.fromkeys(reasons)),
            )
        acknowledge(
            function,
            "Serverless-LambdaDLQ",
            "invoked synchronously by the state machine, whose Catch reports every failure; "
            "there are no asynchronous invocations to dead-letter",
        )
        for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(function, rule_id, _RUNTIME)

    def _layer_arn(self, stack: Stack) -> str:
        if self.config.powertools_layer_arn:
            return self.config.powertools_layer_arn
        publishers = CfnMapping(
            self,
            "PowertoolsPublisher",
            mapping={p: {"Account": account} for p, account in POWERTOOLS_PUBLISHERS.items()},
        )
        publishers.override_logical_id("PowertoolsPublisher")
        return Fn.sub(
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${Publisher}:layer:"
            f"{POWERTOOLS_LAYER}:{self.config.powertools_layer_version}",
            {"Publisher": publishers.find_in_map(Aws.PARTITION, "Account")},
        )

    def _notify_permissions(self, stack: Stack, topic: sns.ITopic, topic_key: kms.IKey) -> None:
        role = self.roles["Notify"]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PutOutcomeEvents",
                actions=["events:PutEvents"],
                resources=[
                    stack.format_arn(
                        service="events", resource="event-bus", resource_name="default"
                    )
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishOutcomes", actions=["sns:Publish"], resources=[topic.topic_arn]
            )
        )
        # Publishing to a topic encrypted with a customer managed key: SNS asks for a data key.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EncryptOutcomes",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[topic_key.key_arn],
            )
        )

    def grant_manifest_read(self, bucket: s3.IBucket, prefix: str) -> None:
        """Validate reads the manifests uploaded under ``prefix`` (the exact version uploaded:
        the bucket is versioned, and the event names the version)."""
        role = self.roles["Validate"]
        manifests = bucket.arn_for_objects(f"{prefix}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadManifests",
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[manifests],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{rendered(Stack.of(self), manifests)}]",
            f"the manifests uploaded under the prefix {prefix!r}, whose names the uploader "
            f"chooses; nothing else in the bucket",
        )
