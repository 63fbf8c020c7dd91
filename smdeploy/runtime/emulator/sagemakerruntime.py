"""sagemaker-runtime's InvokeEndpoint as SageMaker answers it (moto answers a fixed stub even
for an endpoint that does not exist): refused with ValidationError for an endpoint that does
not exist or does not serve (Creating, Failed, Deleting, OutOfService), as SageMaker answers
"Endpoint ... of account ... not found." (https://github.com/aws/amazon-sagemaker-examples/issues/293),
and for a TargetVariant the endpoint does not have; an endpoint that hosts inference
components is invoked through one of them (InferenceComponentName), which must have copies
(:func:`.sagemaker.component_operations.invocation`); otherwise the answer is
``Faults.invoke_response`` (default ``{"predictions": [0.5]}``), or under ``Faults.fail_invoke``
a ModelError (HTTP 424, the model's status 500 and message) as the InvokeEndpoint reference
describes (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.sagemaker.exceptions import ValidationError
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from smdeploy.runtime.emulator.alarm_actions import alarm_actions_of
from smdeploy.runtime.emulator.sagemaker.component_operations import NO_CAPACITY, invocation
from smdeploy.runtime.emulator.sagemaker.component_rules import hosts_components
from smdeploy.runtime.emulator.sagemaker.components import components_of
from smdeploy.runtime.emulator.state import EmulatorState

DEFAULT_RESPONSE = '{"predictions": [0.5]}'
# An endpoint that hosts inference components takes only invocations that name one
# (https://github.com/aws-samples/amazon-kendra-langchain-extensions/issues/64), and one that
# hosts models only those that name none (as SageMaker answers, quoted in the tests of
# https://github.com/BerriAI/litellm's SageMaker provider)
COMPONENT_REQUIRED = (
    "Inference Component Name header is required for endpoints to which you plan to deploy "
    "inference components. Please include Inference Component Name header or consider using "
    "SageMaker models."
)
COMPONENT_REFUSED = (
    "Inference Component Name header is not allowed for endpoints to which you dont plan to "
    "deploy inference components. Please remove the Inference Component Name header and try "
    "again."
)
SERVING = ("InService", "Updating", "SystemUpdating", "RollingBack")


class RuntimeValidationError(JsonRESTError):  # type: ignore[misc]
    """sagemaker-runtime's ValidationError (its code is ValidationError, not ...Exception)."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


class ModelError(JsonRESTError):  # type: ignore[misc]
    """InvokeEndpoint's ModelError: the container answered an error (HTTP 424)."""

    code = 424

    def __init__(self, message: str, endpoint: str, region: str, account: str) -> None:
        text = (
            f'Received server error (500) from primary with message "{message}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEventViewer:group=/aws/sagemaker/Endpoints/{endpoint} in account {account} "
            f"for more information."
        )
        super().__init__("ModelError", text)
        self.description = json.dumps(
            {
                "__type": "ModelError",
                "message": text,
                "OriginalStatusCode": 500,
                "OriginalMessage": message,
                "LogStreamArn": f"arn:aws:logs:{region}:{account}:log-group:"
                f"/aws/sagemaker/Endpoints/{endpoint}",
            }
        )


def invoke_endpoint(emulator: EmulatorState, original: Any) -> Callable[[Any], Any]:
    """The emulator's InvokeEndpoint (a row of :data:`.hooks.HOOKS`), served from the account
    and Region's endpoint store."""

    def invoke_endpoint(response: SageMakerRuntimeResponse) -> Any:
        # POST /endpoints/{EndpointName}/invocations (moto's url_paths route it here)
        parts = urllib.parse.urlsplit(response.path).path.split("/")
        if len(parts) != 4 or parts[1] != "endpoints" or parts[3] != "invocations":
            raise RuntimeError(f"moto changed: InvokeEndpoint reached with {response.path}")
        name = urllib.parse.unquote(parts[2])
        store = emulator.store(response.current_account, response.region)
        not_found = f"Endpoint {name} of account {response.current_account} not found."
        try:
            endpoint = store.get_endpoint(name)
        except ValidationError:
            raise RuntimeValidationError(not_found) from None
        if endpoint.status not in SERVING:
            raise RuntimeValidationError(not_found)
        config = store.configs.get(endpoint.config_name.lower(), {})
        variants = [v["VariantName"] for v in config.get("ProductionVariants", [])]
        target = response.headers.get("X-Amzn-SageMaker-Target-Variant")
        if target is not None and target not in variants:
            raise RuntimeValidationError(
                f"Target variant {target} of endpoint {name} of account "
                f"{response.current_account} not found."
            )
        component = response.headers.get("X-Amzn-SageMaker-Inference-Component")
        hosting = hosts_components(config)
        if hosting != (component is not None):
            raise RuntimeValidationError(COMPONENT_REQUIRED if hosting else COMPONENT_REFUSED)
        if component is not None:
            account = response.current_account
            problem, target = invocation(components_of(store), name, component, account)
            if problem == NO_CAPACITY:  # counted: an alarm may scale it out from zero
                alarm_actions_of(emulator).no_capacity(account, response.region, component)
            if problem:
                raise RuntimeValidationError(problem)
        faults = emulator.faults
        if faults.fail_invoke is not None and emulator.budget.take("fail_invoke"):
            raise ModelError(faults.fail_invoke, name, response.region, response.current_account)
        invoked = target or (variants[0] if variants else "")
        headers = {
            "Content-Type": "application/json",
            "x-Amzn-Invoked-Production-Variant": invoked,
        }
        return 200, headers, faults.invoke_response or DEFAULT_RESPONSE

    return invoke_endpoint
