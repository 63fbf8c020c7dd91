"""The Lambda asset the stack deploys (``build/lambda.zip``, built by ``make lambda-asset``).

What runs in AWS is what the tests ran: the asset holds exactly the versions of the lock
(which the test environments install too, tests/unit/test_lock.py), for Lambda's platform,
everything the deployer package imports, each module with the bytecode Lambda's Python 3.13
loads without compiling, well within Lambda's size limit; and building it again from the
same wheels gives the same bytes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from cdk import asset, paths
from deployer.aws import clients

# What pip's markers see on Lambda's python3.13 arm64 runtime.
LAMBDA_MARKERS = {
    **default_environment(),
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "platform_machine": "aarch64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
# Extras the deployer uses: Tracer needs Powertools' "tracer" extra (the X-Ray SDK).
EXTRAS = {"aws-lambda-powertools": {"tracer"}}
ELF_MACHINE_AARCH64 = 0xB7
# Python 3.13's bytecode magic number, 3571 (Lib/importlib/_bootstrap_external.py,
# https://github.com/python/cpython/blob/3.13/Lib/importlib/_bootstrap_external.py), and a
# .pyc's header (PEP 552, https://peps.python.org/pep-0552/): magic, flags, then 8 bytes.
MAGIC_313 = (3571).to_bytes(2, "little") + b"\r\n"


def lock() -> dict[str, str]:
    pins = {}
    for line in asset.LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


@pytest.fixture(scope="module")
def archive() -> zipfile.ZipFile:
    if not asset.ASSET_ZIP.is_file():
        pytest.fail(f"{asset.ASSET_ZIP} is missing: run `make lambda-asset` (make test does)")
    return zipfile.ZipFile(asset.ASSET_ZIP)


@pytest.fixture(scope="module")
def metadata(archive: zipfile.ZipFile) -> dict[str, object]:
    """Each distribution in the asset: canonical name -> its METADATA headers."""
    found = {}
    for name in archive.namelist():
        if name.count("/") == 1 and name.endswith(".dist-info/METADATA"):
            headers = Parser().parsestr(archive.read(name).decode())
            found[canonicalize_name(headers["Name"])] = headers
    return found


def test_the_asset_holds_exactly_the_locked_versions(metadata: dict[str, object]) -> None:
    versions = {name: headers["Version"] for name, headers in metadata.items()}  # type: ignore[index]
    assert versions == lock()


def test_every_requirement_of_every_package_in_it_is_met_by_it(metadata: dict) -> None:
    versions = {name: Version(headers["Version"]) for name, headers in metadata.items()}
    unmet = []
    for name, headers in metadata.items():
        for text in headers.get_all("Requires-Dist") or []:
            requirement = Requirement(text)
            extras = {""} | EXTRAS.get(name, set())
            if requirement.marker and not any(
                requirement.marker.evaluate({**LAMBDA_MARKERS, "extra": extra}) for extra in extras
            ):
                continue
            have = versions.get(canonicalize_name(requirement.name))
            if have is None or not requirement.specifier.contains(have, prereleases=True):
                unmet.append(f"{name} requires {requirement}, the asset has {have}")
    assert unmet == []


def _imported_modules(source: str) -> set[str]:
    """Top-level names of the modules a file imports, outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(source)
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_everything_the_deployer_imports_is_in_the_asset(archive: zipfile.ZipFile) -> None:
    top_level = {name.split("/")[0].removesuffix(".py") for name in archive.namelist()}
    imported = set()
    for name in archive.namelist():
        if name.startswith(f"{asset.PACKAGE}/") and name.endswith(".py"):
            imported |= _imported_modules(archive.read(name).decode())
    missing = sorted(imported - top_level - set(sys.stdlib_module_names) - {"__future__"})
    assert missing == []
    assert {"botocore", "pydantic", "aws_lambda_powertools", "aws_xray_sdk"} <= top_level


