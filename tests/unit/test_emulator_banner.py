"""The emulator's first screen: its copy-paste commands work with the profiles it was given,
and without any it says how to get approvals deployed instead of showing an approval."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from smdeploy.runtime.install import Installation
from smdeploy.serve import banner

URL = "http://127.0.0.1:4566"


def installation(groups: tuple[str, ...]) -> Installation:
    return Installation(
        account="123456789012",
        region="us-east-1",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:smdeploy-deployer",
        bucket="smdeploy-123456789012-us-east-1",
        manifest_prefix="manifests/",
        topic_arn="arn:aws:sns:us-east-1:123456789012:smdeploy-outcomes",
        groups=groups,
        rollback_groups=(),
        model_role_arn="arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution",
    )


def shown(groups: tuple[str, ...], profiles: dict[str, Any] | None) -> str:
    server: Any = SimpleNamespace(endpoint_url=URL, profiles=profiles)
    return banner(server, installation(groups), 0.5)


def test_without_profiles_no_approval_is_suggested_and_the_way_to_get_them_is_said() -> None:
    text = shown((), None)
    assert "approvals deploy  nothing: no --profiles FILE was given (start it with " in text
    assert "profiles.json to deploy approvals)" in text
    assert "create-model-package" not in text and "GROUP" not in text
    assert "smdeploy start " in text  # a direct execution still deploys


def test_with_profiles_the_approval_commands_name_a_profiled_group_and_its_endpoint() -> None:
    profiles = {"churn-predictor": {"EndpointName": "smdeploy-churn-predictor"}}
    text = shown(("churn-predictor",), profiles)
    assert "--model-package-group-name churn-predictor \\" in text
    assert "describe-endpoint --endpoint-name smdeploy-churn-predictor " in text
