"""The configuration: every bad value stops synth with a message naming its key and an example.

Most tests call ``load_config`` directly (pure, no synth). A few build the stack for another
configuration and read its constructs, which needs no synthesis either.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template
from infra_helpers import CDK_JSON_CONTEXT, TEST_PROFILES, with_cdk_json

from cdk import paths
from cdk.app import build, main, new_app
from cdk.config import DeployerConfig
from cdk.context import ConfigError, load_config
from cdk.functions import log_retention
from cdk.settings import KEYS, LOG_RETENTION_DAYS
from cdk.stack import SmdeployStack
from cdk.workflow import PlaceholderUnfilled, substitutions
from deployer import interface

ROLE = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"
VALID: dict[str, Any] = {"sagemakerRoleArn": ROLE, "profiles": TEST_PROFILES}


def problems(context: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(context, **kwargs)
    return raised.value.problems


def the_problem(context: dict[str, Any], **kwargs: Any) -> str:
    found = problems(context, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --- Good configurations ------------------------------------------------------------------


def test_cdk_json_holds_a_valid_configuration() -> None:
    config = load_config(CDK_JSON_CONTEXT)
    assert config.name_prefix == "smdeploy-"
    assert config.approval_groups == ["churn-predictor", "fraud-scorer"]
    assert config.rollback_groups == ["churn-predictor"]


def test_defaults_fill_what_is_not_given() -> None:
    config = load_config(VALID)
    assert (config.name_prefix, config.deadline_seconds, config.config_retention) == (
        "smdeploy-",
        3600,
        0,
    )
    assert (config.manifest_prefix, config.log_retention_days) == ("manifests/", 90)
    assert config.notification_email is None
    assert config.stack_name == "smdeploy"


def test_values_given_with_dash_c_arrive_as_text_and_are_read_as_such() -> None:
    config = load_config(
        {
            "sagemakerRoleArn": ROLE,
            "profiles": json.dumps(TEST_PROFILES),
            "deadlineSeconds": "7200",
            "configRetention": "3",
            "logRetentionDays": "30",
        }
    )
    assert config.deadline_seconds == 7200
    assert config.config_retention == 3
    assert config.log_retention_days == 30
    assert {g: json.loads(v) for g, v in config.profile_values.items()} == TEST_PROFILES


def test_each_profile_goes_to_its_parameter_as_compact_json() -> None:
    config = load_config(VALID)
    assert config.profile_values == {
        group: json.dumps(profile, separators=(",", ":"), sort_keys=True)
        for group, profile in TEST_PROFILES.items()
    }
    assert config.model_roles == sorted(
        {ROLE, TEST_PROFILES["fraud-detector"]["ModelExecutionRoleArn"]}
    )


def test_no_profiles_at_all_is_a_valid_choice() -> None:
    assert load_config({**VALID, "profiles": {}}).approval_groups == []


# --- Bad values: one problem each, naming the key and showing a valid example ---------------

EXAMPLES = {
    "sagemakerRoleArn": "Example: -c sagemakerRoleArn=arn:aws:iam::123456789012:role/",
    "profiles": 'Example: -c profiles=\'{"churn-models": {"EndpointName": "smdeploy-churn"',
    "profilesFile": "Example: -c profilesFile=examples/profiles.json",
    "namePrefix": "Example: -c namePrefix=smdeploy-",
    "notificationEmail": "Example: -c notificationEmail=ml-platform@example.com",
    "configRetention": "Example: -c configRetention=5",
    "deadlineSeconds": "Example: -c deadlineSeconds=3600",
    "parkSeconds": "Example: -c parkSeconds=1800",
    "manifestPrefix": "Example: -c manifestPrefix=manifests/",
    "logRetentionDays": "Example: -c logRetentionDays=90",
    "stackName": "Example: -c stackName=smdeploy",
    "kmsKeyArns": "Example: -c kmsKeyArns='[\"arn:aws:kms:us-east-1:123456789012:key/",
}


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("sagemakerRoleArn", None, "sagemakerRoleArn: missing"),
        ("sagemakerRoleArn", "", "sagemakerRoleArn: missing"),
        ("sagemakerRoleArn", "arn:aws:iam::123:role/x", "must be an IAM role ARN"),
        ("sagemakerRoleArn", "arn:aws:iam::123456789012:user/x", "must be an IAM role ARN"),
        ("profilesFile", 3, "profilesFile: must be a file's path"),
        ("profiles", "{not json", "profiles: not valid JSON"),
        ("profiles", ["churn"], "profiles: must be an object of model package group"),
        ("namePrefix", "-smdeploy", "namePrefix: must be the start of a SageMaker name"),
        ("namePrefix", "team*", "namePrefix: must be the start of a SageMaker name"),
        ("namePrefix", "x" * 33, "namePrefix: must be the start of a SageMaker name"),
        ("notificationEmail", "ml-platform", "notificationEmail: must be an email address"),
        ("configRetention", -1, "configRetention: must be a whole number from 0"),
        ("configRetention", "five", "configRetention: must be a whole number from 0"),
        ("configRetention", True, "configRetention: must be a whole number from 0"),
        ("deadlineSeconds", 599, "deadlineSeconds: must be a whole number of seconds from 600"),
        ("deadlineSeconds", 86401, "deadlineSeconds: must be a whole number of seconds"),
        ("deadlineSeconds", "1h", "deadlineSeconds: must be a whole number of seconds"),
        ("parkSeconds", 59, "parkSeconds: must be a whole number of seconds from 60"),
        ("parkSeconds", "30m", "parkSeconds: must be a whole number of seconds"),
        ("manifestPrefix", "/manifests/", "manifestPrefix: must be an S3 key prefix"),
        ("manifestPrefix", "manifests/*", "manifestPrefix: must be an S3 key prefix"),
        ("logRetentionDays", 10, "logRetentionDays: must be a retention period"),
        ("stackName", "1smdeploy", "stackName: must be a CloudFormation stack name"),
        ("kmsKeyArns", {"key": "x"}, "kmsKeyArns: must be a list of KMS key ARNs"),
        ("kmsKeyArns", ["alias/models"], "kmsKeyArns[0]: must be a KMS key ARN"),
        ("kmsKeyArns", KEY.replace(":key/", ":alias/"), "kmsKeyArns[0]: must be a KMS key ARN"),
    ],
)
def test_a_bad_value_stops_synth_naming_its_key_with_an_example(
    key: str, value: Any, says: str
) -> None:
    context = {**VALID, key: value}
    if value is None:
        del context[key]
    if key == "profilesFile":
        del context["profiles"]
    problem = the_problem(context)
    assert problem.startswith(key)
    assert says in problem
    assert EXAMPLES[key] in problem


@pytest.mark.parametrize(
    ("profile", "says"),
    [
        (
            {
                "EndpointName": "churn",
                "ProductionVariants": TEST_PROFILES["churn-predictor"]["ProductionVariants"],
            },
            "profiles.churn-predictor.EndpointName: must start with the deployer's name prefix",
        ),
        (
            {"EndpointName": "smdeploy-churn"},
            "profiles.churn-predictor.ProductionVariants",
        ),
        (
            {**TEST_PROFILES["churn-predictor"], "RollbackOnRejection": "yes"},
            "profiles.churn-predictor.RollbackOnRejection: must be true or false",
        ),
        (
            {**TEST_PROFILES["churn-predictor"], "EndpointNmae": "x"},
            "profiles.churn-predictor.EndpointNmae: unknown field; did you mean EndpointName?",
        ),
    ],
)
def test_a_profile_the_validate_stage_would_refuse_stops_synth(
    profile: dict[str, Any], says: str
) -> None:
    found = problems({**VALID, "profiles": {"churn-predictor": profile}})
    assert any(p.startswith(says) for p in found), found
    assert EXAMPLES["profiles"] in found[-1]


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"deadlineSeconds": 5, "namePrefix": "*", "notificationEmail": "x"})
    keys = [p.split(":", 1)[0] for p in found]
    assert keys == [
        "namePrefix",
        "sagemakerRoleArn",
        "profilesFile",
        "notificationEmail",
        "deadlineSeconds",
    ]
    message = str(ConfigError(found))
    assert message.startswith("smdeploy: 5 problems in the configuration")


def test_a_misspelt_key_is_pointed_out() -> None:
    problem = the_problem(VALID, all_keys=("sagemakerRoleARN", "@aws-cdk/core:target-partitions"))
    assert problem == "sagemakerRoleARN: not a setting; did you mean sagemakerRoleArn?"


def test_the_role_must_be_in_the_account_being_deployed_to() -> None:
    load_config(VALID, deploy_account="123456789012")
    problem = the_problem(VALID, deploy_account="210987654321")
    assert problem.startswith("sagemakerRoleArn: is in account 123456789012, but the stack")


def tags(count: int) -> list[dict[str, str]]:
    """``count`` tags of about 260 bytes each."""
    return [{"Key": f"k{i}", "Value": "v" * 250} for i in range(count)]


def test_a_profile_over_the_8_kb_an_ssm_parameter_holds_stops_synth_naming_its_group() -> None:
    large = {**TEST_PROFILES["churn-predictor"], "Tags": tags(35)}
    medium = {**TEST_PROFILES["churn-predictor"], "Tags": tags(20)}
    problem = the_problem({**VALID, "profiles": {"churn-predictor": large, "medium": medium}})
    assert re.fullmatch(
        r"profiles.churn-predictor: is \d+ bytes as compact JSON, over the 8192 bytes an SSM "
        r"parameter holds \(the Advanced tier's limit\); leave out fields that have defaults",
        problem,
    )


def test_a_profile_over_4_kb_goes_to_an_advanced_parameter() -> None:
    medium = {**TEST_PROFILES["churn-predictor"], "Tags": tags(20)}
    value = load_config({**VALID, "profiles": {"churn-predictor": medium}}).profile_values
    assert 4096 < len(value["churn-predictor"]) <= 8192
    assert interface.profile_tier(value["churn-predictor"]) == "Advanced"
    assert interface.profile_tier(json.dumps(TEST_PROFILES["churn-predictor"])) == "Standard"


# --- The profiles file ----------------------------------------------------------------------


def file_context(path: Path) -> dict[str, Any]:
    return {"sagemakerRoleArn": ROLE, "profilesFile": str(path)}


def test_a_profiles_file_with_comments_is_read_as_the_inline_profiles_are(tmp_path: Path) -> None:
    text = json.dumps(TEST_PROFILES, indent=2).replace(
        '"churn-predictor": {', '// the growth team\n  "churn-predictor": { /* canary */'
    )
    (tmp_path / "profiles.json").write_text(text)
    config = load_config(file_context(tmp_path / "profiles.json"))
    assert config.profile_values == load_config(VALID).profile_values


def test_every_problem_of_a_profiles_file_names_the_file_the_group_and_the_field(
    tmp_path: Path,
) -> None:
    bad = {
        "churn-predictor": {**TEST_PROFILES["churn-predictor"], "EndpointName": "churn"},
        "fraud-detector": {**TEST_PROFILES["fraud-detector"], "RollbackOnRejection": "yes"},
    }
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(bad))
    found = problems(file_context(path))
    assert found == [
        f"profilesFile={path}: churn-predictor.EndpointName: must start with the deployer's "
        f'name prefix "smdeploy-" (its permissions cover only such names), got "churn"',
        f"profilesFile={path}: fraud-detector.RollbackOnRejection: must be true or false, "
        f'got "yes"',
    ]


def test_a_syntax_error_in_a_profiles_file_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text('{\n  // a comment\n  "churn-predictor": {\n    "EndpointName": "x",\n  }\n}')
    problem = the_problem(file_context(path))
    assert problem.startswith(f"profilesFile={path}: is not valid JSON: ")
    assert "line 5 column 3" in problem


def test_a_repeated_key_in_a_profiles_file_is_named_with_its_group(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text('{"churn-predictor": {"EndpointName": "a", "EndpointName": "b"}}')
    problem = the_problem(file_context(path))
    assert problem.startswith(
        f'profilesFile={path}: ["churn-predictor"].EndpointName: is given more than once'
    )


def test_a_missing_profiles_file_is_named(tmp_path: Path) -> None:
    problem = the_problem(file_context(tmp_path / "nowhere.json"))
    assert problem.startswith(
        f"profilesFile={tmp_path / 'nowhere.json'}: cannot be read (No such file or directory"
    )
    assert EXAMPLES["profilesFile"] in problem


def test_profiles_inline_and_a_profiles_file_together_are_refused_naming_both() -> None:
    problem = the_problem({**VALID, "profilesFile": "examples/profiles.json"})
    assert problem.startswith("profiles, profilesFile: both are given; give one")


def test_without_profiles_the_file_is_asked_for() -> None:
    problem = the_problem({"sagemakerRoleArn": ROLE})
    assert problem.startswith("profilesFile: missing (or profiles, inline).")
    assert EXAMPLES["profilesFile"] in problem


def test_the_example_profiles_file_synthesizes_as_it_is() -> None:
    config = load_config(file_context(paths.ROOT / "examples" / "profiles.json"))
    assert config.approval_groups == ["churn-predictor", "fraud-scorer"]


def test_every_setting_has_an_example_that_is_itself_valid() -> None:
    context: dict[str, Any] = {}
    from cdk.settings import SETTINGS

    for setting in SETTINGS:
        example = setting.example.strip("'")
        context[setting.key] = example
    inline = {**context, "profiles": json.loads(context.pop("profiles"))}
    del inline["profilesFile"]
    assert isinstance(load_config(context), DeployerConfig)
    assert isinstance(load_config(inline), DeployerConfig)
    assert {s.key for s in SETTINGS} == set(KEYS) == set(EXAMPLES)


# --- The app as the CLI runs it -----------------------------------------------------------


def test_the_app_explains_a_missing_setting_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    context = {k: v for k, v in CDK_JSON_CONTEXT.items() if k != "sagemakerRoleArn"}
    assert main(new_app(context, outdir=str(tmp_path))) == 1
    error = capsys.readouterr().err
    assert error.startswith("smdeploy: 1 problem in the configuration")
    assert "sagemakerRoleArn: missing" in error
    assert EXAMPLES["sagemakerRoleArn"] in error
    assert not list(tmp_path.iterdir())  # nothing was synthesized


# --- The definition's placeholders --------------------------------------------------------


def test_every_placeholder_of_the_definition_is_a_function_s() -> None:
    values = {spec.placeholder: f"<{spec.stage}>" for spec in interface.FUNCTIONS}
    text = paths.DEFINITION.read_text()
    filled = substitutions(text, values)
    assert sorted(filled) == sorted(set(re.findall(r"\$\{(\w+)\}", text)))
    for name, value in filled.items():
        text = text.replace(f"${{{name}}}", value)
    assert "${" not in text


def test_a_placeholder_no_function_fills_stops_synth() -> None:
    definition = '{"States": {"Notify": {"Type": "Task", "Resource": "${PublishFunctionArn}"}}}'
    with pytest.raises(PlaceholderUnfilled, match=r"no function fills \$\{PublishFunctionArn\}"):
        substitutions(definition, {"NotifyFunctionArn": "arn"})


# --- Other configurations, read from the constructs (no synthesis) -------------------------


def build_stack(**context: Any) -> SmdeployStack:
    return build(new_app(with_cdk_json({"profiles": TEST_PROFILES, **context})))


def policy_of(stack: SmdeployStack, stage: str) -> str:
    """One function role's policy, resolved, as JSON text."""
    policy = stack.functions.roles[stage].node.find_child("DefaultPolicy")
    assert isinstance(policy, iam.Policy)
    return json.dumps(stack.resolve(policy.document.to_json()))


