"""``smdeploy plan``'s decisions against an emulated account: what a deployment would do,
decided by the deployer's own pieces, and the account left exactly as it was."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from e2e_helpers import load_example, variant

from smdeploy import planning
from smdeploy.runtime.local import LocalDeployment
from smdeploy.validation import load_validator

pytestmark = pytest.mark.e2e

validate = load_validator()


def account_state(account: LocalDeployment) -> dict[str, Any]:
    """Everything a deployment could change: endpoints (and what they serve), configs,
    models, executions."""
    sagemaker = account.sagemaker
    endpoints = {
        e["EndpointName"]: (e["EndpointStatus"], e.get("LastModifiedTime"))
        for e in sagemaker.list_endpoints()["Endpoints"]
    }
    return {
        "endpoints": endpoints,
        "serving": {
            name: sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
            for name in endpoints
        },
        "configs": sorted(
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ),
        "models": sorted(m["ModelName"] for m in sagemaker.list_models()["Models"]),
        "executions": account.execution_arns(),
    }


def planned(account: LocalDeployment, request: Any, keep: int = 0) -> planning.PlanReport:
    before = account_state(account)
    report = planning.plan(validate(request), account.sagemaker, keep)
    assert account_state(account) == before, "plan changed the account"
    return report


def test_a_new_endpoint_is_a_create_of_its_config_and_models(account, request_v1):
    report = planned(account, request_v1)

    assert report.action == "CREATE"
    assert report.endpoint_config == "create"
    assert report.models_create == ["churn-xgboost-v1"]
    assert report.differences == []
    assert report.policy is None
    assert report.changes


def test_the_next_version_is_an_update_with_its_differences(account, request_v1, request_v2):
    first = account.deploy(request_v1)
    assert first.status == "SUCCEEDED"

    report = planned(account, request_v2)

    json_report = report.to_json()
    assert json_report["Action"] == "UPDATE"
    assert json_report["Serving"] == {
        "EndpointConfigName": first.EndpointConfigName,
        "EndpointStatus": "InService",
    }
    assert json_report["Differences"] == [
        'ProductionVariants[primary].ModelName: exists as "churn-xgboost-v1", '
        'request says "churn-xgboost-v2"',
        "Tags: the new config gets team=growth; the endpoint keeps its own tags",
    ]
    assert (json_report["ModelsToCreate"], json_report["ModelsToReuse"]) == (
        ["churn-xgboost-v2"],
        [],
    )
    assert json_report["EndpointConfigAction"] == "create"
    assert json_report["UpdatePolicy"].startswith("blue/green LINEAR")
    assert json_report["Changes"] is True


def test_the_same_request_again_is_nothing_to_do(account, request_v1):
    assert account.deploy(request_v1).status == "SUCCEEDED"

    report = planned(account, request_v1)

    assert report.action == "NONE"
    assert report.endpoint_config == "reuse"
    assert report.models_reuse == ["churn-xgboost-v1"]
    assert not report.changes


def test_capacity_weights_and_removed_fields_are_compared_variant_by_variant(account, request_v1):
    with_capture = copy.deepcopy(request_v1)
    with_capture["DataCaptureConfig"] = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://example-data-capture/churn",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }
    assert account.deploy(with_capture).status == "SUCCEEDED"
    changed = variant(request_v1, InstanceType="ml.c5.xlarge", InitialVariantWeight=1)
    del changed["ProductionVariants"][1]

    report = planned(account, changed)

    assert report.action == "UPDATE"
    assert report.differences[:3] == [
        'ProductionVariants[primary].InstanceType: exists as "ml.m5.large", '
        'request says "ml.c5.xlarge"',
        "ProductionVariants[primary]: traffic share 66.7% -> 100.0%",
        "ProductionVariants[challenger]: removed (1 x ml.m5.large, 33.3% of the traffic)",
    ]
    assert report.differences[3].startswith("DataCaptureConfig: removed (serving {")


def test_a_model_of_that_name_with_another_definition_blocks_the_plan(account, request_v1):
    assert account.deploy(request_v1).status == "SUCCEEDED"
    clash = copy.deepcopy(request_v1)
    clash["Models"][0]["PrimaryContainer"]["ModelDataUrl"] = "s3://example-models/other.tar.gz"

    report = planned(account, clash)

    assert report.blocked is not None
    assert report.blocked["error"] == "ModelConflict"
    assert "ModelDataUrl" in report.blocked["message"]
    assert not report.changes


def test_a_failed_endpoint_the_deployer_created_would_be_replaced(make_account):
    failing = make_account(fail_endpoint="insufficient capacity")
    request = load_example("request.json")
    assert failing.deploy(request).status == "FAILED"

    report = planned(failing, variant(request, InitialInstanceCount=3))

    assert report.blocked is None
    assert report.action == "REPLACE"
    assert "FailureReason: insufficient capacity" in report.reason


def test_a_failed_endpoint_someone_else_created_blocks_with_the_deployments_error(
    make_account,
):
    failing = make_account(fail_endpoint="insufficient capacity")
    request = load_example("request.json")
    sm = failing.sagemaker
    for model in request["Models"]:
        sm.create_model(**model)
    config = sm.create_endpoint_config(
        EndpointConfigName="by-hand", ProductionVariants=request["ProductionVariants"]
    )
    assert config["EndpointConfigArn"]
    sm.create_endpoint(EndpointName=request["EndpointName"], EndpointConfigName="by-hand")
    failing.clock.advance(600)

    report = planned(failing, variant(request, InitialInstanceCount=3))

    assert report.blocked == {
        "error": "EndpointNotUpdatable",
        "message": report.blocked["message"],
        "retryable": False,
    }
    assert "not created by the deployer" in report.blocked["message"]


def test_an_invalid_request_lists_its_problems_and_reads_nothing(account):
    report = planned(account, load_example("invalid-request.json"))

    assert not report.valid
    assert [e["path"] for e in report.errors] == [
        "ProductionVariant",
        "EndpointName",
        "ProductionVariants",
        "Models[0]",
    ]


def test_retention_names_what_it_would_delete(account, request_v1, request_v2):
    for version in (request_v1, request_v2, variant(request_v1, InitialInstanceCount=3)):
        assert account.deploy(version).status == "SUCCEEDED"
    configs = sorted(
        account.sagemaker.list_endpoint_configs(SortBy="CreationTime", SortOrder="Ascending")[
            "EndpointConfigs"
        ],
        key=lambda c: c["CreationTime"],
    )
    oldest, older = configs[0]["EndpointConfigName"], configs[1]["EndpointConfigName"]

    report = planned(account, variant(request_v1, InitialInstanceCount=4), keep=2)

    # kept: the new config and the one serving (2 in all); the two before go, newest first
    assert report.action == "UPDATE"
    assert report.delete == [older, oldest]


def test_retention_would_delete_nothing_another_endpoint_references(
    account, request_v1, request_v2
):
    other = copy.deepcopy(request_v1)
    other["EndpointName"] = "fraud-scorer"  # serves churn-predictor's model churn-xgboost-v1
    v2_only = copy.deepcopy(request_v2)
    for each in v2_only["ProductionVariants"]:
        each["ModelName"] = "churn-xgboost-v2"
    for version in (request_v1, other, v2_only, variant(v2_only, InitialInstanceCount=3)):
        assert account.deploy(version).status == "SUCCEEDED"
    configs = sorted(
        account.sagemaker.list_endpoint_configs(NameContains="churn-predictor")["EndpointConfigs"],
        key=lambda c: c["CreationTime"],
    )
    v1, v2 = configs[0]["EndpointConfigName"], configs[1]["EndpointConfigName"]
    next_one = variant(v2_only, InitialInstanceCount=4)

    report = planned(account, next_one, keep=1)

    # churn-predictor's old configs go; the model fraud-scorer's config uses stays
    assert report.delete == [v2, v1]
    assert report.to_json()["Retention"]["DeleteModels"] == []

    account.sagemaker.delete_endpoint(EndpointName="fraud-scorer")
    account.clock.advance(account.emulator.faults.deletion_seconds)

    # no endpoint references it now (fraud-scorer's config, which no endpoint uses, does)
    assert planned(account, next_one, keep=1).delete_models == ["churn-xgboost-v1"]


def test_inference_components_are_planned_one_by_one(account):
    request = load_example("inference-components-request.json")
    first = planned(account, request)
    assert [(c["name"], c["Action"]) for c in first.components] == [
        ("llama-3-8b", "CREATE"),
        ("mistral-7b", "CREATE"),
        ("llama-3-8b-support", "WAIT"),  # for its base
    ]
    assert account.deploy(request).status == "SUCCEEDED"

    changed = copy.deepcopy(request)
    changed["InferenceComponents"][1]["Specification"]["ModelName"] = "llama-3-8b-v1"
    report = planned(account, changed)

    assert report.action == "NONE"  # the endpoint's config does not change
    assert report.changes
    by_name = {c["name"]: c for c in report.components}
    assert by_name["llama-3-8b"]["Action"] == "NONE"
    assert by_name["llama-3-8b-support"]["Action"] == "NONE"
    assert by_name["mistral-7b"]["Action"] == "UPDATE"
    assert by_name["mistral-7b"]["differences"] == [
        'Specification.ModelName: exists as "mistral-7b-v1", request says "llama-3-8b-v1"'
    ]
    json_ics = report.to_json()["InferenceComponents"]
    assert [c["Action"] for c in json_ics] == ["NONE", "UPDATE", "NONE"]
    assert not planned(account, request).changes  # the deployed request: nothing to do
