"""The race table that ``python -m bench`` prints: the runs of each scenario, summed."""

from __future__ import annotations

from bench.races.actions import JITTER
from bench.races.measure import Run

RACE_COLUMNS = (
    "scenario",
    "runs",
    "final config correct",
    "executions",
    "executions FAILED",
    "unexpected FAILED",
    "failed by transient errors",
    "false alarms",
    "configs left over",
    "orphans",
    "deleted while referenced",
    "errors",
)
RACE_TITLE = f"smdeploy: races, each run on a fresh emulator (invocation jitter 0-{JITTER} s)"


def race_rows(runs: list[Run]) -> list[tuple[str, ...]]:
    """Per scenario: runs, final config correct, executions (FAILED: all / beyond the
    scenario's own fault / by a transient error), false alarms, configs left over beyond
    retention, orphans, configs and models deleted while an endpoint referenced them.

    The expected final state: the last approval's version (approve v1, v2 at once: v2; v2,
    v1: v1; v2 then v1 again: v1), the config of the execution started last, the request
    re-run after a Failed endpoint, the request (or approval) whose crash was retried, the
    deployment after the abandoned one, every endpoint's newest request at scale; when v2 is
    rejected during its own deployment, v1 (or v3, approved after the rejection), with or
    without a rollback target, rollback on or off; when the first version is rejected while
    it creates the endpoint, no endpoint, or the rejection FAILED NoRollbackTarget."""
    by_scenario: dict[str, list[Run]] = {}
    for one in runs:
        by_scenario.setdefault(one.scenario, []).append(one)
    rows: list[tuple[str, ...]] = []
    for name, group in by_scenario.items():
        left = [r.left_over for r in group if r.left_over is not None]
        errors = sorted({error for r in group for error in r.errors})
        rows.append(
            (
                name,
                str(len(group)),
                f"{sum(r.correct for r in group)}/{len(group)}",
                str(sum(r.executions for r in group)),
                str(sum(r.failed for r in group)),
                str(sum(r.unexpected_failed for r in group)),
                str(sum(r.failed_transient for r in group)),
                str(sum(r.false_alarms for r in group)),
                str(sum(left)) if left else "-",
                str(sum(r.orphans for r in group)),
                str(sum(r.deleted_referenced for r in group)),
                ", ".join(errors) or "",
            )
        )
    return rows
