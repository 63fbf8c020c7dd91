"""Step Functions' definitions, parsed once per definition text.

moto's Step Functions engine (LocalStack's) parses a definition with its ANTLR parser twice
over: CreateStateMachine and UpdateStateMachine parse it to validate it, and every execution
parses it again to get the tree it evaluates. In pure Python the parse of the deployer's
definition takes 0.3 to 0.5 s, more than the rest of a whole deployment on the emulator. The
parse is a function of the text alone, so the emulator keeps each text's parse:

- CreateStateMachine accepts a definition from that one parse; one that fails to parse is
  refused by moto's own check, with moto's InvalidDefinition, every time;
- each execution evaluates its own copy of the parsed tree, so no two executions share a
  component, as none do when each parses its own. The copy is unpickled from the tree pickled
  once (1 ms, where ``copy.deepcopy`` took 25 ms and a parse 350 ms): pickling and
  ``deepcopy`` copy the same way (``__reduce_ex__``; no class of the engine's tree defines a
  copy or pickle method of its own), and the copied tree was never evaluated.

Nothing AWS shows changes: the same definitions are accepted and refused with the same
errors, and each execution runs the tree a parse of its definition gives.

The engine also makes a new boto3 client for every Lambda invocation of a Task state (a fifth
of a deployment's time on the emulator); the emulator gives it one client per region for its
whole run instead (boto3's clients are thread-safe:
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients).
"""

from __future__ import annotations

import base64
import binascii
import copy
import inspect
import json
import pickle
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import InvalidToken, ValidationException
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend import execution as sfn_execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from smdeploy.runtime.emulator.pin import Replacement
from smdeploy.runtime.emulator.state import EmulatorState

# a process holds few distinct definitions (the deployer's, and the tests' variants of it)
_KEPT = 16


@lru_cache(maxsize=_KEPT)
def parsed(definition: str) -> EvalComponent:
    """The tree of ``definition`` (the first of what the parser gives), parsed once."""
    program: EvalComponent = AmazonStateLanguageParser.parse(definition)[0]
    return program


@lru_cache(maxsize=_KEPT)
def pickled(definition: str) -> bytes:
    """The parse of ``definition``, pickled: what every execution's copy is made from."""
    return pickle.dumps(parsed(definition), protocol=pickle.HIGHEST_PROTOCOL)


def evaluation_entrypoint(
    _emulator: EmulatorState, _original: Callable[..., Any]
) -> Callable[[ExecutionWorker], EvalComponent]:
    """ExecutionWorker._get_evaluation_entrypoint: the execution's own copy of the parse."""

    def entrypoint(worker: ExecutionWorker) -> EvalComponent:
        definition = worker._evaluation_details.state_machine_details.definition
        program: EvalComponent = pickle.loads(pickled(definition))
        return program

    return entrypoint


def reads_the_definition() -> str | None:
    """What the entrypoint's replacement relies on: moto's own entrypoint is the parse of the
    execution's definition, read where the replacement reads it (None: it still is)."""
    source = inspect.getsource(ExecutionWorker._get_evaluation_entrypoint)
    wanted = (
        "AmazonStateLanguageParser.parse",
        "_evaluation_details.state_machine_details.definition",
    )
    if all(part in source for part in wanted):
        return None
    return "ExecutionWorker._get_evaluation_entrypoint no longer parses the definition it held"


def validate_definition(_emulator: EmulatorState, original: Callable[[str], None]) -> Any:
    """StepFunctionsParserBackend._validate_definition: a text that parses is accepted from
    the one parse; one that does not goes to moto's own check, which refuses it with moto's
    InvalidDefinition (the parser raises the same way again; nothing of a failure is kept)."""

    def validate(definition: str) -> None:
        try:
            parsed(definition)
        except Exception:  # moto's check turns it into InvalidDefinition
            original(definition)
            raise  # moto accepted what its own parser refused: not the moto this is for

    return staticmethod(validate)


def lambda_client_for(_emulator: EmulatorState, original: Callable[..., Any]) -> Callable[..., Any]:
    """lambda_eval_utils.boto_client_for: the engine's Lambda client of a region, made once
    for this run of the emulator (its credentials are the engine's fixed ones either way)."""
    made: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in made:
                made[(region, service)] = original(
                    region=region, service=service, state_credentials=state_credentials
                )
            return made[(region, service)]

    return client_for


# the JSONPath expressions of the definitions a process runs (the deployer's have about 150)
_PATHS_KEPT = 4096


@lru_cache(maxsize=_PATHS_KEPT)
def _expression(original: Callable[[str], Any], path: str) -> Any:
    return original(path)


def json_path_parse(_emulator: EmulatorState, original: Callable[[str], Any]) -> Any:
    """json_path.parse (jsonpath_ng's): each JSONPath expression is parsed once per process,
    where moto parses it again at every InputPath, OutputPath, ResultSelector field and
    Choice rule it evaluates (about 6 % of an execution's time). A parsed expression is only
    read (``find``), never changed, so every execution may share it."""

    def parse(path: str) -> Any:
        return _expression(original, path)

    return parse


def ignores_credentials() -> str | None:
    """What the shared client relies on: moto's ``boto_client_for`` makes every client with
    the engine's fixed credentials, whatever the state's (None: it still does)."""
    source = inspect.getsource(boto_client.boto_client_for)
    if source.count("state_credentials") == 1:  # in its signature only
        return None
    return "boto_client_for now uses the state's credentials: one client per run no longer fits"


