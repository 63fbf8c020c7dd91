"""``make bench``: what each kind of deployment costs, and each function's cold start.

Prints six tables (seven with valgrind). The last is :mod:`bench.coldstart` (each stage
function's cold start on the unpacked Lambda asset with Python 3.13, as a ratio to ``import
boto3; boto3.client("sagemaker")`` from the same tree), in CPU time, then, where valgrind is
installed, in instructions. The first: per scenario, the
execution's outcome, its DescribeEndpoint calls, state transitions (as Step Functions bills
them, retries included), Lambda invocations, simulated duration, detection lag (simulated
seconds between the endpoint reaching its final status and the execution knowing it), wall
seconds on this machine, and the Standard-workflow price of its transitions at $0.025 per
1,000 (us-east-1, before the free tier).

Wall seconds vary with the machine; everything else is deterministic (fixed seed).

Then the wait side by side (:mod:`bench.wait`): creations of 125 s, 600 s and 1,799 s and
a canary update, each woken by SageMaker's events, with the events lost, and polled every 30 s.

Then lost events and the sweep (:mod:`bench.sweep`): SageMaker's endpoint events delivered,
delayed and lost, with 1, 10 and 100 deployments parked at once; detection lag, SageMaker
calls, transitions and the list price of a deployment (about 4 minutes, most of it the 100).

Then the race table (:mod:`bench.races`): deployments that meet, each scenario run
``RACE_RUNS`` times (seeds 1, 2, ...) on fresh emulators with random invocation delays.
``python -m bench --race-runs N`` changes the number of runs; 0 skips the races.

Then the validator, fuzzed (:mod:`bench.fuzz`): 10,000 requests with guardrails, each with
fields of one family given values of every JSON type, through the request and profile checks:
violations found, wrong types reported by their path, and tracebacks (zero).

``python -m bench --only PART`` prints one table: ``costs``, ``wait``, ``sweep``, ``races``,
``fuzz`` or ``coldstart``.

``python -m bench --write-docs`` (what ``make bench`` runs) also writes the first table, as
Markdown, into docs/internals/costs.md between its ``<!-- bench: costs begin -->`` and
``<!-- bench: costs end -->`` markers, and the cold-start table between its ``coldstart``
markers; what it prints is the same.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import components, fuzz, sweep, wait
from bench.races import measure, scenarios, table
from smdeploy import present
from smdeploy.resources import EXAMPLES
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.local import LocalDeployment, Outcome

PRICE_PER_TRANSITION = 0.025 / 1000
RACE_RUNS = 5
ROOT = Path(__file__).resolve().parent.parent  # the repository: bench runs from a checkout
COSTS_PAGE = ROOT / "docs" / "internals" / "costs.md"


def _example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return loaded


@dataclass
class Scenario:
    name: str
    requests: list[str]
    faults: dict[str, Any] = field(default_factory=dict)
    deadline_seconds: int | None = None
    measured: Callable[[list[Outcome]], Outcome] = lambda outcomes: outcomes[-1]


SCENARIOS = [
    Scenario("create, 5 min", ["request.json"]),
    Scenario("create, 10 min", ["request.json"], {"creation_seconds": 600}),
    Scenario("create, 30 min", ["request.json"], {"creation_seconds": 1800}),
    Scenario("update (blue/green, linear), 12 min", ["request.json", "request-v2.json"]),
    Scenario("already deployed (replay)", ["request.json", "request.json"]),
    Scenario("config visible after 3 tries", ["request.json"], {"config_visibility_lag": 3}),
    Scenario("throttled 3 times", ["request.json"], {"throttle": {"DescribeEndpoint": 3}}),
    Scenario("endpoint Failed", ["request.json"], {"fail_endpoint": "insufficient capacity"}),
    Scenario(
        "update rolled back",
        ["request.json", "request-v2.json"],
        {"rollback_update": "alarm tripped"},
    ),
    Scenario("deadline (60 min)", ["request.json"], {"creation_seconds": 7200}),
    Scenario("invalid request", ["invalid-request.json"]),
]


def run(scenario: Scenario) -> Outcome:
    with LocalDeployment(
        faults=Faults(**scenario.faults), seed=1, deadline_seconds=scenario.deadline_seconds
    ) as account:
        outcomes = [account.deploy(_example(name), label=name) for name in scenario.requests]
    return scenario.measured(outcomes)


# The columns, named as docs/internals/costs.md's table names them.
COLUMNS = (
    "scenario",
    "status",
    "error",
    "DescribeEndpoint",
    "state transitions",
    "Lambda invocations",
    "simulated s",
    "detection lag s",
    "wall s",
    "$ transitions",
)


PARTS = ("costs", "components", "wait", "sweep", "races", "fuzz", "coldstart")


def costs() -> list[tuple[str, ...]]:
    """Print the first table; return its rows."""
    err, out = present.stderr(), present.stdout()
    err.print("warming up (imports and first-time parsing are not a deployment's cost)")
    run(SCENARIOS[0])
    rows: list[tuple[str, ...]] = []
    for number, scenario in enumerate(SCENARIOS, start=1):
        err.print(f"scenario {number}/{len(SCENARIOS)}: {scenario.name}")
        outcome = run(scenario)
        stats = outcome.stats
        assert stats is not None
        lag = stats.detection_lag_seconds
        rows.append(
            (
                scenario.name,
                outcome.status,
                outcome.error or "",
                str(stats.describe_calls),
                str(stats.state_transitions),
                str(stats.lambda_invocations),
                f"{stats.simulated_seconds:.0f}",
                "-" if lag is None else f"{lag:.0f}",
                f"{stats.wall_seconds:.2f}",
                f"{stats.state_transitions * PRICE_PER_TRANSITION:.5f}",
            )
        )
    out.rows(
        "smdeploy: one deployment, measured in the embedded runtime (last request of each)",
        COLUMNS,
        rows,
        right=COLUMNS[3:],
    )
    return rows


def markdown(columns: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[str]) -> str:
    """A Markdown table; the ``right`` columns aligned right."""
    lines = ["| " + " | ".join(columns) + " |"]
    lines.append("| " + " | ".join("---:" if c in right else "---" for c in columns) + " |")
    lines += ["| " + " | ".join(cell for cell in row) + " |" for row in rows]
    return "\n".join(lines).replace("|  |", "| |")


def write_between(page: Path, name: str, text: str) -> None:
    """Replace what ``page`` holds between ``<!-- bench: NAME begin -->`` and ``... end -->``."""
    begin, end = f"<!-- bench: {name} begin -->\n", f"\n<!-- bench: {name} end -->"
    before, found, rest = page.read_text().partition(begin)
    _, found_end, after = rest.partition(end)
    if not (found and found_end):
        raise SystemExit(f"{page}: no {begin.strip()} ... {end.strip()} markers")
    page.write_text(before + begin + text + end + after)


def components_table() -> None:
    present.stderr().print("inference components: looked at, as no event tells their changes")
    out = present.stdout()
    out.print()
    rows = components.rows(_example(components.EXAMPLE))
    out.rows(
        components.COMPONENTS_TITLE,
        components.COMPONENTS_COLUMNS,
        rows,
        right=components.COMPONENTS_COLUMNS[3:],
    )
    out.print()
    out.rows(
        components.ZERO_TITLE,
        components.ZERO_COLUMNS,
        [components.from_zero(_example(components.EXAMPLE))],
        right=components.ZERO_COLUMNS[1:],
    )


def waits() -> None:
    present.stderr().print("the wait: events, events lost, 30-s polling")
    out = present.stdout()
    out.print()
    out.rows(
        wait.WAIT_TITLE,
        wait.WAIT_COLUMNS,
        wait.wait_rows(wait.measure()),
        right=wait.WAIT_COLUMNS[3:],
    )


def sweep_table() -> None:
    present.stderr().print(
        "lost events and the sweep: delivered, delayed, lost x 1, 10, 100 parked deployments"
    )
    out = present.stdout()
    out.print()
    out.rows(
        sweep.SWEEP_TITLE,
        sweep.SWEEP_COLUMNS,
        sweep.sweep_rows(sweep.measure()),
        right=sweep.SWEEP_COLUMNS[1:],
    )
    out.print(
        f"the sweep itself, every minute of a month: ${sweep.monthly_sweep_dollars():.4f} "
        f"(Scheduler and Lambda, at {sweep.BILLED_MS} ms per invocation)"
    )


def race_table(race_runs: int) -> None:
    runs = []
    for race in (*scenarios.SCENARIOS, scenarios.THROTTLED_AT_SCALE):
        present.stderr().print(f"race: {race.name} ({race_runs} runs)")
        runs += [measure.run(race, seed) for seed in range(1, race_runs + 1)]
    out = present.stdout()
    out.print()
    out.rows(
        table.RACE_TITLE,
        table.RACE_COLUMNS,
        table.race_rows(runs),
        right=table.RACE_COLUMNS[1:-1],
    )


def fuzz_table() -> None:
    present.stderr().print(f"the validator, fuzzed: {fuzz.INPUTS:,} requests")
    tallies = fuzz.measure()
    out = present.stdout()
    out.print()
    out.rows(
        fuzz.FUZZ_TITLE, fuzz.FUZZ_COLUMNS, fuzz.fuzz_rows(tallies), right=fuzz.FUZZ_COLUMNS[1:]
    )
    for where, count in fuzz.tracebacks(tallies).most_common():
        out.print(f"traceback x{count}: {where}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--race-runs", type=int, default=RACE_RUNS, metavar="N")
    parser.add_argument("--only", choices=PARTS, help="print only this table")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"also write the first table into {COSTS_PAGE.relative_to(ROOT)}",
    )
    options = parser.parse_args()
    chosen = (options.only,) if options.only else PARTS
    if "costs" in chosen:
        rows = costs()
        if options.write_docs:
            write_between(COSTS_PAGE, "costs", markdown(COLUMNS, rows, COLUMNS[3:]))
            present.stderr().print(f"wrote the costs table into {COSTS_PAGE.relative_to(ROOT)}")
    if "components" in chosen:
        components_table()
    if "wait" in chosen:
        waits()
    if "sweep" in chosen:
        sweep_table()
    if "races" in chosen and options.race_runs > 0:
        race_table(options.race_runs)
    if "fuzz" in chosen:
        fuzz_table()
    if "coldstart" in chosen:
        # In a process of its own: the functions run in this one, and their clients, created
        # once per process as in Lambda, still point at the in-process emulator of the runs
        # above.
        docs = ["--write-docs"] if options.write_docs else []
        subprocess.run([sys.executable, "-m", "bench.coldstart", *docs], check=True)
        # the same, counted in instructions, which other load does not move (needs valgrind)
        if shutil.which("valgrind"):
            command = [sys.executable, "-m", "bench.coldstart_instructions", *docs]
            subprocess.run(command, check=True)
        else:
            present.stderr().print("no valgrind on the PATH: cold starts not counted")


if __name__ == "__main__":
    main()
