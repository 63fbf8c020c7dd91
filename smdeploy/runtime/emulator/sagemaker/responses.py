"""The emulator's SageMaker responses: the SageMaker response methods of the emulated
operations, each served by the account and Region's :class:`.models.EndpointStore`, and the
endpoint events SageMaker emits (models and model packages stay moto's own)."""

from __future__ import annotations

import functools
import json
import warnings
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.events.models import events_backends
from moto.sagemaker import responses as sm_responses
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.utilities.arns import parse_arn

from smdeploy.runtime.emulator.hooks import snake_case
from smdeploy.runtime.emulator.sagemaker.models import EndpointStore
from smdeploy.runtime.emulator.state import EmulatorState
from smdeploy.runtime.faults import COUNTED_OPERATIONS

# A List call's page when the request gives no MaxResults. SageMaker documents no default
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html);
# a small page makes every caller follow NextToken here, as it must against AWS.
LIST_PAGE_SIZE = 10


def listed(
    key: str, summaries: list[dict[str, Any]], params: dict[str, Any], name: str
) -> dict[str, Any]:
    """One page of a ListEndpoints/ListEndpointConfigs answer, as SageMaker gives it: sorted
    by ``SortBy`` (default CreationTime) in ``SortOrder`` (default Descending: newest first),
    ``MaxResults`` at a time, with a ``NextToken`` while more remain
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html)."""
    field = name if params.get("SortBy") == "Name" else "CreationTime"
    ordered = sorted(
        summaries,
        key=lambda summary: summary[field],
        reverse=params.get("SortOrder", "Descending") == "Descending",
    )
    start = int(params.get("NextToken") or 0)
    end = start + int(params.get("MaxResults") or LIST_PAGE_SIZE)
    page: dict[str, Any] = {key: ordered[start:end]}
    if end < len(ordered):
        page["NextToken"] = str(end)
    return page


class SageMakerHooks(EmulatorState):
    """The emulator's SageMaker responses and endpoint events."""

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

    def _install_sagemaker(self) -> None:
        emulator = self
        # SageMaker's model does not list ThrottlingException; moto says so on every one.
        warnings.filterwarnings(
            "ignore", message=r"Exception\(ThrottlingError\)", category=UserWarning
        )
        cls = sm_responses.SageMakerResponse

        def store_of(response: Any) -> EndpointStore:
            return emulator.store(response.current_account, response.region)

        def params_of(response: Any) -> dict[str, Any]:
            return dict(json.loads(response.body or "{}"))

        def performed(self: Any, operation: str) -> None:
            emulator.performed(operation, self)

        original_create_model = cls.create_model
        original_add_tags, original_delete_tags = cls.add_tags, cls.delete_tags
        original_list_tags = cls.list_tags

        def create_model(self: Any) -> Any:
            store = store_of(self)
            store.count("CreateModel", params_of(self))
            # SageMaker refuses a model name that exists (names ignore case); moto replaces it
            name = str(params_of(self).get("ModelName", ""))
            models = sagemaker_backends[store.account][store.region]._models
            if name.lower() in {existing.lower() for existing in models}:
                arn = store._arn("model", name)
                raise ValidationError(f'Cannot create already existing model "{arn}".')
            result = original_create_model(self)  # models stay moto's
            performed(self, "CreateModel")
            return result

        def create_endpoint_config(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("CreateEndpointConfig", params_of(self))
            result = ActionResult({"EndpointConfigArn": store.create_config(params_of(self))})
            performed(self, "CreateEndpointConfig")
            return result

        def describe_endpoint_config(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("DescribeEndpointConfig", params_of(self))
            result = ActionResult(store.get_config(params_of(self)["EndpointConfigName"]))
            performed(self, "DescribeEndpointConfig")
            return result

        def delete_endpoint_config(self: Any) -> EmptyResult:
            store = store_of(self)
            store.count("DeleteEndpointConfig", params_of(self))
            store.delete_config(params_of(self)["EndpointConfigName"])
            return EmptyResult()

        def create_endpoint(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("CreateEndpoint", params_of(self))
            result = ActionResult({"EndpointArn": store.create_endpoint(params_of(self))})
            performed(self, "CreateEndpoint")
            return result

        def update_endpoint(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("UpdateEndpoint", params_of(self))
            result = ActionResult({"EndpointArn": store.update_endpoint(params_of(self))})
            performed(self, "UpdateEndpoint")
            return result

        def describe_endpoint(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("DescribeEndpoint", params_of(self))
            return ActionResult(store.describe_endpoint(params_of(self)["EndpointName"]))

        def delete_endpoint(self: Any) -> EmptyResult:
            store = store_of(self)
            store.count("DeleteEndpoint", params_of(self))
            store.delete_endpoint(params_of(self)["EndpointName"])
            return EmptyResult()

        def list_endpoints(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("ListEndpoints", params_of(self))
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
            return ActionResult(listed("Endpoints", summaries, params_of(self), "EndpointName"))

        def list_endpoint_configs(self: Any) -> ActionResult:
            store = store_of(self)
            store.count("ListEndpointConfigs", params_of(self))
            params = params_of(self)
            contains = str(params.get("NameContains", "")).lower()
            summaries = [
                {
                    "EndpointConfigName": c["EndpointConfigName"],
                    "EndpointConfigArn": c["EndpointConfigArn"],
                    "CreationTime": c["CreationTime"],
                }
                for c in list(store.configs.values())
                if contains in c["EndpointConfigName"].lower()
            ]
            return ActionResult(listed("EndpointConfigs", summaries, params, "EndpointConfigName"))

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

        def add_tags(self: Any) -> Any:
            params = params_of(self)
            store = store_of(self)
            store.count("AddTags", params_of(self))
            if not emulated(params.get("ResourceArn", "")):
                return original_add_tags(self)
            return ActionResult({"Tags": store.add_tags(params["ResourceArn"], params["Tags"])})

        def delete_tags(self: Any) -> Any:
            params = params_of(self)
            store = store_of(self)
            store.count("DeleteTags", params_of(self))
            if not emulated(params.get("ResourceArn", "")):
                return original_delete_tags(self)
            store.delete_tags(params["ResourceArn"], params["TagKeys"])
            return EmptyResult()

        def list_tags(self: Any) -> Any:
            params = params_of(self)
            store = store_of(self)
            store.count("ListTags", params_of(self))
            if not emulated(params.get("ResourceArn", "")):
                return original_list_tags(self)
            # at most 50 tags, and MaxResults is at least 50: one page
            return ActionResult({"Tags": list(store.tags_of(params["ResourceArn"]))})

        served = (
            create_model,
            add_tags,
            delete_tags,
            list_tags,
            list_endpoint_configs,
            create_endpoint_config,
            describe_endpoint_config,
            delete_endpoint_config,
            create_endpoint,
            update_endpoint,
            describe_endpoint,
            delete_endpoint,
            list_endpoints,
        )
        methods = {method.__name__: method for method in served}
        operations = {snake_case(operation) for operation in COUNTED_OPERATIONS}
        if set(methods) != operations:  # the list is faults.COUNTED_OPERATIONS, declared once
            raise RuntimeError(f"the SageMaker responses served differ: {sorted(methods)}")
        for name, method in methods.items():
            self._patch(cls, name, method)
