"""The deployer's Lambda functions: one per ``deployer.interface.FUNCTIONS`` entry.

All of them run the one asset, ``build/lambda.zip`` (:mod:`cdk.asset`: the ``deployer``
package and every dependency at the version of ``functions/requirements.txt``, the versions
the tests ran), on Python 3.13, arm64. No layer: the asset holds its own Powertools,
pydantic, boto3 and botocore. Each function has its own role, holding only what its stage
calls (:mod:`cdk.permissions`), and its own log group.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.asset import ASSET_ZIP
from cdk.checks import acknowledge, acknowledge_checkov, rendered
from cdk.config import DeployerConfig, function_environment
from cdk.guardrail_permissions import guardrail_statements
from cdk.ids import stable_id
from cdk.permissions import sagemaker_statements
from cdk.settings import LOG_RETENTION_DAYS
from deployer import interface

# What each function runs on, as deployer.interface names it.
RUNTIMES = {"python3.13": lambda_.Runtime.PYTHON_3_13}
ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}
_XRAY = (
    "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no "
    "resource-level permissions"
)
_SYNCHRONOUS = (
    "invoked synchronously by the state machine, whose Catch reports every failure; "
    "there are no asynchronous invocations to dead-letter"
)
# checkov's findings on every function, and why each is not a defect here.
CHECKOV_ACKNOWLEDGED = {
    "CKV_AWS_116": _SYNCHRONOUS,
    "CKV_AWS_117": (
        "the functions call only AWS APIs (SageMaker, S3, EventBridge, SNS) and reach no "
        "resource inside a VPC; attaching them to one would add NAT or endpoints, no isolation"
    ),
    "CKV_AWS_115": (
        "invoked by the state machine, one task at a time per execution (and the Wait "
        "function by the endpoint-events rule); reserved "
        "concurrency would carve a fixed share out of the account's pool for no protection"
    ),
    "CKV_AWS_173": (
        "the environment holds no secret (the profiles' parameter path, name prefix, role and "
        "topic ARNs, deadline), and Lambda encrypts it at rest with an AWS managed key"
    ),
}
_RUNTIME = (
    "Python 3.13 is the runtime the handlers are tested on (make test runs the domain and "
    "handler tiers on 3.13); moving to a newer runtime is a tested change, not a default"
)


class AssetNotBuilt(FileNotFoundError):
    """``cdk synth`` needs ``build/lambda.zip``, which ``make lambda-asset`` builds."""


# Why a function needs no dead-letter queue of its own, where the general reason does not hold.
_NO_DLQ = {
    "Wait": "the state machine invokes it to park a deployment; EventBridge invokes it "
    "asynchronously with SageMaker's endpoint events, and the rule's target has the "
    "trigger dead-letter queue; a wake that still fails costs the parked deployment one "
    "park timeout, after which it looks at the endpoint itself",
}


def log_retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for ``days`` (jsii enum members carry names, not numbers)."""
    members = [m for m in logs.RetentionDays if m.name != "INFINITE"]
    return members[LOG_RETENTION_DAYS.index(days)]


