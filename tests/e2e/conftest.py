"""End-to-end fixtures: a fresh emulated account with smdeploy installed, per test (the
emulator parses the deployer's definition once per process: smdeploy/runtime/emulator/
stepfunctions.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from e2e_helpers import load_example, undeclared_shapes

from smdeploy.executions import history
from smdeploy.runtime.emulator import Faults
from smdeploy.runtime.local import LocalDeployment


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
