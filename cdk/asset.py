"""The Lambda asset: the deployer's code and its locked dependencies, built for the runtime.

``make lambda-asset`` (run by ``make synth`` and ``make test``) runs ``python -m cdk.asset``:

1. **download**: pip downloads the wheels of ``functions/requirements.txt`` (exact versions,
   no dependency resolution) for Lambda's platform, Python 3.13 on arm64 (manylinux2014
   aarch64, binary wheels only: nothing is compiled, no Docker), into ``build/wheels/``.
   This is the only step that reaches the package registry.
2. **assemble**: pip installs those wheels, offline, into a fresh folder (``--no-compile``:
   pip would compile with the building interpreter); the console scripts (whose first line
   names the building interpreter) are left out; the ``deployer`` package is copied from
   ``functions/``.
3. **compile**: a Python 3.13, the runtime's (``$LAMBDA_PYTHON``, else ``python3.13`` or
   pyenv's), compiles every module into ``__pycache__/<name>.cpython-313.pyc``, where
   Lambda's importer looks, so that no cold start compiles from source. The ``.pyc`` are
   unchecked-hash ones (PEP 552, https://peps.python.org/pep-0552/; ``compileall
   --invalidation-mode unchecked-hash``, https://docs.python.org/3/library/compileall.html):
   they hold no timestamp, and the importer loads them without reading or hashing the
   source (``/var/task`` is read-only: the source never changes under them). Their file
   names are recorded as under ``/var/task``, never the build folder. The result is
   ``build/lambda/``, laid out as ``/var/task`` is.
   The same interpreter decodes botocore's data files of the services the functions call
   (``deployer.aws.clients.SERVICES``) and its root ones (``endpoints.json`` ...) and writes
   each beside its file with ``marshal`` (``service-2.cpython-313.marshal``), which the
   functions' loader reads instead of the gzip and JSON (``deployer.aws.clients``): decoded
   once here, not at every cold start.
4. **zip**: ``build/lambda.zip``, entries sorted, every timestamp 1980-01-01 and every mode
   0644: the same inputs (and the same 3.13 release compiling them) give the same bytes, so
   the same asset hash. The stack deploys this file as is (``Code.from_asset`` uses a
   ``.zip`` unchanged), so ``cdk synth`` neither downloads nor builds anything.

``python -m cdk.asset --host --out DIR`` assembles the same lock for the interpreter running
it instead (the Lambda-runtime test tier imports the handlers from such a tree on 3.13),
without compiling it.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from cdk import paths

LOCK = paths.FUNCTIONS / "requirements.txt"
PACKAGE = "deployer"  # the Lambda package under functions/: every handler string starts with it
BUILD = paths.ROOT / "build"
WHEELS = BUILD / "wheels"
ASSET_DIR = BUILD / "lambda"
ASSET_ZIP = BUILD / "lambda.zip"
# Lambda's python3.13 runtime on arm64 (https://docs.aws.amazon.com/lambda/latest/dg/
# python-package.html#python-package-native-libraries): glibc 2.34, so manylinux2014 wheels.
LAMBDA_PLATFORM = (
    "--platform", "manylinux2014_aarch64",
    "--implementation", "cp",
    "--python-version", "3.13",
    "--abi", "cp313",
)  # fmt: skip
# Lambda's quota for a function's code and layers, unzipped (https://docs.aws.amazon.com/
# lambda/latest/dg/gettingstarted-limits.html); the asset must stay well below it.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
# Where Lambda unpacks the asset (the function's LAMBDA_TASK_ROOT): the file names the
# bytecode records (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
TASK_ROOT = "/var/task"
# The runtime's interpreter, and the name its importer gives a module's bytecode
# (https://docs.python.org/3/library/importlib.html#importlib.util.cache_from_source).
LAMBDA_PYTHON_VERSION = (3, 13)
BYTECODE_TAG = "cpython-313"
# A .pyc's flags field (PEP 552): bit 0, hash-based; bit 1, check the source. 0b01: an
# unchecked-hash .pyc, which the importer trusts without reading the source.
UNCHECKED_HASH = 0b01
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def _pip(python: str, *args: str) -> None:
    command = [python, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"]
    subprocess.run(command, check=True)


class DownloadFailed(RuntimeError):
    """pip could not download the locked wheels: no network, most often."""


def download(wheels: Path, platform: Sequence[str], *, python: str = sys.executable) -> None:
    """The locked wheels for ``platform`` into ``wheels`` (pip skips those already there)."""
    wheels.mkdir(parents=True, exist_ok=True)
    try:
        _pip(
            python, "download", "--no-deps", "--only-binary=:all:", *platform,
            "--dest", str(wheels), "-r", str(LOCK),
        )  # fmt: skip
    except subprocess.CalledProcessError as error:
        raise DownloadFailed(f"pip download exited {error.returncode}") from None


def assemble(
    wheels: Path,
    out: Path,
    platform: Sequence[str],
    *,
    python: str = sys.executable,
    bytecode: str | None = None,
) -> Path:
    """Install the locked wheels from ``wheels`` (offline) and the deployer into ``out``; with
    ``bytecode`` (a Python 3.13), compile every module with it (:func:`compile_bytecode`)."""
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    _pip(
        python, "install", "--no-index", "--find-links", str(wheels), "--no-deps",
        "--only-binary=:all:", "--no-compile", *platform, "--target", str(staging),
        "-r", str(LOCK),
    )  # fmt: skip
    _without_scripts(staging)
    shutil.copytree(paths.FUNCTIONS / PACKAGE, staging / PACKAGE, ignore=_IGNORED)
    for cache in [p for p in staging.rglob("__pycache__") if p.is_dir()]:
        shutil.rmtree(cache)
    if bytecode is not None:
        compile_bytecode(staging, bytecode)
    precompile_models(staging, bytecode or python)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def lambda_python() -> str:
    """A Python 3.13 of this machine, the runtime's: ``$LAMBDA_PYTHON`` (which ``make
    LAMBDA_PYTHON=...`` sets), else ``python3.13`` on the PATH, else pyenv's."""
    named = os.environ.get("LAMBDA_PYTHON", "").strip()
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    candidates = (
        [named] if named else ["python3.13", *map(str, sorted(pyenv.glob("3.13*/bin/python3.13")))]
    )
    for candidate in candidates:
        if _is_lambda_python(candidate):
            return candidate
    wanted = ".".join(map(str, LAMBDA_PYTHON_VERSION))
    found = (
        f"LAMBDA_PYTHON={named} is not a Python {wanted}"
        if named
        else f"found no Python {wanted} (python{wanted} on the PATH, or pyenv's)"
    )
    raise SystemExit(
        f"the Lambda asset's bytecode is compiled by Python {wanted}, Lambda's runtime: "
        f"{found}. Install one (for instance `pyenv install {wanted}`) or name it: "
        f"make lambda-asset LAMBDA_PYTHON=/path/to/python{wanted}"
    )


