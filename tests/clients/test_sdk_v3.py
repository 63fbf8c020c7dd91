"""The SageMaker Python SDK v3's resource classes (sagemaker-core) against ``smdeploy
emulator``: register a version, approve it, watch its deployment until the endpoint is
InService, describe what was deployed, invoke it, delete it (issue 21, item 3).

Runs in ``.venv-sdk-v3`` (``make clients``): sagemaker-core pins its own boto3 and brings
pandas and SciPy, none of which the project needs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator import ENDPOINT, GROUP, inference_specification, running
from sagemaker.core.resources import (
    Endpoint,
    EndpointConfig,
    Model,
    ModelPackage,
    ModelPackageGroup,
)
from sagemaker.core.shapes import Unassigned
from sagemaker.core.utils.utils import SageMakerClient


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[dict[str, Any]]:
    SageMakerClient.reset()  # its clients are made once per process: these for this emulator
    with running(tmp_path) as info:
        yield info
    SageMakerClient.reset()


def test_register_approve_watch_describe_invoke_and_delete_with_sagemaker_core(emulator):
    assert ModelPackageGroup.get(model_package_group_name=GROUP).model_package_group_status == (
        "Completed"
    )
    # sagemaker-core 2.27.0's ModelPackage.create reads ModelPackageName from the answer of
    # CreateModelPackage, whose output has only ModelPackageArn (botocore's model, and
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html#API_CreateModelPackage_ResponseSyntax):
    # it raises KeyError on AWS as here. So the version is registered with the SDK's own
    # client, and read back with ModelPackage.get.
    registered = SageMakerClient().sagemaker_client.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification=inference_specification(),
        ModelApprovalStatus="PendingManualApproval",
    )
    package = ModelPackage.get(model_package_name=registered["ModelPackageArn"])
    assert (package.model_package_version, package.model_approval_status) == (
        1,
        "PendingManualApproval",
    )

    package.update(model_approval_status="Approved")

    assert ModelPackage.get(model_package_name=package.model_package_arn).model_approval_status == (
        "Approved"
    )
    endpoint = _appears(ENDPOINT)
    endpoint.wait_for_status(target_status="InService", poll=1, timeout=120)
    assert endpoint.endpoint_status == "InService"
    config = EndpointConfig.get(endpoint_config_name=endpoint.endpoint_config_name)
    (variant,) = config.production_variants
    assert (variant.variant_name, variant.instance_type) == ("primary", "ml.m5.large")
    model = Model.get(model_name=variant.model_name)
    (container,) = model.containers
    assert container.model_package_name == package.model_package_arn
    assert isinstance(model.vpc_config, Unassigned)  # none was given: none is described

    answer = endpoint.invoke(body="1,2,3", content_type="text/csv")
    assert answer.invoked_production_variant == "primary"
    assert json.loads(answer.body.read()) == {"predictions": [0.5]}

    endpoint.delete()
    endpoint.wait_for_delete(poll=1, timeout=120)
    with pytest.raises(Exception, match="Could not find endpoint"):
        Endpoint.get(endpoint_name=ENDPOINT)


def _appears(name: str) -> Endpoint:
    """The endpoint, once the approval's deployment has created it (polled, bounded)."""
    for _ in range(600):
        try:
            return Endpoint.get(endpoint_name=name)
        except Exception as error:  # botocore's ClientError, as the SDK raises it
            if "Could not find endpoint" not in str(error):
                raise
        time.sleep(0.1)
    raise AssertionError(f"{name} never appeared")
