"""Every hook into moto, in one table, checked before any is installed.

Each hook replaces one attribute of a moto class or module. moto is pinned exactly
(pyproject.toml); a moto upgrade that renames or removes a hooked attribute must fail loudly
at install time, not silently sleep real time or return moto's canned Lambda answer. So
:func:`verify` checks, before the emulator installs anything, that moto is the pinned
version and that each attribute below exists where the hook expects it (or, for the one
method moto lacks, that it still lacks it); and the emulator refuses to patch anything this
table does not list.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

import moto
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.events.models import Rule
from moto.sagemaker import models as sm_models
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.stepfunctions.parser import models as sfn_models
from moto.stepfunctions.parser.asl.component.common.retry import (
    jitter_strategy_decl,
    retrier_decl,
)
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state import state as sfn_state
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint
from moto.stepfunctions.parser.asl.eval.environment import Environment as SfnEnvironment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend import execution as sfn_execution
from moto.stepfunctions.responses import StepFunctionResponse

from smdeploy.runtime.faults import COUNTED_OPERATIONS

MOTO_VERSION = "5.2.5"  # the exact pin of pyproject.toml


class MotoChanged(RuntimeError):
    """moto is not the version the hooks were written against, or a hooked attribute moved."""


@dataclass(frozen=True)
class Hook:
    owner: Any  # a moto class or module
    attribute: str
    concern: str  # the emulator module that installs it
    why: str
    added: bool = False  # moto lacks it: the hook adds it
    # the leading parameters the replacement relies on (None: not checked)
    parameters: tuple[str, ...] | None = None


def snake_case(operation: str) -> str:
    """moto's name of an operation's response method: ``CreateModel`` -> ``create_model``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


# the SageMaker response methods the emulator serves: the operations it counts
# (faults.COUNTED_OPERATIONS, declared once there), UpdateEndpoint added below as moto lacks it
_SAGEMAKER_OPERATIONS = tuple(
    snake_case(operation) for operation in COUNTED_OPERATIONS if operation != "UpdateEndpoint"
)

HOOKS: tuple[Hook, ...] = (
    # clock.py
    Hook(WaitFunction, "_wait_interval", "clock", "Wait states advance the simulated clock"),
    Hook(retrier_decl, "time", "clock", "Retry intervals advance the simulated clock"),
    Hook(jitter_strategy_decl, "random", "clock", "Retry jitter from the seeded generator"),
    Hook(sfn_state, "datetime", "clock", "state-entered times read the simulated clock"),
    Hook(sfn_execution, "datetime", "clock", "execution start/stop dates read it"),
    Hook(sfn_models, "datetime", "clock", "each StartExecution is one distinct millisecond"),
    Hook(sm_models, "utcnow", "clock", "SageMaker's stamps (approvals) read the clock"),
    Hook(EventManager, "_get_current_timestamp", "clock", "history timestamps read it"),
    Hook(SfnEnvironment, "set_error", "clock", "StopExecution ends an execution ABORTED"),
    Hook(EvalComponent, "eval", "clock", "a stopped execution ends the state it was in"),
    Hook(CallbackEndpoint, "wait", "clock", "a parked task waits on the simulated clock"),
    Hook(
        StepFunctionResponse,
        "send_task_failure",
        "clock",
        "SendTaskFailure keeps its cause (moto drops it)",
    ),
    # awslambda.py
    Hook(LambdaSimpleBackend, "invoke", "awslambda", "run the real handler in-process"),
    # sagemaker/responses.py
    *(
        Hook(SageMakerResponse, name, "sagemaker", "endpoints and configs as SageMaker has them")
        for name in _SAGEMAKER_OPERATIONS
    ),
    Hook(SageMakerResponse, "update_endpoint", "sagemaker", "UpdateEndpoint", added=True),
    # events.py
    Hook(Rule, "send_to_targets", "events", "deliver to state machines and Lambda functions"),
    # registry.py
    Hook(SageMakerResponse, "create_model_package", "registry", "approval events"),
    Hook(SageMakerResponse, "update_model_package", "registry", "approval events"),
    # applicationautoscaling.py (cloudwatch.py observes endpoints and hooks nothing of moto)
    Hook(
        ApplicationAutoscalingBackend,
        "register_scalable_target",
        "applicationautoscaling",
        "a variant's scalable target is checked and remembered as SageMaker does",
        parameters=("self", "namespace", "r_id", "dimension", "min_capacity", "max_capacity"),
    ),
    Hook(
        ApplicationAutoscalingBackend,
        "deregister_scalable_target",
        "applicationautoscaling",
        "deregistering a variant's scalable target deletes its policies",
        parameters=("self", "namespace", "r_id", "dimension"),
    ),
    # sagemakerruntime.py
    Hook(
        SageMakerRuntimeResponse,
        "invoke_endpoint",
        "sagemakerruntime",
        "InvokeEndpoint refuses endpoints that are missing or not InService (moto answers all)",
    ),
)


def _key(owner: Any, attribute: str) -> tuple[int, str]:
    return (id(owner), attribute)


_LISTED = {_key(hook.owner, hook.attribute) for hook in HOOKS}


def listed(owner: Any, attribute: str) -> bool:
    return _key(owner, attribute) in _LISTED


def problems(hooks: tuple[Hook, ...] = HOOKS, version: str = moto.__version__) -> list[str]:
    """What no longer holds of the table (empty: every hook can be installed)."""
    found: list[str] = []
    if version != MOTO_VERSION:
        found.append(f"moto is {version}; the emulator's hooks are for {MOTO_VERSION}")
    for hook in hooks:
        name = getattr(hook.owner, "__name__", repr(hook.owner))
        has = hook.attribute in vars(hook.owner)
        if hook.added and has:
            found.append(f"{name}.{hook.attribute} now exists in moto: review the hook")
        elif not hook.added and not has:
            found.append(f"{name}.{hook.attribute} is gone from moto")
        elif has and hook.parameters is not None:
            took = tuple(inspect.signature(vars(hook.owner)[hook.attribute]).parameters)
            if took[: len(hook.parameters)] != hook.parameters:
                found.append(f"{name}.{hook.attribute}{took} no longer takes {hook.parameters}")
    return found


def verify() -> None:
    """Raise :class:`MotoChanged` naming each hook that no longer fits moto."""
    found = problems()
    if found:
        raise MotoChanged(
            f"the emulator's hooks into moto (written for moto=={MOTO_VERSION}, the pin of "
            f"pyproject.toml) need a look: " + "; ".join(found)
        )
