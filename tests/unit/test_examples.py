"""The files in examples/ are what the documentation shows: each must say what the pages say."""

import copy
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import validate_parameters

from deployer.errors import ProfileInvalid, RequestInvalid
from deployer.request.deployment import parse_request
from deployer.request.profiles import ModelPackage, parse_profiles

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VALID = [
    "request.json",
    "request-v2.json",
    "serverless-request.json",
    "inference-components-request.json",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_examples_pass_validate(name):
    raw = json.loads((EXAMPLES / name).read_text())

    parsed = parse_request(raw)

    assert parsed.endpoint_name == raw["EndpointName"]
    assert parsed.config_name_derived


def test_the_two_versions_target_one_endpoint_with_different_configs():
    v1, v2 = (parse_request(json.loads((EXAMPLES / n).read_text())) for n in VALID[:2])

    assert v1.endpoint_name == v2.endpoint_name
    assert v1.endpoint_config_name != v2.endpoint_config_name


def test_the_inference_components_example_hosts_two_bases_and_an_adapter():
    raw = json.loads((EXAMPLES / "inference-components-request.json").read_text())

    parsed = parse_request(raw)

    (variant,) = parsed.fields["ProductionVariants"]
    assert "ModelName" not in variant and variant["InstanceType"] == "ml.g5.12xlarge"
    assert {"ManagedInstanceScaling", "RoutingConfig"} <= variant.keys()
    assert parsed.fields["ExecutionRoleArn"] == raw["Models"][0]["ExecutionRoleArn"]
    assert [m["ModelName"] for m in parsed.models] == ["llama-3-8b-v1", "mistral-7b-v1"]
    components = parsed.inference_components
    assert [c["InferenceComponentName"] for c in components] == [
        "llama-3-8b",
        "mistral-7b",
        "llama-3-8b-support",
    ]
    assert components[2]["Specification"]["BaseInferenceComponentName"] == "llama-3-8b"
    assert {(c["EndpointName"], c["VariantName"]) for c in components} == {
        ("assistant-llms", "AllTraffic")
    }
    assert "InferenceComponents" not in parsed.endpoint_config_params()


def test_the_invalid_example_has_the_four_problems_the_readme_promises():
    raw = json.loads((EXAMPLES / "invalid-request.json").read_text())

    with pytest.raises(RequestInvalid) as caught:
        parse_request(raw)

    assert [p.split(":", 1)[0] for p in caught.value.problems] == [
        "ProductionVariant",
        "EndpointName",
        "ProductionVariants",
        "Models[0]",
    ]


def test_the_example_profiles_pass_the_checks_synth_and_the_emulator_run():
    profiles = parse_profiles((EXAMPLES / "profiles.json").read_text())

    assert sorted(profiles) == ["churn-predictor", "fraud-scorer"]
    assert profiles["churn-predictor"].rollback_on_rejection is True
    # the production-like group switches every guardrail on
    assert sorted(profiles["fraud-scorer"].fields["Guardrails"]) == [
        "AutoScaling",
        "RollbackAlarms",
        "SmokeTest",
    ]


def test_the_inference_specification_is_what_create_model_package_takes():
    # docs/getting-started.md's AWS CLI walkthrough registers a package with it
    spec = json.loads((EXAMPLES / "inference-specification.json").read_text())
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateModelPackage").input_shape

    validate_parameters(
        {"ModelPackageGroupName": "churn-predictor", "InferenceSpecification": spec}, shape
    )


def test_every_example_is_listed_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(
        [
            *VALID,
            "invalid-request.json",
            "profiles.json",
            "inference-component-profiles.json",
            "inference-specification.json",
        ]
    )


def test_the_inference_component_profile_gives_the_approved_model_to_its_component():
    raw = (EXAMPLES / "inference-component-profiles.json").read_text()
    profile = parse_profiles(raw, "smdeploy-")["assistant-llama"]
    package = ModelPackage(
        arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/assistant-llama/3",
        group="assistant-llama",
        version=3,
        approval_status="Approved",
    )
    request = profile.request_for(package, "arn:aws:iam::123456789012:role/smdeploy-models")

    model = request["Models"][0]["ModelName"]
    assert request["InferenceComponents"][0]["Specification"]["ModelName"] == model
    assert all("ModelName" not in v for v in request["ProductionVariants"])
    assert parse_request(request).inference_components[0]["Specification"]["ModelName"] == model


def test_a_profile_targets_one_component_on_an_endpoint_no_other_group_deploys():
    raw = json.loads((EXAMPLES / "inference-component-profiles.json").read_text())
    twin = copy.deepcopy(raw["assistant-llama"])
    twin["InferenceComponents"].append(copy.deepcopy(twin["InferenceComponents"][0]))
    twin["InferenceComponents"][0]["Specification"]["ModelName"] = "pinned"
    with pytest.raises(ProfileInvalid) as caught:
        parse_profiles({**raw, "assistant-mistral": twin})
    problems = caught.value.problems
    assert any(
        "assistant-mistral.InferenceComponents: must hold exactly one" in p for p in problems
    )
    assert any(
        p.startswith("assistant-llama, assistant-mistral: these groups' profiles all deploy")
        for p in problems
    )
