"""The one table of hooks into moto: checked against the pinned moto before any is installed."""

import re
import tomllib
from pathlib import Path

import pytest
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

from smdeploy.runtime.emulator import HOOKS, Emulator, MotoChanged, hooks
from smdeploy.runtime.emulator.hooks import MOTO_VERSION, Hook, problems

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


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
        ((Hook(CallbackEndpoint, "wait_for", "clock", "renamed"),), MOTO_VERSION, "wait_for"),
        (
            (Hook(SageMakerResponse, "create_endpoint", "sagemaker", "x", added=True),),
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
        "registry",
        "applicationautoscaling",
    }


def test_a_moto_that_moved_stops_the_emulator_naming_the_pinned_version(monkeypatch):
    monkeypatch.setattr(hooks, "problems", lambda: ["X.y is gone from moto"])

    with pytest.raises(MotoChanged, match=rf"moto=={re.escape(MOTO_VERSION)}.*X\.y is gone"):
        hooks.verify()


def test_the_emulator_refuses_to_patch_what_the_table_does_not_list():
    emulator = Emulator()

    with pytest.raises(MotoChanged, match="not in the table of hooks"):
        emulator._patch(CallbackEndpoint, "notify", lambda *a: None)
    assert emulator._undo == []
