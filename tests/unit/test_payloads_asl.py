"""The state machine and ``deployer.payloads`` agree, state by state.

The ASL is walked from ``StartAt`` the way Step Functions moves data
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html):
each state gets every shape of data that can reach it (a record of field -> type; the raw
input at the start is of unknown shape), a Task's result or a Pass state's ``Parameters`` land
at its ``ResultPath``, a ``Catch`` puts the error object ``{Error, Cause}`` at its own. At each
state, for each shape that reaches it:

* a Task's ``Parameters`` (a park's ``Payload``) are exactly the fields of the event model of
  the function it invokes (``deployer.payloads.events.EVENTS``): every required field given,
  none unknown, each path resolving, in that shape, to a type the field accepts, each
  constant valid for it;
* its result (``deployer.payloads.execution.RESULTS``) is accepted, at its ``ResultPath``, by
  the field of ``ExecutionState`` that the path names;
* a shaping Pass state's ``Parameters`` are exactly the fields of its declared output;
* every Choice variable resolves (a path that is absent is a runtime error in AWS) to a type
  the comparison fits (a ``StringEquals`` value is one the field can hold);
* ``SecondsPath``, ``TimeoutSecondsPath`` resolve to numbers, ``ErrorPath``/``CausePath`` to
  strings.

What this does not follow: a Choice narrows a nullable field only in the reader's head (a
field that is ``X | None`` may feed one that needs an ``X`` after a Choice tested it), so a
nullable source is accepted where its type fits; only ``IsPresent`` narrows here. The
functional tests check that each handler's answer is exactly its declared result.
"""

from __future__ import annotations

import json
import types
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from deployer import interface
from deployer.payloads.events import EVENTS, DeployEvent, NotifyEvent
from deployer.payloads.execution import (
    RESULTS,
    Deployed,
    ExecutionState,
    NothingDeployed,
    SupersededOutcome,
)
from deployer.payloads.pieces import Caught
from deployer.payloads.results import Accepted, DeployResult, Skipped
from smdeploy import resources

DEFINITION = json.loads(resources.DEFINITION.read_text())
STATES: dict[str, dict[str, Any]] = DEFINITION["States"]
FUNCTION_OF = {"${" + spec.placeholder + "}": spec.stage for spec in interface.FUNCTIONS}
PARK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
NONE = type(None)
# The context object's fields the ASL reads
# (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
CONTEXT: dict[str, Any] = {
    "$$.Execution.Id": str,
    "$$.Execution.Name": str,
    "$$.Execution.StartTime": datetime,
    "$$.Execution.Input": Any,
    "$$.State.EnteredTime": datetime,
    "$$.State.RetryCount": int,
    "$$.Task.Token": str,
}


@dataclass(frozen=True)
class Rec:
    """The shape of a JSON object in the data: its fields and their types."""

    fields: tuple[tuple[str, Any], ...]

    @staticmethod
    def of(fields: dict[str, Any]) -> Rec:
        return Rec(tuple(sorted(fields.items())))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.fields)


class Absent(Exception):
    """A path names a field that is not in the data."""


