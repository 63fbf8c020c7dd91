"""An emulated endpoint's records, and the observer interface its store calls at each change.

The :class:`~.models.EndpointStore` owns endpoints; other emulated services that react to
their changes (Application Auto Scaling, CloudWatch alarms) register an
:class:`EndpointObserver` with it instead of patching the store. Every method of
:class:`EndpointObserver` does nothing, so an observer writes only those it needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from smdeploy.runtime.emulator.sagemaker.utils import Step


@dataclass
class Change:
    """A change under way: a create, update or delete, and what it ends in."""

    config_name: str
    done_at: float
    outcome: str  # "serve" | "fail" | "rollback" | "delete"
    reason: str | None
    started_at: float
    # an update's steps (utils.update_timeline), each at its offset from started_at
    steps: tuple[Step, ...] = ()


@dataclass
class Endpoint:
    name: str
    arn: str
    config_name: str
    status: str
    created: float
    modified: float
    tags: list[dict[str, str]]
    deployment_config: dict[str, Any] | None
    failure_reason: str | None = None
    change: Change | None = None
    settled_at: float | None = None  # when the last change reached its final status
    observed: bool = True  # whether a DescribeEndpoint has seen that final status


@dataclass(frozen=True)
class Update:
    """An UpdateEndpoint call: the endpoint's config before it, the config it asks for (None:
    none of that name), and the call's parameters."""

    old: dict[str, Any]
    new: dict[str, Any] | None
    params: dict[str, Any]


class StoreView(Protocol):
    """What an observer reads of the store that calls it."""

    account: str
    region: str
    configs: dict[str, dict[str, Any]]  # key: lower-cased name


class EndpointObserver:
    """What an endpoint store tells the services that watch its endpoints. Each method does
    nothing here: an observer overrides those it needs."""

    def updating(self, store: StoreView, endpoint: Endpoint, update: Update) -> None:
        """UpdateEndpoint was called; raise to refuse it."""

    def updated(self, store: StoreView, endpoint: Endpoint, update: Update) -> None:
        """UpdateEndpoint accepted: ``endpoint.change`` is the update under way."""

    def settling(self, store: StoreView, endpoint: Endpoint, change: Change) -> None:
        """``change`` is due and about to settle; its outcome may still be changed."""

    def settled(self, store: StoreView, endpoint: Endpoint, change: Change, updating: bool) -> None:
        """``change`` settled (``updating``: the endpoint was Updating before)."""

    def described(self, store: StoreView, out: dict[str, Any]) -> None:
        """DescribeEndpoint's answer ``out``, which the observer may complete."""

    def deleting(self, store: StoreView, endpoint: Endpoint) -> None:
        """DeleteEndpoint was called; raise to refuse it."""

    def deleted(self, store: StoreView, endpoint: Endpoint) -> None:
        """DeleteEndpoint accepted."""


Key = tuple[str, str, str]  # (account, region, lower-cased endpoint name)


def key(store: StoreView, name: str) -> Key:
    """An endpoint's key across the emulator's stores: SageMaker's names ignore case."""
    return (store.account, store.region, name.lower())
