"""The Lambda asset: the deployer's code and its locked dependencies, built for the runtime.

``make lambda-asset`` (run by ``make synth`` and ``make test``) runs ``python -m cdk.asset``:

1. **download**: pip downloads the wheels of ``functions/requirements.txt`` (exact versions,
   no dependency resolution) for Lambda's platform, Python 3.13 on arm64 (manylinux2014
   aarch64, binary wheels only: nothing is compiled, no Docker), into ``build/wheels/``.
   This is the only step that reaches the package registry.
2. **assemble**: pip installs those wheels, offline, into a fresh folder (``--no-compile``:
   no ``.pyc``, which would hold build-time timestamps); the console scripts (whose first
   line names the building interpreter) are left out; the ``deployer`` package is copied
   from ``functions/``. The result is ``build/lambda/``, laid out as ``/var/task`` is.
3. **zip**: ``build/lambda.zip``, entries sorted, every timestamp 1980-01-01 and every mode
   0644: the same inputs give the same bytes, so the same asset hash. The stack deploys this
   file as is (``Code.from_asset`` uses a ``.zip`` unchanged), so ``cdk synth`` neither
   downloads nor builds anything.

``python -m cdk.asset --host --out DIR`` assembles the same lock for the interpreter running
it instead (the Lambda-runtime test tier imports the handlers from such a tree on 3.13).
"""

from __future__ import annotations

import argparse
import hashlib
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
    wheels: Path, out: Path, platform: Sequence[str], *, python: str = sys.executable
) -> Path:
    """Install the locked wheels from ``wheels`` (offline) and the deployer into ``out``."""
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
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


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
    download(wheels, platform, python=python)
    assemble(wheels, out, platform, python=python)
    if archive is not None:
        write_zip(out, archive)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdk.asset", description=__doc__)
    parser.add_argument("--host", action="store_true", help="for this interpreter, not Lambda")
    parser.add_argument("--out", type=Path, default=None, help="the folder to assemble into")
    args = parser.parse_args(argv)
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
