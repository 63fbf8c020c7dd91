"""Documentation that runs: every ```bash, ```sh and ```console block of README.md and
docs/**/*.md is run as a user would run it, and must do what its page says.

The marking convention: one or more HTML comments on the lines right before a block's
opening fence (invisible on the code host), one marker each:

- (no marker): run with bash in the repository's root, offline; it must exit 0.
- ``<!-- exit: N -->``: every command of the block exits N (a documented failure, or
  ``smdeploy plan``'s 3).
- ``<!-- emulator -->``: run against the page's emulator. The first such block starts
  ``smdeploy emulator`` (as the page's ``server`` block says, else with
  ``--profiles examples/profiles.json``) on 127.0.0.1 with a free port, which replaces
  ``http://127.0.0.1:4566`` in the block and in its output; every later block of the page
  uses the same emulator, which is stopped (and must exit 0) after the page.
- ``<!-- server -->``: the block is the command that starts the emulator; it is started as
  the page's emulator (its port replaced by a free one), and must print what a client needs.
- ``<!-- aws-account -->``: needs a real AWS account: checked with ``bash -n`` only.
- ``<!-- walkthrough: NAME -->``: names the block for tests that run it (test_emulator.py).

A block whose every command is ``make TARGET`` is checked as a target that exists
(``make -n TARGET``), never run. A ``console`` block whose lines start with ``$ `` runs each
command on its own and compares what it prints on stdout with the lines shown under it
(trailing spaces aside; ``…`` stands for any text). Blocks of one page run in order in one
shell session: variables and functions a block defines are there for the next. An offline
block shown on two pages (the README's tour repeats getting started) runs once.

A shown output is compared with stdout only (progress goes to stderr). The pages are
regenerated or checked elsewhere: tests/unit/test_docs_pages.py (generated pages current,
relative links resolve, README at most 200 lines).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_emulator import README_URL

from tests.support import processes
from tests.support.processes import ROOT, Running, environment, launch, stop

pytestmark = [pytest.mark.e2e, pytest.mark.long]

RUNNABLE = {"bash", "sh", "console"}
MARKERS = {"exit", "emulator", "server", "aws-account", "walkthrough"}
DEFAULT_EMULATOR = "smdeploy emulator --profiles examples/profiles.json"
BLOCK_BOUND = 300  # seconds: a bound on one block, never an assertion


@dataclass
class Command:
    text: str
    output: list[str] | None = None  # the lines a console block shows under it


@dataclass
class Block:
    page: Path
    line: int
    language: str
    text: str
    markers: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"

    @property
    def exit_code(self) -> int:
        return int(self.markers.get("exit", "0"))

    def commands(self) -> list[Command]:
        """A console block with ``$`` prompts: each command and the output shown; otherwise
        the whole block, one script."""
        lines = self.text.splitlines()
        if not any(line.startswith("$ ") for line in lines):
            return [Command(self.text)]
        commands: list[Command] = []
        continued = False
        for line in lines:
            if line.startswith("$ "):
                commands.append(Command(line[2:], []))
            elif continued:
                commands[-1].text += "\n" + line
            else:
                assert commands, f"{self.where}: output before the first $ command"
                assert commands[-1].output is not None
                commands[-1].output.append(line)
            continued = line.endswith("\\")
        return commands

    def make_targets(self) -> list[str] | None:
        """The targets, when every command is ``make TARGET``; else None."""
        lines = [
            line.split("#")[0].strip()
            for command in self.commands()
            for line in command.text.splitlines()
        ]
        lines = [line for line in lines if line]
        if lines and all(re.fullmatch(r"make [\w.-]+", line) for line in lines):
            return [line.split()[1] for line in lines]
        return None


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    lines = page.read_text().splitlines()
    number = 0
    while number < len(lines):
        opening = re.fullmatch(r"```(\w*).*", lines[number])
        if not opening:
            number += 1
            continue
        end = next(i for i in range(number + 1, len(lines)) if lines[i].startswith("```"))
        if opening.group(1) in RUNNABLE:
            markers: dict[str, str] = {}
            before = number - 1
            while before >= 0 and (
                marker := re.fullmatch(r"<!-- ([\w-]+)(?::\s*(.*?))? -->", lines[before])
            ):
                markers[marker.group(1)] = marker.group(2) or ""
                before -= 1
            text = "\n".join(lines[number + 1 : end]) + "\n"
            found.append(Block(page, number + 1, opening.group(1), text, markers))
        number = end + 1
    return found


# (shell state, script) -> (what it did, what it defined)
_OFFLINE: dict[tuple[str, str], tuple[subprocess.CompletedProcess[str], str]] = {}


class Session:
    """One page's shell session, and its emulator once a block needs one."""

    def __init__(self, tmp_path: Path, server: Block | None) -> None:
        self.tmp_path = tmp_path
        self.state = tmp_path / "state.sh"
        self.state.write_text("")
        self.server = server
        self.emulator: Running | None = None

    def start_emulator(self) -> Running:
        if self.emulator is None:
            command = self.server.text if self.server else DEFAULT_EMULATOR
            words = shlex.split(command.replace("\\\n", " "))
            assert words[:2] == ["smdeploy", "emulator"], command
            self.emulator = launch(self.tmp_path, *words[2:])
        return self.emulator

    def close(self) -> None:
        if self.emulator is not None:
            code = stop(self.emulator)
            assert code == 0, f"the emulator exited {code}:\n{self.emulator.log.read_text()}"

    def run(self, script: str, url: str | None) -> subprocess.CompletedProcess[str]:
        if url:
            script = script.replace(README_URL, url)
            return self._run(script)
        # an offline command is deterministic but for its timings: the same one, from the
        # same shell state, shown on two pages (the README's tour, getting started) runs once
        before = self.state.read_text()
        key = (before, script)
        if key not in _OFFLINE:
            run = self._run(script)
            _OFFLINE[key] = (run, self.state.read_text()[len(before) :])
            return run
        run, defined = _OFFLINE[key]
        self.state.write_text(before + defined)
        return run

    def _run(self, script: str) -> subprocess.CompletedProcess[str]:
        # the block's variables and functions are saved for the next block, however it exits
        # (the state file's path comes from the environment, so that the state holds no path)
        wrapped = (
            'source "$DOCS_STATE"\n'
            "__before=$(compgen -v)\n"
            '__save() { declare -p $(comm -13 <(echo "$__before" | sort) <(compgen -v | sort)'
            ' | grep -v -x -e __before -e BASH_REMATCH) 2>/dev/null >> "$DOCS_STATE";'
            ' declare -f >> "$DOCS_STATE"; }\n'
            "trap __save EXIT\n"
            "set -euo pipefail\n" + script
        )
        return processes.run(
            ["bash", "-c", wrapped],
            env=environment(DOCS_STATE=str(self.state)),
            timeout=BLOCK_BOUND,
        )


