"""The Guardrails function (deployer.handlers.guardrails), called as the state machine calls it:
Prepare makes the rollback alarms and names them in the request it hands to Deploy."""

from __future__ import annotations

import boto3

from deployer.handlers import guardrails
from deployer.payloads.events import GuardrailsEvent
from deployer.payloads.results import Prepared
from smdeploy.runtime.emulator import LambdaContext

ARN = "arn:aws:lambda:us-east-1:123456789012:function:smdeploy-guardrails"


def test_prepare_makes_the_rollback_alarms_and_names_them_in_the_request(aws, make_request):
    alarm = {"Metric": "Invocation5XXErrors", "Threshold": 5}
    request = make_request(Guardrails={"RollbackAlarms": [alarm]})
    event = GuardrailsEvent(Execution="exec-guardrails", Action="Prepare", Request=request)
    context = LambdaContext("smdeploy-guardrails", ARN, 256, 60)

    prepared = Prepared.model_validate(guardrails.handler(event.to_json(), context))

    assert prepared.Alarms == ["smdeploy-churn-predictor-primary-Invocation5XXErrors"]
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    alarms = cloudwatch.describe_alarms(AlarmNames=prepared.Alarms)
    assert [a["AlarmName"] for a in alarms["MetricAlarms"]] == prepared.Alarms
    rollback = prepared.Request["DeploymentConfig"]["AutoRollbackConfiguration"]
    assert rollback == {"Alarms": [{"AlarmName": name} for name in prepared.Alarms]}
    assert prepared.Registered == [] and prepared.Deregistered == []