# GetExecutionHistory's pages
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html)
HISTORY_PAGE = 100  # events per page when maxResults is 0 or not given
HISTORY_PAGE_MAX = 1000


def _page_token(execution_arn: str, reverse: bool, next_id: int) -> str:
    position = json.dumps({"executionArn": execution_arn, "reverseOrder": reverse, "id": next_id})
    return base64.urlsafe_b64encode(position.encode()).decode()


def _next_id(token: str, execution_arn: str, reverse: bool) -> int:
    """The id of the first event of the page ``token`` asks for: it is a token this emulator
    gave for the same execution and order, or InvalidToken (HTTP 400), as AWS answers."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
        if position["executionArn"] == execution_arn and position["reverseOrder"] == reverse:
            return int(position["id"])
    except (ValueError, TypeError, KeyError, binascii.Error):
        pass
    raise InvalidToken(f"'{token}'")


def _page(backend: Any, arn: str, reverse: bool, size: int, token: str | None) -> Any:
    """The page of the execution's history events, copied under the history's lock (moto
    copies the whole history at every GetExecutionHistory: the page alone is copied here), and
    the id of the event after it (None: the page ends the history)."""
    execution = backend.describe_execution(execution_arn=arn)  # ExecutionDoesNotExist
    worker = execution.exec_worker
    manager = worker.env.event_manager if worker is not None and worker.env else None
    if manager is None:  # not started yet: no event
        return [], None
    with manager._mutex:
        events = manager._history_event_list
        if reverse:
            start = _next_id(token, arn, reverse) if token else len(events)
            page = copy.deepcopy(events[max(0, start - size) : start][::-1])
        else:
            start = _next_id(token, arn, reverse) if token else 1
            page = copy.deepcopy(events[start - 1 : start - 1 + size])
        following = page[-1]["id"] + (-1 if reverse else 1) if page else None
        return page, following if following and 1 <= following <= len(events) else None


def execution_history(_emulator: EmulatorState, _original: Any) -> Callable[[Any], ActionResult]:
    """GetExecutionHistory in pages, as AWS gives it: at most ``maxResults`` events (100 when 0
    or not given, at most 1000), oldest first or, with ``reverseOrder``, newest first, and a
    ``nextToken`` while more remain. moto returns every event at once and ignores all three.
    A token names the id of the next event (ids count from 1 in the order events happen), so
    the events of a running execution that come meanwhile neither shift nor repeat a page."""

    def get_execution_history(response: Any) -> ActionResult:
        arn = response._get_param("executionArn")
        reverse = bool(response._get_param("reverseOrder"))
        size = response._get_param("maxResults") or HISTORY_PAGE
        if not 0 <= size <= HISTORY_PAGE_MAX:
            raise ValidationException(
                f"1 validation error detected: Value '{size}' at 'maxResults' failed to "
                f"satisfy constraint: Member must have value less than or equal to "
                f"{HISTORY_PAGE_MAX}"
            )
        page, following = _page(
            response.stepfunction_backend, arn, reverse, size, response._get_param("nextToken")
        )
        result: dict[str, Any] = {"events": page}
        if following is not None:
            result["nextToken"] = _page_token(arn, reverse, following)
        return ActionResult(result)

    return get_execution_history


def keeps_history_under_a_lock() -> str | None:
    """What :func:`_page` relies on: an execution's events are the list its event manager
    keeps under its lock, the list moto copies for GetExecutionHistory (None: still so)."""
    copies = inspect.getsource(EventManager.get_event_history)
    reads = inspect.getsource(sfn_execution.Execution.to_history_output)
    if "self._mutex" in copies and "self._history_event_list" in copies and "env" in reads:
        return None
    return "an execution's history is no longer its event manager's list under its lock"


def error_type(error: type[Exception]) -> Replacement:
    """The ``TYPE`` of one of the engine's exceptions (moto.stepfunctions.parser.api): its
    own ``code``. Those classes name their error in ``code``, which moto's JSON error reads
    as the HTTP status, so without it the error went out as ``{"__type": null}`` and a client
    read no error code at all; Step Functions names it in ``__type``, as every
    AWS JSON 1.0 error does
    (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html#operation-error-serialization;
    CreateStateMachine's InvalidDefinition:
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#API_CreateStateMachine_Errors)."""

    code = str(vars(error)["code"])

    def replace(_emulator: EmulatorState, _original: Any) -> str:
        return code

    return replace


# What States.ALL does not match, as AWS documents: "The States.ALL error type ... can't catch
# the States.DataLimitExceeded terminal error or Runtime error types", and "A retry or catch on
# States.ALL won't catch States.Runtime errors"
# (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). The
# engine (LocalStack's, ported) matched them: a Parameters path that selects nothing was caught,
# and the execution went on where AWS fails it.
BEYOND_STATES_ALL = frozenset(
    {StatesErrorNameType.StatesRuntime, StatesErrorNameType.StatesStatesDataLimitExceeded}
)
STATES_ALL = StatesErrorName(typ=StatesErrorNameType.StatesALL)


def states_all_spares_terminal_errors(
    _emulator: EmulatorState, original: Callable[[Any, Any], None]
) -> Callable[[Any, Any], None]:
    def eval_body(self: Any, env: Any) -> None:
        error = env.stack[-1]
        terminal = isinstance(error, StatesErrorName) and error.typ in BEYOND_STATES_ALL
        if terminal and STATES_ALL in self.error_names:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    return eval_body
