"""The moto the emulator is written for: its exact version (the pin of pyproject.toml), the
error raised when moto's internals are not where the emulator expects them, moto's name of
a response method, and what a hook into moto is (:class:`Hook`, a row of
:data:`.hooks.HOOKS`) and does: :func:`problems` and :func:`verify` check rows against the
moto installed, :func:`install` sets them all (:func:`replace`, one each)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import moto

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


def problems(hooks: tuple[Hook, ...], version: str = moto.__version__) -> list[str]:
    """What no longer holds of the table (empty: every hook can be installed)."""
    found: list[str] = []
    if version != MOTO_VERSION:
        found.append(f"moto is {version}; the emulator's hooks are for {MOTO_VERSION}")
    for hook in hooks:
        name = getattr(hook.owner, "__name__", repr(hook.owner))
        has = hook.attribute in vars(hook.owner)
        if hook.added and has:
            found.append(f"{name}.{hook.attribute} now exists in moto: review the hook")
        elif not hook.added and not has:
            found.append(f"{name}.{hook.attribute} is gone from moto")
        elif has and hook.parameters is not None:
            took = tuple(inspect.signature(vars(hook.owner)[hook.attribute]).parameters)
            if took[: len(hook.parameters)] != hook.parameters:
                found.append(f"{name}.{hook.attribute}{took} no longer takes {hook.parameters}")
        if has != hook.added and hook.holds is not None and (problem := hook.holds()):
            found.append(problem)
    return found


def verify(hooks: tuple[Hook, ...]) -> None:
    """Raise :class:`MotoChanged` naming each hook that no longer fits moto."""
    found = problems(hooks)
    if found:
        raise MotoChanged(
            f"the emulator's hooks into moto (written for moto=={MOTO_VERSION}, the pin of "
            f"pyproject.toml) need a look: " + "; ".join(found)
        )


def install(emulator: EmulatorState, hooks: tuple[Hook, ...]) -> Callable[[], None]:
    """Check every row (:func:`verify`), then set each row's attribute to its replacement;
    return the function that puts back what moto had (and removes what it lacked)."""
    verify(hooks)
    undo: list[Callable[[], None]] = []

    def uninstall() -> None:
        while undo:
            undo.pop()()

    try:
        for hook in hooks:
            undo.append(replace(hook, emulator))
    except BaseException:
        uninstall()
        raise
    return uninstall
