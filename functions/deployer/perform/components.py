"""The Components stage performed: one look at each inference component of the request, the
call each needs (:func:`deployer.decide.components.decide` decides), and whether all are done.

The state machine calls it after the endpoint is InService on its config, then every
:data:`~deployer.decide.components.POLL_SECONDS` until every IC is done, one fails, or the
deployment's deadline passes. Each look starts from SageMaker's answers, so a look that
crashed, or was retried, converges: a call made but not recorded is found by the next
DescribeInferenceComponent. Only ICs the request names are touched: the others on the
endpoint are left as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deployer.aws.components import ComponentGateway
from deployer.aws.sagemaker import AlreadyExists
from deployer.decide.components import Step, copy_count_differs, decide
from deployer.errors import ComponentFailed, DeploymentTimedOut
from deployer.observability import MetricUnit, logger, metrics, tracer
from deployer.payloads.results import ComponentsProgress, ComponentState
from deployer.request.deployment import DeploymentRequest
from deployer.request.inference_components import base_of


def _act(gateway: ComponentGateway, step: Step, name: str) -> str | None:
    """Make the step's call; what this deployment then started on the IC (None: no call)."""
    if step.act == "CREATE":
        # made meanwhile (a retried look): the next look describes it
        with contextlib.suppress(AlreadyExists):
            gateway.create(step.params)
    elif step.act == "UPDATE":
        gateway.update(step.params)
    elif step.act == "SCALE":
        gateway.scale(step.params)
    elif step.act == "DELETE":
        gateway.delete(name)
    else:
        return None
    return step.act


def _state(name: str, step: Step, live: Mapping[str, Any] | None) -> ComponentState:
    runtime = (live or {}).get("RuntimeConfig") or {}
    return ComponentState(
        InferenceComponentName=name,
        Act=step.act,
        Status=(live or {}).get("InferenceComponentStatus"),
        Message=step.message,
        DesiredCopyCount=runtime.get("DesiredCopyCount"),
        CurrentCopyCount=runtime.get("CurrentCopyCount"),
    )


@tracer.capture_method
def look(
    request: DeploymentRequest,
    progress: ComponentsProgress,
    gateway: ComponentGateway,
    now: datetime,
    deadline: datetime | None,
) -> ComponentsProgress:
    """Look at every IC of ``request`` once, bases before adapters, and make the calls they
    need; raise :class:`ComponentFailed` naming every IC that failed, or
    :class:`DeploymentTimedOut` when the deadline passed with ICs not done."""
    started = dict(progress.Started)
    states: list[ComponentState] = []
    done: set[str] = set()
    describes = 0
    for requested in request.inference_components:  # bases before their adapters
        name = str(requested["InferenceComponentName"])
        live = gateway.describe(name)
        describes += 1
        base = base_of(requested)
        # one DescribeScalableTargets, only when the request's copy count differs from the
        # IC's: otherwise nothing would send it, whoever owns it
        autoscaled = copy_count_differs(requested, live) and gateway.autoscaled(name)
        step = decide(
            requested,
            live,
            started.get(name),
            base_done=base is None or base.lower() in done,
            autoscaled=autoscaled,
        )
        made = _act(gateway, step, name)
        if made is not None:
            started[name] = made
        if step.act == "DONE":
            done.add(name.lower())
        states.append(_state(name, step, live))
    metrics.add_metric(name="ComponentDescribes", unit=MetricUnit.Count, value=describes)
    failed = [s for s in states if s.Act == "FAIL"]
    if failed:
        raise ComponentFailed("; ".join(s.Message for s in failed))
    finished = len(done) == len(states)
    pending = [s.Message for s in states if s.Act != "DONE"]
    if not finished and deadline is not None and now >= deadline:
        raise DeploymentTimedOut(
            f"the deployment deadline ({deadline.isoformat()}) has passed with inference "
            f"components not done: {'; '.join(pending)}"
        )
    message = f"{len(states)} inference component(s) done" if finished else "; ".join(pending)
    logger.info(message, extra={"components": [s.to_json() for s in states]})
    return ComponentsProgress(
        Done=finished,
        Components=states,
        Started=started,
        Looks=progress.Looks + 1,
        Describes=progress.Describes + describes,
        Message=message,
    )