def test_without_rollback_profiles_rejections_still_stop_deployments_but_list_nothing() -> None:
    stack = build_stack(profiles={"fraud-detector": TEST_PROFILES["fraud-detector"]})
    assert sorted(stack.triggers.rules) == ["ApprovalRule", "ManifestRule", "RejectionRule"]
    assert "sagemaker:ListModelPackages" not in policy_of(stack, "Validate")


def test_without_profiles_only_manifests_and_direct_executions_deploy() -> None:
    stack = build_stack(profiles={})
    assert sorted(stack.triggers.rules) == ["ManifestRule"]


def test_with_config_retention_0_describe_deletes_nothing() -> None:
    stack = build_stack(configRetention=0)
    describe = policy_of(stack, "Describe")
    assert "DeleteEndpointConfig" not in describe and "ListEndpointConfigs" not in describe
    # nor reads what only clean-up needs: every endpoint, every record
    assert "ListEndpoints" not in describe and "dynamodb:Scan" not in describe


def test_a_prefix_with_capitals_is_granted_as_sagemaker_spells_arns_too() -> None:
    profiles = {
        "churn-predictor": {**TEST_PROFILES["churn-predictor"], "EndpointName": "Team-A-churn"}
    }
    stack = build_stack(namePrefix="Team-A-", profiles=profiles)
    deploy = policy_of(stack, "Deploy")
    assert ":endpoint/Team-A-*" in deploy and ":endpoint/team-a-*" in deploy


