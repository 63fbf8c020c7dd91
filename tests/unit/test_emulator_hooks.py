"""The one table of hooks into moto: each row carries its replacement; the table is checked
against the pinned moto before any is installed, and uninstalling puts moto's own back."""

import re
import tomllib
import types
from pathlib import Path

import pytest
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

from smdeploy.runtime.emulator import HOOKS, Emulator, MotoChanged, hooks, pin
from smdeploy.runtime.emulator.hooks import Hook, problems
from smdeploy.runtime.emulator.pin import MOTO_VERSION, snake_case
from smdeploy.runtime.emulator.sagemaker.component_responses import (
    RESPONSES as COMPONENT_RESPONSES,
)
from smdeploy.runtime.emulator.sagemaker.responses import RESPONSES
from smdeploy.runtime.faults import COMPONENT_OPERATIONS, COUNTED_OPERATIONS

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _keep(emulator, original):
    return original


def test_the_table_is_for_the_moto_that_pyproject_pins():
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [pin] = [d for d in dependencies if re.match(r"moto\b", d)]
    assert pin.endswith(f"=={MOTO_VERSION}")


def test_every_hook_fits_the_installed_moto():
    assert problems() == []


@pytest.mark.parametrize(
    ("hooks", "version", "named"),
    [
        ((), "5.3.0", "moto is 5.3.0"),
        (
            (Hook(CallbackEndpoint, "wait_for", "clock", "renamed", _keep),),
            MOTO_VERSION,
            "wait_for",
        ),
        (
            (Hook(SageMakerResponse, "create_endpoint", "sagemaker", "x", _keep, added=True),),
            MOTO_VERSION,
            "now exists in moto",
        ),
        (
            (
                Hook(
                    ApplicationAutoscalingBackend,
                    "register_scalable_target",
                    "applicationautoscaling",
                    "a changed signature",
                    _keep,
                    parameters=("self", "namespace", "resource_id"),
                ),
            ),
            MOTO_VERSION,
            "no longer takes",
        ),
    ],
)
def test_a_moto_that_moved_is_named_hook_by_hook(hooks, version, named):
    [problem] = problems(hooks, version)
    assert named in problem


def test_the_table_lists_every_concern_and_no_attribute_twice():
    keys = [(id(h.owner), h.attribute) for h in HOOKS]
    assert len(keys) == len(set(keys))
    assert {h.concern for h in HOOKS} == {
        "clock",
        "awslambda",
        "sagemaker",
        "sagemakerruntime",
        "events",
        "schedules",
        "registry",
        "stepfunctions",
        "applicationautoscaling",
        "shapes",
        "s3",
        "speed",
    }


def test_a_moto_that_moved_stops_the_emulator_naming_the_pinned_version(monkeypatch):
    monkeypatch.setattr(pin, "problems", lambda *args: ["X.y is gone from moto"])

    with pytest.raises(MotoChanged, match=rf"moto=={re.escape(MOTO_VERSION)}.*X\.y is gone"):
        hooks.verify()


def test_the_sagemaker_rows_are_the_operations_the_emulator_counts():
    # the SageMaker rows are the operations the emulator counts, declared once: the endpoint
    # ones (responses.py) and the inference component ones (component_responses.py), which
    # moto lacks
    served = {**RESPONSES, **COMPONENT_RESPONSES}
    assert set(served) == {snake_case(operation) for operation in COUNTED_OPERATIONS}
    assert not set(RESPONSES) & set(COMPONENT_RESPONSES)
    added = {h.attribute for h in HOOKS if h.owner is SageMakerResponse and h.added}
    assert added == {"update_endpoint", *(snake_case(op) for op in COMPONENT_OPERATIONS)}


def _moto_now():
    return {(id(h.owner), h.attribute): vars(h.owner).get(h.attribute) for h in HOOKS}


def _assert_installed(before):
    for hook in HOOKS:
        assert hook.attribute in vars(hook.owner)
        assert vars(hook.owner)[hook.attribute] is not before[(id(hook.owner), hook.attribute)]


def _assert_moto_back(before):
    for hook in HOOKS:
        if hook.added:
            assert hook.attribute not in vars(hook.owner)
        else:
            assert vars(hook.owner)[hook.attribute] is before[(id(hook.owner), hook.attribute)]


def test_install_replaces_every_row_and_uninstall_puts_moto_back():
    before = _moto_now()

    uninstall = hooks.install(Emulator())
    try:
        _assert_installed(before)
    finally:
        uninstall()

    _assert_moto_back(before)


def test_the_emulator_installs_the_table_on_enter_and_puts_moto_back_on_exit():
    before = _moto_now()

    with Emulator():
        _assert_installed(before)

    _assert_moto_back(before)


def test_a_row_whose_attribute_moto_lacks_stops_the_install_naming_the_pinned_version():
    owner = types.SimpleNamespace(__name__="FakeMotoClass", kept=1)
    kept = Hook(owner, "kept", "clock", "installed before the broken row", lambda e, o: 2)
    gone = Hook(owner, "renamed", "clock", "moto no longer has it", lambda e, o: 3)

    named = rf"moto=={re.escape(MOTO_VERSION)}.*FakeMotoClass\.renamed is gone"
    with pytest.raises(MotoChanged, match=named):
        hooks.install(Emulator(), (kept, gone))
    assert vars(owner) == {"__name__": "FakeMotoClass", "kept": 1}  # nothing installed


def test_a_replacement_that_fails_leaves_moto_as_it_was():
    owner = types.SimpleNamespace(__name__="FakeMotoClass", first=1, second=2)

    def broken(emulator, original):
        raise RuntimeError("the replacement cannot be made")

    rows = (
        Hook(owner, "first", "clock", "installed, then undone", lambda e, o: 10),
        Hook(owner, "second", "clock", "fails", broken),
    )
    with pytest.raises(RuntimeError, match="cannot be made"):
        hooks.install(Emulator(), rows)
    assert (owner.first, owner.second) == (1, 2)
