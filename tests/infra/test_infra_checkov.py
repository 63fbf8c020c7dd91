"""checkov, a second scanner independent of the project's own rule packs, on the template.

Every finding is either fixed or acknowledged on its resource with a specific reason
(``cdk.checks.acknowledge_checkov``: the resource's ``Metadata.checkov.skip``). checkov runs on
the synthesized template with those acknowledgments taken out, offline, and must find exactly
the acknowledged findings: a new finding fails, and so does an acknowledgment nothing needs.
"""

from __future__ import annotations

import copy
import json

import pytest
from infra_helpers import Synthesized

from cdk import paths
from cdk.checks import CHECKOV
from tests.support import processes

CLI = paths.ROOT / ".venv-checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def scan(synth: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: run `make test` (it installs checkov's own venv)")
    template = copy.deepcopy(synth.template)
    acknowledged = {}
    for logical_id, resource in template["Resources"].items():
        entry = resource.get("Metadata", {}).pop(CHECKOV, None) or {"skip": []}
        for skip in entry["skip"]:
            acknowledged[(logical_id, skip["id"])] = skip["comment"]
    bare = tmp_path_factory.mktemp("checkov") / "template.json"
    bare.write_text(json.dumps(template))
    done = processes.run(
        [str(CLI), "-f", str(bare), "--framework", "cloudformation", "--skip-download",
         "--compact", "--quiet", "-o", "json"],
    )  # fmt: skip
    report = json.loads(done.stdout)
    failed = {
        (check["resource"].split(".", 1)[1], check["check_id"]): check["check_name"]
        for check in report.get("results", {}).get("failed_checks", [])
    }
    return {"failed": failed, "acknowledged": acknowledged, "summary": report["summary"]}


def test_checkov_read_the_whole_template(scan: dict, synth: Synthesized) -> None:
    assert scan["summary"]["parsing_errors"] == 0
    assert scan["summary"]["resource_count"] == len(synth.resources)


def test_every_finding_is_acknowledged(scan: dict) -> None:
    new = {key: name for key, name in scan["failed"].items() if key not in scan["acknowledged"]}
    assert new == {}


def test_every_acknowledgment_is_needed(scan: dict) -> None:
    assert sorted(set(scan["acknowledged"]) - set(scan["failed"])) == []


# What each skipped check is about (https://www.checkov.io/5.Policy%20Index/cloudformation.html):
# a skip's reason must speak of it. A check skipped for the first time is added here.
SUBJECT = {
    "CKV_AWS_18": "access logs",  # S3 bucket access logging
    "CKV_AWS_27": "encrypted",  # SQS queue encryption
    "CKV_AWS_115": "concurrency",  # Lambda reserved concurrency
    "CKV_AWS_116": "invoke",  # Lambda dead-letter queue: how the function is invoked
    "CKV_AWS_117": "VPC",  # Lambda inside a VPC
    "CKV_AWS_119": "encrypted",  # DynamoDB table encrypted with a customer managed key
    "CKV_AWS_173": "environment",  # Lambda environment variables encrypted
}


def test_every_acknowledgment_names_what_its_check_is_about(scan: dict) -> None:
    assert scan["acknowledged"]
    for (logical_id, check_id), reason in scan["acknowledged"].items():
        assert check_id in SUBJECT, f"{check_id}: add what its reasons must name to SUBJECT"
        assert SUBJECT[check_id] in reason, (logical_id, check_id, reason)
        assert len(reason) >= 50, (logical_id, check_id, reason)


def test_every_log_group_is_encrypted_with_the_stack_s_own_key(synth: Synthesized) -> None:
    """The state machine logs every state's data (IncludeExecutionData): a customer managed
    key, whose policy lets CloudWatch Logs use it for this account's log groups only."""
    groups = synth.of_type("AWS::Logs::LogGroup")
    assert "StateMachineLogs" in groups
    for logical_id, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogKey", "Arn"]}, logical_id
    key = synth.properties("LogKey")
    assert key["EnableKeyRotation"] is True
    (logs,) = [
        s for s in key["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsOfThisAccountAndRegion"
    ]  # fmt: skip
    condition = json.dumps(logs["Condition"])
    assert "kms:EncryptionContext:aws:logs:arn" in condition and ":log-group:*" in condition
