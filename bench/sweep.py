"""Lost endpoint events and the sweep: what a deployment costs when SageMaker's events are
delivered, delayed or lost, with 1, 10 and 100 deployments parked at once.

Each run opens a fresh emulated account, starts N deployments of N endpoints at the same
simulated moment (each a 300-s creation), and follows each to its end. The emulated
EventBridge Scheduler starts the Sweep function once a simulated minute (the first at once).
Events are:

- **delivered**: SageMaker's endpoint events reach the Wait function at once;
- **delayed**: each reaches it ``DELAY_SECONDS`` late (longer than a sweep interval: the
  sweep wakes the deployment first, and the late event finds no one waiting);
- **lost**: every one is lost (``--drop-endpoint-events``): the sweep alone wakes them.

Columns: the largest detection lag (simulated seconds between an endpoint reaching its final
status and its deployment knowing it), DescribeEndpoint calls per deployment, every SageMaker
call of the account per simulated minute (the deployments' own and the sweep's), the sweep's
own per sweep (ListEndpoints pages: it makes no other), state transitions and Lambda
invocations per deployment (the sweep's shared among the N), and the list price of one
deployment:

- Step Functions, Standard workflows: $0.025 per 1,000 state transitions
  (https://aws.amazon.com/step-functions/pricing/);
- Lambda, Arm: $0.20 per 1M requests and $0.0000133334 per GB-second
  (https://aws.amazon.com/lambda/pricing/), at 512 MB and an assumed ``BILLED_MS`` per
  invocation (the emulator runs the handlers in-process, so their duration on AWS is not
  measured here);
- EventBridge Scheduler: $1.00 per million scheduled invocations
  (https://aws.amazon.com/eventbridge/pricing/), the sweep's shared among the N.

All us-east-1, before free tiers. The sweep itself costs the account the same whether or not
anything is deployed: 43,200 invocations a month (``monthly_sweep_dollars``).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from typing import Any

from deployer import interface
from smdeploy import resources
from smdeploy.runtime.faults import Faults
from smdeploy.runtime.install import SWEEP_SCHEDULE
from smdeploy.runtime.local import ACCOUNT, REGION, LocalDeployment, Outcome

PRICE_PER_TRANSITION = 0.025 / 1000
PRICE_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
PRICE_PER_GB_SECOND = 0.0000133334  # Arm (the functions' architecture)
PRICE_PER_SCHEDULED_INVOCATION = 1.00 / 1_000_000
BILLED_MS = 200  # assumed billed duration of one invocation (a few AWS calls)
GB = interface.MEMORY_MB / 1024
CREATION_SECONDS = 300
DELAY_SECONDS = 90
MODES = ("delivered", "delayed", "lost")
PARKED = (1, 10, 100)
MINUTES_PER_MONTH = 30 * 24 * 60


def lambda_dollars(invocations: float) -> float:
    return invocations * (PRICE_PER_LAMBDA_REQUEST + GB * BILLED_MS / 1000 * PRICE_PER_GB_SECOND)


def monthly_sweep_dollars() -> float:
    """What the sweep costs an account in a month: a Scheduler invocation and a Sweep
    invocation each minute (the Wait invocations it causes are the deployments')."""
    return MINUTES_PER_MONTH * (PRICE_PER_SCHEDULED_INVOCATION + lambda_dollars(1))


def faults(mode: str) -> Faults:
    return Faults(
        creation_seconds=CREATION_SECONDS,
        event_delay=DELAY_SECONDS if mode == "delayed" else 0.0,
        drop_endpoint_events=1.0 if mode == "lost" else 0.0,
    )


def endpoint_request(index: int) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((resources.EXAMPLES / "request.json").read_text())
    named = copy.deepcopy(request)
    named["EndpointName"] = f"churn-predictor-{index:03d}"
    return named


@dataclass
class Measured:
    mode: str
    parked: int
    outcomes: list[Outcome]
    lags: list[float]
    describes: int
    sagemaker_calls: int
    list_calls: int
    lambda_invocations: int
    sweeps: int
    simulated_seconds: float
    wall: float


def run(mode: str, parked: int) -> Measured:
    """``parked`` deployments of as many endpoints, started at one simulated moment."""
    started = time.perf_counter()
    with LocalDeployment(faults=faults(mode), seed=1) as account:
        stats = account.emulator.stats
        begin = account.clock.now()
        with account.emulator.scheduler.held():
            arns = [
                account.stepfunctions.start_execution(
                    stateMachineArn=account.state_machine_arn,
                    name=account.execution_name(f"{mode}-{i}"),
                    input=json.dumps(endpoint_request(i)),
                )["executionArn"]
                for i in range(parked)
            ]
        outcomes = [account.follow(arn) for arn in arns]
        calls = account.emulator.store(ACCOUNT, REGION).calls
        return Measured(
            mode=mode,
            parked=parked,
            outcomes=outcomes,
            lags=list(stats.detection_lags),
            describes=stats.describe_calls,
            sagemaker_calls=sum(calls.values()),
            list_calls=calls.get("ListEndpoints", 0),
            lambda_invocations=stats.lambda_invocations,
            sweeps=sum(1 for rule, _, _ in account.emulator.invocations if rule == SWEEP_SCHEDULE),
            simulated_seconds=account.clock.now() - begin,
            wall=time.perf_counter() - started,
        )


def measure(parked: tuple[int, ...] = PARKED) -> list[Measured]:
    run("delivered", 1)  # warm up: imports and first parses are no one's cost
    return [run(mode, n) for n in parked for mode in MODES]


SWEEP_TITLE = (
    "smdeploy: lost endpoint events and the once-a-minute sweep "
    f"({CREATION_SECONDS}-s creations started together; $ per deployment)"
)
SWEEP_COLUMNS = (
    "events",
    "parked",
    "succeeded",
    "max lag s",
    "DescribeEndpoint / dep.",
    "SageMaker calls / min",
    "ListEndpoints / sweep",
    "transitions / dep.",
    "Lambda inv. / dep.",
    "$ Step Functions",
    "$ Lambda",
    "$ Scheduler",
    "$ total",
    "wall s",
)


def sweep_rows(rows: list[Measured]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for row in rows:
        n = row.parked
        minutes = max(row.simulated_seconds, 1.0) / 60
        transitions = sum(o.stats.state_transitions for o in row.outcomes if o.stats) / n
        invocations = row.lambda_invocations / n
        step_functions = transitions * PRICE_PER_TRANSITION
        lambda_cost = lambda_dollars(invocations)
        scheduler = row.sweeps / n * PRICE_PER_SCHEDULED_INVOCATION
        out.append(
            (
                row.mode,
                str(n),
                str(sum(o.status == "SUCCEEDED" for o in row.outcomes)),
                f"{max(row.lags):.0f}" if row.lags else "-",
                f"{row.describes / n:.2f}",
                f"{row.sagemaker_calls / minutes:.1f}",
                f"{row.list_calls / max(row.sweeps, 1):.2f}",
                f"{transitions:.1f}",
                f"{invocations:.2f}",
                f"{step_functions:.6f}",
                f"{lambda_cost:.6f}",
                f"{scheduler:.7f}",
                f"{step_functions + lambda_cost + scheduler:.6f}",
                f"{row.wall:.1f}",
            )
        )
    return out
