"""End to end: approvals of a group whose profile targets one inference component
(examples/inference-component-profiles.json). Each approval updates that IC's model, and
nothing else; the newest approval wins a race; a rejection rolls the IC back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import load_example

from deployer.request.profiles import ModelPackage, model_name_for
from smdeploy.resources import EXAMPLES
from smdeploy.runtime.local import LocalDeployment

pytestmark = pytest.mark.e2e

GROUP = "assistant-llama"
ENDPOINT = "smdeploy-assistant-llms"
COMPONENT = "smdeploy-llama"
SEEDS = (1, 2, 3, 4, 5)


def register(account: LocalDeployment) -> str:
    return str(
        account.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification=json.loads(
                (EXAMPLES / "inference-specification.json").read_text()
            ),
        )["ModelPackageArn"]
    )


def approve(account: LocalDeployment, *arns: str, status: str = "Approved") -> list[Any]:
    """Set each package's status, one right after the other; follow what that starts."""

    def change() -> None:
        for arn in arns:
            account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    return account.triggered(change)


def model_of(arn: str) -> str:
    package = ModelPackage(
        arn=arn, group=GROUP, version=int(arn.rsplit("/", 1)[1]), approval_status=""
    )
    return model_name_for(ENDPOINT, package)


def component(account: LocalDeployment) -> dict[str, Any]:
    return dict(account.sagemaker.describe_inference_component(InferenceComponentName=COMPONENT))


@pytest.fixture
def registry(make_account) -> LocalDeployment:
    return make_account(profiles=load_example("inference-component-profiles.json"))


def test_each_approval_updates_the_component_and_leaves_the_endpoint_alone(registry):
    v1, v2 = register(registry), register(registry)
    [first] = approve(registry, v1)
    assert first.status == "SUCCEEDED", first.cause
    assert component(registry)["Specification"]["ModelName"] == model_of(v1)
    config = registry.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]

    [second] = approve(registry, v2)

    assert second.status == "SUCCEEDED", second.cause
    assert second.output is not None and second.output["Action"] == "NONE"
    ic = component(registry)
    assert ic["Specification"]["ModelName"] == model_of(v2)
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 2
    assert ic["LastDeploymentConfig"]["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 60
    assert (
        registry.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == config
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_two_approvals_racing_on_one_component_end_on_the_newest(make_account, seed):
    account = make_account(
        seed=seed,
        profiles=load_example("inference-component-profiles.json"),
        invocation_jitter=0.01,
    )
    v1, v2 = register(account), register(account)

    outcomes = approve(account, v1, v2)

    assert [o.status for o in outcomes] == ["SUCCEEDED", "SUCCEEDED"], [o.cause for o in outcomes]
    ic = component(account)
    assert ic["InferenceComponentStatus"] == "InService"
    assert ic["Specification"]["ModelName"] == model_of(v2)


def test_a_rejection_of_the_serving_version_rolls_the_component_back(registry):
    v1, v2 = register(registry), register(registry)
    assert [o.status for o in approve(registry, v1)] == ["SUCCEEDED"]
    assert [o.status for o in approve(registry, v2)] == ["SUCCEEDED"]

    outcomes = approve(registry, v2, status="Rejected")

    assert [o.status for o in outcomes] == ["SUCCEEDED"], [o.cause for o in outcomes]
    assert component(registry)["Specification"]["ModelName"] == model_of(v1)
