"""The reviews a security team runs: cdk-nag (AwsSolutions, Serverless) and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_every_acknowledgment_gives_a_specific_reason(synth: Synthesized) -> None:
    suppressed = [
        v for r in synth.report["pluginReports"] for v in r.get("suppressedViolations", [])
    ]
    assert suppressed
    for violation in suppressed:
        reason = violation["reason"]
        assert len(reason) >= 50, violation["acknowledgedId"]
        assert not reason.lower().startswith(("todo", "n/a", "ok", "fine", "suppress")), reason


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
