"""The emulated inference component (IC) API (smdeploy.runtime.emulator.sagemaker.components):
each IC's lifecycle on the simulated clock, its updates batch by batch, its rollbacks, and its
copies placed on the variant's instances. Every answer is also checked against botocore's
model of its operation (tests/conftest.py)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from smdeploy.runtime.emulator import Faults
from tests.functional.emulated_components import (
    GPU,
    REGION,
    ROOM,
    SECONDS,
    create,
    endpoint,
    invoke,
    model,
    refused,
    status,
)
from tests.support.alarms import put_sagemaker_alarm


def test_two_components_on_one_endpoint_come_into_service_on_the_clock(aws):
    sm = endpoint(aws)
    model(aws)
    create(sm, "chat", copies=2)
    aws.clock.advance(10)
    create(sm, "Summarize", copies=1)

    assert status(sm, "chat") == ("Creating", 2, 0)
    aws.clock.advance(SECONDS - 10)
    assert status(sm, "chat") == ("InService", 2, 2)
    assert status(sm, "summarize") == ("Creating", 1, 0)
    aws.clock.advance(10)
    described = sm.describe_inference_component(InferenceComponentName="summarize")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["InferenceComponentName"] == "Summarize"
    assert described["InferenceComponentArn"].endswith(":inference-component/summarize")
    assert (described["EndpointName"], described["VariantName"]) == ("llm", "main")
    assert described["EndpointArn"].endswith(":endpoint/llm")
    assert described["Specification"] == {"ModelName": "llama", "ComputeResourceRequirements": GPU}
    assert "LastDeploymentConfig" not in described and "FailureReason" not in described
    listed = sm.list_inference_components(
        EndpointNameEquals="LLM", SortBy="CreationTime", SortOrder="Ascending"
    )
    assert [c["InferenceComponentName"] for c in listed["InferenceComponents"]] == [
        "chat",
        "Summarize",
    ]


def test_a_config_for_components_needs_a_role_and_is_described_as_given(aws):
    sm = aws.sagemaker
    variant = {
        "VariantName": "main",
        "InstanceType": "ml.g5.12xlarge",
        "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {
            "Status": "ENABLED",
            "MinInstanceCount": 1,
            "MaxInstanceCount": 3,
        },
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    refused(
        sm.create_endpoint_config,
        "ExecutionRoleArn is required",
        EndpointConfigName="llm-1",
        ProductionVariants=[variant],
    )
    sm = endpoint(aws, **{k: v for k, v in variant.items() if k == "ManagedInstanceScaling"})

    config = sm.describe_endpoint_config(EndpointConfigName="llm-1")
    described = sm.describe_endpoint(EndpointName="llm")["ProductionVariants"][0]

    assert config["ExecutionRoleArn"] == aws.ROLE_ARN
    assert "ModelName" not in config["ProductionVariants"][0]
    assert described["ManagedInstanceScaling"] == variant["ManagedInstanceScaling"]
    assert described["RoutingConfig"] == variant["RoutingConfig"]
    assert described["CurrentInstanceCount"] == 1  # MinInstanceCount, with no copies yet


def test_a_rolling_update_replaces_the_copies_batch_by_batch(aws):
    sm = endpoint(aws, ManagedInstanceScaling=ROOM)  # an instance more for a batch
    model(aws)
    model(aws, "llama-2", aws.IMAGE_V2)
    create(sm, "chat", copies=4)
    aws.clock.advance(SECONDS)
    policy = {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 60}

    sm.update_inference_component(
        InferenceComponentName="chat",
        Specification={"ModelName": "llama-2", "ComputeResourceRequirements": GPU},
        DeploymentConfig={"RollingUpdatePolicy": policy},
    )
    seen = []
    for _batch in range(4):  # each batch: provisioned, then baked WaitIntervalInSeconds
        aws.clock.advance(SECONDS + 59)
        seen.append(status(sm, "chat"))
        aws.clock.advance(1)
    described = sm.describe_inference_component(InferenceComponentName="chat")

    assert seen == [("Updating", 4, 4)] * 4
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "llama-2"
    assert described["LastDeploymentConfig"] == {"RollingUpdatePolicy": policy}


def test_a_batch_in_percent_and_the_bounds_of_a_batch(aws):
    sm = endpoint(aws, ManagedInstanceScaling=ROOM)
    model(aws)
    create(sm, "chat", copies=4)
    aws.clock.advance(SECONDS)
    half = {
        "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        "WaitIntervalInSeconds": 0,
    }
    refused(
        sm.update_inference_component,
        "must be between 5% and 50%",
        InferenceComponentName="chat",
        RuntimeConfig={"CopyCount": 4},
        DeploymentConfig={
            "RollingUpdatePolicy": dict(half, MaximumBatchSize={"Type": "COPY_COUNT", "Value": 3})
        },
    )

    sm.update_inference_component(
        InferenceComponentName="chat",
        RuntimeConfig={"CopyCount": 4},
        DeploymentConfig={"RollingUpdatePolicy": half},
    )
    aws.clock.advance(2 * SECONDS - 1)
    assert status(sm, "chat")[0] == "Updating"  # two batches of two copies
    aws.clock.advance(1)
    assert status(sm, "chat") == ("InService", 4, 4)


def test_an_update_without_a_runtime_config_keeps_the_copies_an_autoscaler_set(aws):
    sm = endpoint(aws)
    model(aws)
    create(sm, "chat", copies=2)
    aws.clock.advance(SECONDS)
    sm.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 3}
    )
    assert status(sm, "chat") == ("Updating", 3, 2)
    aws.clock.advance(SECONDS)

    bigger = {
        "ModelName": "llama",
        "ComputeResourceRequirements": dict(GPU, MinMemoryRequiredInMb=8192),
    }
    one = {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0}
    sm.update_inference_component(
        InferenceComponentName="chat",
        Specification=bigger,
        DeploymentConfig={"RollingUpdatePolicy": one},
    )
    aws.clock.advance(3 * SECONDS)  # three batches of one copy

    assert status(sm, "chat") == ("InService", 3, 3)


def test_an_injected_failure_fails_the_next_create_with_its_reason(start_aws):
    aws = start_aws(Faults(fail_component="CUDA out of memory", times=1))
    sm = endpoint(aws)
    model(aws)
    create(sm, "chat")
    aws.clock.advance(SECONDS)
    failed = sm.describe_inference_component(InferenceComponentName="chat")
    refused(
        sm.update_inference_component_runtime_config,
        "in status Failed",
        InferenceComponentName="chat",
        DesiredRuntimeConfig={"CopyCount": 2},
    )
    sm.delete_inference_component(InferenceComponentName="chat")
    aws.clock.advance(aws.emulator.faults.deletion_seconds)
    create(sm, "chat", copies=2)  # the name is free again; the fault happened once
    aws.clock.advance(SECONDS)

    assert (failed["InferenceComponentStatus"], failed["FailureReason"]) == (
        "Failed",
        "CUDA out of memory",
    )
    assert failed["RuntimeConfig"]["CurrentCopyCount"] == 0
    assert status(sm, "chat") == ("InService", 2, 2)


def test_an_update_whose_batch_finds_no_room_ends_failed(aws):
    sm = endpoint(aws)  # one ml.g5.12xlarge: 4 GPUs
    model(aws)
    create(sm, "chat", copies=3)
    aws.clock.advance(SECONDS)

    # without a RollingUpdatePolicy all 3 new copies come up beside the 3 old ones
    sm.update_inference_component(InferenceComponentName="chat", RuntimeConfig={"CopyCount": 3})
    aws.clock.advance(SECONDS)
    described = sm.describe_inference_component(InferenceComponentName="chat")

    assert described["InferenceComponentStatus"] == "Failed"
    assert "only 1 fit" in described["FailureReason"]
    assert "a batch of the update" in described["FailureReason"]


def test_an_injected_rollback_ends_in_service_on_the_old_specification(start_aws):
    aws = start_aws(Faults(rollback_component="p99 latency regressed", times=1))
    sm = endpoint(aws)
    model(aws)
    model(aws, "llama-2", aws.IMAGE_V2)
    create(sm, "chat", copies=2)
    aws.clock.advance(SECONDS)
    new = {"ModelName": "llama-2", "ComputeResourceRequirements": GPU}
    policy = {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 30}

    sm.update_inference_component(
        InferenceComponentName="chat",
        Specification=new,
        DeploymentConfig={"RollingUpdatePolicy": policy},
    )
    aws.clock.advance(SECONDS + 30)  # the first batch baked: rolled back, its copy first
    rolling_back = status(sm, "chat")
    aws.clock.advance(SECONDS)
    described = sm.describe_inference_component(InferenceComponentName="chat")

    assert rolling_back == ("Updating", 2, 2)
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "llama"
    assert described["FailureReason"] == "p99 latency regressed"


def test_a_listed_alarm_in_alarm_rolls_the_update_back_and_recovers(start_aws):
    aws = start_aws(Faults(alarm_during_update=""))
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    put_sagemaker_alarm(cloudwatch, "ic-errors", "Invocation5XXErrors")
    sm = endpoint(aws)
    model(aws)
    model(aws, "llama-2", aws.IMAGE_V2)
    create(sm, "chat", copies=2)
    aws.clock.advance(SECONDS)

    sm.update_inference_component(
        InferenceComponentName="chat",
        Specification={"ModelName": "llama-2", "ComputeResourceRequirements": GPU},
        DeploymentConfig={
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 0,
            },
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "ic-errors"}]},
        },
    )
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["ic-errors"])["MetricAlarms"]
    aws.clock.advance(2 * SECONDS)
    described = sm.describe_inference_component(InferenceComponentName="chat")

    assert alarm["StateValue"] == "ALARM"
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "llama"
    assert "CloudWatch alarm ic-errors" in described["FailureReason"]
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["ic-errors"])["MetricAlarms"]
    assert alarm["StateValue"] == "OK"


def test_scale_to_zero_and_back(aws):
    scaling = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2}
    sm = endpoint(aws, ManagedInstanceScaling=scaling)
    model(aws)
    refused(
        sm.create_inference_component,
        "Inference components copy count an integer larger than 0",
        InferenceComponentName="chat",
        EndpointName="llm",
        VariantName="main",
        Specification={"ModelName": "llama", "ComputeResourceRequirements": GPU},
        RuntimeConfig={"CopyCount": 0},
    )
    create(sm, "chat", copies=1)
    aws.clock.advance(SECONDS)
    assert (
        invoke(EndpointName="llm", InferenceComponentName="chat")["InvokedProductionVariant"]
        == "main"
    )

    sm.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 0}
    )
    aws.clock.advance(SECONDS)
    instances = sm.describe_endpoint(EndpointName="llm")["ProductionVariants"][0]
    with pytest.raises(ClientError) as cold:
        invoke(EndpointName="llm", InferenceComponentName="chat")
    sm.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 1}
    )
    aws.clock.advance(SECONDS)

    assert status(sm, "chat") == ("InService", 1, 1)
    assert instances["CurrentInstanceCount"] == 0
    assert cold.value.response["Error"]["Code"] == "ValidationError"
    assert cold.value.response["Error"]["Message"].startswith(
        "Inference Component has no capacity to process this request."
    )
    assert invoke(EndpointName="llm", InferenceComponentName="chat")["Body"].read()


def test_copies_are_placed_on_the_instances_the_variant_may_have(aws):
    sm = endpoint(aws, instance_type="ml.g5.xlarge")  # 1 GPU, 16 GiB: one GPU copy each
    model(aws)
    create(sm, "two", copies=2)
    create(
        sm,
        "huge",
        copies=1,
        ComputeResourceRequirements=dict(GPU, NumberOfAcceleratorDevicesRequired=2),
    )
    aws.clock.advance(SECONDS)
    endpoint(
        aws,
        "scaled",
        instance_type="ml.g5.xlarge",
        ManagedInstanceScaling={"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 3},
    )
    create(sm, "fits", copies=2, on="scaled")
    aws.clock.advance(SECONDS)
    sm.update_inference_component_runtime_config(
        InferenceComponentName="fits", DesiredRuntimeConfig={"CopyCount": 5}
    )
    aws.clock.advance(SECONDS)

    two = sm.describe_inference_component(InferenceComponentName="two")
    huge = sm.describe_inference_component(InferenceComponentName="huge")
    assert two["InferenceComponentStatus"] == "Failed"
    assert "only 1 fit" in two["FailureReason"]
    assert huge["InferenceComponentStatus"] == "Failed"
    assert "2 accelerator devices" in huge["FailureReason"]
    assert status(sm, "fits") == ("InService", 5, 3)  # MaxInstanceCount 3: three copies
    scaled = sm.describe_endpoint(EndpointName="scaled")["ProductionVariants"][0]
    assert scaled["CurrentInstanceCount"] == 3


def test_an_adapter_runs_in_its_base_s_copies(aws):
    sm = endpoint(aws)
    model(aws)
    create(sm, "base", copies=2)
    aws.clock.advance(SECONDS)
    adapter = {
        "BaseInferenceComponentName": "base",
        "Container": {"ArtifactUrl": "s3://adapters/sql/"},
    }
    refused(
        sm.create_inference_component,
        "omit ComputeResourceRequirements",
        InferenceComponentName="sql",
        EndpointName="llm",
        Specification=dict(adapter, ComputeResourceRequirements=GPU),
    )

    sm.create_inference_component(
        InferenceComponentName="sql", EndpointName="llm", Specification=adapter
    )
    aws.clock.advance(SECONDS)
    described = sm.describe_inference_component(InferenceComponentName="sql")
    answer = invoke(EndpointName="llm", InferenceComponentName="sql")
    refused(
        sm.delete_inference_component,
        "is a base inference component",
        InferenceComponentName="base",
    )

    assert described["InferenceComponentStatus"] == "InService"
    assert described["VariantName"] == "main"
    assert described["Specification"]["ComputeResourceRequirements"] == GPU
    assert "RuntimeConfig" not in described
    assert answer["InvokedProductionVariant"] == "main"
