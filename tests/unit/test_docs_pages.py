"""The documentation pages as files: the generated ones are current, every relative link
resolves (to a file, and to a heading when it names one), the README stays short.

The shell blocks themselves run in tests/e2e/test_docs.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smdeploy import docs

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def anchors(page: Path) -> set[str]:
    """The code host's anchors of a page's headings: lower case, punctuation dropped,
    spaces to hyphens."""
    found = set()
    fenced = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"#+ (.*)", line)):
            text = heading.group(1).strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("page", sorted(docs.PAGES), ids=_name)
def test_the_generated_page_is_current(page: Path) -> None:
    committed = page.read_text() if page.exists() else ""
    assert committed == docs.PAGES[page](), (
        f"{_name(page)} is stale: regenerate it with `{docs.REGENERATE}`"
    )


def test_the_check_command_passes_on_the_committed_pages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert docs.main(["--check"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no such heading")
    assert not broken, broken


def test_the_readme_is_at_most_200_lines() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_the_state_machine_diagram_has_every_state_and_edge() -> None:
    asl = {
        "StartAt": "A?",
        "States": {
            "A?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "StringEquals": "go", "Next": "B"}],
                "Default": "Fail",
            },
            "B": {
                "Type": "Task",
                "Catch": [{"ErrorEquals": ["Oops", "States.Timeout"], "Next": "Fail"}],
                "End": True,
            },
            "Fail": {"Type": "Fail"},
        },
    }

    page = docs.render_state_machine(asl)

    assert 's_A_{"A?"}' in page
    assert 's_A_ -->|"$.x == \\"go\\""| s_B'.replace('\\"', "#quot;") in page
    assert 's_A_ -->|"Default"| s_Fail' in page
    assert 's_B -.->|"Catch: Oops, States.Timeout"| s_Fail' in page
    assert "s_B --> finish" in page
    assert 's_Fail(["Fail"])' in page
