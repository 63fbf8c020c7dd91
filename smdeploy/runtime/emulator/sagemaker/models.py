"""SageMaker endpoints and endpoint configs with AWS's behaviour: the service's model.

The endpoint lifecycle (Creating/Updating -> InService or Failed after a simulated duration,
on the scheduler), UpdateEndpoint (moto lacks it), rolled-back updates, duplicate names
refused (case-insensitive, as AWS; models too), a new config's eventual-consistency window,
injected throttling, tags, DeleteEndpoint's Deleting phase; and the endpoint events SageMaker
emits at each change, delayed or lost as the faults say. One :class:`EndpointStore` per
account and Region; :mod:`.responses` serves it (models and model packages stay moto's)."""

from __future__ import annotations

import datetime as _dt
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.utils import arn_formatter
from moto.utilities.arns import parse_arn

from smdeploy.runtime.emulator.sagemaker.endpoints import Change, Endpoint, EndpointObserver, Update
from smdeploy.runtime.emulator.sagemaker.exceptions import ThrottlingError
from smdeploy.runtime.emulator.sagemaker.utils import (
    event_detail,
    merged_tags,
    pending_described,
    pending_summary,
    resource_of,
    update_timeline,
    variant_summary,
)
from smdeploy.runtime.emulator.scheduler import ENDPOINT_CHANGE, Scheduler, SimClock
from smdeploy.runtime.faults import FaultBudget, Faults

TRANSITIONAL = ("Creating", "Updating", "SystemUpdating", "RollingBack")


@dataclass
class Counters:
    """Running totals the local runtime reads before and after each deployment."""

    describe_calls: int = 0
    lambda_invocations: int = 0
    detection_lags: list[float] = field(default_factory=list)
    endpoint_events: int = 0  # SageMaker endpoint events put on the bus
    endpoint_events_dropped: int = 0  # ... and lost on the way (--drop-endpoint-events)


# What an endpoint change ends in, as SageMaker's events spell the status.
_FINAL_EVENT_STATUS = {
    "serve": "IN_SERVICE",
    "fail": "FAILED",
    "rollback": "IN_SERVICE",  # back on the old config: the event names that one
    "delete": "DELETED",
}
# Emits one SageMaker endpoint event: (detail-type, detail, resources)
EventSink = Callable[[str, dict[str, Any], list[str]], None]


