"""The settings of the stack: every context key a platform team may change (``cdk.json``, or
``-c key=value``), with what it means, a valid example and its default. :mod:`cdk.context`
reads and checks them; :mod:`cdk.config` holds the checked result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deployer.decide.deadline import DEFAULT_PARK_SECONDS

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

EXAMPLE_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EXAMPLE_ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
EXAMPLE_PROFILES = (
    '{"churn-models": {"EndpointName": "smdeploy-churn", "ProductionVariants": '
    '[{"VariantName": "primary", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]}}'
)


@dataclass(frozen=True)
class Setting:
    """One context key: what it means, a valid example, and its default (None: required)."""

    key: str
    meaning: str
    example: str
    default: Any = None
    required: bool = False

    def hint(self) -> str:
        return f"{self.meaning[0].upper()}{self.meaning[1:]}. Example: -c {self.key}={self.example}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "sagemakerRoleArn",
        "the IAM role SageMaker assumes for the models smdeploy creates (the only role the "
        "deployer may pass, besides a profile's own ModelExecutionRoleArn)",
        EXAMPLE_ROLE,
        required=True,
    ),
    Setting(
        "profilesFile",
        "a JSON file (// and /* */ comments allowed), relative to the directory cdk runs in, "
        "of the deployment profile of each model package group whose approvals deploy: "
        '{"<group>": {<request without its model>, "RollbackOnRejection": false}}; '
        "give it or profiles",
        "examples/profiles.json",
    ),
    Setting(
        "profiles",
        "the deployment profiles inline, as JSON (instead of profilesFile): "
        '{"<group>": {<request without its model>, "RollbackOnRejection": false}}',
        f"'{EXAMPLE_PROFILES}'",
    ),
    Setting(
        "namePrefix",
        "every endpoint, endpoint config and model the deployer touches starts with it; its "
        "SageMaker permissions cover only such names",
        "smdeploy-",
        default="smdeploy-",
    ),
    Setting(
        "notificationEmail",
        "an address subscribed to the outcome topic (optional; confirm the subscription mail)",
        "ml-platform@example.com",
    ),
    Setting(
        "configRetention",
        "endpoint configs kept per endpoint after a successful deployment, older ones are "
        "deleted (0: keep all)",
        "5",
        default=0,
    ),
    Setting(
        "deadlineSeconds",
        "seconds a deployment may take, from CreateEndpoint/UpdateEndpoint to InService "
        "(600 to 86400)",
        "3600",
        default=3600,
    ),
    Setting(
        "parkSeconds",
        "seconds a deployment stays parked without an event from SageMaker before it looks at "
        "the endpoint itself (60 to 86400; never past the deadline)",
        str(DEFAULT_PARK_SECONDS),
        default=DEFAULT_PARK_SECONDS,
    ),
    Setting(
        "manifestPrefix",
        "the key prefix in the manifest bucket under which an uploaded manifest starts a "
        "deployment",
        "manifests/",
        default="manifests/",
    ),
    Setting(
        "logRetentionDays",
        f"days the function, state machine and access logs are kept (one of "
        f"{', '.join(map(str, LOG_RETENTION_DAYS))})",
        "90",
        default=90,
    ),
    Setting(
        "kmsKeyArns",
        "the KMS keys (key ARNs) a profile or request may name in KmsKeyId, "
        "DataCaptureConfig.KmsKeyId or AsyncInferenceConfig.OutputConfig.KmsKeyId; the "
        "Deploy function may have SageMaker create grants on them, and on no other key",
        f"'[\"{EXAMPLE_KEY}\"]'",
        default=[],
    ),
    Setting(
        "stackName",
        "the CloudFormation stack's name (one installation per name)",
        "smdeploy",
        default="smdeploy",
    ),
)
KEYS = tuple(s.key for s in SETTINGS)
BY_KEY = {s.key: s for s in SETTINGS}
