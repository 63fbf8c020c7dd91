"""The sweep's decision: which endpoints changed since the last sweep, and the wake each one
gets. Pure.

SageMaker's endpoint events are best effort: a lost ``IN_SERVICE`` event would leave its
deployment parked until the park's timeout (30 minutes). So once a minute EventBridge
Scheduler starts the Sweep function, which makes one ListEndpoints listing of the endpoints
modified since a little before the previous sweep (``LastModifiedTimeAfter``; SageMaker
stamps ``LastModifiedTime`` at each change of status), whatever the number of parked
deployments, and hands each endpoint that reached a final status, and on which a deployment
is parked, to the Wait function as the ``SageMaker Endpoint State Change`` event it would have
received (:func:`state_change_event`): a wake by event and by sweep are the same wake, and
either finds the other's waiters gone (:mod:`deployer.decide.wake`).

The window: the invocation scheduled for ``T`` looks at what changed after
``T - interval - margin`` (:func:`window_start`). The margin covers the clocks of the Scheduler
and SageMaker, and a sweep that ran late; what two windows both hold is handed over twice at
most, and the second finds no one waiting. A retried invocation has the same scheduled time,
so the same window. https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from deployer import interface
from deployer.decide.wake import ENDPOINT_STATE_CHANGE, SOURCE, api_status, is_final

# How far before the previous sweep a sweep looks: the clocks, and a sweep that ran late.
MARGIN_SECONDS = 30


def scheduled_time(event: Mapping[str, Any], now: datetime) -> datetime:
    """The moment the invocation was scheduled for (the Scheduler's ``scheduled-time``, ISO
    8601 in UTC); ``now`` when the input has none (a hand-made invocation)."""
    value = event.get("ScheduledTime")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return now
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return now


def window_start(
    scheduled: datetime, interval_seconds: int = interface.SWEEP_INTERVAL_SECONDS
) -> datetime:
    """``LastModifiedTimeAfter`` of the sweep scheduled for ``scheduled``: a little before the
    previous sweep was scheduled."""
    return scheduled - timedelta(seconds=interval_seconds + MARGIN_SECONDS)


def within_scope(name: str, name_prefix: str) -> bool:
    """Whether the deployer may have deployed the endpoint (SageMaker compares names without
    regard to case)."""
    return name.lower().startswith(name_prefix.lower())


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def changed(
    summaries: Iterable[Mapping[str, Any]], since: datetime, name_prefix: str
) -> list[dict[str, Any]]:
    """The endpoints of a ListEndpoints listing to hand to the Wait function: within the
    deployer's scope, modified after ``since``, in a final status (a change still under way
    has nothing to wake). Each endpoint once, in the listing's order."""
    found: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        name = summary.get("EndpointName")
        status = summary.get("EndpointStatus")
        modified = _moment(summary.get("LastModifiedTime"))
        if not isinstance(name, str) or not isinstance(status, str) or modified is None:
            continue
        if not within_scope(name, name_prefix) or modified <= since or not is_final(status):
            continue
        found.setdefault(name.lower(), dict(summary))
    return list(found.values())


def event_status(status: str) -> str:
    """``InService`` -> ``IN_SERVICE``: the casing of SageMaker's events (the inverse of
    :func:`deployer.decide.wake.api_status`)."""
    out = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(status)).upper()
    if api_status(out) != status:
        raise ValueError(f"EndpointStatus {status!r} has no event spelling")
    return out


def _millis(moment: datetime) -> float:
    return moment.timestamp() * 1000


def state_change_event(summary: Mapping[str, Any], scheduled: datetime) -> dict[str, Any]:
    """The ``SageMaker Endpoint State Change`` event the sweep hands the Wait function for one
    changed endpoint, in the shape EventBridge delivers SageMaker's
    (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
    the status and LastModifiedTime the listing gave, so the progress step it records is the
    one the lost event would have recorded."""
    modified = _moment(summary["LastModifiedTime"])
    assert modified is not None
    created = _moment(summary.get("CreationTime")) or modified
    arn = str(summary.get("EndpointArn", ""))
    parts = arn.split(":")
    stamp = scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": f"smdeploy-sweep-{stamp}-{summary['EndpointName']}",
        "detail-type": ENDPOINT_STATE_CHANGE,
        "source": SOURCE,
        "account": parts[4] if len(parts) > 5 else "",
        "time": stamp,
        "region": parts[3] if len(parts) > 5 else "",
        "resources": [arn] if arn else [],
        "detail": {
            "EndpointName": summary["EndpointName"],
            "EndpointArn": arn,
            "EndpointStatus": event_status(str(summary["EndpointStatus"])),
            "CreationTime": _millis(created),
            "LastModifiedTime": _millis(modified),
        },
    }