def matches(shown: list[str], printed: str) -> bool:
    def pattern(line: str) -> str:
        return ".*".join(re.escape(part) for part in line.rstrip().split("…"))

    expected = [line.rstrip() for line in shown]
    while expected and not expected[-1]:
        expected.pop()
    actual = [line.rstrip() for line in printed.rstrip("\n").splitlines()]
    return len(expected) == len(actual) and all(
        re.fullmatch(pattern(e), a) for e, a in zip(expected, actual, strict=True)
    )


def check(block: Block, session: Session) -> None:
    if "aws-account" in block.markers:
        syntax = processes.run(["bash", "-n"], input=block.text)
        assert syntax.returncode == 0, f"{block.where}: {syntax.stderr}"
        return
    targets = block.make_targets()
    if targets is not None:
        for target in targets:
            dry = processes.run(["make", "-n", target])
            assert dry.returncode == 0, f"{block.where}: make {target}: {dry.stderr}"
        return
    if "server" in block.markers:
        running = session.start_emulator()
        assert running.info["StateMachineArn"], f"{block.where}: {running.info}"
        return
    url = session.start_emulator().url if "emulator" in block.markers else None
    for command in block.commands():
        run = session.run(command.text, url)
        assert run.returncode == block.exit_code, (
            f"{block.where}: exit {run.returncode}, the page says {block.exit_code}\n"
            f"$ {command.text}\n{run.stdout}\n{run.stderr}"
        )
        if command.output:
            shown = [line.replace(README_URL, url) if url else line for line in command.output]
            assert matches(shown, run.stdout), (
                f"{block.where}: the page shows\n" + "\n".join(shown) + f"\nbut it printed\n"
                f"{run.stdout}"
            )


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", pages(), ids=_name)
def test_every_shell_block_of_the_page_runs_as_documented(page: Path, tmp_path: Path) -> None:
    found = blocks(page)
    servers = [b for b in found if "server" in b.markers]
    assert len(servers) <= 1, f"{_name(page)}: one emulator per page"
    session = Session(tmp_path, servers[0] if servers else None)
    try:
        for block in found:
            check(block, session)
    finally:
        session.close()


def test_every_marker_is_one_of_the_convention() -> None:
    unknown = [
        f"{block.where}: {name}"
        for page in pages()
        for block in blocks(page)
        for name in block.markers
        if name not in MARKERS
    ]
    assert not unknown, unknown


def test_the_pages_have_blocks_of_every_kind() -> None:
    """The convention is exercised: a run, an exit, an emulator, a server, an account block."""
    seen = {name for page in pages() for block in blocks(page) for name in block.markers}
    assert {"exit", "emulator", "server", "aws-account"} <= seen


# --- the runner itself, on pages made up here ----------------------------------------------


def _page(tmp_path: Path, text: str) -> Path:
    made = tmp_path / "page.md"
    made.write_text(text)
    return made


def test_markers_commands_and_shown_output_are_read_from_a_page(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "Text.\n\n<!-- emulator -->\n<!-- exit: 3 -->\n```console\n$ smdeploy plan x \\\n"
        "    --json\nline one\n\n$ true\n```\n\n```json\n{}\n```\n\n```sh\nmake demo  # a\n```\n",
    )

    first, second = blocks(page)

    assert first.markers == {"emulator": "", "exit": "3"}
    assert first.exit_code == 3
    assert [(c.text, c.output) for c in first.commands()] == [
        ("smdeploy plan x \\\n    --json", ["line one", ""]),
        ("true", []),
    ]
    assert first.make_targets() is None
    assert second.make_targets() == ["demo"]


@pytest.mark.parametrize(
    ("shown", "printed", "same"),
    [
        (["a", "b  "], "a\nb\n", True),
        (["a", ""], "a\n", True),
        (['"wall_seconds": …'], '"wall_seconds": 1.23\n', True),
        (["a"], "a\nb\n", False),
        (["a", "c"], "a\nb\n", False),
    ],
)
def test_shown_output_matches_printed_output(shown: list[str], printed: str, same: bool) -> None:
    assert matches(shown, printed) is same
