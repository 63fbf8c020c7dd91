"""The synthesized template, resource by resource: what a reviewer of the stack checks."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest
from aws_cdk.assertions import Match
from infra_helpers import FRAUD_ROLE, TEST_PROFILES, Synthesized

from cdk import paths
from cdk.asset import ASSET_ZIP
from deployer import interface

# the functions the state machine invokes (a rule invokes Start; a schedule, Sweep)
FUNCTION_IDS = {spec.stage: f"{spec.stage}Function" for spec in interface.FUNCTIONS}
ASL = json.loads(paths.DEFINITION.read_text())


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


# --- Functions ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", interface.EVERY_FUNCTION, ids=lambda s: s.stage)
def test_each_function_runs_python_313_on_arm64_with_tracing_and_its_own_role_and_logs(
    synth: Synthesized, spec: interface.FunctionSpec
) -> None:
    logical_id = f"{spec.stage}Function"
    function = synth.properties(logical_id)
    assert function["Handler"] == spec.handler
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Role"] == arn_of(f"{spec.stage}FunctionRole")
    assert function["LoggingConfig"] == {"LogGroup": ref(f"{spec.stage}FunctionLogs")}
    assert function["Timeout"] < ASL["States"]["Validate"]["TimeoutSeconds"]
    assert (function["Runtime"], function["Architectures"]) == (
        interface.RUNTIME,
        [interface.ARCHITECTURE],
    )
    assert (function["Timeout"], function["MemorySize"]) == (spec.timeout_seconds, spec.memory_mb)
    logs = synth.resources[f"{spec.stage}FunctionLogs"]
    assert logs["Properties"]["RetentionInDays"] == 90
    assert logs["DeletionPolicy"] == "Retain"


def test_the_functions_share_one_asset_the_built_zip_with_no_layer(synth: Synthesized) -> None:
    keys = {synth.properties(i)["Code"]["S3Key"] for i in FUNCTION_IDS.values()}
    assert len(keys) == 1
    staged = synth.outdir / f"asset.{keys.pop()}"
    assert staged.read_bytes() == ASSET_ZIP.read_bytes()
    with zipfile.ZipFile(staged) as archive:
        names = archive.namelist()
        contract = archive.read("deployer/interface.py").decode()
    assert contract == (paths.FUNCTIONS / "deployer" / "interface.py").read_text()
    assert "deployer/__pycache__/interface.cpython-313.pyc" in names  # compiled for 3.13
    assert all("Layers" not in synth.properties(i) for i in FUNCTION_IDS.values())


def environment(synth: Synthesized, stage: str) -> dict[str, Any]:
    variables: dict[str, Any] = synth.properties(f"{stage}Function")["Environment"]["Variables"]
    return variables


def test_validate_reads_the_profiles_path_prefix_and_role(synth: Synthesized) -> None:
    env = environment(synth, "Validate")
    assert env[interface.ENV_PROFILES_PATH] == "/smdeploy/smdeploy/profiles/"
    assert not any(json.dumps(profile) in json.dumps(env) for profile in TEST_PROFILES.values())
    assert env[interface.ENV_NAME_PREFIX] == "smdeploy-"
    assert env[interface.ENV_MODEL_ROLE] == (
        "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
    )


def test_each_profile_is_one_ssm_string_parameter_under_the_stack_s_path(
    synth: Synthesized,
) -> None:
    parameters = synth.of_type("AWS::SSM::Parameter")
    stored = {p["Properties"]["Name"]: p["Properties"] for p in parameters.values()}
    assert set(stored) == {f"/smdeploy/smdeploy/profiles/{group}" for group in TEST_PROFILES}
    for group, profile in TEST_PROFILES.items():
        parameter = stored[f"/smdeploy/smdeploy/profiles/{group}"]
        assert parameter["Type"] == "String"
        assert parameter["Tier"] == "Standard"
        # compact JSON, keys sorted: the same profile always gives the same value
        assert parameter["Value"] == json.dumps(profile, separators=(",", ":"), sort_keys=True)


def test_only_validate_reads_the_profiles_and_only_under_their_path(synth: Synthesized) -> None:
    def parameter(name: str) -> dict[str, Any]:
        prefix = ["arn:", ref("AWS::Partition"), ":ssm:", ref("AWS::Region"), ":"]
        return {"Fn::Join": ["", [*prefix, ref("AWS::AccountId"), f":parameter/{name}"]]}

    expected = {
        "Sid": "ReadProfiles",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter", "ssm:GetParametersByPath"],
        "Resource": [
            parameter("smdeploy/smdeploy/profiles"),
            parameter("smdeploy/smdeploy/profiles/*"),
        ],
    }
    readers = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if any(a.startswith("ssm:") for a in actions):
                readers.append((policy["Properties"]["Roles"], statement))
    assert readers == [([ref("ValidateFunctionRole")], expected)]


def test_describe_reads_the_deadline_and_config_retention(synth: Synthesized) -> None:
    env = environment(synth, "Describe")
    assert env[interface.ENV_DEADLINE] == "3600"
    assert env[interface.ENV_CONFIG_RETENTION] == "5"


def test_notify_reads_the_topic_and_the_default_bus(synth: Synthesized) -> None:
    env = environment(synth, "Notify")
    assert env[interface.ENV_TOPIC_ARN] == ref("OutcomeTopic")
    assert env[interface.ENV_EVENT_BUS] == "default"


@pytest.mark.parametrize("stage", [spec.stage for spec in interface.EVERY_FUNCTION])
def test_every_function_names_its_service_and_metrics_namespace_and_reads_only_its_own_settings(
    synth: Synthesized, stage: str
) -> None:
    env = environment(synth, stage)
    assert env["POWERTOOLS_SERVICE_NAME"] == "smdeploy"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "smdeploy"
    own = {
        "Validate": {
            interface.ENV_PROFILES_PATH,
            interface.ENV_NAME_PREFIX,
            interface.ENV_MODEL_ROLE,
            interface.ENV_DEADLINE,
        },
        "Lease": {interface.ENV_TABLE},
        # Deploy says how long the first park may last: never past the deadline
        "Deploy": {interface.ENV_TABLE, interface.ENV_DEADLINE, interface.ENV_PARK_SECONDS},
        "Describe": {
            interface.ENV_DEADLINE,
            interface.ENV_CONFIG_RETENTION,
            interface.ENV_TABLE,
            interface.ENV_PARK_SECONDS,
        },
        "Wait": {interface.ENV_DEADLINE, interface.ENV_TABLE},
        # the deadline bounds the putting back of the old config after a failed smoke test
        "Guardrails": {interface.ENV_DEADLINE},
        "Notify": {interface.ENV_TOPIC_ARN, interface.ENV_EVENT_BUS},
        "Start": {interface.ENV_STATE_MACHINE_ARN},  # the state machine it starts
        # the parked deployments (table), the prefix's endpoints, the function it wakes
        "Sweep": {interface.ENV_TABLE, interface.ENV_NAME_PREFIX, interface.ENV_WAIT_FUNCTION},
    }.get(stage, set())
    assert {k for k in env if k.startswith("SMDEPLOY_")} == own
    if interface.ENV_TABLE in own:
        assert env[interface.ENV_TABLE] == ref("EndpointsTable")

    (spec,) = [s for s in interface.EVERY_FUNCTION if s.stage == stage]
    assert set(env) == set(interface.COMMON_ENVIRONMENT) | set(spec.environment)


# --- The state machine --------------------------------------------------------------------

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def definition(synth: Synthesized) -> dict[str, Any]:
    """The inlined definition with its substitutions applied, as CloudFormation applies them
    (each ARN shown as ``<LogicalId.Arn>``)."""
    properties = synth.properties("StateMachine")
    text: str = properties["DefinitionString"]
    for name, value in properties["DefinitionSubstitutions"].items():
        logical_id, attribute = value["Fn::GetAtt"]
        text = text.replace(f"${{{name}}}", f"<{logical_id}.{attribute}>")
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def test_the_definition_is_inlined_and_every_placeholder_is_filled(synth: Synthesized) -> None:
    properties = synth.properties("StateMachine")
    assert "DefinitionS3Location" not in properties and "Definition" not in properties
    assert "${" not in json.dumps(definition(synth))


def test_the_inlined_definition_is_the_file_verbatim(synth: Synthesized) -> None:
    assert synth.properties("StateMachine")["DefinitionString"] == paths.DEFINITION.read_text()


def test_each_placeholder_is_its_function_s_arn(synth: Synthesized) -> None:
    substitutions = synth.properties("StateMachine")["DefinitionSubstitutions"]
    assert substitutions == {
        spec.placeholder: arn_of(FUNCTION_IDS[spec.stage]) for spec in interface.FUNCTIONS
    }
    tasks = [s for s in definition(synth)["States"].values() if s["Type"] == "Task"]
    functions = {
        t["Parameters"]["FunctionName"] if t["Resource"] == CALLBACK else t["Resource"]
        for t in tasks
    }
    assert functions == {f"<{i}.Arn>" for i in FUNCTION_IDS.values()}


def test_json_nulls_of_the_definition_survive(synth: Synthesized) -> None:
    """``"ResultPath": null`` (keep the input, drop the result) must reach Step Functions."""
    in_file = {n: s for n, s in ASL["States"].items() if "ResultPath" in s}
    deployed = definition(synth)["States"]
    assert any(s["ResultPath"] is None for s in in_file.values())
    for name, state in in_file.items():
        assert (
            "ResultPath" in deployed[name] and deployed[name]["ResultPath"] == state["ResultPath"]
        )


def test_every_task_retries_and_catches(synth: Synthesized) -> None:
    tasks = {n: s for n, s in definition(synth)["States"].items() if s["Type"] == "Task"}
    assert tasks
    for name, task in tasks.items():
        assert task.get("Retry"), name
        assert task.get("Catch"), name
        assert task["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name


def test_the_state_machine_is_standard_logs_everything_and_traces(synth: Synthesized) -> None:
    synth.assertions.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [
                    {"CloudWatchLogsLogGroup": {"LogGroupArn": arn_of("StateMachineLogs")}}
                ],
            },
        },
    )
    logs = synth.resources["StateMachineLogs"]
    assert logs["Properties"]["RetentionInDays"] == 90
    assert logs["DeletionPolicy"] == "Retain"


def test_the_state_machine_may_invoke_exactly_the_five_functions(synth: Synthesized) -> None:
    role = synth.properties("StateMachine")["RoleArn"]["Fn::GetAtt"][0]
    invoked = [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if ref(role) in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in json.dumps(statement["Action"])
    ]
    assert len(invoked) == 1
    (statement,) = invoked
    assert statement["Action"] == "lambda:InvokeFunction"
    expected = [arn_of(i) for i in FUNCTION_IDS.values()] + [
        {"Fn::Join": ["", [arn_of(i), ":*"]]} for i in FUNCTION_IDS.values()
    ]
    assert sorted(map(json.dumps, statement["Resource"])) == sorted(map(json.dumps, expected))


def test_failed_and_timed_out_executions_raise_an_alarm_on_the_topic(synth: Synthesized) -> None:
    alarm = synth.properties("FailedExecutionsAlarm")
    assert alarm["AlarmActions"] == [ref("OutcomeTopic")]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    metrics = {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]
        for m in alarm["Metrics"]
        if "MetricStat" in m
    }
    assert set(metrics) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for stat in metrics.values():
        assert stat["Metric"]["Namespace"] == "AWS/States"
        assert stat["Metric"]["Dimensions"] == [
            {"Name": "StateMachineArn", "Value": ref("StateMachine")}
        ]
        assert stat["Stat"] == "Sum"
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True


# --- Triggers -----------------------------------------------------------------------------


def test_approvals_of_every_profiled_group_start_a_deployment(synth: Synthesized) -> None:
    pattern = synth.properties("ApprovalRule")["EventPattern"]
    assert pattern == interface.approval_pattern(sorted(TEST_PROFILES))


def test_rejections_of_every_profiled_group_start_an_execution(synth: Synthesized) -> None:
    # a rejection always stops a deployment of the rejected version in flight; it rolls back
    # a version that finished deploying only where the profile asks (RollbackOnRejection)
    pattern = synth.properties("RejectionRule")["EventPattern"]
    rolling_back = [g for g, p in TEST_PROFILES.items() if p.get("RollbackOnRejection")]
    assert rolling_back == ["churn-predictor"] != sorted(TEST_PROFILES)
    assert pattern == interface.rejection_pattern(sorted(TEST_PROFILES))
    assert pattern["detail"]["ModelApprovalStatus"] == ["Rejected"]


def test_manifests_uploaded_under_the_prefix_of_the_deployer_s_bucket_start_a_deployment(
    synth: Synthesized,
) -> None:
    pattern = synth.properties("ManifestRule")["EventPattern"]
    assert pattern == interface.manifest_pattern(ref("ManifestBucket"), "manifests/")  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", ["ApprovalRule", "RejectionRule", "ManifestRule"])
def test_each_rule_gives_the_whole_event_to_the_start_function_with_retries_and_dead_letters(
    synth: Synthesized, rule: str
) -> None:
    properties = synth.properties(rule)
    assert properties["State"] == "ENABLED"
    (target,) = properties["Targets"]
    assert target["Arn"] == arn_of("StartFunction")
    assert "RoleArn" not in target  # EventBridge invokes it under its resource policy
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 7200}
    assert target["DeadLetterConfig"] == {"Arn": arn_of("TriggerDeadLetterQueue")}
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    (permission,) = [
        p["Properties"]
        for p in synth.of_type("AWS::Lambda::Permission").values()
        if p["Properties"].get("SourceArn") == arn_of(rule)
    ]
    assert (permission["FunctionName"], permission["Principal"]) == (
        arn_of("StartFunction"),
        "events.amazonaws.com",
    )


def test_the_start_function_starts_executions_of_the_state_machine_and_reads_only_them(
    synth: Synthesized,
) -> None:
    start = synth.properties("StartFunction")
    assert start["Environment"]["Variables"][interface.ENV_STATE_MACHINE_ARN] == ref("StateMachine")
    # what Lambda could not complete after its retries: the trigger dead-letter queue (alarmed)
    assert start["DeadLetterConfig"] == {"TargetArn": arn_of("TriggerDeadLetterQueue")}
    statements = {
        s["Action"]: s["Resource"]
        for p in synth.of_type("AWS::IAM::Policy").values()
        if ref("StartFunctionRole") in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if str(s["Action"]).startswith(("states:", "sqs:"))
    }
    executions = statements.pop("states:DescribeExecution")
    assert statements == {
        "states:StartExecution": ref("StateMachine"),
        "sqs:SendMessage": arn_of("TriggerDeadLetterQueue"),
    }
    rendered = json.dumps(executions)
    assert ":execution:" in rendered and '"StateMachine", "Name"' in rendered
    assert rendered.endswith(':*"]]}')
    # no role for EventBridge to start executions with: the rules invoke the function
    assert not [
        r
        for r in synth.of_type("AWS::IAM::Role").values()
        if "events.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]


def test_the_dead_letter_queue_accepts_only_the_rules_and_raises_an_alarm(
    synth: Synthesized,
) -> None:
    (policy,) = [
        p["Properties"]
        for p in synth.of_type("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [ref("TriggerDeadLetterQueue")]
    ]
    sends = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert sends
    for statement in sends:
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert "aws:SourceArn" in statement["Condition"]["ArnEquals"]
    alarm = synth.properties("TriggerDeadLetterAlarm")
    assert alarm["AlarmActions"] == [ref("OutcomeTopic")]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"


def test_the_manifest_bucket_sends_its_events_to_eventbridge_without_a_custom_resource(
    synth: Synthesized,
) -> None:
    bucket = synth.properties("ManifestBucket")
    assert bucket["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    assert not [r for r in synth.resources.values() if r["Type"].startswith("Custom::")]
    assert not synth.of_type("AWS::CloudFormation::CustomResource")


# --- Encryption and storage ---------------------------------------------------------------


@pytest.mark.parametrize("bucket", ["ManifestBucket", "AccessLogBucket"])
def test_buckets_are_encrypted_private_versioned_and_ssl_only(
    synth: Synthesized, bucket: str
) -> None:
    properties = synth.properties(bucket)
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert synth.resources[bucket]["DeletionPolicy"] == "Retain"
    synth.assertions.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": ref(bucket),
            "PolicyDocument": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "s3:*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                }
            ),
        },
    )


def test_the_manifest_bucket_is_access_logged(synth: Synthesized) -> None:
    assert synth.properties("ManifestBucket")["LoggingConfiguration"] == {
        "DestinationBucketName": ref("AccessLogBucket"),
        "LogFilePrefix": "manifest-bucket/",
    }


def test_the_outcome_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(
    synth: Synthesized,
) -> None:
    assert synth.properties("OutcomeTopic")["KmsMasterKeyId"] == arn_of("OutcomeTopicKey")
    key = synth.properties("OutcomeTopicKey")
    assert key["EnableKeyRotation"] is True
    (cloudwatch,) = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    synth.assertions.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [ref("OutcomeTopic")],
            "PolicyDocument": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                }
            ),
        },
    )


@pytest.mark.parametrize("queue", ["TriggerDeadLetterQueue", "UndeliveredNotificationQueue"])
def test_queues_are_encrypted_and_ssl_only(synth: Synthesized, queue: str) -> None:
    properties = synth.properties(queue)
    assert properties["SqsManagedSseEnabled"] is True
    assert properties["MessageRetentionPeriod"] == 14 * 24 * 3600
    synth.assertions.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [ref(queue)],
            "PolicyDocument": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                }
            ),
        },
    )


def test_the_notification_email_is_subscribed_with_a_dead_letter_queue(
    synth: Synthesized,
) -> None:
    synth.assertions.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "email",
            "Endpoint": "ml-platform@example.com",
            "TopicArn": ref("OutcomeTopic"),
            "RedrivePolicy": {"deadLetterTargetArn": arn_of("UndeliveredNotificationQueue")},
        },
    )


def test_one_table_holds_the_endpoints_records_on_demand_encrypted_recoverable_with_a_ttl(
    synth: Synthesized,
) -> None:
    assert list(synth.of_type("AWS::DynamoDB::Table")) == ["EndpointsTable"]
    table = synth.template["Resources"]["EndpointsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"] == {
        "KeySchema": [{"AttributeName": interface.TABLE_KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": interface.TABLE_KEY, "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "TimeToLiveSpecification": {
            "AttributeName": interface.TABLE_TTL_ATTRIBUTE,
            "Enabled": True,
        },
    }


def test_only_the_functions_that_keep_leases_can_reach_the_table(synth: Synthesized) -> None:
    reaching = sorted(
        role["Ref"]
        for policy in synth.of_type("AWS::IAM::Policy").values()
        for role in policy["Properties"]["Roles"]
        if "EndpointsTable" in json.dumps(policy["Properties"]["PolicyDocument"])
    )
    assert reaching == [
        "DeployFunctionRole",
        "DescribeFunctionRole",
        "LeaseFunctionRole",
        "SweepFunctionRole",
        "WaitFunctionRole",
    ]
    for policy in synth.of_type("AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "EndpointsTable" in json.dumps(statement):
                [role] = roles
                assert statement["Resource"] == {"Fn::GetAtt": ["EndpointsTable", "Arn"]}
                # Describe reads the records (clean-up under the lease keeps what every
                # endpoint's record names); Lease and Deploy write; the sweep reads who is
                # parked on an endpoint
                expected = {
                    "DescribeFunctionRole": ["dynamodb:GetItem", "dynamodb:Scan"],
                    "SweepFunctionRole": "dynamodb:GetItem",
                }.get(role, ["dynamodb:GetItem", "dynamodb:PutItem"])
                assert statement["Action"] == expected


# --- Outputs ------------------------------------------------------------------------------


def test_the_outputs_say_where_to_start_upload_and_listen(synth: Synthesized) -> None:
    outputs = {k: v["Value"] for k, v in synth.template["Outputs"].items()}
    assert outputs == {
        "StateMachineArn": ref("StateMachine"),
        "ManifestBucketName": ref("ManifestBucket"),
        "ManifestPrefix": "manifests/",
        "OutcomeTopicArn": ref("OutcomeTopic"),
        "CliPolicyArn": ref("CliUsersPolicy"),
    }


def test_the_second_profile_role_is_known_to_the_stack(synth: Synthesized) -> None:
    assert synth.stack.config.model_roles == sorted(
        ["arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution", FRAUD_ROLE]
    )


# --- The event-driven wait ----------------------------------------------------------------


def test_the_endpoint_events_rule_wakes_the_wait_function_with_a_retry_policy_and_the_dlq(
    synth: Synthesized,
) -> None:
    rule = synth.properties("EndpointEventsRule")
    # both kinds of SageMaker endpoint event, for the endpoints within the name prefix only
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": [
            interface.ENDPOINT_STATE_CHANGE,
            interface.ENDPOINT_DEPLOYMENT_STATE_CHANGE,
        ],
        "detail": {"EndpointName": [{"prefix": "smdeploy-"}]},
    }
    [target] = rule["Targets"]
    assert target["Arn"] == arn_of(FUNCTION_IDS["Wait"])
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 7200}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["TriggerDeadLetterQueue", "Arn"]}}
    permissions = [
        p["Properties"]
        for p in synth.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert arn_of(FUNCTION_IDS["Wait"]) in [p["FunctionName"] for p in permissions]


def test_only_the_wait_function_completes_parked_tasks_and_only_on_the_state_machine(
    synth: Synthesized,
) -> None:
    found = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            if any(a.startswith("states:SendTask") for a in actions):
                found.append((policy["Properties"]["Roles"], sorted(actions), statement))
    [(roles, actions, statement)] = found
    assert roles == [{"Ref": "WaitFunctionRole"}]
    assert actions == ["states:SendTaskFailure", "states:SendTaskSuccess"]
    assert statement["Resource"] == {"Ref": "StateMachine"}


def test_the_parks_time_out_as_the_handlers_say_and_hand_the_wait_function_the_token(
    synth: Synthesized,
) -> None:
    states = definition(synth)["States"]
    parks = {n: s for n, s in states.items() if s.get("Resource") == CALLBACK}
    assert sorted(parks) == ["ParkAgain", "ParkUntilSettled"]
    assert parks["ParkUntilSettled"]["TimeoutSecondsPath"] == "$.Deployment.ParkSeconds"
    assert parks["ParkAgain"]["TimeoutSecondsPath"] == "$.Endpoint.ParkSeconds"
    for park in parks.values():
        assert park["Parameters"]["FunctionName"] == "<WaitFunction.Arn>"
        assert park["Parameters"]["Payload"]["TaskToken.$"] == "$$.Task.Token"