def test_every_accepted_log_retention_reaches_cloudwatch_as_that_many_days() -> None:
    stack = Stack(new_app(), "Retention")
    for days in LOG_RETENTION_DAYS:
        group = logs.LogGroup(stack, f"Logs{days}", retention=log_retention(days))
        resource = group.node.default_child
        assert isinstance(resource, logs.CfnLogGroup)
        assert stack.resolve(resource.retention_in_days) == days


# --- KMS keys -------------------------------------------------------------------------------


def with_keys(**fields: Any) -> dict[str, Any]:
    """The churn profile with these fields (each may name a KMS key)."""
    return {**TEST_PROFILES, "churn-predictor": {**TEST_PROFILES["churn-predictor"], **fields}}


CAPTURE = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 10,
    "DestinationS3Uri": "s3://smdeploy-capture/churn",
    "CaptureOptions": [{"CaptureMode": "Input"}],
}


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"KmsKeyId": OTHER_KEY}, "profiles.churn-predictor.KmsKeyId"),
        (
            {"DataCaptureConfig": {**CAPTURE, "KmsKeyId": "alias/capture"}},
            "profiles.churn-predictor.DataCaptureConfig.KmsKeyId",
        ),
    ],
)
def test_a_profile_naming_a_key_outside_kms_key_arns_stops_synth(
    fields: dict[str, Any], path: str
) -> None:
    problem = the_problem({**VALID, "profiles": with_keys(**fields), "kmsKeyArns": [KEY]})
    assert problem.startswith(f"{path}: names the KMS key")
    assert "not one of kmsKeyArns" in problem