def _is_lambda_python(candidate: str) -> bool:
    check = f"import sys; sys.exit(sys.implementation.cache_tag != {BYTECODE_TAG!r})"
    try:
        done = subprocess.run([candidate, "-c", check], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


def compile_bytecode(tree: Path, python: str) -> None:
    """Every module of ``tree`` compiled by ``python`` (a 3.13) into unchecked-hash ``.pyc``
    in ``__pycache__``, recording its file name as under :data:`TASK_ROOT`.

    The interpreter gets none of this environment's ``PYTHON*`` variables (with the Makefile's
    ``PYTHONPYCACHEPREFIX`` the ``.pyc`` would go to that folder; with ``PYTHONOPTIMIZE``
    they would be ``.opt-1.pyc``, which Lambda's unoptimized interpreter ignores), and a
    fixed hash seed; one process compiles every file, in a fixed order.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    subprocess.run(
        [python, "-m", "compileall", "-q", "-d", TASK_ROOT,
         "--invalidation-mode", "unchecked-hash", str(tree)],
        env=env, check=True,
    )  # fmt: skip


# Run by the runtime's interpreter: each file named, decoded as botocore decodes it (UTF-8
# JSON, gzipped or not), written beside it with that interpreter's marshal.
_PRECOMPILE = """
import gzip, json, marshal, sys
for source in sys.argv[1:]:
    opener = gzip.open if source.endswith(".gz") else open
    with opener(source, "rb") as opened:
        data = json.loads(opened.read().decode("utf-8"))
    stem = source.removesuffix(".gz").removesuffix(".json")
    with open(f"{stem}.{sys.implementation.cache_tag}.marshal", "wb") as out:
        marshal.dump(data, out)
"""


def model_files(tree: Path) -> list[Path]:
    """botocore's data files the functions read: every model of the services they call
    (``deployer.aws.clients.SERVICES``), and the root files every client reads
    (``endpoints.json``, ``partitions.json``, ...)."""
    from deployer.aws.clients import SERVICES  # the build's environment, not the 3.13 checker's

    data = tree / "botocore" / "data"
    found = sorted(data.glob("*.json"))
    for service in SERVICES:
        found += sorted(p for p in (data / service).glob("*/*.json*") if p.is_file())
    return found


def twin_of(name: str, tag: str | None = sys.implementation.cache_tag) -> str:
    """The decoded twin of a botocore data file (``.json`` or ``.json.gz``) for ``tag``."""
    return f"{name.removesuffix('.gz').removesuffix('.json')}.{tag}.marshal"


def precompile_models(tree: Path, python: str) -> None:
    """Each of :func:`model_files` decoded by ``python`` and written beside it as its
    ``marshal`` twin (what ``deployer.aws.clients.PlainJSONFileLoader`` loads), one process,
    a fixed order and hash seed, so the same files give the same bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    sources = [str(p) for p in model_files(tree)]
    subprocess.run([python, "-c", _PRECOMPILE, *sources], env=env, check=True)


def model_problems(archive: Path) -> list[str]:
    """What is wrong with the zip's decoded models for *this* interpreter: a twin that is not
    this interpreter's decoding of its file (stale, another file's), or that no file has."""
    problems = []
    with zipfile.ZipFile(archive) as opened:
        names = set(opened.namelist())
        sources = {
            twin_of(n): n
            for n in names
            if n.startswith("botocore/data/") and n.endswith((".json", ".json.gz"))
        }
        for twin in sorted(n for n in names if n.endswith(".marshal")):
            source = sources.get(twin)
            if source is None:
                problems.append(f"{twin}: the twin of no data file, or for another interpreter")
                continue
            raw = opened.read(source)
            text = gzip.decompress(raw) if source.endswith(".gz") else raw
            if marshal.loads(opened.read(twin)) != json.loads(text.decode("utf-8")):
                problems.append(f"{twin}: not the data of {source}")
    return problems


def bytecode_problems(archive: Path) -> list[str]:
    """What is wrong with the bytecode in the zip ``archive`` for *this* interpreter's
    importer (run it with a 3.13): a module without its ``.pyc``, a ``.pyc`` that is not an
    unchecked-hash one of this interpreter, that another source would have given (stale), or
    that no module has. Empty when every module loads from its ``.pyc``."""
    problems = []
    with zipfile.ZipFile(archive) as opened:
        names = set(opened.namelist())
        expected = {}
        for name in sorted(names):
            if name.endswith(".py"):
                folder, _, module = name.rpartition("/")
                prefix = f"{folder}/" if folder else ""
                expected[
                    f"{prefix}__pycache__/{module[:-3]}.{sys.implementation.cache_tag}.pyc"
                ] = name
        for pyc, source in expected.items():
            if pyc not in names:
                problems.append(f"{source}: no {pyc}")
                continue
            header = opened.read(pyc)[:16]
            flags = int.from_bytes(header[4:8], "little")
            if header[:4] != importlib.util.MAGIC_NUMBER:
                problems.append(f"{pyc}: magic {header[:4]!r}, not this interpreter's")
            elif flags != UNCHECKED_HASH:
                problems.append(f"{pyc}: flags {flags:#04b}, not an unchecked hash")
            elif header[8:16] != importlib.util.source_hash(opened.read(source)):
                problems.append(f"{pyc}: stale (compiled from another {source})")
        for name in sorted(names):
            if (name.endswith(".pyc") or "__pycache__/" in name) and name not in expected:
                problems.append(f"{name}: bytecode of no module, or for another interpreter")
    return problems


def _without_scripts(tree: Path) -> None:
    """Drop the console scripts pip wrote to ``bin/`` (their first line is the path of the
    interpreter that built them) and their lines in the packages' RECORD files."""
    shutil.rmtree(tree / "bin", ignore_errors=True)
    for record in tree.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../../bin/")))


def files(tree: Path) -> Iterator[Path]:
    """Every file of ``tree``, in a fixed order."""
    for path in sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix()):
        if path.is_file():
            yield path


