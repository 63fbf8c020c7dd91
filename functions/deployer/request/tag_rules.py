"""The documented rules of the request's tags (those of the endpoint and its config, and
each model's)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deployer import interface
from deployer.request.reading import as_items, as_object, as_str
from deployer.request.violations import Violation, join, render

# Tag keys starting with aws: are reserved for AWS's own use (any case).
RESERVED_TAG_PREFIX = "aws:"
# SageMaker allows 50 tags a resource; the deployer adds one of its own (interface.MANAGED_TAG)
# to every model, config and endpoint it creates, so a request leaves room for it.
MAX_TAGS = 50


def _tag_violations(path: str, tags: Any) -> Iterator[Violation]:
    seen: dict[str, str] = {}
    items = as_items(tags)
    if len(items) == MAX_TAGS:  # more than 50: botocore's own limit reports it
        message = (
            f"must hold at most {MAX_TAGS - 1} tags: smdeploy adds its own tag "
            f"{interface.MANAGED_TAG} to what it creates (SageMaker allows {MAX_TAGS}), "
            f"got {len(items)}"
        )
        yield Violation(path, "tag-room", message, len(items))
    for i, tag in enumerate(items):
        key = as_str(as_object(tag).get("Key"))
        if key is None:
            continue
        at = join(join(path, i), "Key")
        if key == interface.MANAGED_TAG:
            message = (
                f"is the deployer's own tag (it marks what smdeploy created for the endpoint); "
                f"choose another key, got {render(key)}"
            )
            yield Violation(at, "tag-reserved", message, key)
        elif key.lower().startswith(RESERVED_TAG_PREFIX):
            message = (
                f"must not start with {RESERVED_TAG_PREFIX} (reserved for AWS), got {render(key)}"
            )
            yield Violation(at, "tag-aws-prefix", message, key)
        elif key in seen:
            message = f"must be unique; {seen[key]} has the same key {render(key)}"
            yield Violation(at, "tag-key-unique", message, key)
        else:
            seen[key] = at


def tags(raw: dict[str, Any]) -> Iterator[Violation]:
    """Tag.Key: "Tag keys must be unique per resource"; the aws: prefix is reserved."""
    yield from _tag_violations("Tags", raw.get("Tags"))
    for i, model in enumerate(as_items(raw.get("Models"))):
        yield from _tag_violations(join(join("Models", i), "Tags"), as_object(model).get("Tags"))
