"""The emulated CloudWatch alarms that roll back a SageMaker update
(smdeploy.runtime.emulator.cloudwatch)."""

from __future__ import annotations

import boto3

from smdeploy.runtime.emulator import Faults
from tests.functional.emulated_endpoint import config, count, serving
from tests.support.alarms import put_sagemaker_alarm


def test_a_listed_alarm_in_alarm_rolls_the_update_back_naming_it(start_aws):
    aws = start_aws(Faults(alarm_during_update=""))
    sm = serving(aws)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    put_sagemaker_alarm(cloudwatch, "errors", "Invocation5XXErrors")
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