def write_zip(tree: Path, target: Path) -> Path:
    """``tree`` as a zip whose bytes depend only on the files' names and contents."""
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for path in files(tree):
            entry = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=ZIP_DATE)
            entry.external_attr = 0o100644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes(), compresslevel=6)
    partial.replace(target)
    return target


def unzipped_size(tree: Path) -> int:
    return sum(path.stat().st_size for path in files(tree))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    *,
    out: Path = ASSET_DIR,
    archive: Path | None = ASSET_ZIP,
    host: bool = False,
    python: str = sys.executable,
) -> Path:
    """Download, assemble and (for Lambda) zip; returns the assembled folder."""
    platform: Sequence[str] = () if host else LAMBDA_PLATFORM
    tag = f"host-{sys.implementation.cache_tag}" if host else "lambda-cp313-aarch64"
    wheels = WHEELS / tag
    bytecode = None if host else lambda_python()  # before downloading: fail fast without one
    download(wheels, platform, python=python)
    assemble(wheels, out, platform, python=python, bytecode=bytecode)
    if archive is not None:
        write_zip(out, archive)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdk.asset", description=__doc__)
    parser.add_argument("--host", action="store_true", help="for this interpreter, not Lambda")
    parser.add_argument("--out", type=Path, default=None, help="the folder to assemble into")
    parser.add_argument(
        "--check-bytecode", type=Path, metavar="ZIP",
        help="print what is wrong with ZIP's bytecode and decoded models for this interpreter; "
        "exit 1 if anything",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.check_bytecode:
        problems = bytecode_problems(args.check_bytecode) + model_problems(args.check_bytecode)
        print(
            "\n".join(problems)
            or f"{args.check_bytecode}: every module has its .pyc, every model its twin"
        )
        return 1 if problems else 0
    if args.host:
        out = build(out=args.out or BUILD / f"lambda-{sys.implementation.cache_tag}",
                    archive=None, host=True)  # fmt: skip
        print(f"{os.path.relpath(out)}: the Lambda code and its lock, for this interpreter")
        return 0
    out = build(out=args.out or ASSET_DIR)
    size = unzipped_size(out)
    print(
        f"{os.path.relpath(ASSET_ZIP)}: {ASSET_ZIP.stat().st_size / 2**20:.1f} MiB zipped, "
        f"{size / 2**20:.1f} MiB unzipped (Lambda's limit: "
        f"{LAMBDA_UNZIPPED_LIMIT / 2**20:.0f} MiB), sha256 {digest(ASSET_ZIP)[:16]}"
    )
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    """``python -m cdk.asset``: :func:`main`, with a download that failed (no network, most
    often) told in one line that says what to run, and where; never a traceback."""
    try:
        return main(argv)
    except DownloadFailed as error:
        print(
            f"smdeploy: cannot download the Lambda asset's wheels from PyPI ({error}, above): "
            f"building them needs network access once; run `make setup` (or `make "
            f"lambda-asset`) where PyPI is reachable, then `make synth` works offline",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(run())
