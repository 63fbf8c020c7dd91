"""200 deployment profiles: the stack synthesizes within CloudFormation's and EventBridge's
limits, with one parameter per profile. One synthesis (slow), read by every test here.

- CloudFormation: at most 500 resources in a stack
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
- EventBridge: an event pattern of at most 2,048 characters by default
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): the groups are
  split across several rules.
- IAM: all inline policies of a role, 10,240 characters whitespace aside
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from infra_helpers import CHURN_PROFILE, Synthesized, synthesize, with_cdk_json

COUNT = 200
CLOUDFORMATION_RESOURCES = 500
PATTERN_CHARACTERS = 2048
ROLE_POLICY_CHARACTERS = 10240


def group(i: int) -> str:
    return f"team-{i:03d}-recommendations-ranking-model"  # 40 characters: longer than most


def profile(i: int) -> dict[str, Any]:
    return {**CHURN_PROFILE, "EndpointName": f"smdeploy-team-{i:03d}-ranking"}


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    folder = tmp_path_factory.mktemp("scale")
    lines = ["{"]
    for i in range(COUNT):
        comma = "," if i < COUNT - 1 else ""
        lines.append(f"  // profile {i}")
        lines.append(f"  {json.dumps(group(i))}: {json.dumps(profile(i))}{comma}")
    lines.append("}")
    path = folder / "profiles.json"
    path.write_text("\n".join(lines))
    return synthesize(with_cdk_json({"profilesFile": str(path)}), folder / "cdk.out")


def test_every_profile_is_a_parameter_of_its_own(scaled: Synthesized) -> None:
    parameters = {
        p["Properties"]["Name"]: p["Properties"]
        for p in scaled.of_type("AWS::SSM::Parameter").values()
    }
    assert len(parameters) == COUNT
    for i in (0, COUNT - 1):
        stored = parameters[f"/smdeploy/smdeploy/profiles/{group(i)}"]
        assert json.loads(stored["Value"]) == profile(i)
        assert stored["Tier"] == "Standard"


def test_the_stack_stays_well_under_cloudformation_s_500_resources(scaled: Synthesized) -> None:
    count = len(scaled.resources)
    assert COUNT < count <= CLOUDFORMATION_RESOURCES - 200, count  # room for 200 more


def _rules(scaled: Synthesized, kind: str) -> list[dict[str, Any]]:
    return [
        rule["Properties"]["EventPattern"]
        for logical_id, rule in scaled.of_type("AWS::Events::Rule").items()
        if re.fullmatch(rf"{kind}Rule\d*", logical_id)
    ]


@pytest.mark.parametrize("kind", ["Approval", "Rejection"])
def test_the_groups_are_split_across_rules_whose_patterns_fit_eventbridge_s_limit(
    scaled: Synthesized, kind: str
) -> None:
    patterns = _rules(scaled, kind)
    assert len(patterns) > 1
    assert all(len(json.dumps(p)) <= PATTERN_CHARACTERS for p in patterns)
    covered = [g for p in patterns for g in p["detail"]["ModelPackageGroupName"]]
    assert sorted(covered) == sorted(group(i) for i in range(COUNT))  # each once


def _characters(value: Any) -> int:
    """A policy's size as IAM counts it, the ARNs as CloudFormation renders them (pseudo
    parameters at their longest)."""
    text = json.dumps(value, separators=(",", ":"))
    longest = {"AWS::Partition": "aws-us-gov", "AWS::Region": "ap-southeast-7"}
    for name, spelled in {**longest, "AWS::AccountId": "123456789012"}.items():
        text = text.replace(json.dumps({"Ref": name}, separators=(",", ":")), json.dumps(spelled))
    return len(text)


def test_every_role_s_inline_policies_fit_iam_s_limit(scaled: Synthesized) -> None:
    by_role: dict[str, int] = {}
    for policy in scaled.of_type("AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            size = _characters(policy["Properties"]["PolicyDocument"])
            by_role[role["Ref"]] = by_role.get(role["Ref"], 0) + size
    assert max(by_role.values()) < ROLE_POLICY_CHARACTERS, by_role


def test_the_template_fits_the_size_cloudformation_reads_from_s3(scaled: Synthesized) -> None:
    # 1 MB for a template cdk deploy uploads (the same quotas page)
    assert len(json.dumps(scaled.template).encode()) < 1_000_000


def test_past_the_role_policy_budget_validate_may_describe_every_package(
    scaled: Synthesized,
) -> None:
    found = [
        statement["Resource"]
        for policy in scaled.of_type("AWS::IAM::Policy").values()
        if {"Ref": "ValidateFunctionRole"} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sagemaker:DescribeModelPackage"
    ]
    assert len(found) == 1
    assert json.dumps(found[0]).endswith(':model-package/*"]]}')  # one ARN, not 200


def test_at_most_five_parameters_are_written_at_a_time(scaled: Synthesized) -> None:
    parameters = scaled.of_type("AWS::SSM::Parameter")
    by_name = {p["Properties"]["Name"]: logical_id for logical_id, p in parameters.items()}
    ordered = [by_name[name] for name in sorted(by_name)]
    for index, logical_id in enumerate(ordered):
        depends = parameters[logical_id].get("DependsOn", [])
        assert depends == ([ordered[index - 5]] if index >= 5 else []), logical_id
