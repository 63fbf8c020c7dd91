"""The emulator's SageMaker responses: the SageMaker response methods of the emulated
operations, each served by the account and Region's :class:`.models.EndpointStore`, and the
endpoint events SageMaker emits (models and model packages stay moto's own)."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import json
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.events.models import events_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.utilities.arns import parse_arn

from smdeploy.runtime.emulator import shapes
from smdeploy.runtime.emulator.pin import snake_case
from smdeploy.runtime.emulator.sagemaker.component_rules import checked_config
from smdeploy.runtime.emulator.sagemaker.models import EndpointStore
from smdeploy.runtime.emulator.state import EmulatorState
from smdeploy.runtime.faults import COMPONENT_OPERATIONS as COMPONENTS
from smdeploy.runtime.faults import COUNTED_OPERATIONS, CRASH_OPERATIONS

# A List call's page when the request gives no MaxResults. SageMaker documents no default
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html);
# a small page makes every caller follow NextToken here, as it must against AWS.
LIST_PAGE_SIZE = 10
MAX_RESULTS = 100  # every SageMaker List call's MaxResults: 1 to 100


def page_token(operation: str, offset: int) -> str:
    """The NextToken of ``operation``'s page that starts at ``offset``: opaque to a client."""
    return base64.urlsafe_b64encode(f"{operation}:{offset}".encode()).decode()


def page_offset(operation: str, token: str) -> int:
    """Where the page of ``token`` starts. A token no earlier ``operation`` answer gave is
    refused with a ValidationException (400), as SageMaker refuses it, not a server error."""
    try:
        named, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if named == operation and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationError(f"Invalid NextToken {token!r}: no {operation} response gave it")


def listed(
    key: str,
    summaries: list[dict[str, Any]],
    params: dict[str, Any],
    name: str,
    status: str = "EndpointStatus",
) -> dict[str, Any]:
    """One page of a ListEndpoints/ListEndpointConfigs/ListModels answer, as SageMaker gives
    it: sorted by ``SortBy`` (default CreationTime) in ``SortOrder`` (default Descending:
    newest first), ``MaxResults`` (1 to 100) at a time, with a ``NextToken`` while more remain
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModels.html)."""
    size = int(params.get("MaxResults") or LIST_PAGE_SIZE)
    if not 1 <= size <= MAX_RESULTS:
        bound = "greater than or equal to 1" if size < 1 else f"less than or equal to {MAX_RESULTS}"
        raise ValidationError(
            f"Value '{size}' at 'maxResults' failed to satisfy constraint: Member must have "
            f"value {bound}"
        )
    field = {"Name": name, "Status": status}.get(params.get("SortBy", ""), "CreationTime")
    ordered = sorted(
        summaries,
        key=lambda summary: summary[field],
        reverse=params.get("SortOrder", "Descending") == "Descending",
    )
    token = params.get("NextToken")
    start = page_offset(key, token) if token else 0
    end = start + size
    page: dict[str, Any] = {key: ordered[start:end]}
    if end < len(ordered):
        page["NextToken"] = page_token(key, end)
    return page


class SageMakerHooks(EmulatorState):
    """The emulator's endpoint stores (one per account and Region) and the endpoint events
    SageMaker emits (the response methods are the factories below, rows of
    :data:`..hooks.HOOKS`)."""

    def store(self, account: str, region: str) -> EndpointStore:
        key = (account, region)
        if key not in self._stores:
            self._stores[key] = EndpointStore(
                account,
                region,
                self.clock,
                self.faults,
                self.stats,
                self.budget,
                scheduler=self.scheduler,
                emit=functools.partial(self.endpoint_event, account, region),
                observers=self.endpoint_observers,
            )
        return self._stores[key]

    def endpoint_event(
        self,
        account: str,
        region: str,
        detail_type: str,
        detail: dict[str, Any],
        resources: list[str],
    ) -> None:
        """SageMaker emits an endpoint event now: it reaches the bus ``Faults.event_delay``
        simulated seconds later, unless it is lost (``Faults.drop_endpoint_events``).
        SageMaker's events are best effort: EventBridge does not list it among the sources
        it delivers at least once (https://docs.aws.amazon.com/eventbridge/latest/ref/events.html)."""
        self.stats.endpoint_events += 1
        share = self.faults.drop_endpoint_events
        if share >= 1 or (share > 0 and self._drops.random() < share):
            self.stats.endpoint_events_dropped += 1
            return
        entry = {
            "Source": "aws.sagemaker",
            "DetailType": detail_type,
            "Detail": json.dumps(detail),
            "Resources": resources,
            "Time": self.clock.now(),
        }

        def put() -> None:
            events_backends[account][region].put_events([entry])

        self.scheduler.after(self.faults.event_delay, put, detail_type)


# The SageMaker response methods the emulator serves (rows of :data:`..hooks.HOOKS`), one per
# operation of faults.COUNTED_OPERATIONS, each given the emulator and the request's response
# object; those that still defer to moto for some requests are also given moto's original.
Serve = Callable[[EmulatorState, Any], Any]
Factory = Callable[[EmulatorState, Any], Callable[[Any], Any]]


