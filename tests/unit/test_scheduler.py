"""The emulator's scheduler: a scheduled change that raises stops the run with its exception."""

from __future__ import annotations

import pytest

from smdeploy.runtime.emulator import Scheduler, SimClock


class ChangeFailed(Exception):
    pass


def failing() -> None:
    raise ChangeFailed("the change broke")


def scheduler() -> Scheduler:
    return Scheduler(SimClock(start=1_000_000))


def test_changes_fire_in_order_each_at_its_time() -> None:
    timeline = scheduler()
    fired: list[tuple[str, float]] = []
    timeline.after(20, lambda: fired.append(("late", timeline.clock.elapsed)))
    timeline.after(10, lambda: fired.append(("early", timeline.clock.elapsed)))

    timeline.advance_by(30)

    assert fired == [("early", 10.0), ("late", 20.0)]
    assert timeline.clock.elapsed == 30.0


def test_a_change_that_raises_stops_the_run_with_its_exception() -> None:
    timeline = scheduler()
    fired: list[str] = []
    timeline.after(10, failing)
    timeline.after(20, lambda: fired.append("after the failure"))

    with pytest.raises(ChangeFailed, match="the change broke"):
        timeline.advance_by(30)

    # the run stays stopped: every later move of the clock, and a check, raise it again
    with pytest.raises(ChangeFailed):
        timeline.advance_by(30)
    with pytest.raises(ChangeFailed):
        timeline.check()
    assert fired == []
    assert timeline.clock.elapsed == 10.0


def test_the_driver_stops_the_run_with_the_exception() -> None:
    timeline = scheduler()
    timeline.after(5, failing)
    parked = type("Endpoint", (), {"callback_id": "token"})()
    parked._notify_event = type("Event", (), {"is_set": staticmethod(lambda: False)})()
    timeline.park(parked, timeout=60)

    with pytest.raises(ChangeFailed):
        timeline.step_if_idle(lambda: (1, {"token"}))

    assert isinstance(timeline.failure, ChangeFailed)


def test_no_failure_no_check() -> None:
    timeline = scheduler()
    timeline.after(1, lambda: None)
    timeline.advance_by(2)
    timeline.check()
    assert timeline.failure is None


def nothing_runs() -> tuple[int, set[str]]:
    return 0, set()


@pytest.mark.parametrize(
    ("settle", "held", "label", "moved"),
    [
        (True, False, "endpoint", 90.0),  # the emulator server: the deletion ends
        (False, False, "endpoint", 0.0),  # in-process: time is its executions'
        (True, True, "endpoint", 0.0),  # held: the outside world acts first
        (True, False, "smdeploy-sweep", 0.0),  # only a schedule's tick: nothing to settle
    ],
)
def test_with_nothing_running_only_the_server_settles_an_endpoint_change(
    settle: bool, held: bool, label: str, moved: float
) -> None:
    timeline = scheduler()
    fired: list[tuple[str, float]] = []
    timeline.after(60, lambda: fired.append(("tick", timeline.clock.elapsed)), "smdeploy-sweep")
    timeline.after(90, lambda: fired.append(("done", timeline.clock.elapsed)), label)

    if held:
        with timeline.held():
            timeline.step_if_idle(nothing_runs, settle_when_idle=settle)
    else:
        timeline.step_if_idle(nothing_runs, settle_when_idle=settle)

    assert timeline.clock.elapsed == moved
    assert fired == ([("tick", 60.0), ("done", 90.0)] if moved else [])
