"""What a race checks at its end: the endpoint serves what the scenario expects."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

from bench.races.actions import ENDPOINT
from smdeploy.runtime.local import LocalDeployment

Check = Callable[[LocalDeployment], bool]
T = TypeVar("T")


def patiently(call: Callable[[], T]) -> T:
    """The run's own look at the account, retried while the emulator throttles it (the
    throttling-at-scale scenario throttles the first calls on every resource)."""
    for _ in range(50):
        try:
            return call()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ThrottlingException":
                raise
    return call()


def serves_package(arn: str) -> Check:
    """The endpoint serves the model package ``arn`` on every variant."""

    def check(account: LocalDeployment) -> bool:
        sm = account.sagemaker
        config = sm.describe_endpoint_config(
            EndpointConfigName=sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
        )
        served = [
            container.get("ModelPackageName")
            for variant in config["ProductionVariants"]
            for container in sm.describe_model(ModelName=variant["ModelName"])["Containers"]
        ]
        return bool(served) and all(package == arn for package in served)

    return check


def serves_model(model: str) -> Check:
    """The endpoint serves ``model`` on every variant."""

    def check(account: LocalDeployment) -> bool:
        sm = account.sagemaker
        config = sm.describe_endpoint_config(
            EndpointConfigName=sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
        )
        return all(v["ModelName"] == model for v in config["ProductionVariants"])

    return check


def in_service(account: LocalDeployment, name: str) -> bool:
    """Endpoint ``name`` is InService without a FailureReason."""
    try:
        endpoint = patiently(lambda: account.sagemaker.describe_endpoint(EndpointName=name))
    except account.sagemaker.exceptions.ClientError:
        return False
    return endpoint["EndpointStatus"] == "InService" and "FailureReason" not in endpoint


def serves_count(count: int, endpoint: str = ENDPOINT) -> Check:
    """The endpoint serves the config whose first variant has ``count`` instances."""

    def check(account: LocalDeployment) -> bool:
        sm = account.sagemaker
        try:
            served = patiently(lambda: sm.describe_endpoint(EndpointName=endpoint))
        except sm.exceptions.ClientError:
            return False  # no endpoint at all
        if served["EndpointStatus"] != "InService" or "FailureReason" in served:
            return False
        name = served["EndpointConfigName"]
        config = patiently(lambda: sm.describe_endpoint_config(EndpointConfigName=name))
        return bool(config["ProductionVariants"][0]["InitialInstanceCount"] == count)

    return check
