"""Step Functions on the emulator parses each definition once (stepfunctions.py): the same
definitions are accepted and refused as by moto alone, each execution runs its own copy of
the tree, and a changed definition runs as changed; its Lambda invocations share one client
per region."""

from __future__ import annotations

import copy
import enum
import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from smdeploy.executions import events_after, history
from smdeploy.runtime.emulator import Emulator

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/states"


def _constant(value: str) -> str:
    """A definition whose output is ``{"value": value}``."""
    state = {"Type": "Pass", "Result": {"value": value}, "End": True}
    return json.dumps({"StartAt": "Answer", "States": {"Answer": state}})


@pytest.fixture
def sfn() -> Iterator[Any]:
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        Emulator(seed=1),
    ):
        yield boto3.client("stepfunctions", region_name=REGION)


def _output(sfn: Any, machine: str, name: str) -> dict[str, Any]:
    arn = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    for _ in range(2000):  # a Pass state: a few milliseconds
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            assert described["status"] == "SUCCEEDED", described
            return dict(json.loads(described["output"]))
        time.sleep(0.005)
    raise AssertionError(f"{arn} still running")


@pytest.mark.parametrize(
    "definition",
    [
        '{"StartAt": "Nowhere", "States": {}}',
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}',
        "not json",
    ],
)
def test_a_definition_that_does_not_parse_is_refused_every_time_and_nothing_is_created(
    sfn, definition
):
    refusals = []
    for attempt in (1, 2):
        with pytest.raises(ClientError) as refused:
            sfn.create_state_machine(name=f"broken{attempt}", definition=definition, roleArn=ROLE)
        refusals.append(refused.value.response["Error"])
    # moto's own refusal (its parser's message), the same the second time
    assert refusals[0] == refusals[1]
    assert refusals[0]["Message"].startswith(("ASLParserException", "Error="))
    assert sfn.list_state_machines()["stateMachines"] == []


def test_the_same_definition_is_accepted_again_and_each_execution_runs_it(sfn):
    machines = [
        sfn.create_state_machine(name=name, definition=_constant("a"), roleArn=ROLE)[
            "stateMachineArn"
        ]
        for name in ("first", "second")
    ]

    outputs = [_output(sfn, m, name) for m in machines for name in ("one", "two")]

    assert outputs == [{"value": "a"}] * 4


def test_a_changed_definition_runs_as_changed(sfn):
    machine = sfn.create_state_machine(name="m", definition=_constant("old"), roleArn=ROLE)[
        "stateMachineArn"
    ]
    assert _output(sfn, machine, "before") == {"value": "old"}

    sfn.update_state_machine(stateMachineArn=machine, definition=_constant("new"))

    assert _output(sfn, machine, "after") == {"value": "new"}


def _components(root: EvalComponent) -> list[object]:
    """Every object of moto's Step Functions parser in the tree below ``root``, ``root``
    included (the components, their fields and what they hold), its enum constants aside."""
    found: dict[int, object] = {}
    pending: list[Any] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, enum.Enum):
            continue  # a constant, one per process by design
        if type(item).__module__.startswith("moto.stepfunctions.parser.asl"):
            if id(item) in found or not hasattr(item, "__dict__"):
                continue
            found[id(item)] = item
            pending.extend(vars(item).values())
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set):
            pending.extend(item)
    return list(found.values())


def test_no_two_executions_share_a_component_of_the_tree(sfn):
    # what the entrypoint reads of an execution's worker
    details = SimpleNamespace(state_machine_details=SimpleNamespace(definition=_constant("a")))
    worker: Any = SimpleNamespace(_evaluation_details=details)

    first, second = (ExecutionWorker._get_evaluation_entrypoint(worker) for _ in range(2))

    ones, twos = _components(first), _components(second)
    assert len(ones) == len(twos) > 5  # the program, its states, their fields
    assert sorted(type(c).__name__ for c in ones) == sorted(type(c).__name__ for c in twos)
    assert not {id(c) for c in ones} & {id(c) for c in twos}


def test_each_copy_is_what_a_deep_copy_of_the_parse_would_be(sfn):
    # the copy is unpickled (stepfunctions.pickled): it copies as copy.deepcopy does only
    # while no class of the tree has a copy or pickle method of its own
    details = SimpleNamespace(state_machine_details=SimpleNamespace(definition=_constant("a")))
    worker: Any = SimpleNamespace(_evaluation_details=details)
    copied = ExecutionWorker._get_evaluation_entrypoint(worker)
    own = {"__copy__", "__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__"}

    classes = {cls for c in _components(copied) for cls in type(c).__mro__ if cls is not object}
    assert {f"{cls.__name__}.{name}" for cls in classes for name in own & set(vars(cls))} == set()
    assert [type(c).__name__ for c in _components(copied)] == [
        type(c).__name__ for c in _components(copy.deepcopy(copied))
    ]


