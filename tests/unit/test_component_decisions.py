"""The decision for one inference component per look (deployer.decide.components), table-tested
on DescribeInferenceComponent answers shaped as botocore's model says."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.decide.components import (
    create_params,
    decide,
    live_specification,
    same_specification,
)

SPEC = {
    "ModelName": "llm-a",
    "ComputeResourceRequirements": {
        "NumberOfAcceleratorDevicesRequired": 1,
        "MinMemoryRequiredInMb": 1024,
    },
}
REQUESTED: dict[str, Any] = {
    "InferenceComponentName": "ic-a",
    "EndpointName": "ep",
    "VariantName": "AllTraffic",
    "Specification": SPEC,
    "RuntimeConfig": {"CopyCount": 2},
    "DeploymentConfig": {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        }
    },
}


def live(
    status: str = "InService", spec: dict[str, Any] | None = None, **runtime: int
) -> dict[str, Any]:
    copies = {"DesiredCopyCount": 2, "CurrentCopyCount": 2, **runtime}
    return {
        "InferenceComponentName": "ic-a",
        "EndpointName": "ep",
        "InferenceComponentStatus": status,
        "Specification": {
            **(spec or SPEC),
            # SageMaker describes numbers as it holds them: 1 device is 1.0
            "ComputeResourceRequirements": {
                k: float(v) for k, v in (spec or SPEC)["ComputeResourceRequirements"].items()
            },
        },
        "RuntimeConfig": copies,
    }


def test_an_adapter_is_created_without_a_variant_or_copies_of_its_own():
    adapter = {
        **REQUESTED,
        "InferenceComponentName": "lora",
        "Specification": {
            "BaseInferenceComponentName": "ic-a",
            "Container": {"ArtifactUrl": "s3://b/a"},
        },
    }
    step = decide(adapter, None, None, base_done=True, autoscaled=False)
    assert step.act == "CREATE"
    assert "VariantName" not in step.params and "RuntimeConfig" not in step.params
    assert step.params["EndpointName"] == "ep"


def test_a_missing_ic_is_created_without_its_update_policy():
    step = decide(REQUESTED, None, None, base_done=True, autoscaled=False)
    assert step.act == "CREATE"
    assert step.params == create_params(REQUESTED)
    assert "DeploymentConfig" not in step.params
    assert step.params["RuntimeConfig"] == {"CopyCount": 2}


def test_an_adapter_waits_for_its_base():
    step = decide(REQUESTED, None, None, base_done=False, autoscaled=False)
    assert (step.act, step.params) == ("WAIT", {})


def test_an_unchanged_ic_is_left_alone():
    assert decide(REQUESTED, live(), None, True, False).act == "DONE"


@pytest.mark.parametrize("status", ["Creating", "Updating", "Deleting"])
def test_an_ic_in_transition_is_waited_for(status):
    assert decide(REQUESTED, live(status), "UPDATE", True, False).act == "WAIT"


def test_copies_not_yet_at_the_desired_count_are_waited_for():
    step = decide(REQUESTED, live(CurrentCopyCount=1), "CREATE", True, False)
    assert step.act == "WAIT"
    assert "1 of 2 copies" in step.message


def test_a_changed_specification_is_updated_with_the_rolling_policy_and_no_copy_count():
    changed = {**REQUESTED, "Specification": {**SPEC, "ModelName": "llm-b"}}
    step = decide(changed, live(), None, True, False)
    assert step.act == "UPDATE"
    assert step.params == {
        "InferenceComponentName": "ic-a",
        "Specification": changed["Specification"],
        "DeploymentConfig": REQUESTED["DeploymentConfig"],
    }


def test_the_copy_count_an_autoscaler_set_is_kept():
    changed = {**REQUESTED, "Specification": {**SPEC, "ModelName": "llm-b"}}
    scaled = live(DesiredCopyCount=5, CurrentCopyCount=5)
    step = decide(changed, scaled, None, True, autoscaled=True)
    assert step.act == "UPDATE"
    assert "RuntimeConfig" not in step.params
    # and once the update is done, the autoscaler's count is not put back
    assert decide(REQUESTED, scaled, None, True, autoscaled=True).act == "DONE"


def test_a_copy_count_the_request_changes_is_set_when_no_autoscaler_owns_it():
    step = decide(REQUESTED, live(DesiredCopyCount=1, CurrentCopyCount=1), None, True, False)
    assert step.act == "SCALE"
    assert step.params == {
        "InferenceComponentName": "ic-a",
        "DesiredRuntimeConfig": {"CopyCount": 2},
    }
    changed = {**REQUESTED, "Specification": {**SPEC, "ModelName": "llm-b"}}
    update = decide(changed, live(DesiredCopyCount=1, CurrentCopyCount=1), None, True, False)
    assert update.params["RuntimeConfig"] == {"CopyCount": 2}


def test_in_service_on_the_old_specification_after_an_update_is_a_rollback():
    changed = {**REQUESTED, "Specification": {**SPEC, "ModelName": "llm-b"}}
    rolled_back = {**live(), "FailureReason": "alarm ic-a-errors went into ALARM"}
    step = decide(changed, rolled_back, "UPDATE", True, False)
    assert step.act == "FAIL"
    assert "rolled back: alarm ic-a-errors went into ALARM" in step.message


def test_failed_after_this_deployment_is_a_failure_with_its_reason():
    failed = {**live("Failed"), "FailureReason": "insufficient capacity"}
    step = decide(REQUESTED, failed, "CREATE", True, False)
    assert (step.act, step.message) == ("FAIL", "ic-a is Failed: insufficient capacity")


def test_a_failed_ic_left_from_before_is_deleted_then_created_again():
    assert decide(REQUESTED, live("Failed"), None, True, False).act == "DELETE"
    assert decide(REQUESTED, live("Deleting"), "DELETE", True, False).act == "WAIT"
    assert decide(REQUESTED, None, "DELETE", True, False).act == "CREATE"


def test_an_ic_of_that_name_on_another_endpoint_is_a_failure():
    elsewhere = {**live(), "EndpointName": "other"}
    step = decide(REQUESTED, elsewhere, None, True, False)
    assert step.act == "FAIL"
    assert "hosted by endpoint other, not ep" in step.message


def test_a_described_container_compares_by_the_image_the_request_named():
    requested = {"Specification": {"Container": {"Image": "img:1", "Environment": {"A": "1"}}}}
    described = {
        "Specification": {
            "Container": {
                "DeployedImage": {"SpecifiedImage": "img:1", "ResolvedImage": "img@sha256:ab"},
                "Environment": {"A": "1"},
            }
        }
    }
    assert live_specification(described["Specification"])["Container"]["Image"] == "img:1"
    assert same_specification(requested, described)
    assert not same_specification({"Specification": {"Container": {"Image": "img:2"}}}, described)


def test_a_component_scaled_to_zero_is_updated_without_a_rolling_policy():
    changed = {**REQUESTED, "Specification": {**SPEC, "ModelName": "llm-b"}}
    step = decide(changed, live(DesiredCopyCount=0, CurrentCopyCount=0), None, True, True)
    assert step.act == "UPDATE"
    assert "DeploymentConfig" not in step.params and "RuntimeConfig" not in step.params
