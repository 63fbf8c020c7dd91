"""The emulator's inference component (IC) responses: SageMaker's IC operations, which moto
lacks, each served by the account and Region's :class:`~.components.ComponentStore`
(rows of :data:`..hooks.HOOKS` that add the methods to moto's SageMaker response class).

Every call is counted, so ``Faults.throttle`` throttles it like the endpoint operations;
ListInferenceComponents filters, sorts and pages as the other List calls do
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceComponents.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult

from smdeploy.runtime.emulator.pin import snake_case
from smdeploy.runtime.emulator.sagemaker import component_operations as operations
from smdeploy.runtime.emulator.sagemaker.components import ComponentStore, components_of
from smdeploy.runtime.emulator.sagemaker.responses import (
    Factory,
    _counted,
    _method,
    _params,
    filtered,
    listed,
    sorted_by,
)
from smdeploy.runtime.emulator.state import EmulatorState
from smdeploy.runtime.faults import COMPONENT_OPERATIONS, CRASH_OPERATIONS

Answer = Callable[[ComponentStore, dict[str, Any]], dict[str, Any] | None]

# Each IC operation's answer, given the store and the call's parameters (None: an empty one).
ANSWERS: dict[str, Answer] = {
    "CreateInferenceComponent": lambda store, params: {
        "InferenceComponentArn": operations.create(store, params)
    },
    "DescribeInferenceComponent": lambda store, params: operations.describe(
        store, params["InferenceComponentName"]
    ),
    "UpdateInferenceComponent": lambda store, params: {
        "InferenceComponentArn": operations.update(store, params)
    },
    "UpdateInferenceComponentRuntimeConfig": lambda store, params: {
        "InferenceComponentArn": operations.update_runtime(store, params)
    },
    "DeleteInferenceComponent": lambda store, params: operations.delete(
        store, params["InferenceComponentName"]
    ),
    "ListInferenceComponents": lambda store, params: list_components(store, params),
}


def list_components(store: ComponentStore, params: dict[str, Any]) -> dict[str, Any]:
    """ListInferenceComponents: NameContains, StatusEquals, EndpointNameEquals,
    VariantNameEquals and the time bounds filter; SortBy (Name, CreationTime, Status) and
    SortOrder order; MaxResults and NextToken page."""
    sorted_by(params, "InferenceComponentSortKey")
    name, status = "InferenceComponentName", "InferenceComponentStatus"
    summaries = [
        summary
        for summary in filtered(operations.summaries(store), params, name, status)
        if str(params.get("EndpointNameEquals") or summary["EndpointName"]).lower()
        == summary["EndpointName"].lower()
        and params.get("VariantNameEquals", summary["VariantName"]) == summary["VariantName"]
    ]
    return listed("InferenceComponents", summaries, params, name, status)


def _answering(operation: str) -> Callable[[EmulatorState, Any], ActionResult | EmptyResult]:
    answer = ANSWERS[operation]

    def serve(emulator: EmulatorState, response: Any) -> ActionResult | EmptyResult:
        endpoints = _counted(emulator, response, operation)
        answered = answer(components_of(endpoints), _params(response))
        if operation in CRASH_OPERATIONS:
            emulator.performed(operation, response)
        return EmptyResult() if answered is None else ActionResult(answered)

    serve.__name__ = snake_case(operation)
    return serve


# moto's response method -> the factory of the emulator's, one per IC operation (all added:
# moto lacks them)
RESPONSES: dict[str, Factory] = {
    snake_case(operation): _method(_answering(operation)) for operation in ANSWERS
}
if list(ANSWERS) != list(COMPONENT_OPERATIONS):
    # the list is faults.COMPONENT_OPERATIONS, declared once
    raise RuntimeError(f"the inference component responses served differ: {sorted(ANSWERS)}")
