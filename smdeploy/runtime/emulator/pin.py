"""The moto the emulator is written for: its exact version (the pin of pyproject.toml), the
error raised when moto's internals are not where the emulator expects them, moto's name of
a response method, and what a hook into moto is (:class:`Hook`, a row of
:data:`.hooks.HOOKS`) and does (:func:`replace`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smdeploy.runtime.emulator.state import EmulatorState

MOTO_VERSION = "5.2.5"  # the exact pin of pyproject.toml


class MotoChanged(RuntimeError):
    """moto is not the version the hooks were written against, or a hooked attribute moved."""


def snake_case(operation: str) -> str:
    """moto's name of an operation's response method: ``CreateModel`` -> ``create_model``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


# Given the emulator and moto's original attribute (None when moto lacks it), what stands in
# for that attribute while the emulator runs.
Replacement = Callable[[EmulatorState, Any], Any]


@dataclass(frozen=True)
class Hook:
    owner: Any  # a moto class or module
    attribute: str
    concern: str  # the emulator module whose replacement it is
    why: str
    replace: Replacement
    added: bool = False  # moto lacks it: the hook adds it
    # the leading parameters the replacement relies on (None: not checked)
    parameters: tuple[str, ...] | None = None
    # what else of moto's internals the replacement relies on: what no longer holds, or None
    holds: Callable[[], str | None] | None = None


def replace(hook: Hook, emulator: EmulatorState) -> Callable[[], None]:
    """Set ``hook.owner.attribute`` (a class's own attribute, a module's global) to its
    replacement, and return what undoes it."""
    owner, name = hook.owner, hook.attribute
    namespace = vars(owner)
    had = name in namespace
    original = namespace.get(name)
    setattr(owner, name, hook.replace(emulator, getattr(owner, name, None)))

    def undo() -> None:
        if had:
            setattr(owner, name, original)
        else:
            delattr(owner, name)

    return undo
