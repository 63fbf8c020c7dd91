"""The name of an execution a trigger starts: readable, and the same for every delivery of
one event.

- an approval or a rejection: ``<group>-v<version>-approved-<id>`` or
  ``<group>-v<version>-rejected-<id>`` (``churn-predictor-v3-approved-1a2b3c4d``);
- a manifest: its key, each run of characters a name cannot hold made one ``-``
  (``manifests/churn.json``: ``manifests-churn-json-1a2b3c4d``);
- any other event: ``event-<id>``.

``<id>`` is 8 hex digits of the SHA-256 of the EventBridge event's ``id``, which EventBridge
keeps when it delivers an event again: a redelivered event gets the same name, and Step
Functions starts no second execution of it. A part too long for the name is cut, and ends
with 8 hex digits of its own SHA-256 (two long keys that begin alike still differ).

Step Functions' names: 1 to 80 characters; only ``0-9A-Za-z-_`` for executions that log to
CloudWatch Logs
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
``smdeploy start`` names the executions it starts after their request
(:func:`smdeploy.remote.execution_name`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from deployer.payloads.pieces import trigger_of

NAME_LIMIT = 80  # StartExecution's name: 1-80 characters
DIGITS = 8  # hex digits of each SHA-256 a name carries
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]+")
_VERSION_LIMIT = 10  # a version longer than this is not SageMaker's (an integer)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:DIGITS]


def clean(text: str) -> str:
    """``text`` with each run of characters a name cannot hold made one ``-``."""
    return _UNSAFE.sub("-", text).strip("-")


def _fit(text: str, room: int, empty: str) -> str:
    """``text`` cleaned, in at most ``room`` characters: cut when longer, then ended with
    ``-`` and the digest of the whole text. ``empty``: when nothing of it is left."""
    cleaned = clean(text) or empty
    if len(cleaned) <= room:
        return cleaned
    return f"{cleaned[: room - DIGITS - 1].rstrip('-')}-{_digest(text)}"


def event_digest(event: Mapping[str, Any]) -> str:
    """The digest of the event's ``id`` (of its whole text, sorted, when it has none)."""
    event_id = event.get("id")
    if isinstance(event_id, str) and event_id:
        return _digest(event_id)
    return _digest(json.dumps(event, sort_keys=True, separators=(",", ":"), default=str))


def _version(detail: Mapping[str, Any], arn: Any) -> str:
    """The package's version: the event's ModelPackageVersion, else its ARN's last part."""
    version = detail.get("ModelPackageVersion")
    if version is None and isinstance(arn, str) and "/" in arn:
        version = arn.rsplit("/", 1)[1]
    return clean(str(version))[:_VERSION_LIMIT] if version is not None else ""


def execution_name(event: Mapping[str, Any]) -> str:
    """The execution name for this trigger event (see the module's docstring)."""
    ending = f"-{event_digest(event)}"
    trigger = trigger_of(event)
    if trigger.Source in ("approval", "rejection"):
        detail = event["detail"]
        version = _version(detail, detail.get("ModelPackageArn"))
        decided = "approved" if trigger.Source == "approval" else "rejected"
        ending = f"{'-v' + version if version else ''}-{decided}{ending}"
        stem = str(trigger.ModelPackageGroupName or "")
        return _fit(stem, NAME_LIMIT - len(ending), "model-package") + ending
    if trigger.Source == "manifest":
        key = (event["detail"].get("object") or {}).get("key")
        return _fit(str(key or ""), NAME_LIMIT - len(ending), "manifest") + ending
    return "event" + ending
