"""Components stage: one look at the request's inference components per call, with the calls
they need, on the emulated IC API (the handler invoked as the state machine does)."""

from __future__ import annotations

from typing import Any

import pytest
from emulated_components import SECONDS, endpoint, model
from lambda_context import context_for

from deployer.errors import ComponentFailed, DeploymentTimedOut
from deployer.handlers import components
from deployer.payloads.events import ComponentsEvent
from deployer.payloads.results import ComponentsProgress
from smdeploy.runtime.emulator import Faults

GPU = {"MinMemoryRequiredInMb": 4096, "NumberOfAcceleratorDevicesRequired": 1}


def request(aws: Any, model: str = "llama") -> dict[str, Any]:
    return {
        "EndpointName": "llm",
        "ExecutionRoleArn": aws.ROLE_ARN,
        "ProductionVariants": [
            {"VariantName": "main", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}
        ],
        "InferenceComponents": [
            {
                "InferenceComponentName": "chat",
                "Specification": {"ModelName": model, "ComputeResourceRequirements": GPU},
                "RuntimeConfig": {"CopyCount": 2},
            }
        ],
    }


def look(aws: Any, raw: dict[str, Any], progress: dict[str, Any] | None = None, **kw: Any) -> Any:
    event = ComponentsEvent(
        Execution="exec-1",
        Request=raw,
        Progress=ComponentsProgress.model_validate(progress or {}),
        EnteredTime=aws.entered(),
        **kw,
    )
    return components.handler(event.to_json(), context_for("components"))


def hosting(aws: Any) -> Any:
    """``aws`` with an endpoint for ICs and the models ``llama`` and ``llama-2``."""
    endpoint(aws)
    model(aws, "llama")
    model(aws, "llama-2")
    return aws


@pytest.fixture
def llm(aws: Any) -> Any:
    return hosting(aws)


def test_the_first_look_creates_the_next_ones_wait_until_done(llm):
    first = look(llm, request(llm))

    assert first["Done"] is False
    assert first["Started"] == {"chat": "CREATE"}
    assert first["Components"][0]["Act"] == "CREATE"
    ic = llm.sagemaker.describe_inference_component(InferenceComponentName="chat")
    assert ic["InferenceComponentStatus"] == "Creating"
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 2

    waiting = look(llm, request(llm), first)
    assert (waiting["Done"], waiting["Components"][0]["Act"]) == (False, "WAIT")

    llm.clock.advance(SECONDS + 1)
    done = look(llm, request(llm), waiting)

    assert done["Done"] is True
    assert done["Components"][0]["Act"] == "DONE"
    assert (done["Looks"], done["Describes"]) == (3, 3)


@pytest.fixture
def make_account_with_rollback(start_aws: Any) -> Any:
    return hosting(start_aws(Faults(rollback_component="the new copies failed their health check")))


def test_a_look_after_a_rollback_of_its_update_fails(make_account_with_rollback):
    aws = make_account_with_rollback
    created = look(aws, request(aws))
    aws.clock.advance(SECONDS + 1)
    assert look(aws, request(aws), created)["Done"] is True

    updating = look(aws, request(aws, model="llama-2"))
    assert updating["Started"] == {"chat": "UPDATE"}
    aws.clock.advance(10 * SECONDS)

    with pytest.raises(ComponentFailed, match="chat is InService on its previous specification"):
        look(aws, request(aws, model="llama-2"), updating)


def test_a_look_past_the_deadline_with_components_not_done_times_out(llm):
    first = look(llm, request(llm))

    with pytest.raises(DeploymentTimedOut, match="inference components not done: chat is Creating"):
        look(llm, request(llm), first, Deadline=llm.entered(-1))
