"""The "CLI users" managed policy: what ``smdeploy start``, ``status``, ``watch``, ``plan``
and ``doctor`` call against this stack (:mod:`cdk.cli_access` says which, and why), for a
platform team to attach to its people and CI jobs. The stack outputs its ARN
(``CliPolicyArn``)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.checks import acknowledge, rendered
from cdk.cli_access import Deployer, grants
from cdk.config import DeployerConfig
from cdk.functions import DeployerFunctions
from cdk.ids import stable_id
from cdk.sweep import Sweep
from cdk.workflow import Workflow


class CliPolicy(Construct):
    """The managed policy (attached to nobody: the platform team attaches it)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployerConfig,
        functions: DeployerFunctions,
        sweep: Sweep,
        workflow: Workflow,
        rules: Sequence[events.IRule],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        machine = workflow.state_machine
        deployer = Deployer(
            partition=stack.partition,
            region=stack.region,
            account=stack.account,
            state_machine_arn=machine.state_machine_arn,
            state_machine_name=machine.state_machine_name,
            function_arns=(
                *(f.function_arn for f in functions.functions.values()),
                sweep.function.function_arn,
            ),
            function_role_arns=(
                *(r.role_arn for r in functions.roles.values()),
                *([sweep.function.role.role_arn] if sweep.function.role else []),
            ),
            model_role_arns=tuple(config.model_roles),
            rule_arns=tuple(rule.rule_arn for rule in rules),
            table_arn=functions.table.table_arn,
            topic_arn=topic.topic_arn,
            groups=tuple(config.approval_groups),
            name_prefix=config.name_prefix,
            sweep_schedule_arn=sweep.schedule.attr_arn,
        )
        found = grants(deployer)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="smdeploy CLI users: start, status, watch, plan and doctor against "
            f"the {stack.stack_name} stack (reads, and StartExecution of its state machine)",
            statements=[
                iam.PolicyStatement(sid=g.sid, actions=list(g.actions), resources=list(g.resources))
                for g in found
            ],
        )
        stable_id(self.policy, "CliUsersPolicy")
        reasons: dict[str, list[str]] = {}
        for grant in found:
            for resource in grant.resources:
                name = rendered(stack, resource)
                if "*" in name and grant.why_wildcard:
                    reasons.setdefault(name, []).append(grant.why_wildcard)
        for name, why in reasons.items():
            acknowledge(
                self.policy, f"AwsSolutions-IAM5[Resource::{name}]", "; ".join(dict.fromkeys(why))
            )
