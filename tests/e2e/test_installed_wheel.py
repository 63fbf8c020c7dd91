"""smdeploy installed from its wheel runs anywhere, with nothing of the repository on disk.

The wheel is built (``pip wheel``) from a copy of the sources (as a clean clone has them: no
build/, no venvs), installed into a fresh virtual environment with its locked dependencies, and
the installed ``smdeploy`` is run from a temporary directory outside the checkout, with a clean
environment (no PYTHONPATH, no AWS variables). The wheel's file list is checked too: the CLI,
the Lambda package ``deployer`` and the package data (the state machine definition, the
examples), and nothing else of the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import smdeploy

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "functions" / "requirements.txt"
# What a clean clone does not hold (.gitignore's entries) and the wheel must not depend on.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "cdk.out", "node_modules", "*.egg-info", "__pycache__",
    "*.pyc", ".*_cache", ".hypothesis", ".smdeploy",
)  # fmt: skip


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    cwd: Path  # a directory outside the checkout, with no examples in it but those copied

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed ``smdeploy``, with only PATH and HOME of the environment."""
        env = {
            "PATH": f"{self.venv / 'bin'}{os.pathsep}/usr/bin:/bin",
            "HOME": os.environ.get("HOME", str(self.cwd)),
            "COLUMNS": "160",
            "NO_COLOR": "1",
        }
        return subprocess.run(
            [str(self.venv / "bin" / "smdeploy"), *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _pip(python: Path | str, *args: str) -> None:
    command = [str(python), "-m", "pip", *args, "--quiet", "--disable-pip-version-check"]
    # without PYTHONPATH: a checkout on it (its smdeploy.egg-info) reads as smdeploy installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, env=env
    )
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed-wheel")
    source = base / "clone"
    shutil.copytree(ROOT, source, ignore=NOT_IN_A_CLONE)
    dist = base / "dist"
    _pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", str(dist), str(source))
    (wheel,) = dist.glob("smdeploy-*.whl")
    venv = base / "venv"
    # a venv without pip of its own: this venv's pip installs into it (``--python``), as
    # pipx does; ensurepip's older pip, installed then run, took twice as long
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    # its dependencies from pip's cache when it has them; --no-compile: most of them are never
    # imported here, and byte-compiling moto alone takes longer than the commands below
    _pip(
        sys.executable,
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "--no-compile",
        str(wheel),
        "-c",
        str(LOCK),
    )
    cwd = base / "elsewhere"
    cwd.mkdir()
    return Installed(wheel, venv, cwd)


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _modules(folder: Path, prefix: str) -> set[str]:
    """The modules under ``folder``, and the data they read (the instance capacities)."""
    return {
        f"{prefix}/{p.relative_to(folder).as_posix()}"
        for pattern in ("*.py", "*.json")
        for p in folder.rglob(pattern)
        if "__pycache__" not in p.parts
    }


def test_the_wheel_holds_the_cli_the_lambda_package_and_the_data_and_nothing_else(installed):
    names = _names(installed.wheel)
    info = f"smdeploy-{smdeploy.__version__}.dist-info"
    assert {name.split("/")[0] for name in names} == {"smdeploy", "deployer", info}
    deployer = _modules(ROOT / "functions" / "deployer", "deployer")
    assert {n for n in names if n.startswith("deployer/")} == deployer
    data = {
        "smdeploy/statemachine/deployer.asl.json",
        *(f"smdeploy/examples/{p.name}" for p in (ROOT / "examples").glob("*.json")),
    }
    code = (
        _modules(ROOT / "smdeploy", "smdeploy")
        | _modules(ROOT / "statemachine", "smdeploy/statemachine")
        | _modules(ROOT / "examples", "smdeploy/examples")
    )
    assert {n for n in names if n.startswith("smdeploy/")} == code | data | {"smdeploy/py.typed"}
    with zipfile.ZipFile(installed.wheel) as archive:
        definition = archive.read("smdeploy/statemachine/deployer.asl.json")
    assert definition == (ROOT / "statemachine" / "deployer.asl.json").read_bytes()


def test_the_installed_smdeploy_imports_nothing_from_the_checkout(installed):
    script = (
        "import deployer, smdeploy, smdeploy.resources as r\n"
        "print(smdeploy.__file__, deployer.__file__, r.DEFINITION, r.EXAMPLES, sep='\\n')"
    )
    done = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", script],
        cwd=installed.cwd,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.splitlines():
        assert Path(line).is_relative_to(installed.venv), line


def test_version(installed):
    done = installed.run("--version")
    assert (done.returncode, done.stdout) == (0, f"smdeploy {smdeploy.__version__}\n")


def test_validate_an_example_copied_outside_the_checkout(installed):
    for name in ("request.json", "invalid-request.json"):
        shutil.copy(ROOT / "examples" / name, installed.cwd / name)
    valid = installed.run("validate", "request.json")
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("valid: request.json\n")
    invalid = installed.run("validate", "invalid-request.json", "--json")
    assert invalid.returncode == 1, invalid.stderr
    assert json.loads(invalid.stdout)["Valid"] is False


def test_demo(installed):
    done = installed.run("demo", "--json")
    assert done.returncode == 0, done.stderr[-4000:]
    outcomes = json.loads(done.stdout)
    assert [o["Status"] for o in outcomes] == ["SUCCEEDED"] * 4, done.stdout
