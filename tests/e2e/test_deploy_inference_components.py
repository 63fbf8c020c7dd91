"""End to end: a request with inference components (ICs), the real ASL and handlers, on the
emulator's IC API. Each test asserts the execution's outcome and the ICs of the emulated
account afterwards (their status, specification and copies)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from e2e_helpers import failures, load_example, outcome_queue, received, states_entered

from deployer.decide.components import POLL_SECONDS
from smdeploy import remote
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.emulator.sagemaker.components import components_of
from smdeploy.runtime.local import LocalDeployment

pytestmark = pytest.mark.e2e

ENDPOINT = "assistant-llms"
NAMES = ["llama-3-8b", "mistral-7b", "llama-3-8b-support"]


@pytest.fixture
def request_ics() -> dict[str, Any]:
    return load_example("inference-components-request.json")


def described(account: LocalDeployment, name: str) -> dict[str, Any]:
    return dict(account.sagemaker.describe_inference_component(InferenceComponentName=name))


def store(account: LocalDeployment) -> Any:
    return components_of(account.emulator.store("123456789012", "us-east-1"))


def with_new_mistral(request: dict[str, Any], model: str = "mistral-7b-v2") -> dict[str, Any]:
    """The request, the mistral IC serving a new model (made by the request)."""
    changed = copy.deepcopy(request)
    new_model = copy.deepcopy(changed["Models"][1])
    new_model["ModelName"] = model
    new_model["PrimaryContainer"]["ModelDataUrl"] = f"s3://example-models/{model}/model.tar.gz"
    changed["Models"].append(new_model)
    changed["InferenceComponents"][1]["Specification"]["ModelName"] = model
    changed["InferenceComponents"][1]["DeploymentConfig"] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        }
    }
    return changed


def test_an_endpoint_and_its_three_components_deploy_bases_before_the_adapter(account, request_ics):
    outcome = account.deploy(request_ics)

    assert outcome.status == "SUCCEEDED", outcome.cause
    ics = {name: described(account, name) for name in NAMES}
    for name, ic in ics.items():
        assert ic["InferenceComponentStatus"] == "InService", name
        assert ic["EndpointName"] == ENDPOINT
    assert ics["llama-3-8b"]["Specification"]["ModelName"] == "llama-3-8b-v1"
    assert ics["mistral-7b"]["RuntimeConfig"]["DesiredCopyCount"] == 2
    assert ics["mistral-7b"]["RuntimeConfig"]["CurrentCopyCount"] == 2
    assert ics["llama-3-8b-support"]["Specification"]["BaseInferenceComponentName"] == "llama-3-8b"
    # the adapter was created once its base was done, not before
    emulated = {c.name: c for c in store(account).components.values()}
    assert emulated["llama-3-8b-support"].created >= emulated["llama-3-8b"].modified
    # the endpoint's config names no model: the ICs do
    config = account.sagemaker.describe_endpoint_config(
        EndpointConfigName=outcome.EndpointConfigName
    )
    assert all("ModelName" not in v for v in config["ProductionVariants"])

    output = outcome.output
    assert output is not None
    progress = output["InferenceComponents"]
    assert progress["Done"] is True
    assert [c["InferenceComponentName"] for c in progress["Components"]] == NAMES
    assert {c["Act"] for c in progress["Components"]} == {"DONE"}
    assert progress["Started"] == dict.fromkeys(NAMES, "CREATE")
    # one DescribeInferenceComponent per IC per look
    assert progress["Describes"] == len(NAMES) * progress["Looks"]

    entered = states_entered(outcome.history)
    assert entered[entered.index("EndpointReady?") + 1 :][:2] == [
        "DeployComponents",
        "ComponentsReady?",
    ]
    assert entered.count("WaitForComponents") == progress["Looks"] - 1
    # no event tells an IC's change: the outcome is known at most one look after it
    settled = max(c.modified for c in emulated.values())
    assert 0 <= account.clock.now() - settled <= POLL_SECONDS


def test_an_update_of_one_component_leaves_the_endpoint_and_the_others_alone(account, request_ics):
    first = account.deploy(request_ics)
    assert first.status == "SUCCEEDED", first.cause
    before = {name: described(account, name) for name in NAMES}

    second = account.deploy(with_new_mistral(request_ics), label="v2")

    assert second.status == "SUCCEEDED", second.cause
    # the endpoint's config does not depend on its ICs: nothing to update there
    assert second.EndpointConfigName == first.EndpointConfigName
    assert second.output is not None and second.output["Action"] == "NONE"
    after = {name: described(account, name) for name in NAMES}
    for name in ("llama-3-8b", "llama-3-8b-support"):
        assert after[name]["LastModifiedTime"] == before[name]["LastModifiedTime"], name
    mistral = after["mistral-7b"]
    assert mistral["Specification"]["ModelName"] == "mistral-7b-v2"
    assert mistral["LastDeploymentConfig"]["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 60
    assert second.output["InferenceComponents"]["Started"] == {"mistral-7b": "UPDATE"}


def test_the_copy_count_an_autoscaler_set_is_kept_across_an_update(account, request_ics):
    assert account.deploy(request_ics).status == "SUCCEEDED"
    scaling = account.client("application-autoscaling")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="inference-component/mistral-7b",
        ScalableDimension="sagemaker:inference-component:DesiredCopyCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    # the autoscaler scales the IC out to 3 copies (the request says 2)
    sm = account.sagemaker
    sm.update_inference_component_runtime_config(
        InferenceComponentName="mistral-7b", DesiredRuntimeConfig={"CopyCount": 3}
    )

    outcome = account.deploy(with_new_mistral(request_ics), label="v2")

    assert outcome.status == "SUCCEEDED", outcome.cause
    runtime = described(account, "mistral-7b")["RuntimeConfig"]
    assert (runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]) == (3, 3)


def test_a_silent_rollback_of_a_component_fails_the_deployment(make_account, request_ics):
    account = make_account(rollback_component="the new model's container failed its ping")
    assert account.deploy(request_ics).status == "SUCCEEDED"

    outcome = account.deploy(with_new_mistral(request_ics), label="v2")

    assert outcome.status == "FAILED"
    assert outcome.error == "ComponentFailed"
    assert "mistral-7b is InService on its previous specification" in (outcome.cause or "")
    assert described(account, "mistral-7b")["Specification"]["ModelName"] == "mistral-7b-v1"
    assert failures(outcome.history)[-1].startswith("ComponentFailed")


def test_a_failed_component_fails_with_its_reason_then_a_rerun_converges(request_ics):
    reason = "CUDA out of memory while loading the model"
    with LocalDeployment(faults=Faults(fail_component=reason, times=1), seed=3) as account:
        outcome = account.deploy(request_ics)

        assert outcome.status == "FAILED"
        assert outcome.error == "ComponentFailed"
        assert f"is Failed: {reason}" in (outcome.cause or "")
        failed = [
            n for n in NAMES[:2] if described(account, n)["InferenceComponentStatus"] == "Failed"
        ]
        assert len(failed) == 1

        again = account.deploy(request_ics, label="again")

        assert again.status == "SUCCEEDED", again.cause
        assert again.output is not None
        # the Failed IC, which served nothing, was deleted and created again
        assert again.output["InferenceComponents"]["Started"][failed[0]] == "CREATE"
        for name in NAMES:
            assert described(account, name)["InferenceComponentStatus"] == "InService", name


def test_components_that_never_settle_end_at_the_deadline(make_account, request_ics):
    account = make_account(component_seconds=5000)
    request = {**request_ics, "DeadlineSeconds": 900}

    outcome = account.deploy(request)

    assert outcome.status == "FAILED"
    assert outcome.error == "DeploymentTimedOut"
    assert "inference components not done" in (outcome.cause or "")
    assert outcome.stats is not None and outcome.stats.simulated_seconds <= 900 + POLL_SECONDS


def test_throttled_component_calls_are_retried_by_the_state_machine(make_account, request_ics):
    account = make_account(
        throttle={"DescribeInferenceComponent": 4, "CreateInferenceComponent": 2}
    )

    outcome = account.deploy(request_ics)

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert "SageMakerThrottled" in " ".join(failures(outcome.history))


def test_an_invalid_component_request_creates_nothing_and_names_every_problem(account, request_ics):
    bad = copy.deepcopy(request_ics)
    bad["InferenceComponents"][0]["InferenceComponentName"] = "mistral-7b"  # a duplicate
    del bad["InferenceComponents"][1]["Specification"]["ComputeResourceRequirements"]

    outcome = account.deploy(bad)

    assert outcome.status == "FAILED"
    assert outcome.error == "RequestInvalid"
    cause = outcome.cause or ""
    assert "InferenceComponents[1].InferenceComponentName" in cause
    assert "InferenceComponents[1].Specification.ComputeResourceRequirements" in cause
    assert account.sagemaker.list_endpoints()["Endpoints"] == []
    assert account.sagemaker.list_inference_components()["InferenceComponents"] == []


def test_clean_up_keeps_the_models_the_components_use(request_ics):
    with LocalDeployment(config_retention=1, seed=5) as account:
        assert account.deploy(request_ics).status == "SUCCEEDED"
        outcome = account.deploy(with_new_mistral(request_ics), label="v2")

        assert outcome.status == "SUCCEEDED", outcome.cause
        models = {m["ModelName"] for m in account.sagemaker.list_models()["Models"]}
        # each IC's model stays; the endpoint's config names none of them
        assert {"llama-3-8b-v1", "mistral-7b-v2"} <= models


def test_an_alarm_during_a_component_update_rolls_it_back_and_fails_the_deployment(
    make_account, request_ics
):
    account = make_account(alarm_during_update="")
    account.client("cloudwatch").put_metric_alarm(
        AlarmName="mistral-7b-errors",
        Namespace="/aws/sagemaker/InferenceComponents",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "mistral-7b"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    assert account.deploy(request_ics).status == "SUCCEEDED"
    v2 = with_new_mistral(request_ics)
    v2["InferenceComponents"][1]["DeploymentConfig"]["AutoRollbackConfiguration"] = {
        "Alarms": [{"AlarmName": "mistral-7b-errors"}]
    }

    outcome = account.deploy(v2, label="v2")

    assert outcome.status == "FAILED"
    assert outcome.error == "ComponentFailed"
    assert "mistral-7b-errors" in (outcome.cause or "")
    mistral = described(account, "mistral-7b")
    assert mistral["InferenceComponentStatus"] == "InService"
    assert mistral["Specification"]["ModelName"] == "mistral-7b-v1"


def test_a_component_scaled_to_zero_is_updated_and_stays_at_zero(account, request_ics):
    assert account.deploy(request_ics).status == "SUCCEEDED"
    account.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="inference-component/mistral-7b",
        ScalableDimension="sagemaker:inference-component:DesiredCopyCount",
        MinCapacity=0,
        MaxCapacity=4,
    )
    # no traffic: the autoscaler scales the IC in to zero copies
    account.sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="mistral-7b", DesiredRuntimeConfig={"CopyCount": 0}
    )

    outcome = account.deploy(with_new_mistral(request_ics), label="v2")

    assert outcome.status == "SUCCEEDED", outcome.cause
    mistral = described(account, "mistral-7b")
    assert mistral["Specification"]["ModelName"] == "mistral-7b-v2"
    runtime = mistral["RuntimeConfig"]
    assert (runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]) == (0, 0)
    # no copies to roll: updated without the request's rolling policy, the count kept
    assert outcome.output is not None
    assert outcome.output["InferenceComponents"]["Started"] == {"mistral-7b": "UPDATE"}


def test_the_outcome_event_lists_the_components_as_the_last_look_saw_them(account, request_ics):
    queue = outcome_queue(account)

    outcome = account.deploy(request_ics)

    assert outcome.status == "SUCCEEDED", outcome.cause
    [detail] = [message["detail"] for message in received(account, queue)]
    listed = detail["InferenceComponents"]
    assert [(c["InferenceComponentName"], c["Act"], c["Status"]) for c in listed] == [
        (name, "DONE", "InService") for name in NAMES
    ]
    assert listed[1]["CurrentCopyCount"] == 2


def test_status_reports_the_components_of_the_execution(account, request_ics):
    outcome = account.deploy(request_ics)

    found = remote.report(account.stepfunctions, outcome.execution_arn)

    listed = found["InferenceComponents"]
    assert [(c["InferenceComponentName"], c["Act"]) for c in listed] == [
        (name, "DONE") for name in NAMES
    ]
    assert listed[1]["DesiredCopyCount"] == listed[1]["CurrentCopyCount"] == 2


@pytest.mark.parametrize("operation", ["CreateInferenceComponent", "UpdateInferenceComponent"])
def test_a_crash_after_a_component_call_is_retried_and_converges(
    make_account, request_ics, operation
):
    account = make_account(crash_after=operation, times=1)
    first = account.deploy(request_ics)
    outcome = (
        first
        if operation.startswith("Create")
        else account.deploy(with_new_mistral(request_ics), label="v2")
    )

    assert outcome.status == "SUCCEEDED", outcome.cause
    assert "Runtime.ExitError" in failures(outcome.history)
    model = "mistral-7b-v1" if operation.startswith("Create") else "mistral-7b-v2"
    mistral = described(account, "mistral-7b")
    assert (mistral["InferenceComponentStatus"], mistral["Specification"]["ModelName"]) == (
        "InService",
        model,
    )
