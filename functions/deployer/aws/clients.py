"""AWS clients, created once per Lambda container and replaceable in tests.

Retries are deliberately left to the state machine (statemachine/deployer.asl.json), where
AWS runs them, counts them and shows them in the execution history: botocore is told to make
a single attempt, and the gateways turn throttling into errors the ASL retries.

Every client comes from one botocore session (:func:`botocore_session`), created on first
use. The validator (``deployer.request.shapes``) reads the SageMaker service model through the same
session, so the model the SageMaker client loaded is read from disk once per process. The
clients are botocore's own (what boto3.client returns too): the handlers call no boto3
addition (resources, S3 transfers), and not importing boto3 and s3transfer saves a sixth of
a cold start (``make bench``). The session reads botocore's models with :class:`ServiceLoader`,
which reads the same files faster, and, in the Lambda asset, reads them already decoded
(docs/internals/costs.md, "Cold starts").
"""

from __future__ import annotations

import json
import marshal
import os
import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import DataNotFoundError

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_stepfunctions import SFNClient

BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    user_agent_extra="smdeploy",
)

_clients: dict[str, Any] = {}

# Every service a function calls (each a function below): the Lambda asset carries their
# models already decoded (:data:`PRECOMPILED`).
SERVICES = (
    "application-autoscaling",
    "cloudwatch",
    "dynamodb",
    "events",
    "lambda",
    "s3",
    "sagemaker",
    "sagemaker-runtime",
    "sns",
    "ssm",
    "stepfunctions",
)
# What a botocore data file decoded at build time is named, beside it: ``service-2.json.gz``
# -> ``service-2.cpython-313.marshal``. The name carries the interpreter's tag, as a module's
# ``.pyc`` does (``marshal``'s format is an interpreter's own:
# https://docs.python.org/3/library/marshal.html): another interpreter never reads it.
PRECOMPILED = f".{sys.implementation.cache_tag}.marshal"


class PlainJSONFileLoader(botocore.loaders.JSONFileLoader):
    """botocore's file loader, but its JSON becomes plain dicts, not ``OrderedDict``.

    botocore decodes every model with ``object_pairs_hook=OrderedDict``, which takes the JSON
    decoder off its fast path: the SageMaker model and ``endpoints.json``, which every client
    reads, decode in about half the time without it. A dict keeps the order of its keys as
    the file gives them, as ``OrderedDict`` does (https://docs.python.org/3/library/
    stdtypes.html#mapping-types-dict): the same keys, values and order.
    """

    def _load_file(self, full_path: str, open_method: Callable[..., Any]) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as opened:
            return json.loads(opened.read().decode("utf-8"))

    def load_file(self, file_path: str) -> Any:
        """The file's data: from its :data:`PRECOMPILED` twin when there is one (the Lambda
        asset's models, ``cdk.asset.precompile_models``), else botocore's ``.json`` or
        ``.json.gz``.

        The twin is the same data, written by ``marshal`` from the file's decoded JSON when
        the asset was built, by the runtime's Python: loading it skips the gzip and the JSON
        decoder, a fifth of a cold start's instructions (the SageMaker model alone is 2.5 MB
        of JSON; ``make bench``). ``cdk.asset --check-bytecode`` checks each twin equals its
        file.
        """
        twin = file_path + PRECOMPILED
        if sys.implementation.cache_tag is not None and os.path.isfile(twin):
            with open(twin, "rb") as opened:
                # read whole, then decoded: marshal.load(file) reads each object with a call
                return marshal.loads(opened.read())
        return super().load_file(file_path)


