"""The emulated Application Auto Scaling of SageMaker variants
(smdeploy.runtime.emulator.applicationautoscaling)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from smdeploy.runtime.emulator import Faults
from tests.functional.emulated_endpoint import DIMENSION, RID, config, count, register, serving


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


def test_what_is_not_there_to_delete_or_deregister_is_object_not_found(aws):
    serving(aws)
    scaling = register()
    keys = {"ServiceNamespace": "sagemaker", "ResourceId": RID, "ScalableDimension": DIMENSION}

    with pytest.raises(scaling.exceptions.ObjectNotFoundException) as policy:
        scaling.delete_scaling_policy(PolicyName="never-put", **keys)
    scaling.deregister_scalable_target(**keys)
    with pytest.raises(scaling.exceptions.ObjectNotFoundException) as target:
        scaling.deregister_scalable_target(**keys)

    assert policy.value.response["Error"]["Message"].startswith("No scaling policy found")
    assert target.value.response["Error"]["Message"].startswith("No scalable target found")
