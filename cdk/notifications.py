"""Where outcomes go: an encrypted SNS topic (with an optional email subscription).

The topic's key is a customer managed key because CloudWatch alarms publish to the topic
too, and only a key policy of one's own can let CloudWatch use the key.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk.config import DeployerConfig
from cdk.ids import stable_id
from cdk.parts import customer_key, dead_letter_queue


class Notifications(Construct):
    """The outcome topic and its key."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployerConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = customer_key(
            self,
            "TopicKey",
            logical_id="OutcomeTopicKey",
            description="smdeploy: encrypts the deployment outcome topic",
            pending_window=Duration.days(7),
            removal_policy=RemovalPolicy.DESTROY,  # it encrypts messages in flight only
            allow=iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="smdeploy deployment outcomes",
            master_key=self.key,
            enforce_ssl=True,
        )
        stable_id(self.topic, "OutcomeTopic")
        if config.notification_email:
            # Messages SNS could not deliver to the address wait here (14 days) instead of
            # being dropped.
            undelivered = dead_letter_queue(
                self,
                "UndeliveredQueue",
                logical_id="UndeliveredNotificationQueue",
                retention=Duration.days(14),
                of="the email subscription",
            )
            self.topic.add_subscription(
                subscriptions.EmailSubscription(
                    config.notification_email, dead_letter_queue=undelivered
                )
            )
