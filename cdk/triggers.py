"""What starts a deployment: EventBridge rules for Model Registry approvals and rejections and
for manifests uploaded to the deployer's bucket; and what wakes one: the rule on SageMaker's
endpoint events for the endpoints within the deployer's scope.

The patterns are ``deployer.interface``'s. Each trigger's target is the Start function, which
starts the execution with the whole event as its input (Validate turns any trigger into one
request), named after the trigger: EventBridge cannot name the executions it starts itself
(:mod:`deployer.decide.names`). The endpoint events' target is the Wait function. Every
target has a retry policy and the encrypted dead-letter queue, which raises an alarm when an
event could not be delivered; so does the Start function, for an event it could not start
after Lambda's retries (a trigger that started no deployment, or a wake that costs a parked
deployment one park timeout).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.checks import acknowledge, acknowledge_checkov, rendered
from cdk.config import DeployerConfig
from cdk.functions import DeployerFunctions
from cdk.ids import stable_id
from cdk.parts import alarm_on_any, dead_letter_queue, private_bucket
from cdk.workflow import executions_arn
from deployer import interface

# EventBridge retries a target it could not reach (a throttled Invoke, ...) this often, for at
# most this long; then the event goes to the dead-letter queue.
RETRY_ATTEMPTS = 20
MAX_EVENT_AGE = Duration.hours(2)
DEAD_LETTER_RETENTION = Duration.days(14)
NONCURRENT_MANIFESTS_KEPT = Duration.days(90)

_PATTERN_KEYS = {"source": "source", "detail-type": "detail_type", "detail": "detail"}


def event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    """A ``deployer.interface`` pattern (EventBridge's JSON form) as a CDK EventPattern."""
    unknown = set(pattern) - set(_PATTERN_KEYS)
    if unknown:
        raise ValueError(f"pattern keys this stack does not map: {sorted(unknown)}")
    return events.EventPattern(**{_PATTERN_KEYS[k]: v for k, v in pattern.items()})


class Triggers(Construct):
    """The manifest bucket (and its access-log bucket), the rules, their role and DLQ."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployerConfig,
        state_machine: sfn.IStateMachine,
        topic: sns.ITopic,
        wake_function: lambda_.IFunction,
        functions: DeployerFunctions,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = private_bucket(
            self,
            "AccessLogBucket",
            lifecycle_rule=s3.LifecycleRule(
                expiration=Duration.days(config.log_retention_days),
                noncurrent_version_expiration=Duration.days(1),
            ),
        )
        acknowledge_checkov(
            self.access_logs,
            "CKV_AWS_18",
            "this bucket receives the manifest bucket's access logs; logging its own access "
            "would write a log object for every log object written",
        )
        self.bucket = private_bucket(
            self,
            "ManifestBucket",
            lifecycle_rule=s3.LifecycleRule(
                noncurrent_version_expiration=NONCURRENT_MANIFESTS_KEPT
            ),
            access_logs=self.access_logs,
            access_logs_prefix="manifest-bucket/",
        )
        # EventBridge notifications set on the bucket resource itself (the L2 property would
        # add a custom-resource Lambda, with an AWS-managed policy, to set them).
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )

        self.dead_letters = dead_letter_queue(
            self,
            "DeadLetterQueue",
            logical_id="TriggerDeadLetterQueue",
            retention=DEAD_LETTER_RETENTION,
            of="the trigger rules' targets and of the Start function",
            unflagged=("AwsSolutions-SQS3",),  # cdk-nag sees the Start function's DLQ in it
        )
        self.start_function = self._start_function(functions, state_machine)
        target = targets.LambdaFunction(
            self.start_function,
            dead_letter_queue=self.dead_letters,
            retry_attempts=RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
        )
        self.rules: dict[str, events.Rule] = {}
        # One rule per batch of groups whose pattern fits EventBridge's size limit
        # (interface.group_batches, deterministic): ApprovalRule, then ApprovalRule2, ...
        approvals = interface.group_batches(config.approval_groups, interface.approval_pattern)
        for number, groups in enumerate(approvals, start=1):
            self._rule(
                f"ApprovalRule{number if number > 1 else ''}",
                "smdeploy: deploy a model package approved in a group that has a profile",
                interface.approval_pattern(groups),
                target,
            )
        # a rejection always stops a deployment of it in flight
        rejections = interface.group_batches(config.approval_groups, interface.rejection_pattern)
        for number, groups in enumerate(rejections, start=1):
            self._rule(
                f"RejectionRule{number if number > 1 else ''}",
                "smdeploy: stop a deployment of a rejected model package; roll back the "
                "serving one when the group's profile asks",
                interface.rejection_pattern(groups),
                target,
            )
        self._rule(
            "ManifestRule",
            "smdeploy: deploy a manifest uploaded under the manifest prefix",
            interface.manifest_pattern(self.bucket.bucket_name, config.manifest_prefix),
            target,
        )

        # SageMaker's endpoint events wake parked deployments: the Wait function, with the same
        # retry policy and dead-letter queue (a wake that is lost costs one park timeout).
        wake_rule = events.Rule(
            self,
            "EndpointEventsRule",
            description="smdeploy: wake the deployments parked on an endpoint when "
            "SageMaker reports a change of it",
            event_pattern=event_pattern(interface.endpoint_events_pattern(config.name_prefix)),
            targets=[
                targets.LambdaFunction(
                    wake_function,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                )
            ],
        )
        stable_id(wake_rule, "EndpointEventsRule")
        self.wake_rule = wake_rule

        self.alarm = alarm_on_any(
            self,
            "DeadLetterAlarm",
            logical_id="TriggerDeadLetterAlarm",
            description="smdeploy: a trigger could not start a deployment; its event is in the "
            "trigger dead-letter queue",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            topic=topic,
        )

    def _start_function(
        self, functions: DeployerFunctions, state_machine: sfn.IStateMachine
    ) -> lambda_.Function:
        """The rules' target: the Start function, whose role may start executions of the
        state machine, and read the one of its own name when it exists already (an event
        delivered again, or another event of that name: see :mod:`deployer.perform.start`)."""
        spec = interface.START_FUNCTION
        function = functions.add_rule_function(
            spec,
            {interface.ENV_STATE_MACHINE_ARN: state_machine.state_machine_arn},
            dead_letter_queue=self.dead_letters,
        )
        stack = Stack.of(self)
        executions = executions_arn(state_machine)
        policy = iam.Policy(
            self,
            "StartExecutions",
            statements=[
                iam.PolicyStatement(
                    sid="StartExecutions",
                    actions=["states:StartExecution"],
                    resources=[state_machine.state_machine_arn],
                ),
                iam.PolicyStatement(
                    sid="DescribeOwnExecutions",
                    actions=["states:DescribeExecution"],
                    resources=[executions],
                ),
            ],
            roles=[functions.roles[spec.stage]],
        )
        stable_id(policy, "StartExecutionsPolicy")
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{rendered(stack, executions)}]",
            "the executions of the deployer's own state machine, read only when one of the "
            "name the Start function derives exists already (to compare its input)",
        )
        return function

    def _rule(
        self,
        logical_id: str,
        description: str,
        pattern: Mapping[str, Any],
        target: events.IRuleTarget,
    ) -> None:
        rule = events.Rule(
            self,
            logical_id,
            description=description,
            event_pattern=event_pattern(pattern),
            targets=[target],
        )
        stable_id(rule, logical_id)
        self.rules[logical_id] = rule
