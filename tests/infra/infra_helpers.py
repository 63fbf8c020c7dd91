"""What the infra tier's tests share: the context they synthesize with and the result.

``CDK_VALIDATION=false`` turns off CDK's own post-synth template validation (about 5 s; the
CLI test keeps it on). The jsii runtime reads it when it starts, so it is set here, before
``aws_cdk`` is first imported (the tier's conftest imports this module first).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from cdk import paths
from cdk.app import build, new_app
from cdk.stack import SmdeployStack

CDK_JSON_CONTEXT: dict[str, Any] = json.loads(paths.CDK_JSON.read_text())["context"]

FRAUD_ROLE = "arn:aws:iam::123456789012:role/fraud-sagemaker-execution"
CHURN_PROFILE: dict[str, Any] = {
    "EndpointName": "smdeploy-churn-predictor",
    "ProductionVariants": [
        {"VariantName": "primary", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
    ],
    "DeploymentConfig": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 300,
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            },
            "TerminationWaitInSeconds": 300,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    },
    "Tags": [{"Key": "team", "Value": "growth"}],
    "RollbackOnRejection": True,
}
TEST_PROFILES: dict[str, Any] = {
    "churn-predictor": CHURN_PROFILE,
    "fraud-detector": {
        "EndpointName": "smdeploy-fraud-detector",
        "ProductionVariants": [
            {
                "VariantName": "primary",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
        "ModelExecutionRoleArn": FRAUD_ROLE,
    },
}
TEST_CONTEXT: dict[str, Any] = {
    "profiles": TEST_PROFILES,
    "notificationEmail": "ml-platform@example.com",
    "configRetention": 5,
}


def with_cdk_json(context: dict[str, Any]) -> dict[str, Any]:
    """cdk.json's context with ``context`` over it; profiles given inline take the place of
    cdk.json's profilesFile (as a user who gives them removes it from cdk.json)."""
    base = dict(CDK_JSON_CONTEXT)
    if "profiles" in context:
        base.pop("profilesFile", None)
    return {**base, **context}


@dataclass(frozen=True)
class Synthesized:
    """One synthesis of the app: the template as JSON and as assertions, and the checks."""

    stack: SmdeployStack
    outdir: Path
    template: dict[str, Any]
    assertions: Template
    report: dict[str, Any]
    acknowledged: dict[tuple[str, str], str]  # (construct path, rule id) -> reason

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id]["Properties"]
        return properties


def synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    app = new_app(context, outdir=str(outdir))
    stack = build(app)
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    report = json.loads((outdir / "validation-report.json").read_text())
    metadata = json.loads((outdir / f"{stack.artifact_id}.metadata.json").read_text())
    acknowledged = {
        (path.strip("/"), rule): reason
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    }
    return Synthesized(
        stack=stack,
        outdir=outdir,
        template=template,
        assertions=Template.from_json(template),
        report=report,
        acknowledged=acknowledged,
    )
