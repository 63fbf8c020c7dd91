"""The wait, side by side: woken by SageMaker's events, with the events lost, and polled.

For creations of 125 s, 600 s and 1,799 s (durations that are not multiples of 30) and an
update with a canary policy, one run each of:

- **event-driven**: smdeploy as it is (the deployment parks on a task token; SageMaker's
  "SageMaker Endpoint State Change" event wakes it; ``--event-delay 0``);
- **events dropped**: every endpoint event lost (``--drop-endpoint-events``): the park's
  timeout is the safety net, and one DescribeEndpoint decides;
- **polling 30 s**: the same state machine with the park replaced by a 30-s Wait -> Describe
  loop, as the boto3 ``endpoint_in_service`` waiter and the SageMaker Python SDK poll (and as
  smdeploy did before the event-driven wait).

Columns: DescribeEndpoint calls, state transitions (as Step Functions bills them), Lambda
invocations (the wake function's included), detection lag (simulated seconds between the
endpoint reaching its final status and the execution knowing it), the price of the
transitions at $0.025 per 1,000, and wall seconds of the whole ``smdeploy local`` run.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smdeploy import resources
from smdeploy.runtime.faults import Faults
from smdeploy.runtime.local import LocalDeployment, Outcome

PRICE_PER_TRANSITION = 0.025 / 1000
POLL_SECONDS = 30
PARKS = ("ParkUntilSettled", "ParkAgain")
MODES = ("event-driven", "events dropped", "polling 30 s")


def polling_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """The deployer's state machine with its park replaced by a fixed 30-s polling loop."""
    polled = copy.deepcopy(definition)
    states = polled["States"]
    for park in PARKS:
        states.pop(park)
    states["PollEvery30s"] = {
        "Type": "Wait",
        "Seconds": POLL_SECONDS,
        "Next": "DescribeEndpoint",
    }
    for state in states.values():
        for key in ("Next", "Default"):
            if state.get(key) in PARKS:
                state[key] = "PollEvery30s"
    return polled


@contextmanager
def polling_file() -> Iterator[Path]:
    definition = json.loads(resources.DEFINITION.read_text())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "polling.asl.json"
        path.write_text(json.dumps(polling_definition(definition)))
        yield path


def _example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((resources.EXAMPLES / name).read_text())
    return loaded


def canary_update() -> dict[str, Any]:
    """request-v2.json, rolled out as a canary: half the capacity first, then the rest."""
    request = _example("request-v2.json")
    request["DeploymentConfig"] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": 300,
            },
            "TerminationWaitInSeconds": 120,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }
    return request


@dataclass(frozen=True)
class Case:
    name: str
    requests: tuple[str, ...]  # example files; "canary" is canary_update()
    seconds: float


CASES = (
    Case("create, 125 s", ("request.json",), 125),
    Case("create, 600 s", ("request.json",), 600),
    Case("create, 1,799 s", ("request.json",), 1799),
    Case("update (canary), 600 s", ("request.json", "canary"), 600),
)


@dataclass
class Measured:
    case: str
    mode: str
    outcome: Outcome
    wall: float


def run(case: Case, mode: str, polling: Path) -> Measured:
    faults = Faults(
        creation_seconds=case.seconds,
        drop_endpoint_events=1.0 if mode == "events dropped" else 0.0,
    )
    definition = polling if mode == "polling 30 s" else resources.DEFINITION
    started = time.perf_counter()
    with LocalDeployment(faults=faults, seed=1, definition_file=definition) as account:
        outcomes = [
            account.deploy(canary_update() if name == "canary" else _example(name), label=name)
            for name in case.requests
        ]
    return Measured(case.name, mode, outcomes[-1], time.perf_counter() - started)


def measure() -> list[Measured]:
    with polling_file() as polling:
        run(CASES[0], MODES[0], polling)  # warm up: imports and first parses are no one's cost
        return [run(case, mode, polling) for case in CASES for mode in MODES]


WAIT_TITLE = "smdeploy: how the deployment learns the outcome (last request of each case)"
WAIT_COLUMNS = (
    "case",
    "wait",
    "status",
    "DescribeEndpoint",
    "state transitions",
    "Lambda invocations",
    "detection lag s",
    "$ transitions",
    "wall s",
)


def wait_rows(rows: list[Measured]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for row in rows:
        stats = row.outcome.stats
        assert stats is not None
        lag = stats.detection_lag_seconds
        out.append(
            (
                row.case,
                row.mode,
                row.outcome.status,
                str(stats.describe_calls),
                str(stats.state_transitions),
                str(stats.lambda_invocations),
                "-" if lag is None else f"{lag:.0f}",
                f"{stats.state_transitions * PRICE_PER_TRANSITION:.5f}",
                f"{row.wall:.2f}",
            )
        )
    return out
