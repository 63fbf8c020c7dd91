"""Every hook into moto, in one table: each row names the attribute of moto it replaces, why,
and the factory of its replacement; :func:`install` checks every row, then installs them all.

moto is pinned exactly (pyproject.toml): an upgrade that moves a hooked attribute must fail
loudly at install time, not silently sleep real time. :func:`install` first checks
(:func:`verify`) the version, and each attribute where its row expects it (or still missing,
where the row adds it), with the parameters and internals the replacement relies on; then it
installs them all and gives back what puts moto's own attributes back. Nothing else patches
moto.
"""

from __future__ import annotations

from collections.abc import Callable

import moto
from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling import responses as aas_responses
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core import responses as moto_responses
from moto.core.serialize import XFormedAttributePicker
from moto.events.models import Rule
from moto.kms import models as kms_models
from moto.s3.responses import S3Response
from moto.sagemaker import models as sm_models
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.scheduler.models import EventBridgeSchedulerBackend
from moto.stepfunctions.parser import models as sfn_models
from moto.stepfunctions.parser.api import InvalidDefinition
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.retry import jitter_strategy_decl, retrier_decl
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state import state as sfn_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint
from moto.stepfunctions.parser.asl.eval.environment import Environment as SfnEnvironment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend import execution as sfn_execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from smdeploy.runtime.emulator import (
    alarm_actions,
    applicationautoscaling,
    awslambda,
    clock,
    events,
    pin,
    registry,
    s3,
    sagemakerruntime,
    schedules,
    shapes,
    speed,
    stepfunctions,
)
from smdeploy.runtime.emulator.pin import Hook, snake_case
from smdeploy.runtime.emulator.sagemaker import component_responses as components
from smdeploy.runtime.emulator.sagemaker import responses as sagemaker
from smdeploy.runtime.emulator.state import EmulatorState
from smdeploy.runtime.faults import COMPONENT_OPERATIONS, COUNTED_OPERATIONS

S3_ARGS = ("self", "request", "full_url", "headers")

