"""The sweep of lost endpoint events: an EventBridge Scheduler schedule that starts the Sweep
function once a minute, and the function (``deployer.interface.SWEEP``).

SageMaker's endpoint events are best effort. Once a minute the Sweep function lists the
endpoints modified since a little before the previous sweep (one ListEndpoints page in a quiet
minute, whatever the number of parked deployments) and hands each one that settled, and on
which a deployment is parked (the deployer's table), to the Wait function, as the event it
missed (``deployer.decide.sweep``). A lost event then costs at most a minute, instead of a
park timeout.

- The schedule (``AWS::Scheduler::Schedule``, ``rate(1 minute)``, no flexible window:
  https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html) invokes the
  function with the moment it was scheduled for (the ``<aws.scheduler.scheduled-time>``
  context attribute), which fixes the sweep's window; its role may only invoke the Sweep
  function, and trusts the Scheduler for this account only (``aws:SourceAccount``:
  https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
- The function's role: ``sagemaker:ListEndpoints`` on ``"*"`` (a List action with no resource
  type in the Service Authorization Reference, so only "*" grants it; it reads names, statuses
  and times, and changes nothing:
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html),
  ``dynamodb:GetItem`` on the deployer's table (who is parked on an endpoint), and
  ``lambda:InvokeFunction`` on the Wait function only. No DescribeEndpoint, no Step Functions:
  the Wait function describes the endpoint and completes the parked tasks, as for an event.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from cdk.asset import ASSET_ZIP
from cdk.checks import acknowledge, acknowledge_checkov
from cdk.config import DeployerConfig, environment_values
from cdk.functions import _RUNTIME, _XRAY, CHECKOV_ACKNOWLEDGED, deployer_function
from cdk.ids import stable_id
from deployer import interface

# A sweep not delivered within a minute is superseded by the next one (its window overlaps
# the previous): the Scheduler retries it within that minute, then lets it go.
# https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
RETRY_ATTEMPTS = 3
MAX_EVENT_AGE_SECONDS = 60

_LIST_ENDPOINTS = (
    "sagemaker:ListEndpoints has no resource type in the Service Authorization Reference "
    "(access level List): only Resource '*' grants it; it reads endpoint names, statuses and "
    "times and changes nothing"
)
_NO_DLQ = (
    "invoked asynchronously by EventBridge Scheduler once a minute; a sweep that fails is "
    "retried by Lambda with the same scheduled time (the same window), and the next minute's "
    "sweep overlaps its window; what both miss costs a parked deployment one park timeout, "
    "after which it looks at the endpoint itself"
)


class Sweep(Construct):
    """The Sweep function, its role and log group, and the schedule (with its role)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployerConfig,
        table: dynamodb.ITable,
        wait_function: lambda_.IFunction,
        topic_arn: str,
        log_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        spec = interface.SWEEP
        values = {
            **environment_values(config, topic_arn, table.table_name),
            interface.ENV_WAIT_FUNCTION: wait_function.function_arn,
        }
        self.function, role = deployer_function(
            self,
            spec,
            construct_ids=("Logs", "Role", "Function"),
            code=lambda_.Code.from_asset(str(ASSET_ZIP)),  # the stage functions' asset
            log_retention_days=config.log_retention_days,
            log_key=log_key,
            role_description="smdeploy Sweep function: list endpoints, read who is parked, "
            "wake them",
            environment=spec.environment_of(values),
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListChangedEndpoints", actions=["sagemaker:ListEndpoints"], resources=["*"]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadParkedDeployments",
                actions=["dynamodb:GetItem"],
                resources=[table.table_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WakeParkedDeployments",
                actions=["lambda:InvokeFunction"],
                resources=[wait_function.function_arn],
            )
        )
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", f"{_LIST_ENDPOINTS}; {_XRAY}")
        acknowledge(self.function, "Serverless-LambdaDLQ", _NO_DLQ)
        for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(self.function, rule_id, _RUNTIME)
        for check_id, reason in {**CHECKOV_ACKNOWLEDGED, "CKV_AWS_116": _NO_DLQ}.items():
            acknowledge_checkov(self.function, check_id, reason)

        self.schedule_role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="smdeploy sweep schedule: invoke the Sweep function (only that)",
        )
        stable_id(self.schedule_role, "SweepScheduleRole")
        self.schedule_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeSweep",
                actions=["lambda:InvokeFunction"],
                resources=[self.function.function_arn],
            )
        )
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            # named as the function it invokes, so that doctor finds it with GetSchedule
            # (scoped to this schedule) rather than ListSchedules
            name=self.function.function_name,
            description="smdeploy: once a minute, wake the deployments parked on endpoints "
            "that changed (SageMaker's endpoint events are best effort)",
            schedule_expression=interface.SWEEP_SCHEDULE,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function_arn,
                role_arn=self.schedule_role.role_arn,
                input=interface.SWEEP_INPUT,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                    maximum_retry_attempts=RETRY_ATTEMPTS,
                ),
            ),
        )
        self.schedule.override_logical_id("SweepSchedule")
