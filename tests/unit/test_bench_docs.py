"""``make bench`` writes its costs table into docs/internals/costs.md between two markers,
and nothing else of the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import COLUMNS, COSTS_PAGE, markdown, write_between
from deployer import interface

ROWS = [
    ("create, 5 min", "SUCCEEDED", "", "3", "20", "13", "300", "0", "0.59", "0.00050"),
    ("invalid request", "FAILED", "RequestInvalid", "0", "4", "2", "0", "-", "0.65", "0.00010"),
]


def test_the_costs_table_is_markdown_with_the_numbers_aligned_right() -> None:
    table = markdown(COLUMNS, ROWS, COLUMNS[3:]).splitlines()

    assert table[0] == "| " + " | ".join(COLUMNS) + " |"
    assert table[1] == "| --- | --- | --- | " + " | ".join(["---:"] * 7) + " |"
    assert table[2] == "| create, 5 min | SUCCEEDED | | 3 | 20 | 13 | 300 | 0 | 0.59 | 0.00050 |"


def test_only_what_is_between_the_markers_is_replaced(tmp_path: Path) -> None:
    page = tmp_path / "costs.md"
    page.write_text(
        "# Costs\n\n<!-- bench: costs begin -->\nold\n<!-- bench: costs end -->\n\nprose\n"
    )

    write_between(page, "costs", "new\ntable")

    assert page.read_text() == (
        "# Costs\n\n<!-- bench: costs begin -->\nnew\ntable\n<!-- bench: costs end -->\n\nprose\n"
    )


def test_a_page_without_the_markers_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "costs.md"
    page.write_text("# Costs\n")

    with pytest.raises(SystemExit, match="no <!-- bench: costs begin -->"):
        write_between(page, "costs", "table")


def test_the_committed_page_has_the_markers_and_a_table_of_these_columns() -> None:
    text = COSTS_PAGE.read_text()
    between = text.split("<!-- bench: costs begin -->\n")[1].split("\n<!-- bench: costs end -->")[0]

    assert between.splitlines()[:2] == markdown(COLUMNS, [], COLUMNS[3:]).splitlines()


def test_the_committed_page_has_the_cold_start_table_between_its_markers() -> None:
    from bench import coldstart

    text = COSTS_PAGE.read_text()
    between = text.split("<!-- bench: coldstart begin -->\n")[1]
    between = between.split("\n<!-- bench: coldstart end -->")[0]

    header = markdown(coldstart.COLUMNS, [], coldstart.RIGHT).splitlines()
    assert between.splitlines()[:2] == header
    stages = [line.split(" | ")[0].removeprefix("| ") for line in between.splitlines()[2:]]
    assert stages == [spec.stage for spec in interface.FUNCTIONS]
