"""functions/requirements.txt is the one lock of the Lambda functions' dependencies.

The asset is built from it (tests/infra/test_infra_asset.py checks the asset); here: the tests
themselves run on exactly those versions, in every tier (3.11 and the Lambda runtime's 3.13),
and pyproject.toml pins nothing differently. In the Lambda-runtime tier (make lambda-runtime,
which names the tree in SMDEPLOY_LAMBDA_TREE) the handlers and their dependencies are imported
from a tree laid out like the asset.
"""

import importlib
import importlib.metadata
import os
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support import processes

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "functions" / "requirements.txt"


def lock() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_the_lock_pins_each_package_once_exactly_in_order():
    names = [
        canonicalize_name(Requirement(line).name)
        for line in LOCK.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert names == sorted(set(names))
    assert {"boto3", "botocore", "aws-lambda-powertools", "pydantic"} <= set(lock())


def test_pyproject_pins_the_locked_packages_at_the_locked_versions():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {}
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name in lock():
            assert str(requirement.specifier) == f"=={lock()[name]}", text
            pinned[name] = text
    assert {"boto3", "botocore", "aws-lambda-powertools", "pydantic"} <= set(pinned)


@pytest.mark.parametrize(("name", "version"), sorted(lock().items()))
def test_the_tests_run_on_the_locked_version(name, version):
    assert importlib.metadata.version(name) == version


@pytest.mark.skipif(
    not os.environ.get("SMDEPLOY_LAMBDA_TREE"), reason="only in make lambda-runtime"
)
@pytest.mark.parametrize(
    "module", ["deployer", "botocore", "pydantic", "pydantic_core", "aws_lambda_powertools"]
)
def test_the_lambda_runtime_tier_imports_from_the_tree_laid_out_like_the_asset(module):
    tree = Path(os.environ["SMDEPLOY_LAMBDA_TREE"]).resolve()
    imported = Path(importlib.import_module(module).__file__).resolve()
    assert imported.is_relative_to(tree), imported


ALONE = """
import importlib, sys
from deployer.aws import clients
from deployer import interface
from deployer.request import shapes

for spec in interface.EVERY_FUNCTION:
    module, _, name = spec.handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name)), spec.handler
import aws_xray_sdk.core  # what Tracer loads when tracing is on
clients.sagemaker(), clients.s3(), clients.events(), clients.sns()
assert shapes.service_model().operation_model("CreateEndpointConfig")
outside = sorted(
    m for m, mod in sys.modules.items()
    if getattr(mod, "__file__", None) and "-packages" in mod.__file__
)
assert outside == [], outside
"""


@pytest.mark.skipif(
    not os.environ.get("SMDEPLOY_LAMBDA_TREE"), reason="only in make lambda-runtime"
)
def test_the_handlers_need_nothing_but_the_tree_laid_out_like_the_asset():
    """Imported with no site-packages at all (-S, and -E -s: no PYTHONPATH, no user site): only
    the tree, the working directory (first on ``sys.path``, as ``/var/task`` is on Lambda), and
    the standard library."""
    tree = Path(os.environ["SMDEPLOY_LAMBDA_TREE"]).resolve()
    processes.python(
        ALONE,
        "-E",
        "-s",
        "-S",
        cwd=tree,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": os.environ.get("PATH", "")},
    )
