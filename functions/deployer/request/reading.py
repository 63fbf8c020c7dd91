"""Reading a request of unknown shape: any field may have any type (the model's checks in
:mod:`deployer.request.shapes` report wrong types), so each reader gives the value when it has
the type a rule wants and an empty or absent value otherwise."""

from __future__ import annotations

from typing import Any

from deployer.request.violations import join

VARIANT_FIELDS = ("ProductionVariants", "ShadowProductionVariants")


def as_object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def variants(
    raw: dict[str, Any], field: str = "ProductionVariants"
) -> list[tuple[str, dict[str, Any]]]:
    """(path, variant) for each variant of ``field`` that is an object."""
    return [
        (join(field, i), v) for i, v in enumerate(as_items(raw.get(field))) if isinstance(v, dict)
    ]


def all_variants(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [pair for field in VARIANT_FIELDS for pair in variants(raw, field)]


def is_serverless(variant: dict[str, Any]) -> bool:
    return "ServerlessConfig" in variant
