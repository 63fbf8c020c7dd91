"""docs/guides/aws-account.md's table of settings is cdk/settings.py's SETTINGS: every key, in
order, with its default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdk.settings import SETTINGS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "aws-account.md"
HEADER = "| Key | Default | Meaning |"


def table(header: str) -> list[list[str]]:
    """The rows of the page's table under ``header``, cell by cell."""
    lines = GUIDE.read_text().splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def shown_default(default: Any, required: bool) -> str:
    if required:
        return "(required)"
    if default is None:
        return "none"
    return f"`{json.dumps(default) if isinstance(default, list) else default}`"


def test_the_settings_table_is_settings_py() -> None:
    rows = table(HEADER)
    assert [row[0] for row in rows] == [f"`{s.key}`" for s in SETTINGS]
    assert [row[1] for row in rows] == [shown_default(s.default, s.required) for s in SETTINGS]
    assert all(row[2] for row in rows)  # each says what it means