class EndpointStore:
    """SageMaker endpoint configs and endpoints for one account and Region."""

    def __init__(
        self,
        account: str,
        region: str,
        clock: SimClock,
        faults: Faults,
        stats: Counters,
        budget: FaultBudget | None = None,
        scheduler: Scheduler | None = None,
        emit: EventSink | None = None,
        observers: list[EndpointObserver] | None = None,
    ) -> None:
        self.account, self.region = account, region
        self.clock, self.faults, self.stats = clock, faults, stats
        self.budget = budget or FaultBudget(faults.times)
        self.scheduler = scheduler
        self.emit = emit
        # other services watching the endpoints (a shared list: they may register later)
        self.observers: list[EndpointObserver] = observers if observers is not None else []
        self.configs: dict[str, dict[str, Any]] = {}  # key: lower-cased name
        self.config_tags: dict[str, list[dict[str, str]]] = {}  # key: lower-cased name
        self.invisible: dict[str, int] = {}  # config key -> create/update calls still refused
        self.endpoints: dict[str, Endpoint] = {}  # key: lower-cased name
        self.calls: dict[str, int] = {}
        self._throttle_counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def _arn(self, kind: str, name: str) -> str:
        """SageMaker spells resource names in lower case in its ARNs."""
        return str(arn_formatter(kind, name.lower(), self.account, self.region))

    def _ts(self, seconds: float) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)

    def count(self, operation: str, params: dict[str, Any] | None = None) -> None:
        """Count a call (throttled ones too), and throttle it if the faults say so: the first
        N calls of the operation in the account, or, with ``Faults.throttle_each_resource``,
        the first N calls of the operation on each resource (the name or ARN it carries)."""
        if operation == "DescribeEndpoint":
            self.stats.describe_calls += 1
        key = operation
        if self.faults.throttle_each_resource:
            key = f"{operation} {resource_of(params or {})}"
        with self._lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1
            n = self._throttle_counts[key] = self._throttle_counts.get(key, 0) + 1
        if n <= self.faults.throttle.get(operation, 0):
            raise ThrottlingError()

    # configs

    def create_config(self, params: dict[str, Any]) -> str:
        name = params["EndpointConfigName"]
        arn = self._arn("endpoint-config", name)
        if name.lower() in self.configs:
            raise ValidationError(f'Cannot create already existing endpoint configuration "{arn}".')
        models = sagemaker_backends[self.account][self.region]._models
        for variant in params.get("ProductionVariants", []) + params.get(
            "ShadowProductionVariants", []
        ):
            model = variant.get("ModelName")
            if model and model not in models:
                raise ValidationError(f'Could not find model "{self._arn("model", model)}".')
        config = dict(params, EndpointConfigArn=arn, CreationTime=self._ts(self.clock.now()))
        config.pop("Tags", None)
        self.configs[name.lower()] = config
        self.config_tags[name.lower()] = list(params.get("Tags", []))
        if self.faults.config_visibility_lag and self.budget.take("config_visibility_lag"):
            self.invisible[name.lower()] = self.faults.config_visibility_lag
        return arn

    def get_config(self, name: str) -> dict[str, Any]:
        try:
            return self.configs[name.lower()]
        except KeyError:
            arn = self._arn("endpoint-config", name)
            raise ValidationError(f'Could not find endpoint configuration "{arn}".') from None

    def _visible_config(self, name: str) -> dict[str, Any]:
        config = self.get_config(name)
        if self.invisible.get(name.lower(), 0) > 0:
            self.invisible[name.lower()] -= 1
            raise ValidationError(
                f'Could not find endpoint configuration "{config["EndpointConfigArn"]}".'
            )
        return config

    def delete_config(self, name: str) -> None:
        self.get_config(name)
        del self.configs[name.lower()]
        self.config_tags.pop(name.lower(), None)
        self.invisible.pop(name.lower(), None)

    # tags (AddTags, DeleteTags, ListTags on the ARN of an endpoint or an endpoint config:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html)

    def tags_of(self, arn: str) -> list[dict[str, str]]:
        """The tag list of the endpoint or endpoint config ``arn`` names (itself, mutable)."""
        parsed = parse_arn(arn)
        if parsed.resource_type == "endpoint":
            return self.get_endpoint(parsed.resource_id).tags
        self.get_config(parsed.resource_id)
        return self.config_tags.setdefault(parsed.resource_id.lower(), [])

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """AddTags "adds or overwrites": a key already on the resource takes the new value."""
        current = self.tags_of(arn)
        current[:] = merged_tags(arn, current, tags)
        return list(tags)

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        current = self.tags_of(arn)
        current[:] = [tag for tag in current if tag["Key"] not in keys]

    # endpoints

    def _settle(self, endpoint: Endpoint) -> None:
        change = endpoint.change
        if change is None or self.clock.now() < change.done_at:
            return
        updating = endpoint.status == "Updating"
        for observer in list(self.observers):
            observer.settling(self, endpoint, change)
        endpoint.change = None
        endpoint.modified = change.done_at
        endpoint.settled_at = change.done_at
        endpoint.observed = False
        if change.outcome == "serve":
            endpoint.status, endpoint.config_name, endpoint.failure_reason = (
                "InService",
                change.config_name,
                None,
            )
        elif change.outcome == "fail":
            endpoint.status, endpoint.failure_reason = "Failed", change.reason
            endpoint.config_name = change.config_name
        elif change.outcome == "delete":  # gone: its name is free again
            self.endpoints.pop(endpoint.name.lower(), None)
        else:  # rollback: back InService on the previous config, with the reason
            endpoint.status, endpoint.failure_reason = "InService", change.reason
        for observer in list(self.observers):
            observer.settled(self, endpoint, change, updating)

    # SageMaker's endpoint events
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)

    def _start(self, endpoint: Endpoint, change: Change) -> None:
        """``change`` of ``endpoint`` (now Creating, Updating or Deleting) starts."""
        endpoint.change = change
        self._begin(endpoint, change, endpoint.status.upper())

    def _begin(self, endpoint: Endpoint, change: Change, status: str) -> None:
        """A change started: its event now, its end (and the deployment steps of an update)
        on the scheduler."""
        self._state_event(endpoint, status)
        if self.scheduler is None:
            return
        self.scheduler.at(change.done_at, lambda: self._finish(endpoint, change), ENDPOINT_CHANGE)
        for step in change.steps:
            self.scheduler.at(
                change.started_at + step.at,
                functools.partial(
                    self._deployment_event, endpoint, change, step.status, step.message
                ),
                "deployment step",
            )

    def _finish(self, endpoint: Endpoint, change: Change) -> None:
        if endpoint.change is change:
            self._settle(endpoint)
        self._state_event(endpoint, _FINAL_EVENT_STATUS[change.outcome])

    def _event_detail(self, endpoint: Endpoint, config_name: str) -> dict[str, Any]:
        config = self.configs.get(config_name.lower(), {})
        return event_detail(endpoint, config_name, config, self.clock.now())

    def _state_event(self, endpoint: Endpoint, status: str) -> None:
        if self.emit is None:
            return
        detail = self._event_detail(endpoint, endpoint.config_name)
        detail["EndpointStatus"] = status
        self.emit("SageMaker Endpoint State Change", detail, [endpoint.arn])

    def _deployment_event(
        self, endpoint: Endpoint, change: Change, variant_status: str, message: str
    ) -> None:
        if self.emit is None or endpoint.change is not change:
            return
        detail = self._event_detail(endpoint, endpoint.config_name)
        detail["EndpointStatus"] = "UPDATING"
        pending = self._event_detail(endpoint, change.config_name)
        detail["PendingDeploymentSummary"] = pending_summary(
            change.config_name,
            change.started_at,
            pending["ProductionVariants"],
            (variant_status, message),
            self.clock.now(),
        )
        self.emit("SageMaker Endpoint Deployment State Change", detail, [endpoint.arn])

    def get_endpoint(self, name: str) -> Endpoint:
        endpoint = self.endpoints.get(name.lower())
        if endpoint is not None:
            self._settle(endpoint)
        if endpoint is None or name.lower() not in self.endpoints:
            raise ValidationError(f'Could not find endpoint "{self._arn("endpoint", name)}".')
        return endpoint

    def existing_endpoints(self) -> list[Endpoint]:
        """Every endpoint that exists now (a finished deletion removes one)."""
        found = []
        for endpoint in list(self.endpoints.values()):
            self._settle(endpoint)
            if endpoint.name.lower() in self.endpoints:
                found.append(endpoint)
        return found

    def create_endpoint(self, params: dict[str, Any]) -> str:
        name = params["EndpointName"]
        existing = self.endpoints.get(name.lower())
        if existing is not None:
            self._settle(existing)  # a finished deletion frees the name
        if name.lower() in self.endpoints:
            existing = self.endpoints[name.lower()]
            raise ValidationError(f'Cannot create already existing endpoint "{existing.arn}".')
        config = self._visible_config(params["EndpointConfigName"])
        now = self.clock.now()
        fail = self.faults.fail_endpoint
        if fail and not self.budget.take("fail_endpoint"):
            fail = None
        endpoint = Endpoint(
            name=name,
            arn=self._arn("endpoint", name),
            config_name=config["EndpointConfigName"],
            status="Creating",
            created=now,
            modified=now,
            tags=list(params.get("Tags", [])),
            deployment_config=params.get("DeploymentConfig"),
        )
        self.endpoints[name.lower()] = endpoint
        outcome = "fail" if fail else "serve"
        done_at = now + self.faults.creation_seconds
        self._start(endpoint, Change(endpoint.config_name, done_at, outcome, fail, now))
        return endpoint.arn

    def update_endpoint(self, params: dict[str, Any]) -> str:
        endpoint = self.get_endpoint(params["EndpointName"])
        old = self.configs.get(endpoint.config_name.lower(), {})
        new = self.configs.get(str(params["EndpointConfigName"]).lower())
        update = Update(old, new, params)
        for observer in list(self.observers):
            observer.updating(self, endpoint, update)
        if endpoint.status in TRANSITIONAL:
            raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if endpoint.status in ("Failed", "OutOfService", "Deleting"):
            raise ValidationError(
                f'Cannot update endpoint "{endpoint.arn}" in status {endpoint.status}.'
            )
        config = self._visible_config(params["EndpointConfigName"])
        now = self.clock.now()
        if self.faults.rollback_update and self.budget.take("rollback_update"):
            outcome, reason = "rollback", self.faults.rollback_update
        elif self.faults.fail_endpoint and self.budget.take("fail_endpoint"):
            outcome, reason = "fail", self.faults.fail_endpoint
        else:
            outcome, reason = "serve", None
        endpoint.status, endpoint.modified, endpoint.failure_reason = "Updating", now, None
        if not params.get("RetainDeploymentConfig"):
            endpoint.deployment_config = params.get("DeploymentConfig")
        config_name = config["EndpointConfigName"]
        steps, seconds = update_timeline(
            endpoint.deployment_config,
            config.get("ProductionVariants", []),
            self.faults.creation_seconds,
        )
        change = Change(config_name, now + seconds, outcome, reason, now, tuple(steps))
        self._start(endpoint, change)
        for observer in list(self.observers):
            observer.updated(self, endpoint, update)
        return endpoint.arn

    def describe_endpoint(self, name: str) -> dict[str, Any]:
        endpoint = self.get_endpoint(name)
        if not endpoint.observed and endpoint.settled_at is not None:
            endpoint.observed = True
            self.stats.detection_lags.append(self.clock.now() - endpoint.settled_at)
        config = self.configs.get(endpoint.config_name.lower(), {})
        out: dict[str, Any] = {
            "EndpointName": endpoint.name,
            "EndpointArn": endpoint.arn,
            "EndpointConfigName": endpoint.config_name,
            "EndpointStatus": endpoint.status,
            "CreationTime": self._ts(endpoint.created),
            "LastModifiedTime": self._ts(endpoint.modified),
            "ProductionVariants": [
                variant_summary(v) for v in config.get("ProductionVariants", [])
            ],
        }
        if endpoint.failure_reason:
            out["FailureReason"] = endpoint.failure_reason
        if endpoint.deployment_config:
            out["LastDeploymentConfig"] = endpoint.deployment_config
        if endpoint.change is not None and endpoint.status == "Updating":
            change, now = endpoint.change, self.clock.now()
            pending = self.configs.get(change.config_name.lower(), {})
            out["PendingDeploymentSummary"] = pending_described(
                change, [variant_summary(v) for v in pending.get("ProductionVariants", [])], now
            )
        for observer in list(self.observers):
            observer.described(self, out)
        return out

    def delete_endpoint(self, name: str) -> None:
        """DeleteEndpoint: the endpoint is Deleting for ``Faults.deletion_seconds``, then gone;
        meanwhile its name is still taken. A Creating or Updating endpoint, or one already
        Deleting, cannot be deleted: users wait for it to be InService or Failed first
        (https://github.com/aws/amazon-sagemaker-examples/pull/3188,
        https://github.com/aws/amazon-sagemaker-examples/issues/3432)."""
        endpoint = self.get_endpoint(name)
        if endpoint.status in (*TRANSITIONAL, "Deleting"):
            raise ValidationError(f'Cannot delete in-progress endpoint "{endpoint.arn}".')
        for observer in list(self.observers):
            observer.deleting(self, endpoint)  # its inference components, say
        now = self.clock.now()
        endpoint.status, endpoint.modified = "Deleting", now
        done_at = now + self.faults.deletion_seconds
        self._start(endpoint, Change(endpoint.config_name, done_at, "delete", None, now))
        if self.faults.deletion_seconds <= 0:
            self._settle(endpoint)
        for observer in list(self.observers):
            observer.deleted(self, endpoint)