def _store(emulator: EmulatorState, response: Any) -> EndpointStore:
    return emulator.store(response.current_account, response.region)


def _params(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.body or "{}"))


def _counted(emulator: EmulatorState, response: Any, operation: str) -> EndpointStore:
    """The account and Region's store, having counted ``operation`` (faults may refuse it)."""
    store = _store(emulator, response)
    store.count(operation, _params(response))
    return store


def create_model(emulator: EmulatorState, response: Any, original: Any) -> Any:
    store = _counted(emulator, response, "CreateModel")
    # SageMaker refuses a model name that exists (names ignore case); moto replaces it
    name = str(_params(response).get("ModelName", ""))
    models = sagemaker_backends[store.account][store.region]._models
    if name.lower() in {existing.lower() for existing in models}:
        arn = store._arn("model", name)
        raise ValidationError(f'Cannot create already existing model "{arn}".')
    result = original(response)  # models stay moto's
    emulator.performed("CreateModel", response)
    return result


# The operations the account and Region's store answers alone: each one's answer, given the
# store and the call's parameters (None: an empty result).
ANSWERS: dict[str, Callable[[EndpointStore, dict[str, Any]], dict[str, Any] | None]] = {
    "CreateEndpointConfig": lambda store, params: {
        "EndpointConfigArn": store.create_config(checked_config(params))
    },
    "DescribeEndpointConfig": lambda store, params: store.get_config(params["EndpointConfigName"]),
    "DeleteEndpointConfig": lambda store, params: store.delete_config(params["EndpointConfigName"]),
    "CreateEndpoint": lambda store, params: {"EndpointArn": store.create_endpoint(params)},
    "UpdateEndpoint": lambda store, params: {"EndpointArn": store.update_endpoint(params)},
    "DescribeEndpoint": lambda store, params: store.describe_endpoint(params["EndpointName"]),
    "DeleteEndpoint": lambda store, params: store.delete_endpoint(params["EndpointName"]),
}


def _answering(operation: str) -> Serve:
    """Serve ``operation`` from the store: count it, answer it, and, for an operation that
    ``Faults.crash_after`` may follow (faults.CRASH_OPERATIONS), tell the Lambda runtime it
    was performed."""
    answer = ANSWERS[operation]

    def serve(emulator: EmulatorState, response: Any) -> ActionResult | EmptyResult:
        store = _counted(emulator, response, operation)
        answered = answer(store, _params(response))
        result = EmptyResult() if answered is None else ActionResult(answered)
        if operation in CRASH_OPERATIONS:
            emulator.performed(operation, response)
        return result

    serve.__name__ = snake_case(operation)
    return serve


# The List calls' time filters: each request member, the summary's field, and whether the
# summary's value must come after (True) or before (False) the member's
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html; ListModels
# has the two CreationTime ones)
TIME_FILTERS = (
    ("CreationTimeAfter", "CreationTime", True),
    ("CreationTimeBefore", "CreationTime", False),
    ("LastModifiedTimeAfter", "LastModifiedTime", True),
    ("LastModifiedTimeBefore", "LastModifiedTime", False),
)


def _instant(value: Any) -> float:
    """A timestamp member as the JSON protocol sends it (epoch seconds), or ISO 8601."""
    if isinstance(value, int | float):
        return float(value)
    return _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def filtered(
    summaries: list[dict[str, Any]],
    params: dict[str, Any],
    name: str,
    status: str = "EndpointStatus",
) -> list[dict[str, Any]]:
    """The summaries a List call's filters keep: NameContains (on the summary's ``name``
    field), StatusEquals (on its ``status`` field) and the time bounds the request gives
    (each strict, as "after" and "before" say)."""
    kept = []
    contains = str(params.get("NameContains", "")).lower()
    for summary in summaries:
        if contains not in summary[name].lower():
            continue
        if params.get("StatusEquals") and summary[status] != params["StatusEquals"]:
            continue
        bounds = [
            (summary[field].timestamp(), _instant(params[member]), after)
            for member, field, after in TIME_FILTERS
            if params.get(member) is not None
        ]
        if all(value > bound if after else value < bound for value, bound, after in bounds):
            kept.append(summary)
    return kept


def sorted_by(params: dict[str, Any], sort_key: str) -> None:
    """Refuse a SortBy outside the values of the call's ``sort_key`` shape in SageMaker's
    model (``EndpointSortKey``: Name, CreationTime, Status), as SageMaker refuses it."""
    keys: list[str] = getattr(shapes.model_of("sagemaker").shape_for(sort_key), "enum", [])
    if params.get("SortBy", "CreationTime") not in keys:
        raise ValidationError(
            f"Value '{params['SortBy']}' at 'sortBy' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(keys)}]"
        )


