"""Work moto repeats for nothing, done once: rows of :data:`.hooks.HOOKS` that change no
answer, only what a call costs.

Each replacement gives exactly what moto's own attribute gives (the same method names, the
same key), computed once or when first needed instead of at every request
(tests/functional/test_functional_emulator_speed.py compares them with moto's own).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

from smdeploy.runtime.emulator.state import EmulatorState


def method_names(_emulator: EmulatorState, original: Callable[[object], list[str]]) -> Any:
    """``moto.core.responses.method_names_from_class``: moto lists a response class's methods
    (``inspect.getmembers``, every attribute of the class and its bases) at every request,
    to see whether the action is one of them: about 7 % of an in-process call. The methods
    of a class do not change while the emulator runs (its own hooks are installed before its
    first request), so each class is listed once per run of the emulator."""
    listed: dict[object, list[str]] = {}
    lock = threading.Lock()

    def method_names_from_class(clazz: object) -> list[str]:
        with lock:
            if clazz not in listed:
                listed[clazz] = original(clazz)
            return listed[clazz]

    return method_names_from_class


class _LazyPrivateKey:
    """A KMS key's private key, generated when first used rather than when the key is made."""

    def __init__(self, generate: Callable[[str], Any], key_spec: str) -> None:
        self._generate = functools.partial(generate, key_spec)
        self._key: Any = None
        self._lock = threading.Lock()

    def _made(self) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._generate()
            return self._key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)


def lazy_private_key(_emulator: EmulatorState, original: Callable[[str], Any]) -> Any:
    """``moto.kms.models.generate_private_key``: moto makes an RSA-2048 key pair for every
    KMS key it creates, symmetric ones included, which never use it (30 to 100 ms of CPU
    each). A DynamoDB table with server-side encryption under a KMS key (the deployer's lease
    table, as the stack makes it) creates one, so every emulated account paid for it. The key
    pair is now made the first time something uses it (Sign, Verify, GetPublicKey: the only
    operations that read it), with the same key spec."""

    def generate_private_key(key_spec: str) -> _LazyPrivateKey:
        return _LazyPrivateKey(original, key_spec)

    return generate_private_key


# moto's alias providers whose reads the key of :func:`possible_keys` covers, in moto's order
_REVIEWED_PROVIDERS = (
    "ExplicitAlias",
    "ShapeNameAlias",
    "NoAlias",
    "ShapePrefixAlias",
    "ClassPrefixAlias",
    "ModelAlias",
)


def possible_keys(_emulator: EmulatorState, original: Callable[..., Iterator[str]]) -> Any:
    """``moto.core.serialize.XFormedAttributePicker.get_possible_keys``: to serialize a
    response, moto asks, for every member of every structure in it, which attribute names of
    the Python object may hold it: six alias providers are made and asked, and each name is
    converted to snake_case, at every member of every response (a quarter of the time moto
    spends serializing). The names depend only on what the providers read: the picker's
    providers, the object's class (its name, its ``Meta.serialization_aliases``), the member's
    name, its botocore shape and the structure it is a member of. So the names are computed
    once per such key, by moto's own method; a picker with a provider that was not reviewed
    asks moto every time."""
    known: dict[tuple[object, ...], tuple[str, ...]] = {}

    def get_possible_keys(picker: Any, context: Any) -> Iterator[str]:
        obj, shape = context.obj, context.shape
        providers = tuple(picker.alias_providers)
        meta = getattr(obj, "Meta", None)  # a class's, or the object's own (kept by identity)
        parent = getattr(shape, "parent", None)
        key = (type(picker), providers, type(obj), meta, context.key, shape, parent)
        try:
            names = known.get(key)
        except TypeError:  # a Meta that cannot be a key (unhashable): asked every time
            return original(picker, context)
        if names is None:
            names = tuple(original(picker, context))
            if all(p.__name__ in _REVIEWED_PROVIDERS for p in providers):
                known[key] = names
        return iter(names)

    return get_possible_keys


def picks_by_providers() -> str | None:
    """What :func:`possible_keys` relies on: moto's default providers are the reviewed ones,
    and the picker finds its names from them alone (None: both still hold)."""
    from moto.core import serialize

    providers = tuple(p.__name__ for p in serialize.DEFAULT_ALIAS_PROVIDERS)
    if providers != _REVIEWED_PROVIDERS:
        return f"moto's attribute alias providers are now {providers}"
    source = inspect.getsource(serialize.XFormedAttributePicker.get_possible_keys)
    if "super().get_possible_keys(context)" not in source or "xform_name" not in source:
        return "XFormedAttributePicker.get_possible_keys no longer extends the providers' names"
    return None
