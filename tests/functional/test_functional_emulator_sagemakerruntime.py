"""The emulated InvokeEndpoint (smdeploy.runtime.emulator.sagemakerruntime)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from smdeploy.runtime.emulator import Faults
from tests.functional.emulated_endpoint import config, serving


def _invoke(**params: Any) -> Any:
    runtime = boto3.client("sagemaker-runtime", region_name="us-east-1")
    return runtime.invoke_endpoint(ContentType="text/csv", Body=b"1,2", **params)


def test_invoke_endpoint_refuses_what_sagemaker_refuses(aws):
    for name in ("missing",):
        with pytest.raises(ClientError) as refused:
            _invoke(EndpointName=name)
        assert refused.value.response["Error"]["Code"] == "ValidationError"
        assert refused.value.response["Error"]["Message"] == (
            "Endpoint missing of account 123456789012 not found."
        )
    sm = aws.sagemaker
    sm.create_model(
        ModelName="fraud-v1",
        ExecutionRoleArn=aws.ROLE_ARN,
        PrimaryContainer={"Image": aws.IMAGE_V1},
    )
    config(sm, "fraud-1")
    sm.create_endpoint(EndpointName="fraud", EndpointConfigName="fraud-1")
    with pytest.raises(ClientError) as creating:
        _invoke(EndpointName="fraud")
    assert creating.value.response["Error"]["Code"] == "ValidationError"
    aws.settle()
    with pytest.raises(ClientError) as variant:
        _invoke(EndpointName="fraud", TargetVariant="nope")
    assert "Target variant nope" in variant.value.response["Error"]["Message"]
    answer = _invoke(EndpointName="fraud", TargetVariant="primary")
    assert answer["Body"].read() == b'{"predictions": [0.5]}'
    assert answer["InvokedProductionVariant"] == "primary"


def test_invoke_endpoint_answers_the_configured_response_or_a_model_error(start_aws):
    aws = start_aws(Faults(invoke_response='{"score": 1}', fail_invoke="boom", times=1))
    serving(aws)
    with pytest.raises(ClientError) as failed:
        _invoke(EndpointName="fraud")
    error = failed.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 500
    assert error["OriginalMessage"] == "boom"
    assert _invoke(EndpointName="fraud")["Body"].read() == b'{"score": 1}'  # once only
