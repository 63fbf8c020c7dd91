"""The approval and rejection rules' groups, cut into batches whose patterns fit EventBridge's
2,048 characters: every group once, in order, the same way every time."""

from __future__ import annotations

import json

import pytest

from deployer import interface


def groups(count: int, width: int = 40) -> list[str]:
    return [f"g{i:03d}".ljust(width, "x") for i in range(count)]


@pytest.mark.parametrize(
    ("count", "batches"),
    [(0, 0), (1, 1), (2, 1), (42, 1), (43, 2), (84, 2), (85, 3), (200, 5)],
)
def test_the_fewest_batches_each_fitting_every_group_once_in_order(
    count: int, batches: int
) -> None:
    names = groups(count)
    found = interface.group_batches(list(reversed(names)), interface.approval_pattern)
    assert len(found) == batches
    assert [g for batch in found for g in batch] == names
    for batch in found:
        assert len(json.dumps(interface.approval_pattern(batch))) <= 2048


def test_the_same_groups_give_the_same_batches() -> None:
    names = groups(120, width=63)
    first = interface.group_batches(names, interface.rejection_pattern)
    assert interface.group_batches(sorted(names, reverse=True), interface.rejection_pattern) == (
        first
    )
