"""The embedded installer deploys each function as the stack does: from its spec.

Runtime, architecture, handler, timeout, memory and environment come from
``deployer.interface.FUNCTIONS`` (the stack's template is checked against the same specs in
tests/infra/test_infra_template.py), so the two cannot drift.
"""

import io
import zipfile
from pathlib import Path

import pytest

from deployer import interface
from smdeploy.runtime.install import asset_zip, function_name
from smdeploy.runtime.local import LocalDeployment


@pytest.fixture(scope="module")
def installed():
    with LocalDeployment(seed=1, deadline_seconds=1800, config_retention=3) as account:
        lam = account.client("lambda")
        yield {
            spec.stage: lam.get_function_configuration(FunctionName=function_name(spec))
            for spec in interface.FUNCTIONS
        }


@pytest.mark.parametrize("spec", interface.FUNCTIONS, ids=lambda s: s.stage)
def test_each_function_is_installed_as_its_spec_says(installed, spec):
    function = installed[spec.stage]
    assert function["Handler"] == spec.handler
    assert (function["Runtime"], function["Architectures"]) == (
        interface.RUNTIME,
        [interface.ARCHITECTURE],
    )
    assert (function["Timeout"], function["MemorySize"]) == (spec.timeout_seconds, spec.memory_mb)
    variables = function["Environment"]["Variables"]
    own = {k for k in variables if k.startswith("SMDEPLOY_")}
    assert own == set(spec.environment)
    for name, value in interface.COMMON_ENVIRONMENT.items():
        assert variables[name] == value


def test_a_setting_given_to_the_installer_reaches_only_the_function_that_reads_it(installed):
    holders = [
        s for s, f in installed.items() if interface.ENV_DEADLINE in f["Environment"]["Variables"]
    ]
    # the deadline: Validate fixes each deployment's by it; Deploy, Describe and Wait fall
    # back on it for an execution that started before Validate handed one over; the Guardrails
    # function bounds the putting back after a failed smoke test by it
    assert sorted(holders) == ["Deploy", "Describe", "Guardrails", "Validate", "Wait"]
    for stage in holders:
        assert installed[stage]["Environment"]["Variables"][interface.ENV_DEADLINE] == "1800"


def test_the_functions_code_is_the_deployer_package_as_the_asset_holds_it():
    """Every module of functions/deployer, under deployer/ (the handler strings' root), and
    nothing else: no caches, no requirements file."""
    source = Path(__file__).resolve().parents[2] / "functions"
    expected = sorted(
        p.relative_to(source).as_posix()
        for p in (source / "deployer").rglob("*.py")
        if "__pycache__" not in p.parts
    )
    with zipfile.ZipFile(io.BytesIO(asset_zip())) as archive:
        assert sorted(archive.namelist()) == expected
        contract_py = archive.read("deployer/interface.py")
    assert contract_py == (source / "deployer" / "interface.py").read_bytes()
