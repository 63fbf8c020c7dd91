"""The SageMaker Python SDK v2 against ``smdeploy emulator``: register a version with
``Model.register``, approve it with ``ModelPackage.update_approval_status``, watch its
deployment with ``Session.wait_for_endpoint``, describe what was deployed, invoke it through a
``Predictor``, delete it (issue 21, item 3).

Runs in ``.venv-sdk-v2`` (``make clients``): SDK v2 pins sagemaker-core below 2, which SDK v3
needs at 2 or above.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sagemaker
from botocore.exceptions import ClientError
from emulator import ENDPOINT, GROUP, inference_specification, running
from sagemaker.deserializers import JSONDeserializer
from sagemaker.model import Model
from sagemaker.predictor import Predictor
from sagemaker.serializers import CSVSerializer


@pytest.fixture
def session(tmp_path: Path) -> Iterator[sagemaker.Session]:
    with running(tmp_path) as info:
        yield sagemaker.Session(default_bucket=info["Bucket"])


def test_register_approve_watch_describe_invoke_and_delete_with_the_sdk_v2(session):
    (container,) = inference_specification()["Containers"]
    model = Model(
        image_uri=container["Image"],
        model_data=container["ModelDataUrl"],
        role="arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution",
        sagemaker_session=session,
    )
    package = model.register(
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.large"],
        model_package_group_name=GROUP,
        approval_status="PendingManualApproval",
    )
    registered = session.sagemaker_client.describe_model_package(
        ModelPackageName=package.model_package_arn
    )
    assert (registered["ModelPackageVersion"], registered["ModelApprovalStatus"]) == (
        1,
        "PendingManualApproval",
    )
    (described,) = registered["InferenceSpecification"]["Containers"]
    assert (described["Image"], described["ModelDataUrl"]) == (
        container["Image"],
        container["ModelDataUrl"],
    )

    package.update_approval_status(approval_status="Approved")

    _appears(session, ENDPOINT)
    endpoint = session.wait_for_endpoint(ENDPOINT, poll=1)
    assert endpoint["EndpointStatus"] == "InService"
    config = session.describe_endpoint_config(endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    assert (variant["VariantName"], variant["InstanceType"]) == ("primary", "ml.m5.large")
    (deployed,) = session.describe_model(variant["ModelName"])["Containers"]
    assert deployed["ModelPackageName"] == package.model_package_arn

    predictor = Predictor(
        ENDPOINT,
        sagemaker_session=session,
        serializer=CSVSerializer(),
        deserializer=JSONDeserializer(),
    )
    assert predictor.predict([1, 2, 3]) == {"predictions": [0.5]}

    predictor.delete_endpoint(delete_endpoint_config=False)

    assert _deleted(session, ENDPOINT)


def _appears(session: sagemaker.Session, name: str) -> dict[str, Any]:
    """The endpoint's description, once the approval's deployment has created it (polled,
    bounded)."""
    for _ in range(600):
        try:
            return dict(session.describe_endpoint(name))
        except ClientError as error:
            if "Could not find endpoint" not in str(error):
                raise
        time.sleep(0.1)
    raise AssertionError(f"{name} never appeared")


def _deleted(session: sagemaker.Session, name: str) -> bool:
    """Whether the endpoint is gone within a bound: DescribeEndpoint says it cannot find it."""
    for _ in range(600):
        try:
            session.describe_endpoint(name)
        except ClientError as error:
            return "Could not find endpoint" in str(error)
        time.sleep(0.1)
    return False
