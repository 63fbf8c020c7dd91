"""The rule packs every synth runs (cdk-nag 3: AwsSolutions and Serverless), and acknowledgments.

A finding fails synth (the CLI exits 1) and is written to ``validation-report.json`` in the
cloud assembly. A finding that is not a defect here is acknowledged on the construct it
concerns, next to the code that causes it, with the specific reason.

A second, independent scanner, checkov, reads the synthesized template (the infra tier runs
it). Its findings that are not defects are acknowledged the same way, with
:func:`acknowledge_checkov`: the resource's ``Metadata.checkov.skip`` entry, which checkov
reads (https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct


def add_checks(app: App) -> None:
    """Register the rule packs on the app (they run at the end of synth)."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


PACKS = ("AwsSolutions", "Serverless")


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding (``RuleId`` or ``RuleId[FindingId]``) on ``construct``.

    The ID is given as cdk-nag names the rule (``AwsSolutions-IAM5[Resource::*]``); the
    acknowledgment is recorded under the pack's plugin name, as the report asks for it.
    """
    pack = rule_id.split("-", 1)[0]
    if pack not in PACKS:
        raise ValueError(f"{rule_id}: not a rule of the packs this app runs ({PACKS})")
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{pack}::{rule_id}", reason=reason))


CHECKOV = "checkov"
# checkov's CKV_AWS_27 looks only for a KMS key (KmsMasterKeyId) on a queue.
SSE_SQS = (
    "the queue is encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which checkov's "
    "rule does not recognise; its messages are events that name resources, not secrets"
)


def acknowledge_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """Acknowledge checkov's ``check_id`` (``CKV_AWS_116``) on the construct's resource."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    entry = resource.get_metadata(CHECKOV) or {"skip": []}
    entry["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata(CHECKOV, entry)


def rendered(stack: Stack, value: str) -> str:
    """A policy resource as cdk-nag names it in a finding: ``<AWS::Region>``, ``<Bucket.Arn>``."""
    return _render(stack.resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as cdk-nag does")
