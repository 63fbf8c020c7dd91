"""smdeploy's resources, read with importlib.resources, are the repository's own files in a
checkout (one source each: the stack and the docs read the same ones); the emulator's
copy-paste commands name the examples where they are."""

import os
from pathlib import Path

import pytest

from smdeploy import resources
from smdeploy.serve import examples_folder

ROOT = Path(__file__).resolve().parents[2]


def test_the_examples_are_the_repositorys():
    """(The definition: tests/unit/test_asl.py.)"""
    assert Path(str(resources.EXAMPLES)).resolve() == ROOT / "examples"


@pytest.mark.skipif(
    bool(os.environ.get("SMDEPLOY_LAMBDA_TREE")), reason="the tier imports deployer from its tree"
)
def test_the_lambda_package_is_the_repositorys():
    assert Path(str(resources.DEPLOYER)).resolve() == ROOT / "functions" / "deployer"


def test_the_emulator_names_the_examples_relative_to_the_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert examples_folder() == "examples"


def test_the_emulator_names_the_examples_by_their_path_from_elsewhere(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    folder = Path(examples_folder())
    assert folder.is_absolute()
    assert (folder / "request.json").is_file()
    assert os.path.samefile(folder, ROOT / "examples")
