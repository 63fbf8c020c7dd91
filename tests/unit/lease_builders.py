"""Builders of lease claims and records shared by the lease tests (deployer.decide.lease)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deployer.decide.lease_record import Claim, Order, Record

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = T0.timestamp() + 1000


def order(seconds: float, version: int = 0, tiebreak: str = "") -> Order:
    return Order(At=T0 + timedelta(seconds=seconds), Version=version, Tiebreak=tiebreak)


def claim(
    name: str,
    at: float,
    config: str | None = None,
    *,
    expires: float = NOW + 3600,
    package: str | None = None,
    rejects: str | None = None,
    phase: str = "WAITING",
) -> Claim:
    """Execution ``name``'s claim, expressed ``at`` seconds after T0, for config ``ep-<name>``
    unless ``config`` is given."""
    return Claim(
        Execution=f"arn:aws:states:us-east-1:123456789012:execution:smdeploy:{name}",
        Order=order(at, tiebreak=name),
        EndpointConfigName=config or f"ep-{name}",
        Expires=expires,
        Phase=phase,
        Package=package,
        Rejects=rejects,
    )


def record(**fields: object) -> Record:
    return Record(Endpoint="churn-predictor", Version=3, **fields)


def holding(c: Claim, phase: str = "CONFIGURING") -> Claim:
    """The claim as the lease's holder has it, in ``phase``."""
    return c.model_copy(update={"Phase": phase})