HOOKS: tuple[Hook, ...] = (
    # clock.py
    Hook(
        WaitFunction,
        "_wait_interval",
        "clock",
        "Wait states advance the simulated clock",
        clock.wait_interval,
    ),
    Hook(
        retrier_decl,
        "time",
        "clock",
        "Retry intervals advance the simulated clock",
        clock.retry_time,
    ),
    Hook(
        jitter_strategy_decl,
        "random",
        "clock",
        "Retry jitter from the seeded generator",
        clock.jitter_random,
    ),
    Hook(
        sfn_state,
        "datetime",
        "clock",
        "state-entered times read the simulated clock",
        clock.state_datetime,
    ),
    Hook(
        sfn_execution,
        "datetime",
        "clock",
        "execution start/stop dates read it",
        clock.state_datetime,
    ),
    Hook(
        sfn_models,
        "datetime",
        "clock",
        "each StartExecution is one distinct millisecond",
        clock.start_datetime,
        holds=clock.starts_once,
    ),
    Hook(
        sm_models,
        "utcnow",
        "clock",
        "SageMaker's stamps (approvals) read the clock",
        clock.sagemaker_utcnow,
    ),
    Hook(
        EventManager,
        "_get_current_timestamp",
        "clock",
        "history timestamps read it",
        clock.history_timestamp,
    ),
    Hook(
        SfnEnvironment,
        "set_error",
        "clock",
        "StopExecution ends an execution ABORTED",
        clock.stopped_set_error,
    ),
    Hook(
        EvalComponent,
        "eval",
        "clock",
        "a stopped execution ends the state it was in",
        clock.stopped_eval,
    ),
    Hook(
        EventManager,
        "add_event",
        "clock",
        "a stopped execution's history ends with ExecutionAborted alone",
        clock.stopped_add_event,
        parameters=clock.ADD_EVENT_PARAMETERS,
    ),
    Hook(
        CallbackEndpoint, "wait", "clock", "a parked task waits on the simulated clock", clock.park
    ),
    Hook(
        StepFunctionResponse,
        "send_task_failure",
        "clock",
        "SendTaskFailure keeps its cause (moto drops it)",
        clock.send_task_failure,
    ),
    Hook(
        StepFunctionResponse,
        "stop_execution",
        "clock",
        "StopExecution answers its stopDate (moto answers before it has one)",
        clock.stop_execution,
    ),
    # awslambda.py
    Hook(
        LambdaSimpleBackend,
        "invoke",
        "awslambda",
        "run the real handler in-process",
        awslambda.invoke,
    ),
    # sagemaker/responses.py and component_responses.py: faults.COUNTED_OPERATIONS (moto lacks
    # UpdateEndpoint and the inference component API: added)
    *(
        Hook(
            SageMakerResponse,
            snake_case(operation),
            "sagemaker",
            "endpoints, configs and inference components as SageMaker has them",
            {**sagemaker.RESPONSES, **components.RESPONSES}[snake_case(operation)],
            added=operation in ("UpdateEndpoint", *COMPONENT_OPERATIONS),
        )
        for operation in COUNTED_OPERATIONS
    ),
    # events.py
    Hook(
        Rule,
        "send_to_targets",
        "events",
        "deliver to state machines and Lambda functions",
        events.send_to_targets,
    ),
    # registry.py
    Hook(
        SageMakerResponse,
        "create_model_package",
        "registry",
        "approval events",
        registry.create_model_package,
    ),
    Hook(
        SageMakerResponse,
        "update_model_package",
        "registry",
        "approval events",
        registry.update_model_package,
    ),
    Hook(
        SageMakerResponse,
        "describe_model_package",
        "registry",
        "a versioned package is described with its ModelPackageName, as SageMaker does",
        registry.describe_model_package,
    ),
    Hook(
        SageMakerResponse,
        "describe_model_package_group",
        "registry",
        "a group is described with its CreatedBy, a required member",
        registry.describe_model_package_group,
    ),
    # applicationautoscaling.py (cloudwatch.py observes endpoints and hooks nothing of moto)
    Hook(
        ApplicationAutoscalingBackend,
        "register_scalable_target",
        "applicationautoscaling",
        "a variant's scalable target is checked and remembered as SageMaker does",
        applicationautoscaling.register_scalable_target,
        parameters=("self", "namespace", "r_id", "dimension", "min_capacity", "max_capacity"),
        holds=applicationautoscaling.keeps_targets_and_policies,
    ),
    *(
        Hook(
            module,
            "ScalableDimensionValueSet",
            "applicationautoscaling",
            "every ScalableDimension of the service's model (inference components' too)",
            applicationautoscaling.dimensions,
            holds=applicationautoscaling.lists_dimensions,
        )
        for module in (aas_models, aas_responses)
    ),
    Hook(
        ApplicationAutoscalingBackend,
        "deregister_scalable_target",
        "applicationautoscaling",
        "a variant's target takes its policies with it; a missing one is ObjectNotFoundException",
        applicationautoscaling.deregister_scalable_target,
        parameters=("self", "namespace", "r_id", "dimension"),
    ),
    Hook(
        ApplicationAutoscalingBackend,
        "delete_scaling_policy",
        "applicationautoscaling",
        "a missing scaling policy is ObjectNotFoundException, not a ValidationException",
        applicationautoscaling.delete_scaling_policy,
    ),
    # stepfunctions.py
    Hook(
        StepFunctionsParserBackend,
        "_validate_definition",
        "stepfunctions",
        "a definition is parsed once: CreateStateMachine accepts it from that parse",
        stepfunctions.validate_definition,
        parameters=("definition",),
    ),
    Hook(
        StepFunctionResponse,
        "get_execution_history",
        "stepfunctions",
        "GetExecutionHistory answers in pages: maxResults, reverseOrder, nextToken",
        stepfunctions.execution_history,
        parameters=("self",),
        holds=stepfunctions.keeps_history_under_a_lock,
    ),
    Hook(
        InvalidDefinition,
        "TYPE",
        "stepfunctions",
        "InvalidDefinition is named in the error's __type (moto sends null)",
        stepfunctions.error_type(InvalidDefinition),
        added=True,
    ),
    Hook(
        ExecutionWorker,
        "_get_evaluation_entrypoint",
        "stepfunctions",
        "each execution evaluates its own copy of its definition's one parse",
        stepfunctions.evaluation_entrypoint,
        parameters=("self",),
        holds=stepfunctions.reads_the_definition,
    ),
    Hook(
        lambda_eval_utils,
        "boto_client_for",
        "stepfunctions",
        "a Task state's Lambda invocations share one client per region",
        stepfunctions.lambda_client_for,
        parameters=("region", "service", "state_credentials"),
        holds=stepfunctions.ignores_credentials,
    ),
    Hook(
        json_path,
        "parse",
        "stepfunctions",
        "each JSONPath expression is parsed once per process",
        stepfunctions.json_path_parse,
        parameters=("path",),
    ),
    Hook(
        error_equals_decl.ErrorEqualsDecl,
        "_eval_body",
        "stepfunctions",
        "States.ALL catches neither States.Runtime nor States.DataLimitExceeded",
        stepfunctions.states_all_spares_terminal_errors,
        parameters=("self", "env"),
    ),
    # schedules.py
    Hook(
        EventBridgeSchedulerBackend,
        "create_schedule",
        "schedules",
        "a rate-based schedule invokes its Lambda target on the simulated clock",
        schedules.create_schedule,
        parameters=("self", "description", "end_date", "flexible_time_window", "group_name"),
        holds=schedules.keeps_schedule_fields,
    ),
    # sagemakerruntime.py
    Hook(
        SageMakerRuntimeResponse,
        "invoke_endpoint",
        "sagemakerruntime",
        "InvokeEndpoint refuses what does not serve; an IC at zero copies is counted (alarms)",
        sagemakerruntime.invoke_endpoint,
        holds=alarm_actions.reads_alarms_and_policies,
    ),
    # shapes.py: every response checked against botocore's model, where asked to
    Hook(
        moto_responses.BaseResponse,
        "call_action",
        "shapes",
        "JSON answers leave out what AWS leaves out; checked against the model where asked",
        shapes.answered,
        parameters=("self",),
    ),
    *(
        Hook(S3Response, name, "s3", "and S3's answers", s3.answered, parameters=S3_ARGS)
        for name in ("bucket_response", "key_response")
    ),
    # speed.py: the same answers, for less work
    Hook(
        moto_responses,
        "method_names_from_class",
        "speed",
        "each response class's methods are listed once, not at every request",
        speed.method_names,
        parameters=("clazz",),
    ),
    Hook(
        kms_models,
        "generate_private_key",
        "speed",
        "a KMS key's RSA key pair is made when first used (a symmetric key never uses it)",
        speed.lazy_private_key,
        parameters=("key_spec",),
    ),
    Hook(
        XFormedAttributePicker,
        "get_possible_keys",
        "speed",
        "the attribute names that may hold a response member are found once per member",
        speed.possible_keys,
        parameters=("self", "context"),
        holds=speed.picks_by_providers,
    ),
)


def problems(hooks: tuple[Hook, ...] = HOOKS, version: str = moto.__version__) -> list[str]:
    """What no longer holds of the table (empty: every hook can be installed)."""
    return pin.problems(hooks, version)


def verify(hooks: tuple[Hook, ...] = HOOKS) -> None:
    """Raise :class:`MotoChanged` naming each row that no longer fits moto."""
    pin.verify(hooks)


def install(emulator: EmulatorState, hooks: tuple[Hook, ...] = HOOKS) -> Callable[[], None]:
    """Check every row, then install them all; returns what puts moto's attributes back."""
    return pin.install(emulator, hooks)
