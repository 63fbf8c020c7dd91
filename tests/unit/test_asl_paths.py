"""Every path of the state machine ends well: walked, as data, from StartAt through every
``Next``, every ``Choice`` branch and ``Default`` and every ``Catch``, to each ending.

On each path that took the endpoint's lease (past Admit, other than Admit's own SUPERSEDED
decision, which already let it go), a Release state runs after the last Admit, and a Notify
state after that, before the path ends; a path that never took the lease (Validate's failures
and skips, Admit's supersession) still notifies. Loops (the wait for the lease, the parks, the
restore loop) are gone round once: a path takes no edge more than twice. Each check is also run on
deliberately broken copies of the definition (changed in memory, table-driven), which it must
reject, so that the walk is known to look where it should.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from smdeploy import resources

ASL: dict[str, Any] = json.loads(resources.DEFINITION.read_text())
LEASE = "${LeaseFunctionArn}"
NOTIFY = "${NotifyFunctionArn}"
# Admit's decisions that hold nothing: SUPERSEDED (the record written without this deployment)
# and NOT_NEEDED (a rejection recorded, with nothing to roll back: no claim of it is kept)
ADMIT_LET_GO = {("Admitted?", "SupersededAtAdmit"), ("Admitted?", "NothingToRollBack")}


def edges(state: dict[str, Any]) -> list[str]:
    """Every state this one can move to: Next, each Choice branch, Default, each Catch."""
    found = [c["Next"] for c in state.get("Choices", [])]
    found += [state[key] for key in ("Next", "Default") if key in state]
    found += [c["Next"] for c in state.get("Catch", [])]
    return found


def is_end(state: dict[str, Any]) -> bool:
    return bool(state.get("End")) or state["Type"] in ("Fail", "Succeed")


def walk(asl: dict[str, Any]) -> Iterator[list[str]]:
    """Every path from StartAt to an ending that takes no edge more than twice: each loop (the
    wait for the lease, the parks, the restore loop) is gone round once, then left by each of
    its ways out. A Task that ends (``End``) may still go on by its Catch."""
    states = asl["States"]

    def go(path: list[str], used: Counter[tuple[str, str]]) -> Iterator[list[str]]:
        state = states[path[-1]]
        onward = edges(state)
        if is_end(state):
            yield path
            onward = [c["Next"] for c in state.get("Catch", [])]
        for name in dict.fromkeys(onward):
            step = (path[-1], name)
            if used[step] < 2:
                yield from go([*path, name], used + Counter([step]))

    yield from go([asl["StartAt"]], Counter())


def trapped(asl: dict[str, Any]) -> list[str]:
    """The states from which no ending can be reached (a loop with no way out)."""
    states = asl["States"]
    ending = {name for name, state in states.items() if is_end(state)}
    changed = True
    while changed:
        more = {n for n, s in states.items() if n not in ending and set(edges(s)) & ending}
        ending |= more
        changed = bool(more)
    return sorted(set(states) - ending)


def taken_edges(asl: dict[str, Any]) -> set[tuple[str, str]]:
    """The edges the walked paths take."""
    return {step for path in walk(asl) for step in itertools.pairwise(path)}


def is_release(state: dict[str, Any]) -> bool:
    return (
        state["Type"] == "Task"
        and state.get("Resource") == LEASE
        and state["Parameters"]["Action"] == "Release"
    )


def is_admit(state: dict[str, Any]) -> bool:
    return (
        state["Type"] == "Task"
        and state.get("Resource") == LEASE
        and state["Parameters"]["Action"] == "Admit"
    )


def is_notify(state: dict[str, Any]) -> bool:
    return state["Type"] == "Task" and state.get("Resource") == NOTIFY


def took_the_lease(path: list[str], states: dict[str, Any]) -> bool:
    """Past Admit, other than by Admit's own SUPERSEDED or NOT_NEEDED decision (Admit wrote
    the record without this deployment: nothing is held)."""
    if not any(is_admit(states[name]) for name in path):
        return False
    return not ADMIT_LET_GO & set(itertools.pairwise(path))


def path_problems(path: list[str], states: dict[str, Any]) -> list[str]:
    shown = " -> ".join(path)
    notifies = [i for i, name in enumerate(path) if is_notify(states[name])]
    if not notifies:
        return [f"ends without a notification: {shown}"]
    if not took_the_lease(path, states):
        return []
    admitted = max(i for i, name in enumerate(path) if is_admit(states[name]))
    releases = [i for i, name in enumerate(path) if is_release(states[name]) and i > admitted]
    if not releases:
        return [f"ends holding the lease (no Release after Admit): {shown}"]
    if min(releases) > max(notifies):
        return [f"notifies before it releases the lease: {shown}"]
    return []


def problems(asl: dict[str, Any]) -> list[str]:
    """What is wrong with the definition's paths (nothing, for a good one), and every edge
    that no walked path takes (a Catch or a branch the walk would not check)."""
    states = asl["States"]
    found = [problem for path in walk(asl) for problem in path_problems(path, states)]
    found += [f"never ends (a loop with no way out): {name}" for name in trapped(asl)]
    every = {(name, n) for name, state in states.items() for n in edges(state)}
    found += [f"never walked: {a} -> {b}" for a, b in sorted(every - taken_edges(asl))]
    return found


PATHS = list(walk(ASL))


def test_the_walk_covers_every_catch_and_every_choice_branch():
    states = ASL["States"]
    taken = taken_edges(ASL)
    for name, state in states.items():
        for catcher in state.get("Catch", []):
            assert (name, catcher["Next"]) in taken, (name, catcher)
        for choice in state.get("Choices", []):
            assert (name, choice["Next"]) in taken, (name, choice)
        if "Default" in state:
            assert (name, state["Default"]) in taken, name


def test_each_path_runs_from_start_to_an_ending_through_every_state_and_no_edge_thrice():
    states = ASL["States"]
    for path in PATHS:
        assert path[0] == ASL["StartAt"], path
        assert is_end(states[path[-1]]), path
        assert max(Counter(itertools.pairwise(path)).values(), default=0) <= 2, path
    assert {name for path in PATHS for name in path} == set(states)


def test_every_path_releases_the_lease_it_took_then_notifies_before_it_ends():
    assert problems(ASL) == []


def test_the_paths_that_never_took_the_lease_still_notify():
    states = ASL["States"]
    untaken = [p for p in PATHS if not took_the_lease(p, states)]
    # Validate's failures (raised, or its input not an object) and skips, Admit's supersession
    assert {p[1] for p in untaken} == {"CarryValidationFailure", "NothingToDeploy?"}
    assert any("SupersededAtAdmit" in p for p in untaken)
    assert all(any(is_notify(states[n]) for n in p) for p in untaken)


def _broken(change: str) -> dict[str, Any]:
    asl = copy.deepcopy(ASL)
    s = asl["States"]
    if change == "deploy-catch-skips-release":
        s["Deploy"]["Catch"][-1]["Next"] = "NotifyFailed"
    elif change == "superseded-at-describe-skips-release":
        s["SupersededAtDescribe"]["Next"] = "Superseded"
    elif change == "superseded-at-deploy-skips-release":
        s["RescaleSuperseded"]["Next"] = "Superseded"
        s["RescaleSuperseded"]["Catch"][-1]["Next"] = "Superseded"
    elif change == "success-skips-release":
        s["ScaleVariants"]["Next"] = "DeploymentSucceeded"
    elif change == "unguarded-success-skips-release":
        s["GuardrailsAfterUpdate?"]["Default"] = "DeploymentSucceeded"
    elif change == "release-skips-notify":
        s["ReleaseAfterFailure"]["Next"] = "DeploymentFailed"
        s["ReleaseAfterFailure"]["Catch"][-1]["Next"] = "DeploymentFailed"
    elif change == "validate-failure-skips-notify":
        s["CarryValidationFailure"]["Next"] = "DeploymentFailed"
    elif change == "restore-loop-never-ends":
        s["CheckRestore"]["Catch"][-1]["Next"] = "WaitForRestore"
    elif change == "notify-before-release":
        s["RescaleAfterFailure?"]["Default"] = "NotifyFailed"
        s["NotifyFailed"]["Next"] = "ReleaseAfterFailure"
        s["NotifyFailed"]["Catch"][-1]["Next"] = "ReleaseAfterFailure"
        s["ReleaseAfterFailure"]["Next"] = "DeploymentFailed"
        s["ReleaseAfterFailure"]["Catch"][-1]["Next"] = "DeploymentFailed"
    else:
        raise AssertionError(change)
    return asl


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        ("deploy-catch-skips-release", "ends holding the lease"),
        ("superseded-at-describe-skips-release", "ends holding the lease"),
        ("superseded-at-deploy-skips-release", "ends holding the lease"),
        ("success-skips-release", "ends holding the lease"),
        ("unguarded-success-skips-release", "ends holding the lease"),
        ("release-skips-notify", "ends without a notification"),
        ("validate-failure-skips-notify", "ends without a notification"),
        ("restore-loop-never-ends", "never ends"),
        ("notify-before-release", "notifies before it releases"),
    ],
)
def test_a_broken_definition_is_caught(change, reported):
    found = problems(_broken(change))

    assert any(reported in problem for problem in found), found