class ServiceLoader(botocore.loaders.Loader):
    """botocore's loader, but a service model is found in its own folder only, and read by
    :class:`PlainJSONFileLoader`.

    botocore's ``load_service_model`` first lists every service it knows (a scan of its 400
    data folders, about 10 ms of a cold start per kind of model: ``service-2``, then
    ``endpoint-rule-set-1``), only to name them all in ``UnknownServiceError``. This one looks
    in the service's own folder (``list_api_versions``, the listing botocore makes next
    anyway); a service it does not find goes to botocore's own method, its error included.
    The files read are botocore's, and the model read the same, in plain dicts
    (https://github.com/boto/botocore/blob/develop/botocore/loaders.py).
    """

    FILE_LOADER_CLASS = PlainJSONFileLoader

    @botocore.loaders.instance_cache
    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        try:
            latest = self.determine_latest_version(service_name, type_name)
        except DataNotFoundError:
            return super().load_service_model(service_name, type_name, api_version)
        version = api_version or latest
        model = self.load_data(os.path.join(service_name, version, type_name))
        extras = self._find_extras(service_name, type_name, version)  # type: ignore[attr-defined]
        self._extras_processor.process(model, extras)  # type: ignore[attr-defined]
        return model


def create_loader(search_path_string: str | None) -> ServiceLoader:
    """:class:`ServiceLoader` on ``AWS_DATA_PATH`` and botocore's own models, the search path of
    ``botocore.loaders.create_loader``."""
    if search_path_string is None:
        return ServiceLoader()
    paths = [
        os.path.expanduser(os.path.expandvars(p)) for p in search_path_string.split(os.pathsep)
    ]
    return ServiceLoader(extra_search_paths=paths)


@cache
def botocore_session() -> botocore.session.Session:
    """The process-wide botocore session (its loader caches every service model it reads).

    Its loader searches ``AWS_DATA_PATH`` and botocore's own models, as botocore's default
    loader does, but without reading the AWS config file for a ``data_path``: reading a
    service model (the validator, offline in ``smdeploy validate``) never reads the config,
    so an ``AWS_PROFILE`` naming no profile cannot break it (botocore raises ProfileNotFound
    on any read of the config; https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html).
    """
    session = botocore.session.get_session()
    loader = create_loader(os.environ.get("AWS_DATA_PATH"))
    session.register_component("data_loader", loader)
    return session


def _client(service: str) -> Any:
    """The process-wide client of ``service``, created on first use (never at import time)."""
    if service not in _clients:
        _clients[service] = botocore_session().create_client(service, config=BOTO_CONFIG)
    return _clients[service]


def sagemaker() -> SageMakerClient:
    client: SageMakerClient = _client("sagemaker")
    return client


def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


def events() -> EventBridgeClient:
    client: EventBridgeClient = _client("events")
    return client


def awslambda() -> LambdaClient:
    client: LambdaClient = _client("lambda")
    return client


def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def ssm() -> Any:
    """SSM (the deployment profiles' parameters); typed Any: boto3-stubs' ssm extra is not
    among the dev dependencies yet."""
    return _client("ssm")


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def stepfunctions() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


def application_autoscaling() -> ApplicationAutoScalingClient:
    client: ApplicationAutoScalingClient = _client("application-autoscaling")
    return client


def cloudwatch() -> CloudWatchClient:
    client: CloudWatchClient = _client("cloudwatch")
    return client


def sagemaker_runtime() -> SageMakerRuntimeClient:
    client: SageMakerRuntimeClient = _client("sagemaker-runtime")
    return client


def forget_clients() -> None:
    """Drop every client made so far; the next call of each service makes a new one (what a
    new Lambda execution environment starts with)."""
    _clients.clear()


def kept(name: str) -> dict[str, Any]:
    """A dict the execution environment keeps under ``name`` beside its clients: it lives as
    long as they do, and :func:`forget_clients` drops it with them."""
    found: dict[str, Any] | None = _clients.get(name)
    if found is None:
        found = _clients[name] = {}
    return found


def use_client(service: str, client: Any | None) -> None:
    """Inject a client (tests), or None to go back to the default one."""
    if client is None:
        _clients.pop(service, None)
    else:
        _clients[service] = client


def use_sagemaker(client: SageMakerClient | None) -> None:
    use_client("sagemaker", client)
