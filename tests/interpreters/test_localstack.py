"""The deployer's state machine on a second interpreter: LocalStack's Step Functions engine
replays every scenario recorded on moto's (tests/interpreters/record.py) and must agree with it
on each payload sent to a function, each state entered, and the execution's end (issue 21,
item 1).

Runs in LocalStack's own virtual environment, made by ``make interpreters``, which records the
scenarios first; ``SMDEPLOY_RECORDINGS`` names the folder of recordings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import localstack_engine as engine
import pytest

RECORDINGS = Path(os.environ.get("SMDEPLOY_RECORDINGS", "build/interpreters"))

# the matrix of the issue, each named as record.py names it
MATRIX = {
    "first-deployment-woken-by-its-event",  # a first deployment, and a task-token wake
    "update",
    "invalid-request",
    "config-not-yet-visible",  # the eventual-consistency retry
    "throttled",  # a throttling retry
    "crash-then-retry",
    "park-timeout",
    "superseded",
    "endpoint-failed",
    "silent-rollback",
    "smoke-test-failed-old-config-restored",
    "inference-components",  # the Wait loop that looks at them until done
    "inference-component-failed",
    "deadline",
}


def recordings() -> list[Any]:
    return [
        pytest.param(json.loads(path.read_text()), id=path.stem)
        for path in sorted(RECORDINGS.glob("*.json"))
    ]


@pytest.fixture(scope="module", autouse=True)
def _engine() -> None:
    engine.install()


def test_every_scenario_of_the_matrix_was_recorded():
    assert {path.stem for path in RECORDINGS.glob("*.json")} == MATRIX


@pytest.mark.parametrize("recording", recordings())
def test_localstack_runs_the_scenario_as_moto_did(recording):
    result = engine.replay(recording)

    assert result.diverged == []
    assert result.invocations_answered == len(recording["Invocations"])
    assert result.states_entered == recording["StatesEntered"]
    assert engine.masked(result.end) == engine.masked(recording["End"])


def test_a_park_that_times_out_is_decided_by_localstack_after_its_park_seconds():
    recording = json.loads((RECORDINGS / "park-timeout.json").read_text())
    parks = [i for i in recording["Invocations"] if i.get("WaitForTaskToken")]

    result = engine.replay(recording)

    assert parks and parks[0]["Callback"] == {"TimedOut": True}
    park_seconds = parks[0]["Payload"]["Deployment"]["ParkSeconds"]
    assert ("Callback timeout", park_seconds) in result.waits
    timed_out = [e for e in result.history if e["type"] == "TaskTimedOut"]
    assert [e["taskTimedOutEventDetails"]["error"] for e in timed_out] == ["States.Timeout"]


# --- where the two engines differ from AWS ---------------------------------------------------

# A Task whose Parameters name a path that selects nothing fails with States.Runtime. AWS:
# "States.ALL ... can't catch the States.DataLimitExceeded terminal error or Runtime error
# types", and "A retry or catch on States.ALL won't catch States.Runtime errors"
# (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). moto's
# interpreter caught it too; the emulator corrects it (smdeploy/runtime/emulator/
# stepfunctions.py, tested in tests/functional/test_functional_emulator_stepfunctions.py).
# LocalStack's catches it. (An InputPath or OutputPath that selects nothing is uncaught on
# all three.) deployer.asl.json never relies on either: no scenario above meets a
# States.Runtime, and every path a State's data takes is checked against the payload models
# (tests/unit/test_payloads_asl.py).
RUNTIME_ERROR = {
    "StartAt": "Select",
    "States": {
        "Select": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "smdeploy-notify", "Payload": {"x.$": "$.no.such.path"}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}


def test_localstack_catches_a_states_runtime_error_with_states_all_where_aws_does_not():
    result = engine.replay(
        {
            "StateMachineName": "runtime-error",
            "RoleArn": f"arn:aws:iam::{engine.ACCOUNT}:role/runtime-error",
            "Definition": json.dumps(RUNTIME_ERROR),
            "ExecutionName": "runtime-error",
            "Input": {},
            "Invocations": [],
        }
    )

    # on AWS (and moto): FAILED, States.Runtime, and Caught never entered
    assert result.status == "SUCCEEDED"
    assert result.states_entered == ["Select", "Caught"]