def test_a_profile_naming_a_configured_key_is_accepted() -> None:
    config = load_config(
        {**VALID, "profiles": with_keys(KmsKeyId=KEY), "kmsKeyArns": json.dumps([KEY])}
    )
    assert config.kms_key_arns == (KEY,)


def kms_statements(stack: SmdeployStack) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for stage in stack.functions.roles:
        document = json.loads(policy_of(stack, stage))
        found[stage] = [s for s in document["Statement"] if "kms:CreateGrant" in str(s["Action"])]
    return found


def test_only_deploy_may_have_sagemaker_create_grants_and_only_on_the_configured_keys() -> None:
    stack = build_stack(kmsKeyArns=[KEY, OTHER_KEY], profiles=with_keys(KmsKeyId=KEY))
    found = kms_statements(stack)
    assert {stage for stage, statements in found.items() if statements} == {"Deploy"}
    (statement,) = found["Deploy"]
    assert statement["Action"] == "kms:CreateGrant"
    assert statement["Resource"] == [KEY, OTHER_KEY]
    via = statement["Condition"]["StringEquals"]["kms:ViaService"]
    assert json.dumps(via) == json.dumps(
        {"Fn::Join": ["", ["sagemaker.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    )


def test_without_kms_key_arns_no_role_may_use_any_key_through_sagemaker() -> None:
    assert not any(kms_statements(build_stack()).values())


# --- Changing a profile: what cdk diff shows ---------------------------------------------


def test_changing_a_profile_changes_only_the_value_of_its_parameter() -> None:
    changed = json.loads(json.dumps(TEST_PROFILES))
    changed["churn-predictor"]["ProductionVariants"][0]["InitialInstanceCount"] = 3
    before = Template.from_stack(build_stack()).to_json()["Resources"]
    after = Template.from_stack(build_stack(profiles=changed)).to_json()["Resources"]

    assert set(before) == set(after)
    differing = [logical_id for logical_id in before if before[logical_id] != after[logical_id]]
    assert len(differing) == 1, differing  # one resource: the group's parameter
    (parameter,) = differing
    old, new = before[parameter]["Properties"], after[parameter]["Properties"]
    assert old["Name"] == new["Name"] == "/smdeploy/smdeploy/profiles/churn-predictor"
    assert {k for k in old if old[k] != new[k]} == {"Value"}  # what cdk diff lists
    assert json.loads(new["Value"]) == changed["churn-predictor"]
