"""The deployer's one validator, for the command line.

smdeploy reaches the Lambda code as the stack does: by a dotted name in the Lambda package
(installed with smdeploy), never by importing the domain package directly. So ``smdeploy
validate`` runs exactly the code of the Validate stage. The protocols below are what the
command line reads of its result (``deployer.request.deployment.Validation``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast

VALIDATOR = "deployer.request.deployment.validate_request"


class Violation(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...


class Request(Protocol):
    @property
    def endpoint_name(self) -> str: ...
    @property
    def endpoint_config_name(self) -> str: ...
    @property
    def config_name_derived(self) -> bool: ...
    @property
    def fields(self) -> dict[str, Any]: ...
    @property
    def inference_components(self) -> list[dict[str, Any]]: ...


class Validation(Protocol):
    @property
    def valid(self) -> bool: ...
    @property
    def violations(self) -> Sequence[Violation]: ...
    @property
    def traffic(self) -> Mapping[str, float]: ...
    @property
    def request(self) -> Request | None: ...
    def to_json(self) -> dict[str, Any]: ...


def load_validator() -> Callable[[Any], Validation]:
    """``validate_request`` of the Lambda package."""
    module, _, name = VALIDATOR.rpartition(".")
    return cast("Callable[[Any], Validation]", getattr(importlib.import_module(module), name))
