"""boto3 clients, created once per Lambda container and replaceable in tests.

Retries are deliberately left to the state machine (statemachine/deployer.asl.json), where
AWS runs them, counts them and shows them in the execution history: botocore is told to make
a single attempt, and the gateway turns throttling into ``SageMakerThrottled`` for the ASL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    user_agent_extra="smdeploy",
)

_sagemaker: SageMakerClient | None = None


def sagemaker() -> SageMakerClient:
    """The process-wide SageMaker client, created on first use (never at import time)."""
    global _sagemaker
    if _sagemaker is None:
        _sagemaker = boto3.client("sagemaker", config=BOTO_CONFIG)
    return _sagemaker


def use_sagemaker(client: SageMakerClient | None) -> None:
    """Inject a client (tests), or None to go back to the default one."""
    global _sagemaker
    _sagemaker = client
