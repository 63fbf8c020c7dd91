"""``python -m bench --only components``: what deploying inference components (ICs) costs.

No EventBridge event is documented for ICs, so the state machine looks at them every
``POLL_SECONDS`` (deployer.decide.components): each look is one Lambda invocation and one
DescribeInferenceComponent per IC of the request. The table prints, per scenario of
``examples/inference-components-request.json`` (an endpoint with two base ICs and an adapter):
the looks, the DescribeInferenceComponent calls, how long after the last IC settled the
deployment knew it (the detection lag, simulated seconds; at most one look), the state
transitions, the Lambda invocations and the dollars of transitions. Deterministic: the
emulator's clock is simulated and its seed fixed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deployer.decide.components import POLL_SECONDS
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.emulator.sagemaker.components import components_of
from smdeploy.runtime.local import LocalDeployment

PRICE_PER_TRANSITION = 0.025 / 1000
EXAMPLE = "inference-components-request.json"

COMPONENTS_TITLE = (
    f"smdeploy: inference components, looked at every {POLL_SECONDS} s (last request of each)"
)
COMPONENTS_COLUMNS = (
    "scenario",
    "status",
    "error",
    "looks",
    "DescribeInferenceComponent",
    "detection lag s",
    "state transitions",
    "Lambda invocations",
    "simulated s",
    "$ transitions",
)


def _new_mistral(request: dict[str, Any]) -> dict[str, Any]:
    """The example with its mistral IC on a new model (one IC changes)."""
    changed = copy.deepcopy(request)
    model = copy.deepcopy(changed["Models"][1])
    model["ModelName"] = "mistral-7b-v2"
    changed["Models"].append(model)
    changed["InferenceComponents"][1]["Specification"]["ModelName"] = "mistral-7b-v2"
    return changed


def _same(request: dict[str, Any]) -> dict[str, Any]:
    return request


@dataclass
class Case:
    name: str
    second: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # a second request
    faults: dict[str, Any] = field(default_factory=dict)


CASES = (
    Case("create endpoint + 3 ICs"),
    Case("update one IC of three", _new_mistral),
    Case("replay (nothing changes)", _same),
    Case("IC Failed", None, {"fail_component": "CUDA out of memory"}),
    Case("IC update rolled back", _new_mistral, {"rollback_component": "health check failed"}),
    Case("throttled (Describe x4)", None, {"throttle": {"DescribeInferenceComponent": 4}}),
)


def measure(case: Case, example: dict[str, Any]) -> tuple[str, ...]:
    """One row: the last request of ``case``."""
    with LocalDeployment(faults=Faults(**case.faults), seed=1) as account:
        requests = [example] if case.second is None else [example, case.second(example)]
        endpoints = account.emulator.store("123456789012", "us-east-1")
        for request in requests:
            before = endpoints.calls.get("DescribeInferenceComponent", 0)
            started = account.clock.now()
            outcome = account.deploy(request, label=case.name)
        describes = endpoints.calls.get("DescribeInferenceComponent", 0) - before
        settled = max(c.modified for c in components_of(endpoints).components.values())
        # none changed during the last request (a replay): no lag to tell
        lag = account.clock.now() - settled if settled >= started else None
    stats = outcome.stats
    assert stats is not None
    looks = sum(1 for e in outcome.history if _entered(e) == "DeployComponents")
    return (
        case.name,
        outcome.status,
        outcome.error or "",
        str(looks),
        str(describes),
        "-" if lag is None else f"{lag:.0f}",
        str(stats.state_transitions),
        str(stats.lambda_invocations),
        f"{stats.simulated_seconds:.0f}",
        f"{stats.state_transitions * PRICE_PER_TRANSITION:.5f}",
    )


def _entered(event: dict[str, Any]) -> str | None:
    details = event.get("stateEnteredEventDetails")
    return str(details["name"]) if event.get("type") == "TaskStateEntered" and details else None


def rows(example: dict[str, Any]) -> list[tuple[str, ...]]:
    return [measure(case, example) for case in CASES]


# --- scale-out from zero ------------------------------------------------------------------

RETRY_SECONDS = 10  # the client's interval between attempts (simulated seconds)
ZERO_TITLE = (
    f"smdeploy: an IC scaled in to zero copies, invoked again by a client retrying every "
    f"{RETRY_SECONDS} s (Guardrails.AutoScaling, MinCapacity 0)"
)
ZERO_COLUMNS = (
    "scenario",
    "refused invocations",
    "alarm in ALARM after s",
    "served again after s",
    "copies then",
)


def from_zero(example: dict[str, Any]) -> tuple[str, ...]:
    """Deploy with the scale-out from zero, scale llama-3-8b in to zero as its autoscaler
    would, then invoke it until it answers: the refusals, and when the deployer's alarm went
    into ALARM and the copy served (simulated seconds after the first refusal)."""
    request = copy.deepcopy(example)
    request["Guardrails"] = {"AutoScaling": {"MinCapacity": 0, "MaxCapacity": 2, "TargetValue": 5}}
    name = "llama-3-8b"
    with LocalDeployment(seed=1) as account:
        outcome = account.deploy(request, label="scale to zero")
        if outcome.status != "SUCCEEDED":
            raise RuntimeError(f"the deployment ended {outcome.status}: {outcome.cause}")
        scheduler, sm = account.emulator.scheduler, account.sagemaker
        sm.update_inference_component_runtime_config(
            InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": 0}
        )
        scheduler.advance_by(600)
        runtime, cloudwatch = account.client("sagemaker-runtime"), account.client("cloudwatch")
        alarm = f"smdeploy-{name}-NoCapacityInvocationFailures"
        started, refused, alarmed = account.clock.now(), 0, None
        for _ in range(360):  # an hour of attempts at most
            try:
                runtime.invoke_endpoint(
                    EndpointName=request["EndpointName"],
                    InferenceComponentName=name,
                    ContentType="application/json",
                    Body=b'{"inputs": "Hello"}',
                )
                break
            except runtime.exceptions.ValidationError:
                refused += 1
            scheduler.advance_by(RETRY_SECONDS)
            state = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
            if alarmed is None and state["StateValue"] == "ALARM":
                alarmed = account.clock.now() - started
        served = account.clock.now() - started
        copies = sm.describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    return (
        "llama-3-8b at zero, invoked",
        str(refused),
        "-" if alarmed is None else f"{alarmed:.0f}",
        f"{served:.0f}",
        str(copies["CurrentCopyCount"]),
    )
