"""The deployment state machine, from ``statemachine/deployer.asl.json``, and its alarm.

The file's text is inlined into the template verbatim (``DefinitionString``), and each of
its ``${...}`` placeholders gets its function's ARN through ``DefinitionSubstitutions``
(CloudFormation fills them at deploy time, as SAM does). A placeholder no function fills
stops synth. This way cfn-lint validates the very definition that runs and the template
assertions read it as data. The alternatives lose something:

- ``DefinitionBody.from_file`` uploads the file as an S3 asset, out of the checks' sight;
- a ``DefinitionString`` joined (``Fn::Join``) around the ARNs is opaque to cfn-lint;
- a ``Definition`` object loses the ASL's JSON nulls on its way through jsii, and
  ``"ResultPath": null`` (keep the input, discard the result) means something.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk import paths
from cdk.checks import acknowledge, rendered
from cdk.config import DeployerConfig
from cdk.functions import DeployerFunctions, log_retention
from cdk.ids import stable_id
from cdk.parts import alarm_on_any
from deployer import interface


class PlaceholderUnfilled(Exception):
    """The definition has a ${...} placeholder that no function fills."""


def substitutions(definition: str, values: Mapping[str, str]) -> dict[str, str]:
    """The ``DefinitionSubstitutions`` for ``definition``: a value for each of its placeholders.

    A placeholder with no value stops synth: the state machine would fail at run time.
    """
    used = interface.placeholders(definition)
    missing = [name for name in used if name not in values]
    if missing:
        names = ", ".join(f"${{{m}}}" for m in missing)
        raise PlaceholderUnfilled(
            f"{paths.DEFINITION.name}: no function fills {names} (the stack fills "
            f"deployer.interface.FUNCTIONS' placeholders: {', '.join(sorted(values))})"
        )
    return {name: values[name] for name in used}


def executions_arn(state_machine: sfn.IStateMachine) -> str:
    """The ARN that covers every execution of ``state_machine`` (their names are generated)."""
    return Stack.of(state_machine).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine.state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class Workflow(Construct):
    """The Standard state machine, its log group, and an alarm on failed executions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployerConfig,
        functions: DeployerFunctions,
        topic: sns.ITopic,
        log_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        arns = {
            spec.placeholder: functions.functions[spec.stage].function_arn
            for spec in interface.FUNCTIONS
        }
        definition = paths.DEFINITION.read_text()
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN,
            encryption_key=log_key,  # it holds every state's input and output
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="smdeploy: deploy a SageMaker real-time endpoint",
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions(definition, arns),
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )
        stable_id(self.log_group, "StateMachineLogs")
        stable_id(self.state_machine, "StateMachine")
        # A definition from a string gets no automatic permissions: invoke each function.
        for function in functions.functions.values():
            function.grant_invoke(self.state_machine)
        role = self.state_machine.role
        for stage, logical_id in functions.logical_ids.items():
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>:*]",
                f"the {stage} function's versions and aliases (its ARN followed by :*), which "
                f"lambda:InvokeFunction authorizes separately from the unqualified ARN",
            )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "the CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) and the X-Ray "
            "actions (xray:PutTraceSegments, ...) support no resource-level permissions",
        )

        # The functions that judge a lease ask whether its holder still runs: DescribeExecution
        # on this state machine's executions only. A policy of its own, attached after the
        # state machine exists (the functions' default policies come before it).
        executions = executions_arn(self.state_machine)
        liveness = iam.Policy(
            self,
            "LeaseHolderLiveness",
            statements=[
                iam.PolicyStatement(
                    sid="DescribeOwnExecutions",
                    actions=["states:DescribeExecution"],
                    resources=[executions],
                )
            ],
            roles=[functions.roles[stage] for stage in ("Lease", "Deploy")],
        )
        stable_id(liveness, "LeaseHolderLivenessPolicy")
        acknowledge(
            liveness,
            f"AwsSolutions-IAM5[Resource::{rendered(Stack.of(self), executions)}]",
            "the executions of the deployer's own state machine (their names are generated), "
            "read to tell whether a lease's holder still runs",
        )

        # The Wait function completes parked deployments: SendTaskSuccess/SendTaskFailure on
        # this state machine only (task tokens are authorized against the state machine).
        wake = iam.Policy(
            self,
            "WakeParkedDeployments",
            statements=[
                iam.PolicyStatement(
                    sid="CompleteParkedTasks",
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                    resources=[self.state_machine.state_machine_arn],
                )
            ],
            roles=[functions.roles["Wait"]],
        )
        stable_id(wake, "WakeParkedDeploymentsPolicy")

        failures = cloudwatch.MathExpression(
            expression="failed + timedOut",
            using_metrics={
                "failed": self.state_machine.metric_failed(statistic="Sum"),
                "timedOut": self.state_machine.metric_timed_out(statistic="Sum"),
            },
            label="Failed and timed-out executions",
            period=Duration.minutes(5),
        )
        self.alarm = alarm_on_any(
            self,
            "FailedExecutionsAlarm",
            logical_id="FailedExecutionsAlarm",
            description="smdeploy: a deployment failed or timed out (see the topic's outcome "
            "message, or the execution's history)",
            metric=failures,
            topic=topic,
        )
