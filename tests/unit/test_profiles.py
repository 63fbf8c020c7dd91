"""Deployment profiles: checked as a whole, every problem at once; packages become requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployer.errors import ProfileInvalid, RequestInvalid
from deployer.request import shapes
from deployer.request.deployment import parse_request
from deployer.request.profiles import ModelPackage, model_name_for, parse_profiles
from smdeploy import resources

ROLE = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
EXAMPLE = json.loads((resources.EXAMPLES / "profiles.json").read_text())


def package(version: int = 3, metadata: dict[str, str] | None = None) -> ModelPackage:
    return ModelPackage(
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-predictor/{version}",
        group="churn-predictor",
        version=version,
        approval_status="Approved",
        metadata=metadata or {},
    )


def profile(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "EndpointName": "smdeploy-churn",
        "ProductionVariants": [
            {"VariantName": "primary", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def problems_of(raw: Any, prefix: str = "") -> list[str]:
    with pytest.raises(ProfileInvalid) as caught:
        parse_profiles(raw, prefix)
    return caught.value.problems


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{not json", ["(profiles): not valid JSON"]),
        ([], ["(profiles): must be an object of model package group -> profile"]),
        ({"churn_predictor": profile()}, ["churn_predictor: is not a model package group name"]),
        ({"g": "smdeploy-churn"}, ["g: must be an object"]),
        ({"g": profile(Models=[])}, ["g.Models: not allowed in a profile"]),
        ({"g": profile(EndpointConfigName="c")}, ["g.EndpointConfigName: not allowed"]),
        ({"g": profile(RolbackOnRejection=True)}, ["g.RolbackOnRejection: unknown field; did"]),
        ({"g": profile(RollbackOnRejection="yes")}, ["g.RollbackOnRejection: must be true or"]),
        ({"g": profile(ModelExecutionRoleArn="admin")}, ["g.ModelExecutionRoleArn: must be an"]),
        ({"g": profile(EndpointName=None)}, ["g.EndpointName: required field is missing"]),
        (
            {"g": profile(DeadlineSeconds=30)},
            ["g.DeadlineSeconds: must be a whole number of seconds from 600 to 86400, got a"],
        ),
        (
            {
                "g": profile(
                    ProductionVariants=[
                        {
                            "VariantName": "a",
                            "ModelName": "m",
                            "InstanceType": "ml.m5.large",
                            "InitialInstanceCount": 1,
                        }
                    ]
                )
            },
            ["g.ProductionVariants[0].ModelName: not allowed in a profile"],
        ),
    ],
)
def test_each_rule_names_the_group_and_field(raw, expected):
    found = problems_of(raw)

    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start), problem


def test_every_problem_of_every_profile_is_reported_at_once():
    raw = {
        "a": profile(EndpointName="churn"),
        "b": profile(
            ProductionVariants=[
                {"VariantName": "p", "InstanceType": "ml.m5.large", "InitialInstanceCount": "2"}
            ]
        ),
    }

    assert [p.split(":", 1)[0] for p in problems_of(raw, "smdeploy-")] == [
        "a.EndpointName",
        "b.ProductionVariants[0].InitialInstanceCount",
    ]


def test_the_example_profile_becomes_a_request_the_validator_accepts():
    profiles = parse_profiles(EXAMPLE)

    request = profiles["churn-predictor"].request_for(package(), ROLE)
    parsed = parse_request(request)

    model = model_name_for(EXAMPLE["churn-predictor"]["EndpointName"], package())
    assert model.startswith("smdeploy-churn-predictor-v3-")  # the endpoint's, the prefix first
    assert parsed.models == [
        {
            "ModelName": model,
            "ExecutionRoleArn": ROLE,
            "Containers": [{"ModelPackageName": package().arn}],
            "Tags": EXAMPLE["churn-predictor"]["Tags"],
        }
    ]
    assert {v["ModelName"] for v in request["ProductionVariants"]} == {model}
    assert "RollbackOnRejection" not in request


def test_a_profiles_deadline_reaches_its_requests():
    profiles = parse_profiles({"g": profile(DeadlineSeconds=7200)})

    request = profiles["g"].request_for(package(), ROLE)

    assert parse_request(request).deadline_seconds == 7200


def test_the_profile_role_wins_over_the_deployers():
    own = "arn:aws:iam::123456789012:role/churn-models"
    profiles = parse_profiles({"g": profile(ModelExecutionRoleArn=own)})

    [model] = profiles["g"].request_for(package(), ROLE)["Models"]

    assert model["ExecutionRoleArn"] == own


def test_serverless_overrides_touch_serverless_variants_only():
    serverless = {
        "VariantName": "s",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
    }
    profiles = parse_profiles({"g": profile(ProductionVariants=[serverless])})
    metadata = {
        "smdeploy:ServerlessMemorySizeInMB": "4096",
        "smdeploy:InstanceType": "ml.c5.xlarge",
        "team": "growth",  # not ours: ignored
    }

    [variant] = profiles["g"].request_for(package(metadata=metadata), ROLE)["ProductionVariants"]

    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 4096, "MaxConcurrency": 5}
    assert "InstanceType" not in variant


def test_overrides_do_not_leak_into_the_profile():
    profiles = parse_profiles({"g": profile()})
    profiles["g"].request_for(package(metadata={"smdeploy:InstanceType": "ml.c5.xlarge"}), ROLE)

    [variant] = profiles["g"].request_for(package(), ROLE)["ProductionVariants"]

    assert variant["InstanceType"] == "ml.m5.large"


def test_a_request_without_any_role_is_refused():
    profiles = parse_profiles({"g": profile()})

    with pytest.raises(RequestInvalid, match=r"(?s)^1 problem.*- ModelExecutionRoleArn: no "):
        profiles["g"].request_for(package(), None)


@pytest.mark.parametrize("endpoint", ["e", "smdeploy-churn", "x" * 63, "a-" * 31 + "b"])
@pytest.mark.parametrize("version", [1, 42, 123456])
def test_model_names_are_valid_deterministic_and_keep_the_endpoint_prefix(endpoint, version):
    max_len, pattern = shapes.name_rule("ModelName")

    name = model_name_for(endpoint, package(version))

    assert name == model_name_for(endpoint, package(version))
    assert len(name) <= max_len
    assert pattern.fullmatch(name)
    assert name.startswith(endpoint[:20].rstrip("-"))
    assert f"-v{version}-" in name


def test_two_packages_of_one_version_number_get_two_models():
    other = package().model_copy(update={"arn": package().arn.replace("churn", "fraud")})

    assert model_name_for("e", package()) != model_name_for("e", other)
