"""The deployment profiles, stored where their size has room: one SSM String parameter per
model package group, ``/smdeploy/<stackName>/profiles/<group>``
(:func:`deployer.interface.profile_parameter`), valued with the group's profile as compact
JSON. The Validate function reads the one group's parameter when its approval or rejection
arrives; nothing of the profiles is in a Lambda environment (4 KB for all of a function's
variables: about 20 profiles).

A parameter is in the Standard tier (4 KB, no charge) unless its profile needs the Advanced
one (8 KB; a monthly charge per parameter):
https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html.
Changing a profile is a ``cdk deploy``: ``cdk diff`` shows the parameter's ``Value`` change.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk.checks import acknowledge, rendered
from cdk.config import DeployerConfig
from deployer import interface

# CloudFormation creates independent resources at once, and SSM throttles PutParameter (the
# resource provider retries, but a stack of hundreds of parameters can still fail: see
# https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/573). The
# parameters are chained in this many lanes: at most this many are written at a time.
PARALLEL_WRITES = 5

_TIERS = {"Standard": ssm.ParameterTier.STANDARD, "Advanced": ssm.ParameterTier.ADVANCED}


class ProfileParameters(Construct):
    """One String parameter per group with a profile, and the right to read them."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployerConfig) -> None:
        super().__init__(scope, construct_id)
        self.path = config.profiles_path
        self.parameters: dict[str, ssm.StringParameter] = {}
        made: list[ssm.StringParameter] = []
        for group, value in sorted(config.profile_values.items()):
            parameter = ssm.StringParameter(
                self,
                group,
                parameter_name=interface.profile_parameter(self.path, group),
                string_value=value,
                tier=_TIERS[interface.profile_tier(value)],
                description=f"smdeploy: the deployment profile of model package group {group}",
            )
            if len(made) >= PARALLEL_WRITES:  # each waits for the one PARALLEL_WRITES before
                parameter.node.add_dependency(made[-PARALLEL_WRITES])
            made.append(parameter)
            self.parameters[group] = parameter

    def grant_read(self, role: iam.Role) -> None:
        """``role`` may read the parameters under the profiles' path, and nothing else: one
        (GetParameter) and, to list the configured groups when one has none, the path
        (GetParametersByPath, authorized against the path itself:
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html)."""
        stack = Stack.of(self)
        path = self.path.strip("/")
        under = stack.format_arn(service="ssm", resource="parameter", resource_name=f"{path}/*")
        itself = stack.format_arn(service="ssm", resource="parameter", resource_name=path)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadProfiles",
                actions=["ssm:GetParameter", "ssm:GetParametersByPath"],
                resources=[itself, under],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{rendered(stack, under)}]",
            f"the deployment profiles' parameters, one per model package group, under "
            f"{self.path}; no other parameter",
        )