def list_endpoints(emulator: EmulatorState, response: Any) -> ActionResult:
    store = _counted(emulator, response, "ListEndpoints")
    params = _params(response)
    sorted_by(params, "EndpointSortKey")
    summaries = [
        {
            "EndpointName": e.name,
            "EndpointArn": e.arn,
            "CreationTime": store._ts(e.created),
            "LastModifiedTime": store._ts(e.modified),
            "EndpointStatus": e.status,
        }
        for e in store.existing_endpoints()
    ]
    return ActionResult(
        listed("Endpoints", filtered(summaries, params, "EndpointName"), params, "EndpointName")
    )


def list_models(emulator: EmulatorState, response: Any) -> ActionResult:
    """ListModels as SageMaker answers it: NameContains, CreationTimeAfter and
    CreationTimeBefore filter, SortBy and SortOrder order, MaxResults and NextToken page
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModels.html); moto
    answered every model at once, whatever the request said."""
    _counted(emulator, response, "ListModels")
    params = _params(response)
    sorted_by(params, "ModelSortKey")
    backend = sagemaker_backends[response.current_account][response.region]
    summaries = [
        {
            "ModelName": model.model_name,
            "ModelArn": model.arn,
            "CreationTime": model.creation_time.replace(tzinfo=_dt.UTC),
        }
        for model in list(backend.list_models())
    ]
    return ActionResult(
        listed("Models", filtered(summaries, params, "ModelName"), params, "ModelName")
    )


def list_endpoint_configs(emulator: EmulatorState, response: Any) -> ActionResult:
    """ListEndpointConfigs as SageMaker answers it: NameContains, CreationTimeAfter and
    CreationTimeBefore filter, SortBy and SortOrder order, MaxResults and NextToken page
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html)."""
    store = _counted(emulator, response, "ListEndpointConfigs")
    params = _params(response)
    sorted_by(params, "EndpointConfigSortKey")
    summaries = [
        {
            "EndpointConfigName": c["EndpointConfigName"],
            "EndpointConfigArn": c["EndpointConfigArn"],
            "CreationTime": c["CreationTime"],
        }
        for c in list(store.configs.values())
    ]
    chosen = filtered(summaries, params, "EndpointConfigName")
    return ActionResult(listed("EndpointConfigs", chosen, params, "EndpointConfigName"))


def emulated(arn: str) -> bool:
    """Whether ``arn`` names an endpoint or endpoint config (kept here, not in moto)."""
    try:
        parsed = parse_arn(arn)
    except (IndexError, ValueError):
        return False
    return parsed.service == "sagemaker" and parsed.resource_type in (
        "endpoint",
        "endpoint-config",
    )


def add_tags(emulator: EmulatorState, response: Any, original: Any) -> Any:
    params = _params(response)
    store = _counted(emulator, response, "AddTags")
    if not emulated(params.get("ResourceArn", "")):
        return original(response)
    return ActionResult({"Tags": store.add_tags(params["ResourceArn"], params["Tags"])})


def delete_tags(emulator: EmulatorState, response: Any, original: Any) -> Any:
    params = _params(response)
    store = _counted(emulator, response, "DeleteTags")
    if not emulated(params.get("ResourceArn", "")):
        return original(response)
    store.delete_tags(params["ResourceArn"], params["TagKeys"])
    return EmptyResult()


def list_tags(emulator: EmulatorState, response: Any, original: Any) -> Any:
    params = _params(response)
    store = _counted(emulator, response, "ListTags")
    if not emulated(params.get("ResourceArn", "")):
        return original(response)
    # at most 50 tags, and MaxResults is at least 50: one page
    return ActionResult({"Tags": list(store.tags_of(params["ResourceArn"]))})


def _method(serve: Callable[..., Any], wraps: bool = False) -> Factory:
    """The factory of the response method that ``serve`` answers for the emulator (given
    moto's original too, if it ``wraps`` it)."""

    def factory(emulator: EmulatorState, original: Any) -> Callable[[Any], Any]:
        def method(response: Any) -> Any:
            if wraps:
                return serve(emulator, response, original)
            return serve(emulator, response)

        method.__name__ = method.__qualname__ = serve.__name__
        return method

    return factory


# moto's response method -> the factory of the emulator's (faults.COUNTED_OPERATIONS but the
# inference component ones, served by .component_responses; UpdateEndpoint is one moto lacks)
RESPONSES: dict[str, Factory] = {
    **{
        serve.__name__: _method(serve, wraps=True)
        for serve in (create_model, add_tags, delete_tags, list_tags)
    },
    **{
        serve.__name__: _method(serve)
        for serve in (
            list_endpoint_configs,
            list_endpoints,
            list_models,
            *(_answering(operation) for operation in ANSWERS),
        )
    },
}
if set(RESPONSES) != {
    snake_case(operation) for operation in COUNTED_OPERATIONS if operation not in COMPONENTS
}:
    # the list is faults.COUNTED_OPERATIONS, declared once
    raise RuntimeError(f"the SageMaker responses served differ: {sorted(RESPONSES)}")
