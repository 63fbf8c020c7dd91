"""The rule packs every synth runs (cdk-nag 3: AwsSolutions and Serverless), and acknowledgments.

A finding fails synth (the CLI exits 1) and is written to ``validation-report.json`` in the
cloud assembly. A finding that is not a defect here is acknowledged on the construct it
concerns, next to the code that causes it, with the specific reason.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, Stack, Validations
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