def members(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def fields_of(annotation: Any) -> dict[str, Any] | None:
    if isinstance(annotation, Rec):
        return annotation.as_dict()
    if is_model(annotation):
        return {name: f.annotation for name, f in annotation.model_fields.items()}
    return None


def record_of(model: type[BaseModel]) -> Rec:
    """The data a handler returns with ``Payload.to_json()``: every field of the model."""
    found = fields_of(model)
    assert found is not None
    return Rec.of(found)


def resolve(data: Any, path: str) -> Any:
    """The type at ``path`` (``$``, ``$.A.B``, or a context path) in data of shape ``data``."""
    if path.startswith("$$."):
        return CONTEXT[path]
    assert path == "$" or path.startswith("$."), path
    found = data
    for part in path.split(".")[1:]:
        if found is Any:
            return Any
        shapes = [m for m in members(found) if m is not NONE]
        if any(m is Any or get_origin(m) is dict for m in shapes):
            return Any  # a request's own fields: the request's validator owns them
        if len(shapes) != 1 or fields_of(shapes[0]) is None:
            raise Absent(f"{path}: {part} of {found} is not one object's field")
        fields = fields_of(shapes[0]) or {}
        if part not in fields:
            raise Absent(f"{path}: no {part} in {sorted(fields)}")
        found = fields[part]
    return found


def accepts(target: Any, source: Any) -> bool:
    """Whether a field of type ``target`` accepts a value of type ``source``."""
    if target is Any or source is Any:
        return True
    wanted = members(target)
    given = [m for m in members(source) if m is not NONE]
    if not given:  # null
        return NONE in wanted
    return all(any(_accepts_one(t, s) for t in wanted if t is not NONE) for s in given)


def _accepts_one(target: Any, source: Any) -> bool:
    if target is Any or source is Any or target == source:
        return True
    if isinstance(source, Rec):  # a field's model reads what it declares, ignores the rest
        return is_model(target) and not fits(source, target, exact=False)
    if is_model(target) and is_model(source):
        return issubclass(source, target)
    if get_origin(target) is Literal:
        return get_origin(source) is Literal and set(get_args(source)) <= set(get_args(target))
    if target is str:
        return (
            get_origin(source) is Literal and all(isinstance(v, str) for v in get_args(source))
        ) or (isinstance(source, type) and issubclass(source, str))
    if isinstance(target, type) and issubclass(target, Enum) and get_origin(source) is Literal:
        return all(v in {m.value for m in target} for v in get_args(source))
    if get_origin(target) is not None and get_origin(target) == get_origin(source):
        return all(accepts(t, s) for t, s in zip(get_args(target), get_args(source), strict=True))
    return False


def fits(data: Rec, model: type[BaseModel], exact: bool = True) -> list[str]:
    """Why an object of shape ``data`` is not an instance of ``model`` (empty: it is);
    ``exact``: a field the model does not declare is a problem too."""
    fields = model.model_fields
    problems = [
        f"{name} is not a field of {model.__name__}"
        for name, _ in data.fields
        if exact and name not in fields
    ]
    given = data.as_dict()
    for name, field in fields.items():
        if name not in given:
            if field.is_required():
                problems.append(f"{model.__name__}.{name} is required and not given")
        elif not accepts(field.annotation, given[name]):
            problems.append(
                f"{model.__name__}.{name}: {field.annotation} does not take {given[name]}"
            )
    return problems


def constant(value: Any) -> Any:
    """The type of a constant in ``Parameters``: a literal (null: None)."""
    if value is None:
        return NONE
    if isinstance(value, dict):
        return Rec.of({k: constant(v) for k, v in value.items()})
    return Literal[value]


def evaluate(parameters: dict[str, Any], data: Any) -> Rec:
    """The shape ``Parameters`` build from data of shape ``data``."""
    built: dict[str, Any] = {}
    for key, value in parameters.items():
        if key.endswith(".$"):
            built[key.removesuffix(".$")] = resolve(data, value)
        elif isinstance(value, dict):
            built[key] = evaluate(value, data)
        else:
            built[key] = constant(value)
    return Rec.of(built)


def set_at(data: Any, path: str | None, value: Any) -> Any:
    """The data after ``value`` is put at ``ResultPath`` ``path``."""
    if path is None:  # "ResultPath": null: the input goes on
        return data
    if path == "$":
        return value
    return _set(data, path.split(".")[1:], value)


def _set(data: Any, parts: list[str], value: Any) -> Any:
    fields = fields_of(data)
    assert fields is not None, f"cannot set {parts} in {data}"
    head, rest = parts[0], parts[1:]
    fields[head] = _set(fields.get(head), rest, value) if rest else value
    return Rec.of(fields)


def declared(path: str) -> Any:
    """The type ``ExecutionState`` declares at a ``ResultPath``."""
    return resolve(ExecutionState, path)


def check_parameters(name: str, event_model: type[BaseModel], built: Rec) -> list[str]:
    return [f"{name}: {problem}" for problem in fits(built, event_model)]


def choice_targets(name: str, state: dict[str, Any], data: Any) -> tuple[list[str], list[str]]:
    """Where data of shape ``data`` can go from a Choice, and the problems of its rules."""
    problems: list[str] = []
    going: list[str] = []
    certain = False
    for rule in state["Choices"]:
        verdict = check_rule(name, rule, data, problems)
        if verdict is not False:
            going.append(rule["Next"])
        certain = certain or verdict is True
    if not certain and "Default" in state:
        going.append(state["Default"])
    return going, problems


def check_rule(name: str, rule: dict[str, Any], data: Any, problems: list[str]) -> bool | None:
    """Check one Choice rule against data of shape ``data``; whether it matches (None: it
    depends on the values, not on the shape)."""
    if "And" in rule or "Or" in rule:
        for inner in rule.get("And") or rule.get("Or"):
            check_rule(name, inner, data, problems)
        return None
    if "Not" in rule:
        check_rule(name, rule["Not"], data, problems)
        return None
    variable = rule["Variable"]
    if "IsPresent" in rule:
        resolve(ExecutionState, variable)  # a variable the data can hold
        try:
            resolve(data, variable)
        except Absent:
            return not rule["IsPresent"]
        return bool(rule["IsPresent"]) if data is not Any else None
    try:
        found = resolve(data, variable)
    except Absent as error:
        problems.append(f"{name}: {variable} is absent ({error})")
        return None
    for test, value in rule.items():
        if test in ("Variable", "Next"):
            continue
        if test == "StringEquals" and not _can_equal(found, value):
            problems.append(f"{name}: {variable} ({found}) never equals {value!r}")
        if test == "BooleanEquals" and bool not in members(found):
            problems.append(f"{name}: {variable} ({found}) is not a boolean")
    return None


def _can_equal(annotation: Any, value: str) -> bool:
    for member in members(annotation):
        if member is str or member is Any:
            return True
        if get_origin(member) is Literal and value in get_args(member):
            return True
        enum = isinstance(member, type) and issubclass(member, Enum)
        if enum and value in {m.value for m in member}:
            return True
    return False


def task_invocation(state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The function a Task invokes, and the event it gives it."""
    if state["Resource"] == PARK:
        parameters = state["Parameters"]
        return FUNCTION_OF[parameters["FunctionName"]], parameters["Payload"]
    return FUNCTION_OF[state["Resource"]], state["Parameters"]


def results(name: str) -> list[Rec]:
    """The shapes a state's own work hands on."""
    if name == "Validate":
        return [record_of(Accepted), record_of(Skipped)]
    return [record_of(RESULTS[name])]


def walk() -> tuple[dict[str, set[Any]], list[str]]:
    """Every shape of data that reaches each state, and every problem found on the way."""
    reaching: dict[str, set[Any]] = defaultdict(set)
    reaching[DEFINITION["StartAt"]].add(Any)
    problems: set[str] = set()
    queue = [DEFINITION["StartAt"]]

    def send(target: str, data: Any) -> None:
        if data not in reaching[target]:
            reaching[target].add(data)
            queue.append(target)

    def put(name: str, data: Any, path: str | None, value: Any) -> Any:
        if path not in (None, "$") and not accepts(declared(path), value):
            problems.add(
                f"{name}: ExecutionState at {path} ({declared(path)}) does not take {value}"
            )
        return set_at(data, path, value)

    caught = record_of(Caught)
    while queue:
        name = queue.pop()
        state = STATES[name]
        kind = state["Type"]
        for data in list(reaching[name]):
            try:
                if kind == "Task":
                    function, parameters = task_invocation(state)
                    built = evaluate(parameters, data)
                    event = EVENTS[function]
                    if name.startswith("Notify"):
                        built = _notify_state(name, built, problems)
                    problems.update(check_parameters(name, event, built))
                    if "TimeoutSecondsPath" in state:
                        _number(name, resolve(data, state["TimeoutSecondsPath"]), problems)
                    for result in results(name):
                        after = put(name, data, state.get("ResultPath", "$"), result)
                        _then(state, after, send)
                    for catcher in state.get("Catch", []):
                        send(
                            catcher["Next"], put(name, data, catcher.get("ResultPath", "$"), caught)
                        )
                elif kind == "Pass":
                    if "Parameters" in state:
                        value: Any = evaluate(state["Parameters"], data)
                        problems.update(f"{name}: {p}" for p in fits(value, RESULTS[name]))
                    elif "InputPath" in state:
                        value = resolve(data, state["InputPath"])
                    else:
                        value = data
                    _then(state, put(name, data, state.get("ResultPath", "$"), value), send)
                elif kind == "Choice":
                    targets, found = choice_targets(name, state, data)
                    problems.update(found)
                    for target in targets:
                        send(target, data)
                elif kind == "Wait":
                    if "SecondsPath" in state:
                        _number(name, resolve(data, state["SecondsPath"]), problems)
                    _then(state, data, send)
                elif kind == "Fail":
                    for key in ("ErrorPath", "CausePath"):
                        if key in state and not accepts(str, resolve(data, state[key])):
                            problems.add(f"{name}: {key} {state[key]} is not a string")
            except Absent as error:
                problems.add(f"{name}: {error}")
    return reaching, sorted(problems)


def _then(state: dict[str, Any], data: Any, send: Any) -> None:
    if "Next" in state:
        send(state["Next"], data)


def _number(name: str, found: Any, problems: set[str]) -> None:
    if not any(m in (int, float) for m in members(found)):
        problems.add(f"{name}: a seconds path is {found}, not a number")


def _notify_state(name: str, built: Rec, problems: set[str]) -> Rec:
    """``State`` is read with the model its ``Status`` names (NotifyEvent): check it there,
    and give the event check the model's own type."""
    fields = built.as_dict()
    status = get_args(fields["Status"])[0]
    state = fields["State"]
    if status == "Failed":
        candidates: list[type[BaseModel]] = [ExecutionState]
    else:
        candidates = [Deployed, NothingDeployed, SupersededOutcome]
    why = [
        fits(state, model) if isinstance(state, Rec) else [] if accepts(model, state) else [state]
        for model in candidates
    ]
    if all(why):
        problems.add(f"{name}: State fits none of {[m.__name__ for m in candidates]}: {why}")
    fields["State"] = Any
    return Rec.of(fields)


@cache
def walked() -> tuple[dict[str, set[Any]], list[str]]:
    """The walk, made once, by the first test that reads it: not at import, since every test
    process imports this module to collect it (seconds each), and only one runs its tests."""
    return walk()


def test_every_task_event_path_choice_and_result_matches_the_payload_models():
    _, problems = walked()
    assert problems == []


def test_every_state_is_reached_and_every_ending_has_data():
    reaching, _ = walked()
    assert set(reaching) == set(STATES)
    assert all(reaching[name] for name in STATES)


def test_the_declared_results_are_exactly_the_tasks_and_the_shaping_pass_states():
    shaping = {
        name
        for name, state in STATES.items()
        if state["Type"] == "Task" or (state["Type"] == "Pass" and "Parameters" in state)
    }
    assert set(RESULTS) == shaping


def test_every_function_has_its_event_model_and_every_task_invokes_a_function():
    assert set(EVENTS) == {spec.stage for spec in interface.FUNCTIONS}
    invoked = {task_invocation(s)[0] for s in STATES.values() if s["Type"] == "Task"}
    assert invoked == set(EVENTS)


def test_the_same_function_and_action_hand_on_the_same_result():
    by_call: dict[tuple[str, Any], set[type]] = defaultdict(set)
    for name, state in STATES.items():
        if state["Type"] == "Task":
            function, parameters = task_invocation(state)
            by_call[(function, parameters.get("Action"))].add(RESULTS[name])
    assert {call: models for call, models in by_call.items() if len(models) > 1} == {}


def test_every_field_of_the_execution_state_is_written_by_some_state():
    written = {"Request", "EndpointName", "EndpointConfigName", "Order", "Trigger", "Intent"}
    written |= {"Guarded", "Skip", "Deadline"}  # Validate's too
    for state in STATES.values():
        paths_ = [state.get("ResultPath")] + [c.get("ResultPath") for c in state.get("Catch", [])]
        written |= {p.split(".")[1] for p in paths_ if isinstance(p, str) and p.startswith("$.")}
    assert set(ExecutionState.model_fields) == written


@pytest.mark.parametrize(
    ("status", "state", "model"),
    [
        ("Failed", {"Failure": {"Error": "RequestInvalid", "Cause": "c"}}, ExecutionState),
        (
            "Succeeded",
            {"Action": "SKIPPED", "Message": "stale", "Trigger": {"Source": "approval"}},
            NothingDeployed,
        ),
    ],
)
def test_notify_reads_the_state_with_the_model_its_status_names(status, state, model):
    event = NotifyEvent.model_validate(
        {
            "Execution": "run-1",
            "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:smdeploy:run-1",
            "Status": status,
            "StartTime": "2026-01-01T00:00:00Z",
            "EnteredTime": "2026-01-01T00:01:00Z",
            "Input": {},
            "State": state,
        }
    )
    assert type(event.State) is model


def test_a_walk_finds_a_path_the_models_do_not_have():
    """The walk is not blind: a Choice on a field no result declares is reported."""
    data = record_of(DeployResult)
    problems: list[str] = []
    check_rule("X", {"Variable": "$.Outcome", "StringEquals": "A", "Next": "Y"}, data, problems)
    check_rule("X", {"Variable": "$.Action", "StringEquals": "DELETE", "Next": "Y"}, data, problems)
    assert len(problems) == 2
    built = Rec.of({"Execution": str, "Request": Any})
    assert check_parameters("Deploy", DeployEvent, built)  # Config, Claim missing
