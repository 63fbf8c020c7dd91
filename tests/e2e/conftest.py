"""End-to-end fixtures: a fresh emulated account with smdeploy installed, per test.

What installing costs is reused across the session (per xdist worker): moto validates a state
machine's definition by parsing it (about 0.7 s of the 0.8 s an install takes), and every
test installs the same definition. Each test still gets its own account: the reuse is the
validation's verdict only, never any account state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from e2e_helpers import load_example, undeclared_shapes
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from smdeploy.executions import history
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.local import LocalDeployment


@pytest.fixture(scope="session", autouse=True)
def definitions_validated_once() -> Iterator[None]:
    """CreateStateMachine validates a definition it has already accepted in this session
    without parsing it again (an invalid one is still parsed, and refused, every time)."""
    original = StepFunctionsParserBackend._validate_definition
    valid: set[str] = set()

    def validate(definition: str) -> None:
        if definition not in valid:
            original(definition)
            valid.add(definition)

    patch = pytest.MonkeyPatch()
    patch.setattr(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate))
    yield
    patch.undo()


@pytest.fixture
def request_v1() -> dict[str, Any]:
    return load_example("request.json")


@pytest.fixture
def request_v2() -> dict[str, Any]:
    return load_example("request-v2.json")


@pytest.fixture
def make_account() -> Iterator[Callable[..., LocalDeployment]]:
    """Open an emulated account with the given faults; closed at the end of the test.

    moto keeps one global state per process, so a test opens one account at a time.
    """
    opened: list[LocalDeployment] = []

    def open_account(
        seed: int = 1,
        deadline_seconds: int | None = None,
        profiles: dict[str, Any] | None = None,
        **faults: Any,
    ):
        account = LocalDeployment(
            faults=Faults(**faults),
            seed=seed,
            deadline_seconds=deadline_seconds,
            profiles=profiles,
        )
        opened.append(account.__enter__())
        return account

    yield open_account
    try:
        # every execution's data, in every test: what deployer.payloads declares
        for account in opened:
            for arn in account.execution_arns():
                assert undeclared_shapes(history(account.stepfunctions, arn)) == [], arn
    finally:
        for account in reversed(opened):
            account.__exit__(None, None, None)


@pytest.fixture
def account(make_account) -> LocalDeployment:
    return make_account()