def test_the_deployer_in_it_is_the_one_in_functions(archive: zipfile.ZipFile) -> None:
    source = paths.FUNCTIONS / asset.PACKAGE
    expected = {
        path.relative_to(paths.FUNCTIONS).as_posix(): path.read_bytes()
        for pattern in ("*.py", "*.json")  # the modules and the data they read
        for path in source.rglob(pattern)
        if "__pycache__" not in path.parts
    }
    packaged = {
        name: archive.read(name)
        for name in archive.namelist()
        if name.startswith(f"{asset.PACKAGE}/") and "/__pycache__/" not in name
    }
    assert packaged == expected


def test_it_is_built_for_lambda_s_platform(archive: zipfile.ZipFile) -> None:
    names = archive.namelist()
    binaries = [name for name in names if name.endswith(".so")]
    assert binaries  # pydantic-core
    for name in binaries:
        header = archive.read(name)[:20]
        assert header[:4] == b"\x7fELF", name
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, name
        assert ".cpython-" not in name or ".cpython-313-aarch64-linux-gnu." in name, name
    assert not [n for n in names if n.startswith("bin/")]


def test_every_module_has_python_3_13_s_unchecked_hash_bytecode_and_nothing_else_is_compiled(
    archive: zipfile.ZipFile,
) -> None:
    names = set(archive.namelist())
    modules = sorted(n for n in names if n.endswith(".py"))
    compiled = sorted(n for n in names if n.endswith(".pyc") or "__pycache__/" in n)
    assert len(modules) > 500  # botocore, boto3, pydantic, Powertools and the deployer
    expected = []
    for module in modules:
        folder, _, file = module.rpartition("/")
        expected.append(f"{folder}/__pycache__/{file[:-3]}.cpython-313.pyc".lstrip("/"))
    assert compiled == sorted(expected)  # none missing, none for another tag or -O level
    for name in compiled:
        header = archive.read(name)[:16]
        assert header[:4] == MAGIC_313, name
        assert int.from_bytes(header[4:8], "little") == asset.UNCHECKED_HASH, name


def test_every_model_the_functions_read_is_in_it_decoded_for_python_3_13(
    archive: zipfile.ZipFile,
) -> None:
    """botocore's root data files and every data file of the services the functions call
    have their 3.13 twin (``deployer.aws.clients.PRECOMPILED``), and no other file has one."""
    names = set(archive.namelist())
    read = sorted(
        n
        for n in names
        if n.startswith("botocore/data/")
        and n.endswith((".json", ".json.gz"))
        and (n.count("/") == 2 or n.split("/")[2] in clients.SERVICES)
    )
    assert "botocore/data/endpoints.json" in read
    assert "botocore/data/sagemaker/2017-07-24/service-2.json.gz" in read
    twins = sorted(n for n in names if n.endswith(".marshal"))
    assert twins == sorted(asset.twin_of(n, asset.BYTECODE_TAG) for n in read)


def test_python_3_13_loads_every_module_from_its_bytecode_none_of_it_stale() -> None:
    """The runtime's own importer checks each .pyc: its magic, its flags and the hash of its
    module's source in the zip (importlib.util.source_hash, keyed by 3.13's magic); and
    3.13's marshal reads each model's twin as the data its JSON decodes to."""
    try:
        python = asset.lambda_python()
    except SystemExit as missing:
        pytest.fail(str(missing))
    done = subprocess.run(
        [python, "-m", "cdk.asset", "--check-bytecode", str(asset.ASSET_ZIP)],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (
        0,
        f"{asset.ASSET_ZIP}: every module has its .pyc, every model its twin",
    ), done.stderr


def test_it_fits_lambda_s_size_limit_with_room_to_spare(archive: zipfile.ZipFile) -> None:
    unzipped = sum(entry.file_size for entry in archive.infolist())
    assert unzipped < asset.LAMBDA_UNZIPPED_LIMIT / 2


def test_building_it_again_from_the_same_wheels_gives_the_same_bytes(tmp_path: Path) -> None:
    wheels = asset.WHEELS / "lambda-cp313-aarch64"
    again = asset.assemble(
        wheels, tmp_path / "lambda", asset.LAMBDA_PLATFORM, bytecode=asset.lambda_python()
    )
    rebuilt = asset.write_zip(again, tmp_path / "lambda.zip")
    assert asset.digest(rebuilt) == asset.digest(asset.ASSET_ZIP)
