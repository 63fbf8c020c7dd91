"""The customer managed key of the stack's log groups.

The state machine logs every state's input and output (``Level: ALL``,
``IncludeExecutionData``): requests, with a model's ``Environment``. The functions log the
requests they refuse. So every log group is encrypted with this key, which CloudWatch Logs
may use only for this account's log groups in this region, as the CloudWatch Logs guide
says (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.parts import customer_key


class LogKey(Construct):
    """``key``: encrypts the functions' and the state machine's log groups."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = customer_key(
            self,
            "Key",
            logical_id="LogKey",
            description="smdeploy: encrypts the deployer's log groups",
            pending_window=Duration.days(30),
            removal_policy=RemovalPolicy.RETAIN,  # the retained log groups stay readable
            allow=iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            ),
        )
