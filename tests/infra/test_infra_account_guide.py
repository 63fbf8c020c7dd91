"""docs/guides/aws-account.md's "Remove the stack" table names exactly the resources the
template retains (DeletionPolicy Retain)."""

from __future__ import annotations

from pathlib import Path

from infra_helpers import Synthesized

from deployer import interface

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "aws-account.md"
HEADER = "| Retained | Logical ID | Why |"


def documented() -> set[str]:
    lines = GUIDE.read_text().splitlines()
    found: set[str] = set()
    for line in lines[lines.index(HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        logical_id = line.strip("|").split("|")[1].strip().strip("`")
        if "<Stage>" in logical_id:  # one per function
            found |= {logical_id.replace("<Stage>", s.stage) for s in interface.EVERY_FUNCTION}
        else:
            found.add(logical_id)
    return found


def test_the_retained_resources_are_those_the_guide_names(synth: Synthesized) -> None:
    retained = {
        logical_id
        for logical_id, resource in synth.resources.items()
        if resource.get("DeletionPolicy") == "Retain"
    }
    assert retained == documented()