def test_the_lambda_invocations_of_a_run_share_one_client_per_region(sfn):
    made = [
        lambda_eval_utils.boto_client_for(region=region, service="lambda")
        for region in ("us-east-1", "us-east-1", "eu-west-1")
    ]

    assert made[0] is made[1]
    assert made[2] is not made[0]
    assert [c.meta.region_name for c in made] == ["us-east-1", "us-east-1", "eu-west-1"]


def _chain(length: int) -> str:
    """A definition of ``length`` Pass states in a row: 2 + 2 x ``length`` history events."""
    states = {
        f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < length else {"End": True})}
        for i in range(1, length + 1)
    }
    return json.dumps({"StartAt": "S1", "States": states})


@pytest.fixture
def long_history(sfn: Any) -> str:
    """A finished execution of 122 history events."""
    machine = sfn.create_state_machine(name="chain", definition=_chain(60), roleArn=ROLE)
    _output(sfn, machine["stateMachineArn"], "long")
    [execution] = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    return str(execution["executionArn"])


def _pages(sfn: Any, arn: str, **request: Any) -> list[list[int]]:
    """The event ids of each page, following nextToken."""
    pages, token = [], None
    while True:
        answer = sfn.get_execution_history(
            executionArn=arn, **request, **({"nextToken": token} if token else {})
        )
        pages.append([event["id"] for event in answer["events"]])
        token = answer.get("nextToken")
        if token is None:
            return pages


def test_the_history_comes_in_pages_of_100_oldest_first_or_newest_first(sfn, long_history):
    # https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
    assert _pages(sfn, long_history) == [list(range(1, 101)), list(range(101, 123))]
    assert _pages(sfn, long_history, maxResults=0) == _pages(sfn, long_history)
    assert _pages(sfn, long_history, maxResults=50, reverseOrder=True) == [
        list(range(122, 72, -1)),
        list(range(72, 22, -1)),
        list(range(22, 0, -1)),
    ]
    assert _pages(sfn, long_history, maxResults=1000) == [list(range(1, 123))]
    assert _pages(sfn, long_history, maxResults=61) == [list(range(1, 62)), list(range(62, 123))]


def test_a_page_token_is_good_only_for_its_execution_and_order(sfn, long_history):
    token = sfn.get_execution_history(executionArn=long_history, maxResults=10)["nextToken"]
    machine = sfn.create_state_machine(name="other", definition=_constant("a"), roleArn=ROLE)
    _output(sfn, machine["stateMachineArn"], "other")
    [other] = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]

    for request in (
        {"executionArn": long_history, "nextToken": "never-issued"},
        {"executionArn": long_history, "nextToken": token, "reverseOrder": True},
        {"executionArn": other["executionArn"], "nextToken": token},
    ):
        with pytest.raises(ClientError) as refused:
            sfn.get_execution_history(**request)
        error = refused.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "InvalidToken",
            400,
        )


def test_more_than_1000_events_a_page_is_refused(sfn, long_history):
    with pytest.raises(ClientError) as refused:
        sfn.get_execution_history(executionArn=long_history, maxResults=1001)

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "'maxResults'" in refused.value.response["Error"]["Message"]


@pytest.mark.parametrize("seen", [0, 1, 21, 100, 121, 122])
def test_following_reads_the_events_after_the_last_seen(sfn, long_history, seen):
    everything = history(sfn, long_history)

    assert [e["id"] for e in everything] == list(range(1, 123))
    assert events_after(sfn, long_history, seen) == everything[seen:]


def test_a_states_runtime_error_is_not_caught_by_states_all(sfn):
    # AWS: "A retry or catch on States.ALL won't catch States.Runtime errors"
    # (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
    # LocalStack's engine catches it (tests/interpreters/test_localstack.py).
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "smdeploy-notify", "Payload": {"x.$": "$.no.such.path"}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        "End": True,
    }
    definition = {
        "StartAt": "Select",
        "States": {"Select": task, "Caught": {"Type": "Pass", "End": True}},
    }
    machine = sfn.create_state_machine(
        name="runtime-error", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    for _ in range(2000):
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.005)

    # caught, it would have gone on to the Pass state and SUCCEEDED
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert "$.no.such.path" in described["cause"]