def deployer_function(
    scope: Construct,
    spec: interface.FunctionSpec,
    *,
    construct_ids: tuple[str, str, str],
    code: lambda_.Code,
    log_retention_days: int,
    log_key: kms.IKey,
    role_description: str,
    environment: Mapping[str, str],
    dead_letter_queue: sqs.IQueue | None = None,
) -> tuple[lambda_.Function, iam.Role]:
    """One of the deployer's functions, made as every one is: the one asset, Python 3.13 on
    arm64, active tracing, a role of its own (which may write its logs, and nothing else yet:
    the caller grants what the function calls) and a retained log group encrypted with the
    log key (the requests a function refuses are logged). ``construct_ids`` name the log
    group, the role and the function in ``scope``; their logical IDs are
    ``<Stage>FunctionLogs``, ``<Stage>FunctionRole`` and ``<Stage>Function``."""
    logs_id, role_id, function_id = construct_ids
    log_group = logs.LogGroup(
        scope,
        logs_id,
        retention=log_retention(log_retention_days),
        removal_policy=RemovalPolicy.RETAIN,
        encryption_key=log_key,
    )
    role = iam.Role(
        scope,
        role_id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description,
    )
    function = lambda_.Function(
        scope,
        function_id,
        description=spec.description,
        runtime=RUNTIMES[interface.RUNTIME],
        architecture=ARCHITECTURES[interface.ARCHITECTURE],
        handler=spec.handler,
        code=code,
        role=role,
        log_group=log_group,
        tracing=lambda_.Tracing.ACTIVE,
        timeout=Duration.seconds(spec.timeout_seconds),
        memory_size=spec.memory_mb,
        environment=dict(environment),
        dead_letter_queue=dead_letter_queue,
    )
    stable_id(log_group, f"{spec.stage}FunctionLogs")
    stable_id(role, f"{spec.stage}FunctionRole")
    stable_id(function, f"{spec.stage}Function")
    log_group.grant_write(role)
    return function, role


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
        log_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.config = config
        if not ASSET_ZIP.is_file():
            raise AssetNotBuilt(
                f"{ASSET_ZIP}: the Lambda asset is not built; run `make lambda-asset` "
                f"(`make synth` and `make test` run it)"
            )
        code = lambda_.Code.from_asset(str(ASSET_ZIP))
        self._code, self._log_key = code, log_key  # for the rules' functions (add_rule_function)
        self.table = self._table()
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        self.logical_ids: dict[str, str] = {}
        for spec in interface.FUNCTIONS:
            function, role = deployer_function(
                self,
                spec,
                construct_ids=(f"{spec.stage}Logs", f"{spec.stage}Role", spec.stage),
                code=code,
                log_retention_days=config.log_retention_days,
                log_key=log_key,
                role_description=f"smdeploy {spec.stage} function: only what this stage calls",
                environment=function_environment(
                    spec, config, topic.topic_arn, self.table.table_name
                ),
            )
            self.logical_ids[spec.stage] = f"{spec.stage}Function"
            wildcards: dict[str, list[str]] = {"*": [_XRAY]}
            grants = sagemaker_statements(spec.stage, config, stack)
            for grant in grants + guardrail_statements(spec.stage, config, stack):
                role.add_to_principal_policy(grant.statement)
                for resource in grant.statement.resources:
                    name = rendered(stack, resource)
                    if "*" in name:
                        wildcards.setdefault(name, []).append(grant.why_wildcard)
            if interface.ENV_TABLE in spec.environment:
                # read, and (but for Describe, which only reads) conditionally write, the
                # endpoints' records: nothing else; Describe's clean-up reads them all (Scan)
                writes = [] if spec.stage == "Describe" else ["dynamodb:PutItem"]
                if spec.stage == "Describe" and config.config_retention > 0:
                    writes = ["dynamodb:Scan"]
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        sid="EndpointRecords",
                        actions=["dynamodb:GetItem", *writes],
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
                name=interface.TABLE_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=interface.TABLE_TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        stable_id(table, "EndpointsTable")
        acknowledge_checkov(
            table,
            "CKV_AWS_119",
            "encrypted at rest with the AWS managed key: its records are endpoint and config "
            "names, execution ARNs and times (no request content, no model data), which are "
            "no more sensitive than the SageMaker resources they name",
        )
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
        # why no dead-letter queue: one reason for cdk-nag's finding and checkov's
        dlq = _NO_DLQ.get(function.node.id, _SYNCHRONOUS)
        acknowledge(function, "Serverless-LambdaDLQ", dlq)
        for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(function, rule_id, _RUNTIME)
        for check_id, reason in {**CHECKOV_ACKNOWLEDGED, "CKV_AWS_116": dlq}.items():
            acknowledge_checkov(function, check_id, reason)

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

    def add_rule_function(
        self,
        spec: interface.FunctionSpec,
        values: Mapping[str, str | None],
        *,
        dead_letter_queue: sqs.IQueue,
    ) -> lambda_.Function:
        """A function only EventBridge rules invoke (``interface.START_FUNCTION``), made as the
        stage functions are (the one asset, Python 3.13 on arm64, active tracing, its own role
        and log group), with ``values`` for its environment. Lambda retries an asynchronous
        invocation that failed twice, then sends the event to ``dead_letter_queue``
        (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
        Its role holds its logs and traces only: the caller grants what it calls."""
        function, role = deployer_function(
            self,
            spec,
            construct_ids=(f"{spec.stage}Logs", f"{spec.stage}Role", spec.stage),
            code=self._code,
            log_retention_days=self.config.log_retention_days,
            log_key=self._log_key,
            role_description=f"smdeploy {spec.stage} function: only what it calls",
            environment=spec.environment_of(values),
            dead_letter_queue=dead_letter_queue,
        )
        self.logical_ids[spec.stage] = f"{spec.stage}Function"
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", _XRAY)
        for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(function, rule_id, _RUNTIME)
        reasons = {
            **CHECKOV_ACKNOWLEDGED,
            "CKV_AWS_115": "invoked by EventBridge rules, once per event they match; reserved "
            "concurrency would carve a fixed share out of the account's pool for no protection",
        }
        for check_id, reason in reasons.items():
            if check_id != "CKV_AWS_116":  # it has its dead-letter queue
                acknowledge_checkov(function, check_id, reason)
        self.functions[spec.stage] = function
        self.roles[spec.stage] = role
        return function
