"""The reviews a security team runs: cdk-nag (AwsSolutions, Serverless) and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import CfnResource
from cfnlint.api import ManualArgs, lint_file
from infra_helpers import Synthesized

# cfn-lint's W3005 (an explicit DependsOn that a reference already implies) is normal CDK
# output: CDK adds the role's policy as a dependency of the function that uses the role.
IGNORED_LINT = ["W3005"]


def test_both_rule_packs_ran_and_found_nothing_unacknowledged(synth: Synthesized) -> None:
    reports = {r["pluginName"]: r for r in synth.report["pluginReports"]}
    assert set(reports) == {"AwsSolutions", "Serverless"}
    for name, report in reports.items():
        assert report["violations"] == [], name
        assert report["conclusion"] == "success", name


# What each acknowledged rule is about (https://github.com/cdklabs/cdk-nag/blob/main/RULES.md):
# an acknowledgment's reason must speak of it. A rule acknowledged for the first time is added
# here, with what its reasons must name.
SUBJECT = {
    "AwsSolutions-SQS3": "dead-letter queue",  # the queue has no dead-letter queue
    "Serverless-SQSRedrivePolicy": "dead-letter queue",
    "Serverless-LambdaDLQ": "invoke",  # the function has no dead-letter queue: how it is invoked
    "AwsSolutions-L1": "runtime",  # not the latest runtime
    "Serverless-LambdaLatestVersion": "runtime",
    "AwsSolutions-IAM5": "",  # wildcards: see the two tests below
}
# How a reason may name a service whose actions a statement grants on every resource ("*").
SERVICE = {
    "xray": ("xray:", "X-Ray"),
    "logs": ("logs:", "CloudWatch Logs"),
    "sagemaker": ("sagemaker:",),
    "application-autoscaling": ("application-autoscaling:", "Application Auto Scaling"),
    "events": ("events:", "EventBridge"),
    "lambda": ("lambda:", "Lambda"),
}


def test_every_acknowledgment_names_what_its_rule_is_about(synth: Synthesized) -> None:
    suppressed = [
        v for r in synth.report["pluginReports"] for v in r.get("suppressedViolations", [])
    ]
    assert suppressed
    for violation in suppressed:
        rule = violation["acknowledgedId"].split("::", 1)[1].split("[", 1)[0]
        assert rule in SUBJECT, f"{rule}: add what its reasons must name to SUBJECT"
        reason = violation["reason"]
        assert SUBJECT[rule] in reason, (rule, reason)
        assert len(reason) >= 50, violation["acknowledgedId"]
        assert not reason.lower().startswith(("todo", "n/a", "ok", "fine", "suppress")), reason


def _statements_of(synth: Synthesized, path: str) -> list[dict[str, Any]]:
    """The policy statements of the construct at ``path`` and below it (a role's default
    policy, a policy's own document)."""
    statements: list[dict[str, Any]] = []
    for construct in synth.stack.node.find_all():
        if not isinstance(construct, CfnResource) or not construct.node.path.startswith(path):
            continue
        properties = synth.properties(synth.stack.resolve(construct.logical_id))
        documents = [properties.get("PolicyDocument")] + [
            p["PolicyDocument"] for p in properties.get("Policies", [])
        ]
        statements += [s for d in documents if d for s in d["Statement"]]
    return statements


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_a_resource_wildcard_reason_names_each_service_granted_on_every_resource(
    synth: Synthesized,
) -> None:
    """IAM5[Resource::*]: the reason names every service whose actions the construct's
    policies grant on "*" (a statement added later on "*" needs its own reason)."""
    acknowledged = {
        path: reason
        for (path, rule), reason in synth.acknowledged.items()
        if rule.endswith("IAM5[Resource::*]")
    }
    assert acknowledged
    for path, reason in acknowledged.items():
        services = {
            action.split(":", 1)[0]
            for statement in _statements_of(synth, path)
            if "*" in _listed(statement["Resource"])
            for action in _listed(statement["Action"])
        }
        assert services, path
        for service in services:
            assert service in SERVICE, f"{path}: {service}: add how a reason names it"
            assert any(name in reason for name in SERVICE[service]), (path, service, reason)


def test_every_acknowledgment_is_used(synth: Synthesized) -> None:
    """None is stale: each acknowledged rule did flag the construct it was made on."""
    suppressed = {
        (v["acknowledgedAt"], v["acknowledgedId"])
        for r in synth.report["pluginReports"]
        for v in r.get("suppressedViolations", [])
    }
    assert set(synth.acknowledged) == suppressed


def test_wildcard_acknowledgments_name_the_reason_for_each_resource(synth: Synthesized) -> None:
    iam5 = {
        rule: reason
        for (path, rule), reason in synth.acknowledged.items()
        if "IAM5[Resource::" in rule
    }
    for rule, reason in iam5.items():
        if rule.endswith("[Resource::*]"):
            assert "no resource-level permissions" in reason or "not documented" in reason, rule
        elif "smdeploy-*" in rule:
            assert "'smdeploy-'" in reason, rule


@pytest.fixture(scope="module")
def lint_findings(synth: Synthesized) -> list[str]:
    template = synth.outdir / f"{synth.stack.artifact_id}.template.json"
    matches = lint_file(Path(template), config=ManualArgs(ignore_checks=IGNORED_LINT))
    return [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches]


def test_cfn_lint_finds_nothing(lint_findings: list[str]) -> None:
    assert lint_findings == []


def test_cfn_lint_reads_the_inlined_definition(synth: Synthesized, tmp_path: Path) -> None:
    """A broken state in the inlined definition is an E3601: cfn-lint really sees it."""
    template = json.loads(json.dumps(synth.template))
    properties = template["Resources"]["StateMachine"]["Properties"]
    asl = json.loads(properties["DefinitionString"])
    asl["States"]["Validate"]["Type"] = "Tusk"
    properties["DefinitionString"] = json.dumps(asl)
    broken = tmp_path / "broken.template.json"
    broken.write_text(json.dumps(template))
    matches = lint_file(broken, config=ManualArgs(ignore_checks=IGNORED_LINT))
    assert [m.rule.id for m in matches] == ["E3601"]
