"""The emulated Application Auto Scaling, CloudWatch alarms and InvokeEndpoint: the AWS
behaviours the guardrails rely on (smdeploy.runtime.guardrails)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from smdeploy.runtime import guardrails as hooks
from smdeploy.runtime.emulator import Faults

VARIANT = {
    "VariantName": "primary",
    "ModelName": "fraud-v1",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 2,
}
RID = "endpoint/fraud/variant/primary"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def serving(aws: Any) -> Any:
    sm = aws.sagemaker
    sm.create_model(
        ModelName="fraud-v1",
        ExecutionRoleArn=aws.ROLE_ARN,
        PrimaryContainer={"Image": aws.IMAGE_V1},
    )
    sm.create_endpoint_config(EndpointConfigName="fraud-1", ProductionVariants=[VARIANT])
    sm.create_endpoint(EndpointName="fraud", EndpointConfigName="fraud-1")
    aws.settle()
    return sm


def register(low: int = 1, high: int = 4) -> Any:
    scaling = boto3.client("application-autoscaling", region_name="us-east-1")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=RID,
        ScalableDimension=DIMENSION,
        MinCapacity=low,
        MaxCapacity=high,
    )
    return scaling


def count(sm: Any) -> int:
    return int(
        sm.describe_endpoint(EndpointName="fraud")["ProductionVariants"][0]["CurrentInstanceCount"]
    )


def config(sm: Any, name: str, **changes: Any) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[dict(VARIANT, **changes)]
    )


def test_a_hook_fails_loudly_when_moto_changed_the_method() -> None:
    class Changed:
        def register_scalable_target(self, namespace: str, resource: str) -> None: ...

    with pytest.raises(RuntimeError, match="moto changed"):
        hooks._require(Changed, "register_scalable_target", ("self", "namespace", "r_id"))
    with pytest.raises(RuntimeError, match="is gone"):
        hooks._require(Changed, "deregister_scalable_target", ("self",))


def test_update_is_refused_when_it_changes_an_autoscaled_variants_instance_type(aws):
    sm = serving(aws)
    register()
    config(sm, "fraud-bigger", InstanceType="ml.c5.xlarge")
    config(sm, "fraud-renamed", VariantName="other")
    config(sm, "fraud-model-only", InitialInstanceCount=3)

    for name, change in (
        ("fraud-bigger", "changes the instance type"),
        ("fraud-renamed", "removes"),
    ):
        with pytest.raises(ClientError) as refused:
            sm.update_endpoint(EndpointName="fraud", EndpointConfigName=name)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert change in refused.value.response["Error"]["Message"]
    # only the model or the count changes: allowed, as SageMaker allows it
    sm.update_endpoint(EndpointName="fraud", EndpointConfigName="fraud-model-only")
    assert sm.describe_endpoint(EndpointName="fraud")["EndpointStatus"] == "Updating"


def test_counts_registration_and_retained_properties(start_aws):
    aws = start_aws(Faults(scaled_to=9))
    sm = serving(aws)
    assert count(sm) == 2
    register(low=1, high=5)
    assert count(sm) == 5  # scaled to 9, within the target's maximum
    config(sm, "fraud-2", InitialInstanceCount=1)
    sm.update_endpoint(
        EndpointName="fraud", EndpointConfigName="fraud-2", RetainAllVariantProperties=True
    )
    aws.settle()
    assert count(sm) == 5  # retained
    config(sm, "fraud-3", InitialInstanceCount=3)
    sm.update_endpoint(EndpointName="fraud", EndpointConfigName="fraud-3")
    aws.settle()
    assert count(sm) == 3  # SageMaker's default: the new config's initial count


def test_registering_a_variant_no_endpoint_serves_is_refused(aws):
    with pytest.raises(ClientError) as refused:
        register()
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "does not exist" in refused.value.response["Error"]["Message"]


def test_deregistering_deletes_the_policies_and_delete_endpoint_deregisters(aws):
    sm = serving(aws)
    scaling = register()
    policy = {
        "PolicyName": "p",
        "ServiceNamespace": "sagemaker",
        "ResourceId": RID,
        "ScalableDimension": DIMENSION,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 10.0},
    }
    scaling.put_scaling_policy(**policy)
    scaling.deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=RID, ScalableDimension=DIMENSION
    )
    assert scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []

    register()
    scaling.put_scaling_policy(**policy)
    sm.delete_endpoint(EndpointName="fraud")
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []


def test_a_listed_alarm_in_alarm_rolls_the_update_back_naming_it(start_aws):
    aws = start_aws(Faults(alarm_during_update=""))
    sm = serving(aws)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    cloudwatch.put_metric_alarm(
        AlarmName="errors",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    config(sm, "fraud-2", InitialInstanceCount=3)
    sm.update_endpoint(
        EndpointName="fraud",
        EndpointConfigName="fraud-2",
        DeploymentConfig={"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}},
    )
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"
    aws.settle()

    endpoint = sm.describe_endpoint(EndpointName="fraud")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "fraud-1")
    assert "CloudWatch alarm errors" in endpoint["FailureReason"]
    assert count(sm) == 2  # the rollback keeps the old counts
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"]
    assert alarm["StateValue"] == "OK"  # the simulated metric recovered


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
