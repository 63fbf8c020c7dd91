"""The endpoint's record in the deployer's table, as data: the order of a deployment, a claim
on the endpoint (held or waiting), an intent, the record itself, and the admission the lease's
decisions (:mod:`deployer.decide.lease`) return. Stored by :mod:`deployer.aws.lease_table`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict

from deployer.basemodel import Model


class Order(Model):
    """When a deployment's intent was expressed, and how ties break (see the module doc)."""

    model_config = ConfigDict(frozen=True)

    At: datetime  # the approval time, the rejection time, or the execution's start time
    Version: int = 0  # the model package version (0 for direct and manifest deployments)
    Tiebreak: str = ""  # the package ARN, or the execution name

    @property
    def key(self) -> tuple[float, int, str]:
        return (self.At.timestamp(), self.Version, self.Tiebreak)

    def newer_than(self, other: Order) -> bool:
        return self.key > other.key

    def describe(self) -> str:
        moment = self.At.isoformat(timespec="milliseconds")
        version = f", version {self.Version}" if self.Version else ""
        return f"{moment}{version}"


class Claim(Model):
    """One execution's claim on an endpoint: who, in which order, for which config."""

    model_config = ConfigDict(frozen=True)

    Execution: str  # the execution ARN
    Order: Order
    EndpointConfigName: str
    Expires: float  # epoch seconds: the execution's own time limit
    # WAITING | CONFIGURING | DEPLOYING, and DEPLOYED for the record's newest success
    Phase: str = "WAITING"
    Package: str | None = None  # the model package ARN it deploys (approvals, rollbacks)
    Rejects: str | None = None  # a rejection's rollback: the model package ARN rejected
    # a rejection's rollback: the executions deploying the rejected package that it stopped
    Stopped: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Guarded: bool = False  # the deployment's request configures guardrails
    # a rejection with no rollback, whose stopped deployment had begun its rollout: the
    # config it puts back (the one the endpoint served before)
    Restore: str | None = None

    @property
    def name(self) -> str:
        return self.Execution.rsplit(":", 1)[-1]

    def deploys(self, package: str) -> bool:
        return self.Package is not None and self.Package.lower() == package.lower()


class Intent(Model):
    """What Validate knows of a deployment's intent that the lease needs (see the module doc):
    the package it deploys, and for a rejection's rollback, the package rejected and whether
    the endpoint served it when Validate looked."""

    model_config = ConfigDict(frozen=True)

    Package: str | None = None  # None for a rejection with no rollback: it only stops
    Rejects: str | None = None
    Serving: bool = False
    RollBack: bool = True  # a rejection: the group's profile rolls back on rejection


class Record(Model):
    """The endpoint's record in the deployer's table."""

    Endpoint: str  # lower-cased endpoint name: the table's key
    Version: int = 0  # for conditional writes; 0: no record yet
    Holder: Claim | None = None
    Intents: list[Claim] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Deployed: Claim | None = None  # the newest (by order) deployment that succeeded
    # configs that served, newest first
    Served: list[str] = []  # noqa: RUF012 (pydantic copies it for each instance)
    Replacing: str | None = None  # FailureReason of a Failed endpoint being replaced
    # rejections (the rollback's claim, Rejects set), newest first
    Rejections: list[Claim] = []  # noqa: RUF012 (pydantic copies it for each instance)
    # Whether the deployer's guardrails (rollback alarms, scalable targets) may be on the
    # endpoint, left by an earlier deployment; None: not known (a record written before the
    # deployer remembered it), taken as yes.
    Guarded: bool | None = None

    def configs_in_use(self) -> set[str]:
        """Lower-cased names of the configs a holder or a waiting deployment names."""
        claims = [c for c in (self.Holder, *self.Intents) if c is not None]
        return {c.EndpointConfigName.lower() for c in claims}


class Decision(StrEnum):
    ACQUIRED = "ACQUIRED"  # this execution holds the lease: go on
    WAIT = "WAIT"  # an older deployment holds it: wait, then ask again
    SUPERSEDED = "SUPERSEDED"  # a newer deployment exists: end, creating nothing more
    NOT_NEEDED = "NOT_NEEDED"  # a rejection of a package the endpoint neither serves nor gets
    RESTORE = "RESTORE"  # a rejection holds the endpoint: put back the config it served before
    NO_TARGET = "NO_TARGET"  # a rejected package serves, and there is nothing to put back


class Admission(Model):
    Decision: Decision
    Record: Record
    By: Claim | None = None  # who holds the lease (WAIT), or who is newer (SUPERSEDED)
    TookOver: Claim | None = None  # a dead or expired holder whose lease was taken
    WaitSeconds: int = 0
    Guardrails: bool = False  # the guardrail steps run (see :func:`guardrails_to_run`)
    Claimed: Claim | None = None  # ``me`` as admitted (a rejection's: with what it stopped)
    Note: str = ""  # a rejection with no rollback: what it did, in words
