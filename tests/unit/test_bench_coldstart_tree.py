"""The cold-start bench runs on the asset as it ships, unpacked: its files as they are, and
beside each native module built for Lambda's arm64, the same module built for this machine
(from the Lambda-runtime tier's tree of the same lock), which this machine's importer takes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bench import coldstart

ARM = "_native.cpython-313-aarch64-linux-gnu.so"
HOST = "_native.cpython-313-x86_64-linux-gnu.so"


def _asset(tmp_path: Path, files: dict[str, bytes]) -> Path:
    archive = tmp_path / "lambda.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for name, content in files.items():
            opened.writestr(name, content)
    return archive


def _host_tree(tmp_path: Path, files: dict[str, bytes]) -> Path:
    tree = tmp_path / "host"
    for name, content in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(content)
    return tree


SHIPPED = {
    "pkg-1.0.dist-info/METADATA": b"Name: pkg\nVersion: 1.0\n",
    "pkg/__init__.py": b"from ._native import f\n",
    "pkg/__pycache__/__init__.cpython-313.pyc": b"bytecode",
    f"pkg/{ARM}": b"arm",
}


def test_the_tree_is_the_asset_plus_this_machine_s_native_modules(tmp_path: Path) -> None:
    host = _host_tree(
        tmp_path,
        {
            "pkg-1.0.dist-info/METADATA": b"Name: pkg\nVersion: 1.0\n",
            "pkg/__init__.py": b"from ._native import f\n",
            f"pkg/{HOST}": b"host",
        },
    )

    tree = coldstart.unpack(_asset(tmp_path, SHIPPED), tmp_path / "task", host_tree=host)

    found = {p.relative_to(tree).as_posix(): p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    assert found == {**SHIPPED, f"pkg/{HOST}": b"host"}
    plain = coldstart.without_bytecode(tree, tmp_path / "plain")
    assert not list(plain.rglob("*.pyc"))
    assert (plain / "pkg" / HOST).read_bytes() == b"host"


def test_a_host_tree_of_other_versions_is_refused(tmp_path: Path) -> None:
    host = _host_tree(tmp_path, {"pkg-2.0.dist-info/METADATA": b"", f"pkg/{HOST}": b"host"})

    with pytest.raises(SystemExit, match="other versions"):
        coldstart.unpack(_asset(tmp_path, SHIPPED), tmp_path / "task", host_tree=host)
