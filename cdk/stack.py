"""The smdeploy stack: notifications, functions, workflow and triggers, and what it outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk.cli_policy import CliPolicy
from cdk.config import DeployerConfig
from cdk.functions import DeployerFunctions
from cdk.logkey import LogKey
from cdk.notifications import Notifications
from cdk.profiles import ProfileParameters
from cdk.sweep import Sweep
from cdk.triggers import Triggers
from cdk.workflow import Workflow


class SmdeployStack(Stack):
    """Everything a platform team installs with ``cdk deploy``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeployerConfig, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="smdeploy: event-driven deployer of Amazon SageMaker real-time endpoints",
            **kwargs,
        )
        self.config = config
        self.notifications = Notifications(self, "Notifications", config=config)
        self.log_key = LogKey(self, "LogKey").key
        self.functions = DeployerFunctions(
            self,
            "Functions",
            config=config,
            topic=self.notifications.topic,
            topic_key=self.notifications.key,
            log_key=self.log_key,
        )
        # once a minute, the deployments parked on endpoints whose events were lost are woken
        self.sweep = Sweep(
            self,
            "Sweep",
            config=config,
            table=self.functions.table,
            wait_function=self.functions.functions["Wait"],
            topic_arn=self.notifications.topic.topic_arn,
            log_key=self.log_key,
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            config=config,
            functions=self.functions,
            topic=self.notifications.topic,
            log_key=self.log_key,
        )
        # one SSM parameter per profile, which only the Validate function reads
        self.profiles = ProfileParameters(self, "Profiles", config=config)
        self.profiles.grant_read(self.functions.roles["Validate"])
        self.triggers = Triggers(
            self,
            "Triggers",
            config=config,
            state_machine=self.workflow.state_machine,
            topic=self.notifications.topic,
            wake_function=self.functions.functions["Wait"],
            functions=self.functions,
        )
        self.functions.grant_manifest_read(self.triggers.bucket, config.manifest_prefix)
        self.cli_policy = CliPolicy(
            self,
            "CliUsers",
            config=config,
            functions=self.functions,
            sweep=self.sweep,
            workflow=self.workflow,
            rules=[*self.triggers.rules.values(), self.triggers.wake_rule],
            topic=self.notifications.topic,
        ).policy

        CfnOutput(
            self,
            "StateMachineArn",
            value=self.workflow.state_machine.state_machine_arn,
            description="Start a deployment: aws stepfunctions start-execution --input file://request.json",
        )
        CfnOutput(
            self,
            "ManifestBucketName",
            value=self.triggers.bucket.bucket_name,
            description="Upload a deployment manifest here, under ManifestPrefix",
        )
        CfnOutput(
            self,
            "ManifestPrefix",
            value=config.manifest_prefix,
            description="The key prefix under which an uploaded manifest starts a deployment",
        )
        CfnOutput(
            self,
            "OutcomeTopicArn",
            value=self.notifications.topic.topic_arn,
            description="Every deployment's outcome is published here (and alarms)",
        )
        CfnOutput(
            self,
            "CliPolicyArn",
            value=self.cli_policy.managed_policy_arn,
            description="Attach to the people and CI jobs that run smdeploy start, status, "
            "watch, plan and doctor against this stack",
        )
