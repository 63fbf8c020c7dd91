"""``smdeploy doctor``'s checklist: a :class:`Check` per item, the :class:`Report` of them, what
the checks read that later ones need (:class:`Found`), and how a refused call reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

# What the CLI users' managed policy is called in the stack's outputs (cdk/cli_policy.py).
POLICY_OUTPUT = "CliPolicyArn"
# CloudFormation recreates a resource deleted outside it only when it replaces it, so a
# plain deploy may report no changes (https://docs.aws.amazon.com/AWSCloudFormation/latest/
# UserGuide/using-cfn-stack-drift.html): the fix says so.
REDEPLOY = (
    "deploy the stack again (npx cdk deploy); if it reports no changes, CloudFormation does "
    "not know the resource is gone: remove the stack and deploy it again (npx cdk destroy, "
    "then npx cdk deploy)"
)


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it holds, what was found, and
    (when it fails) how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"Name": self.name, "Ok": self.ok, "Detail": self.detail, "Fix": self.fix}


@dataclass
class Report:
    state_machine_arn: str
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "StateMachineArn": self.state_machine_arn,
            "Healthy": self.healthy,
            "Checks": [check.to_json() for check in self.checks],
        }


def denied(error: ClientError) -> bool:
    """AWS refused the call for want of permission (not because the resource is missing)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError")


def refused(check: str, call: str, error: ClientError) -> Check:
    """The check ``check`` failed: AWS answered ``call`` with ``error``."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Error"))
    reason = f"{call}: {code}: {details.get('Message', '')}".rstrip(": ")
    if denied(error):
        fix = (
            f"your credentials may not call {call}: attach the stack's CLI users' managed "
            f"policy (the {POLICY_OUTPUT} output) to your user or role"
        )
    else:
        fix = REDEPLOY
    return Check(check, False, reason, fix)


def name_of(arn: str) -> str:
    """The last part of an ARN (a role's, function's or rule's name)."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if arn.startswith("arn:") else arn


@dataclass
class Found:
    """What the checks read that later checks need."""

    functions: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> configuration

    def variable(self, name: str) -> str | None:
        for config in self.functions.values():
            value = ((config.get("Environment") or {}).get("Variables") or {}).get(name)
            if value:
                return str(value)
        return None
