"""The kinds of resource the stack makes more than once, each made one way: a customer managed
key, a private bucket, a dead-letter queue, and an alarm that tells the outcome topic."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.checks import SSE_SQS, acknowledge, acknowledge_checkov
from cdk.ids import stable_id


def customer_key(
    scope: Construct,
    construct_id: str,
    *,
    logical_id: str,
    description: str,
    pending_window: Duration,
    removal_policy: RemovalPolicy,
    allow: iam.PolicyStatement,
) -> kms.Key:
    """A KMS key that rotates yearly, whose key policy also lets a service use it (``allow``:
    in a key policy, the resource "*" is this key)."""
    key = kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        pending_window=pending_window,
        removal_policy=removal_policy,
    )
    key.add_to_resource_policy(allow)
    stable_id(key, logical_id)
    return key


def private_bucket(
    scope: Construct,
    construct_id: str,
    *,
    lifecycle_rule: s3.LifecycleRule,
    access_logs: s3.IBucket | None = None,
    access_logs_prefix: str | None = None,
) -> s3.Bucket:
    """A versioned bucket, encrypted (SSE-S3), TLS only, with no public access, kept when the
    stack is deleted; ``construct_id`` is its logical ID too."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        versioned=True,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=access_logs_prefix,
        lifecycle_rules=[lifecycle_rule],
        removal_policy=RemovalPolicy.RETAIN,
    )
    stable_id(bucket, construct_id)
    return bucket


def dead_letter_queue(
    scope: Construct,
    construct_id: str,
    *,
    logical_id: str,
    retention: Duration,
    of: str,
    unflagged: tuple[str, ...] = (),
) -> sqs.Queue:
    """An encrypted (SSE-SQS), TLS-only queue that is the dead-letter queue ``of`` something
    (so it has no dead-letter queue of its own). ``unflagged``: the rules that see for
    themselves that it is one (cdk-nag's AwsSolutions-SQS3 does for a Lambda function's)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=retention,
    )
    stable_id(queue, logical_id)
    acknowledge_checkov(queue, "CKV_AWS_27", SSE_SQS)
    for rule_id in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
        if rule_id not in unflagged:
            acknowledge(queue, rule_id, f"this queue is itself the dead-letter queue of {of}")
    return queue


def alarm_on_any(
    scope: Construct,
    construct_id: str,
    *,
    logical_id: str,
    description: str,
    metric: cloudwatch.IMetric,
    topic: sns.ITopic,
) -> cloudwatch.Alarm:
    """An alarm that goes off when ``metric`` is 1 or more (no data: not breaching) and
    publishes to ``topic``."""
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=description,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    stable_id(alarm, logical_id)
    alarm.add_alarm_action(actions.SnsAction(topic))
    return alarm
