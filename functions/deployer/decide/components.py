"""What to do next with each inference component (IC) of a request: pure decisions, one per
IC per look, from its DescribeInferenceComponent answer and what this deployment already
started (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html).

No EventBridge event is documented for ICs, so the state machine looks again every
:data:`POLL_SECONDS` (its Wait state) until each IC is done:

- **done**: InService, its live specification equal to the requested one, and its current
  copies equal to its desired copies;
- **failed**: Failed after this deployment created or updated it (its FailureReason), or
  InService on another specification after this deployment updated it (rolled back: an
  automatic rollback on an alarm, or a silent one), or hosted by another endpoint;
- otherwise the IC is created, updated, put back to its requested copy count, deleted (a
  Failed IC left from before, which serves nothing: it is created again once gone), or
  waited for (Creating, Updating, Deleting, or an adapter whose base is not done yet).

An update sends ``RuntimeConfig`` only when the copy count the request asks for differs from
the IC's desired count and no autoscaler owns that count (a scalable target on
``inference-component/NAME``): the count an autoscaler set is never reset by a deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from deployer.decide.differences import differences
from deployer.request import inference_components
from deployer.request.inference_components import base_of

# The Wait state between two looks (statemachine/deployer.asl.json, WaitForComponents): an
# outcome is known at most this long after the change, within the 30 s the design asks.
POLL_SECONDS = 15

Act = Literal["CREATE", "UPDATE", "SCALE", "DELETE", "WAIT", "DONE", "FAIL"]

TRANSITIONAL = ("Creating", "Updating", "Deleting")
# What an adapter IC does not take: it is placed with its base, on its base's copies
# (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-adapt.html)
NOT_FOR_ADAPTERS = ("VariantName", "RuntimeConfig")


@dataclass(frozen=True)
class Step:
    """The decision for one IC: what to do, why, and the call's parameters when it is one."""

    act: Act
    message: str
    params: dict[str, Any] = field(default_factory=dict)


def _live_container(container: Mapping[str, Any]) -> dict[str, Any]:
    """A described container (``InferenceComponentContainerSpecificationSummary``) in the
    request's shape: the image the request named is the ``DeployedImage.SpecifiedImage``."""
    out = {k: v for k, v in container.items() if k != "DeployedImage"}
    image = container.get("DeployedImage", {}).get("SpecifiedImage")
    if image is not None:
        out["Image"] = image
    return out


def live_specification(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A described specification in the request's shape."""
    out = dict(spec)
    if isinstance(spec.get("Container"), Mapping):
        out["Container"] = _live_container(spec["Container"])
    return out


def _specifications(ic: Mapping[str, Any]) -> Any:
    if "Specifications" in ic:
        return [live_specification(s) for s in ic["Specifications"]]
    return live_specification(ic.get("Specification", {}))


def specification_changes(requested: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """How the described specification differs from the requested one, one sentence per
    member the request gives (a member it leaves out is SageMaker's to choose or derive: an
    adapter's compute, which is its base's; an image's resolved digest)."""
    member = "Specifications" if "Specifications" in requested else "Specification"
    return differences(_specifications(requested), _specifications(live), member)


def same_specification(requested: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    return not specification_changes(requested, live)


def copy_count_differs(requested: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """Whether the request asks for another copy count than the IC's desired one: only then
    does an autoscaler's ownership of the count matter (the one read it costs is skipped
    otherwise)."""
    wanted = requested_copies(requested)
    return live is not None and wanted is not None and wanted != copy_counts(live)[0]


def requested_copies(requested: Mapping[str, Any]) -> int | None:
    runtime = requested.get("RuntimeConfig")
    return runtime.get("CopyCount") if isinstance(runtime, Mapping) else None


def create_params(requested: Mapping[str, Any]) -> dict[str, Any]:
    """CreateInferenceComponent's parameters: the request's, without its DeploymentConfig
    (an update's alone), and without what an adapter does not take."""
    params = inference_components.create_params(requested)
    if base_of(requested):
        params = {k: v for k, v in params.items() if k not in NOT_FOR_ADAPTERS}
    return params


def update_params(
    requested: Mapping[str, Any], runtime: bool, copies: int | None = None
) -> dict[str, Any]:
    """UpdateInferenceComponent's parameters: the specification, the rolling update policy if
    the request gives one, and the copy count only when ``runtime``. An IC scaled to zero
    (``copies`` 0) has nothing to roll: its batches are "5% to 50% of the copy count"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRollingUpdatePolicy.html),
    which no batch is of none, so it is updated without its policy."""
    params = inference_components.update_params(requested)
    if copies == 0:
        params.pop("DeploymentConfig", None)
    if not runtime or base_of(requested):
        params.pop("RuntimeConfig", None)
    return params


def copy_counts(live: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(desired, current) copies of a DescribeInferenceComponent answer."""
    runtime = live.get("RuntimeConfig") or {}
    return runtime.get("DesiredCopyCount"), runtime.get("CurrentCopyCount")


def _in_service(
    requested: Mapping[str, Any], live: Mapping[str, Any], started: str | None, autoscaled: bool
) -> Step:
    name = requested["InferenceComponentName"]
    desired, current = copy_counts(live)
    wanted = requested_copies(requested)
    differs = wanted is not None and wanted != desired and not autoscaled
    if not same_specification(requested, live):
        if started in ("CREATE", "UPDATE"):
            reason = live.get("FailureReason")
            because = f": {reason}" if reason else ""
            return Step(
                "FAIL",
                f"{name} is InService on its previous specification: the update was rolled "
                f"back{because}",
            )
        params = update_params(requested, differs, desired)
        return Step("UPDATE", f"updating {name}", params)
    if current != desired:
        return Step("WAIT", f"{name}: {current} of {desired} copies")
    if differs and started is None:
        params = {"InferenceComponentName": name, "DesiredRuntimeConfig": {"CopyCount": wanted}}
        return Step("SCALE", f"setting {name} to {wanted} copies (from {desired})", params)
    return Step("DONE", f"{name} is InService with {current} copies")


def decide(
    requested: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    started: str | None,
    base_done: bool,
    autoscaled: bool,
) -> Step:
    """The next step for one IC. ``requested``: its parameters (EndpointName and VariantName
    filled in); ``live``: its DescribeInferenceComponent answer (None: no such IC);
    ``started``: what this deployment already asked of it (Started); ``base_done``: an
    adapter's base is done (True for an IC that is not an adapter); ``autoscaled``: an
    autoscaler owns its copy count."""
    name = requested["InferenceComponentName"]
    if live is None:
        if started == "CREATE":
            return Step("WAIT", f"{name}: created, not described yet")
        if not base_done:
            return Step("WAIT", f"{name}: waiting for its base to be done")
        return Step("CREATE", f"creating {name}", create_params(requested))
    endpoint = live.get("EndpointName")
    if endpoint is not None and endpoint.lower() != str(requested["EndpointName"]).lower():
        return Step(
            "FAIL",
            f"{name} is hosted by endpoint {endpoint}, not {requested['EndpointName']}: an "
            f"inference component's name is unique in the account and Region",
        )
    status = live.get("InferenceComponentStatus")
    if status in TRANSITIONAL:
        return Step("WAIT", f"{name} is {status}")
    if status == "Failed":
        if started in ("CREATE", "UPDATE"):
            reason = live.get("FailureReason") or "no reason given"
            return Step("FAIL", f"{name} is Failed: {reason}")
        return Step("DELETE", f"deleting {name}, Failed before this deployment, to create it again")
    return _in_service(requested, live, started, autoscaled)
