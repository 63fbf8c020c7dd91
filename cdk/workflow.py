"""The deployment state machine, from ``statemachine/deployer.asl.json``, and its alarm.

The definition is inlined into the template as a JSON object (the state machine's
``Definition`` property) with every ``${...}`` placeholder replaced by its function's ARN
(a ``Fn::GetAtt``), so cfn-lint validates the very definition that runs and the template
assertions read it as data. ``DefinitionBody.from_file`` would upload it as an S3 asset, out
of their sight, and a ``DefinitionString`` joined around the ARNs is opaque to cfn-lint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk import paths
from cdk.checks import acknowledge
from cdk.config import DeployerConfig
from cdk.functions import DeployerFunctions, log_retention
from cdk.ids import stable_id
from deployer import contract

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class PlaceholderUnfilled(Exception):
    """The definition has a ${...} placeholder that no function fills."""


def fill_placeholders(definition: Any, values: Mapping[str, str]) -> Any:
    """The definition (parsed JSON) with each ``${Name}`` replaced by ``values[Name]``.

    A placeholder with no value stops synth: a state whose Resource is left as text would
    deploy a state machine that fails at run time.
    """
    if isinstance(definition, dict):
        return {k: fill_placeholders(v, values) for k, v in definition.items()}
    if isinstance(definition, list):
        return [fill_placeholders(v, values) for v in definition]
    if not isinstance(definition, str):
        return definition
    missing = sorted({m for m in _PLACEHOLDER.findall(definition) if m not in values})
    if missing:
        names = ", ".join(f"${{{m}}}" for m in missing)
        raise PlaceholderUnfilled(
            f"{paths.DEFINITION.name}: no function fills {names} (the stack fills "
            f"deployer.contract.FUNCTIONS' placeholders: {', '.join(sorted(values))})"
        )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], definition)


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
    ) -> None:
        super().__init__(scope, construct_id)
        arns = {
            spec.placeholder: functions.functions[spec.stage].function_arn
            for spec in contract.FUNCTIONS
        }
        definition = fill_placeholders(json.loads(paths.DEFINITION.read_text()), arns)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="smdeploy: deploy a SageMaker real-time endpoint",
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )
        stable_id(self.log_group, "StateMachineLogs")
        stable_id(self.state_machine, "StateMachine")
        # The same definition as a JSON object rather than a string (see the module's doc).
        resource = self.state_machine.node.default_child
        assert isinstance(resource, sfn.CfnStateMachine)
        resource.definition = definition
        resource.definition_string = None
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

        failures = cloudwatch.MathExpression(
            expression="failed + timedOut",
            using_metrics={
                "failed": self.state_machine.metric_failed(statistic="Sum"),
                "timedOut": self.state_machine.metric_timed_out(statistic="Sum"),
            },
            label="Failed and timed-out executions",
            period=Duration.minutes(5),
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "FailedExecutionsAlarm",
            alarm_description="smdeploy: a deployment failed or timed out (see the topic's "
            "outcome message, or the execution's history)",
            metric=failures,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        stable_id(self.alarm, "FailedExecutionsAlarm")
        self.alarm.add_alarm_action(actions.SnsAction(topic))
