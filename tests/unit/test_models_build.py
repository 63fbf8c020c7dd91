"""The deployer's pydantic models derive from ``deployer.basemodel.Model``, which builds each
model's validator at its first use instead of at import (a cold start pays only for the models
its path uses). Every model still builds: a mistake in a definition would otherwise show only
in the function that first uses the model."""

import importlib
import inspect
import pkgutil

import pytest
from pydantic import BaseModel

import deployer
from deployer.basemodel import Model


def _modules() -> list[str]:
    """Every module of the deployer, subpackages included (request/, decide/, payloads/...)."""
    found = pkgutil.walk_packages(deployer.__path__, f"{deployer.__name__}.")
    return sorted(info.name for info in found if not info.ispkg)


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


def _defined(base: type[BaseModel]) -> set[type[BaseModel]]:
    """Every subclass of ``base`` defined in the deployer (of those imported so far)."""
    below = {c for sub in base.__subclasses__() for c in {sub, *_defined(sub)}}
    return {c for c in below if c.__module__.startswith(f"{deployer.__name__}.")}


MODELS = _models()


def test_the_walk_finds_every_model_of_the_deployer() -> None:
    """Once every module is imported, the pydantic models defined in the deployer are exactly
    the walk's (a model in a subpackage the walk missed would escape the tests below)."""
    assert set(MODELS) == _defined(BaseModel)
    assert {"DeploymentRequest", "Guardrails", "Record", "Plan"} <= {m.__name__ for m in MODELS}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__qualname__}")
def test_every_model_derives_from_the_deferred_base(model):
    assert issubclass(model, Model)
    assert model.model_config.get("defer_build") is True


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__qualname__}")
def test_every_model_builds(model):
    assert model.model_rebuild(force=True) is not False
    assert model.__pydantic_complete__
