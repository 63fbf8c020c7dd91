"""The documented rules of the SageMaker APIs that botocore's model cannot express.

Each rule reads the request (a JSON object; any field may have any type, because the model's
checks in :mod:`deployer.request.shapes` report wrong types) and yields a
:class:`~deployer.request.violations.Violation` per break. A rule skips values of the wrong type:
the model's checks already report those.

Sources, quoted where a rule is defined: the SageMaker API reference (the documentation
strings in botocore's model for CreateEndpointConfig, CreateEndpoint, UpdateEndpoint and
CreateModel), and the SageMaker Developer Guide pages on deployment guardrails, shadow tests
and serverless inference (see ../shared/reference/sagemaker-and-step-functions.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from deployer import interface
from deployer.request import shapes
from deployer.request.violations import Violation, described, join, plural, render

Rule = Callable[[dict[str, Any]], Iterator[Violation]]
VARIANT_FIELDS = ("ProductionVariants", "ShadowProductionVariants")

# ServerlessConfig.MemorySizeInMB: "Valid values are in 1 GB increments: 1024 MB, 2048 MB,
# 3072 MB, 4096 MB, 5120 MB, or 6144 MB." The bounds come from the model.
SERVERLESS_MEMORY_STEP = 1024
# TrafficRoutingConfig: "CanarySize ... must be less than or equal to 50% of the variant's
# total instance count"; "LinearStepSize ... must be 10-50%". RollingUpdatePolicy:
# "MaximumBatchSize ... must be between 5% to 50% of the variant's total instance count."
CANARY_SHARE = (0.0, 0.5)
LINEAR_SHARE = (0.1, 0.5)
ROLLING_SHARE = (0.05, 0.5)
# MetricsConfig.MetricPublishFrequencyInSeconds: "Valid values: 10, 30, 60, 120, 180, 240, 300."
METRIC_PUBLISH_FREQUENCIES = (10, 30, 60, 120, 180, 240, 300)
# ContainerDefinition.Environment: "The maximum length of all keys and values in the map,
# combined, is 32 KB. If you pass multiple containers ... all of their maps, combined."
ENVIRONMENT_BYTES = 32_768
# Tag keys starting with aws: are reserved for AWS's own use (any case).
RESERVED_TAG_PREFIX = "aws:"
# SageMaker allows 50 tags a resource; the deployer adds one of its own (interface.MANAGED_TAG)
# to every model, config and endpoint it creates, so a request leaves room for it.
MAX_TAGS = 50

# --- instance types with local (NVMe instance-store) storage -------------------------------
#
# CreateEndpointConfig, KmsKeyId: "Certain Nitro-based instances include local storage... You
# can't request a KmsKeyId when using an instance type with local storage. If you specify a
# value for KmsKeyId when using any nitro-based instances with local storage, the call to
# CreateEndpointConfig fails. For a list of instance types that support local instance
# storage, see Instance Store Volumes." (the API reference as published in the AWS SDKs'
# documentation; the model text of botocore 1.44.5 only says the key "does not encrypt
# instance local storage", and the refusal is what deployments have met.)
#
# The list is the EC2 instance-store table (Instance store volume limits for EC2 instances),
# read by family from the model's own enum of instance types, so that a new size of a known
# family comes with a newer botocore: an EC2 family whose attribute letters include "d"
# (m5d, c5d, r5d, g4dn, p4d, p4de, m6gd, c6gd, r6gd, r7gd) has NVMe instance storage, and so
# do these accelerated families without the letter. Families the table does not list (g7,
# g7e at the time of writing) are left out: a request is never refused on a guess.
NVME_FAMILIES_WITHOUT_D = frozenset(
    {
        "dl1",
        "g5",
        "g6",
        "g6e",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "p6-b300",
        "p6e-gb200",
        "trn1",
        "trn1n",
        "trn2",
    }
)
_FAMILY = re.compile(
    r"ml\.(?P<family>(?P<kind>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z0-9-]*))\."
)
# Shadow tests: "If your endpoint uses any of the following features you cannot use shadow
# tests ... your request ... will lead to validation errors: Serverless inference,
# Asynchronous inference, ... Endpoints that use Inf1 (Inferentia-based) instances."
SHADOW_EXCLUDED_KINDS = ("inf1",)


def instance_family(instance_type: str) -> str | None:
    """``g4dn`` for ``ml.g4dn.xlarge``; None for anything else."""
    found = _FAMILY.match(instance_type)
    return found.group("family") if found else None


def has_local_storage(instance_type: str) -> bool:
    found = _FAMILY.match(instance_type)
    if not found:
        return False
    return "d" in found.group("attributes") or found.group("family") in NVME_FAMILIES_WITHOUT_D


@cache
def local_storage_instance_types() -> tuple[str, ...]:
    """The hosting instance types of botocore's model that have local NVMe storage."""
    shape = shapes.service_model().shape_for("ProductionVariantInstanceType")
    enum: list[str] = shape.metadata["enum"]
    return tuple(t for t in enum if has_local_storage(t))


# --- reading a request of unknown shape ----------------------------------------------------


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def variants(
    raw: dict[str, Any], field: str = "ProductionVariants"
) -> list[tuple[str, dict[str, Any]]]:
    """(path, variant) for each variant of ``field`` that is an object."""
    return [
        (join(field, i), v) for i, v in enumerate(_items(raw.get(field))) if isinstance(v, dict)
    ]


def all_variants(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [pair for field in VARIANT_FIELDS for pair in variants(raw, field)]


def is_serverless(variant: dict[str, Any]) -> bool:
    return "ServerlessConfig" in variant


def _instance_types(path: str, variant: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, instance type) of a variant, and of each of its instance pools."""
    if kind := _str(variant.get("InstanceType")):
        yield join(path, "InstanceType"), kind
    for i, pool in enumerate(_items(variant.get("InstancePools"))):
        if kind := _str(_obj(pool).get("InstanceType")):
            yield join(join(join(path, "InstancePools"), i), "InstanceType"), kind


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


# --- variants ------------------------------------------------------------------------------


def variant_models(raw: dict[str, Any]) -> Iterator[Violation]:
    """Every variant names its model: the deployer creates it from ``Models`` or finds it
    (Configure checks that it exists before anything is created)."""
    for path, variant in all_variants(raw):
        if "ModelName" not in variant:
            message = "required field is missing (the model the variant serves)"
            yield Violation(join(path, "ModelName"), "required", message)


def unique_variant_names(raw: dict[str, Any]) -> Iterator[Violation]:
    seen: dict[str, str] = {}
    for path, variant in all_variants(raw):
        name = _str(variant.get("VariantName"))
        if name is None:
            continue
        if name in seen:
            message = (
                f"must be unique within the request; {seen[name]} has the same name {render(name)}"
            )
            yield Violation(join(path, "VariantName"), "unique-variant-names", message, name)
        else:
            seen[name] = path


def instance_or_serverless(raw: dict[str, Any]) -> Iterator[Violation]:
    """ProductionVariant.ServerlessConfig: "Specifies a serverless endpoint configuration
    instead of an instance-based endpoint configuration." So each variant is one or the other:
    InstanceType (or InstancePools) and InitialInstanceCount, or ServerlessConfig."""
    rule = "instance-or-serverless"
    for path, variant in all_variants(raw):
        typed = "InstanceType" in variant or "InstancePools" in variant
        counted = "InitialInstanceCount" in variant
        if is_serverless(variant):
            if typed or counted:
                given = [
                    f
                    for f in ("InstanceType", "InstancePools", "InitialInstanceCount")
                    if f in variant
                ]
                message = (
                    f"is serverless (ServerlessConfig) and instance-based ({', '.join(given)}) "
                    f"at once; give ServerlessConfig, or InstanceType and InitialInstanceCount"
                )
                yield Violation(path, rule, message)
        elif not typed and not counted:
            message = (
                "needs InstanceType and InitialInstanceCount (instance-based) "
                "or ServerlessConfig (serverless)"
            )
            yield Violation(path, rule, message)
        elif not counted:
            message = "required for an instance-based variant (it has InstanceType)"
            yield Violation(join(path, "InitialInstanceCount"), rule, message)
        elif not typed:
            message = "required for an instance-based variant (it has InitialInstanceCount)"
            yield Violation(join(path, "InstanceType"), rule, message)


def serverless_config(raw: dict[str, Any]) -> Iterator[Violation]:
    for path, variant in all_variants(raw):
        config = _obj(variant.get("ServerlessConfig"))
        at = join(path, "ServerlessConfig")
        memory = _int(config.get("MemorySizeInMB"))
        if memory is not None:
            shape = shapes.service_model().shape_for("ServerlessMemorySizeInMB").metadata
            low, high = shape["min"], shape["max"]
            if not (low <= memory <= high and memory % SERVERLESS_MEMORY_STEP == 0):
                message = (
                    f"must be a multiple of {SERVERLESS_MEMORY_STEP} from {low} to {high} "
                    f"(1 GB steps), got {memory}"
                )
                yield Violation(join(at, "MemorySizeInMB"), "serverless-memory", message, memory)
        provisioned = _int(config.get("ProvisionedConcurrency"))
        most = _int(config.get("MaxConcurrency"))
        if provisioned is not None and most is not None and provisioned > most:
            message = f"must not be above MaxConcurrency ({most}), got {provisioned}"
            yield Violation(
                join(at, "ProvisionedConcurrency"), "provisioned-concurrency", message, provisioned
            )


def serverless_exclusions(raw: dict[str, Any]) -> Iterator[Violation]:
    """Serverless Inference, feature exclusions: serverless endpoints do not support "VPC
    configuration, network isolation, data capture, multiple production variants", nor
    "inference pipelines" or "multi-model endpoints"; CrossRegionTrafficConfig: "You can't
    specify it with serverless variants"; ContainerDefinition.ModelDataSource: "you cannot use
    ModelDataSource in conjunction with ... SageMaker serverless endpoints"."""
    rule = "serverless-exclusion"
    production = variants(raw)
    serverless = [(p, v) for p, v in production if is_serverless(v)]
    if not serverless:
        return
    first = serverless[0][0]
    why = f"a serverless endpoint ({first} has ServerlessConfig)"
    if len(_items(raw.get("ProductionVariants"))) > 1:
        count = len(_items(raw.get("ProductionVariants")))
        yield Violation(
            "ProductionVariants", rule, f"must hold one variant for {why}, got {count}", count
        )
    if "VpcConfig" in raw:
        yield Violation("VpcConfig", rule, f"is not supported for {why}")
    if raw.get("EnableNetworkIsolation") is True:
        yield Violation("EnableNetworkIsolation", rule, f"is not supported for {why}", True)
    capture = raw.get("DataCaptureConfig")
    if isinstance(capture, dict) and capture.get("EnableCapture") is not False:
        yield Violation("DataCaptureConfig", rule, f"data capture is not supported for {why}")
    if "CrossRegionTrafficConfig" in raw:
        yield Violation("CrossRegionTrafficConfig", rule, f"is not supported for {why}")
    served = {_str(v.get("ModelName")) for _, v in serverless}
    for i, model in enumerate(_items(raw.get("Models"))):
        model = _obj(model)
        if _str(model.get("ModelName")) not in served:
            continue
        path = join("Models", i)
        containers = _items(model.get("Containers"))
        if len(containers) > 1:
            yield Violation(
                join(path, "Containers"),
                rule,
                f"an inference pipeline (more than one container) is not supported for {why}",
            )
        listed = [(join(join(path, "Containers"), j), _obj(c)) for j, c in enumerate(containers)]
        for at, container in [
            (join(path, "PrimaryContainer"), _obj(model.get("PrimaryContainer"))),
            *listed,
        ]:
            if "ModelDataSource" in container:
                yield Violation(join(at, "ModelDataSource"), rule, f"is not supported for {why}")
            if container.get("Mode") == "MultiModel":
                yield Violation(
                    join(at, "Mode"),
                    rule,
                    f"a multi-model endpoint is not supported for {why}",
                    "MultiModel",
                )


def shadow_variants(raw: dict[str, Any]) -> Iterator[Violation]:
    """CreateEndpointConfig.ShadowProductionVariants: "If you use this field, you can only
    specify one variant for ProductionVariants and one variant for ShadowProductionVariants."
    Shadow-test exclusions: serverless inference, asynchronous inference, Inf1 instances."""
    if "ShadowProductionVariants" not in raw:
        return
    rule = "shadow-variants"
    shadows = _items(raw.get("ShadowProductionVariants"))
    if len(shadows) > 1:
        yield Violation(
            "ShadowProductionVariants",
            rule,
            f"must hold exactly one variant, got {len(shadows)}",
            len(shadows),
        )
    production = raw.get("ProductionVariants")
    if isinstance(production, list | tuple) and len(production) > 1:
        message = (
            "must hold exactly one variant when ShadowProductionVariants is given, "
            f"got {len(production)}"
        )
        yield Violation("ProductionVariants", rule, message, len(production))
    for path, variant in all_variants(raw):
        if is_serverless(variant):
            yield Violation(
                join(path, "ServerlessConfig"),
                rule,
                "shadow variants do not work with serverless variants",
            )
        for at, kind in _instance_types(path, variant):
            family = instance_family(kind) or ""
            if family.startswith(SHADOW_EXCLUDED_KINDS):
                yield Violation(
                    at,
                    rule,
                    f"shadow variants do not work with Inf1 instances, got {render(kind)}",
                    kind,
                )
    if "AsyncInferenceConfig" in raw:
        yield Violation(
            "AsyncInferenceConfig", rule, "shadow variants do not work with asynchronous inference"
        )


def weights(raw: dict[str, Any]) -> Iterator[Violation]:
    """InitialVariantWeight: "The traffic to a production variant is determined by the ratio
    of the VariantWeight to the sum of all VariantWeight values" (default 1.0). All zero
    leaves no variant any traffic. (Negative weights break the model's minimum of 0.)"""
    production = variants(raw)
    if production and all(_number(v.get("InitialVariantWeight")) == 0 for _, v in production):
        message = "every InitialVariantWeight is 0, so no variant would get any traffic"
        yield Violation("ProductionVariants", "weights", message)


def traffic_shares(raw: dict[str, Any]) -> dict[str, float]:
    """Each production variant's share of the traffic (0 to 1), or {} when the variants or
    their weights are not valid enough to say."""
    shares: dict[str, float] = {}
    for _, variant in variants(raw):
        name = _str(variant.get("VariantName"))
        weight = _number(variant.get("InitialVariantWeight", 1.0))
        if name is None or name in shares or weight is None or weight < 0:
            return {}
        shares[name] = weight
    largest = max(shares.values(), default=0.0)
    if len(shares) != len(_items(raw.get("ProductionVariants"))) or largest <= 0:
        return {}
    # scaled by the largest weight first, so that no sum of finite weights overflows
    scaled = {name: weight / largest for name, weight in shares.items()}
    total = sum(scaled.values())
    return {name: weight / total for name, weight in scaled.items()}


def kms_local_storage(raw: dict[str, Any]) -> Iterator[Violation]:
    """See the note on local-storage instance types above."""
    if not _str(raw.get("KmsKeyId")):
        return
    local = [
        f"{at} is {kind}"
        for path, variant in all_variants(raw)
        for at, kind in _instance_types(path, variant)
        if has_local_storage(kind)
    ]
    if local:
        message = (
            "must not be given with instance types that have local NVMe storage "
            f"({'; '.join(local)}): CreateEndpointConfig refuses it (SageMaker encrypts "
            "that storage with a key of the instance's own hardware)"
        )
        yield Violation("KmsKeyId", "kms-local-storage", message, raw["KmsKeyId"])


def variant_options(raw: dict[str, Any]) -> Iterator[Violation]:
    """AcceleratorType: "This parameter is no longer supported. Elastic Inference (EI) is no
    longer available." RoutingConfig.PrefixAwareRoutingConfig: "Specify this parameter only
    when you set RoutingStrategy to PREFIX_AWARE"; its PrefixLength and ConcurrencyThreshold
    are "Required when RoutingStrategy is PREFIX_AWARE". ManagedInstanceScaling: the minimum
    instance count cannot exceed the maximum."""
    for path, variant in all_variants(raw):
        if "AcceleratorType" in variant:
            message = "is no longer supported: Elastic Inference is no longer available"
            yield Violation(
                join(path, "AcceleratorType"), "discontinued", message, variant["AcceleratorType"]
            )
        routing = _obj(variant.get("RoutingConfig"))
        at = join(path, "RoutingConfig")
        strategy = _str(routing.get("RoutingStrategy"))
        prefix = routing.get("PrefixAwareRoutingConfig")
        where = join(at, "PrefixAwareRoutingConfig")
        if strategy == "PREFIX_AWARE" and prefix is None:
            message = "required when RoutingStrategy is PREFIX_AWARE (with PrefixLength and "
            yield Violation(where, "routing", message + "ConcurrencyThreshold)")
        elif strategy == "PREFIX_AWARE" and isinstance(prefix, dict):
            for member in ("PrefixLength", "ConcurrencyThreshold"):
                if member not in prefix:
                    message = "required when RoutingStrategy is PREFIX_AWARE"
                    yield Violation(join(where, member), "routing", message)
        elif strategy is not None and prefix is not None:
            message = f"only for RoutingStrategy PREFIX_AWARE, not {strategy}"
            yield Violation(where, "routing", message)
        scaling = _obj(variant.get("ManagedInstanceScaling"))
        low, high = _int(scaling.get("MinInstanceCount")), _int(scaling.get("MaxInstanceCount"))
        if low is not None and high is not None and low > high:
            message = f"must not be above MaxInstanceCount ({high}), got {low}"
            yield Violation(
                join(join(path, "ManagedInstanceScaling"), "MinInstanceCount"),
                "instance-scaling",
                message,
                low,
            )


# --- endpoint config -------------------------------------------------------------------------


def endpoint_config_options(raw: dict[str, Any]) -> Iterator[Violation]:
    """MetricsConfig.MetricPublishFrequencyInSeconds: "Valid values: 10, 30, 60, 120, 180,
    240, 300." AsyncInferenceOutputConfig: the S3 location for the responses. Cross-Region
    traffic cap: "You can't specify it ... with AsyncInferenceConfig"."""
    metrics = _obj(raw.get("MetricsConfig"))
    frequency = _int(metrics.get("MetricPublishFrequencyInSeconds"))
    if frequency is not None and frequency not in METRIC_PUBLISH_FREQUENCIES:
        valid = ", ".join(map(str, METRIC_PUBLISH_FREQUENCIES))
        yield Violation(
            "MetricsConfig.MetricPublishFrequencyInSeconds",
            "metric-frequency",
            f"must be one of {valid}, got {frequency}",
            frequency,
        )
    output = _obj(_obj(raw.get("AsyncInferenceConfig")).get("OutputConfig"))
    if (
        isinstance(_obj(raw.get("AsyncInferenceConfig")).get("OutputConfig"), dict)
        and "S3OutputPath" not in output
    ):
        message = "required: the S3 location for the asynchronous inference responses"
        yield Violation("AsyncInferenceConfig.OutputConfig.S3OutputPath", "async-output", message)
    if "CrossRegionTrafficConfig" in raw and "AsyncInferenceConfig" in raw:
        yield Violation(
            "CrossRegionTrafficConfig",
            "cross-region",
            "is not supported together with AsyncInferenceConfig",
        )


def update_options(raw: dict[str, Any]) -> Iterator[Violation]:
    """VariantPropertyType DataCaptureConfig: "(Not currently supported.)\""""
    for i, item in enumerate(_items(raw.get("ExcludeRetainedVariantProperties"))):
        if _obj(item).get("VariantPropertyType") == "DataCaptureConfig":
            path = join(join("ExcludeRetainedVariantProperties", i), "VariantPropertyType")
            yield Violation(
                path,
                "unsupported",
                "DataCaptureConfig is not currently supported by UpdateEndpoint",
                "DataCaptureConfig",
            )


# --- tags ----------------------------------------------------------------------------------


def _tag_violations(path: str, tags: Any) -> Iterator[Violation]:
    seen: dict[str, str] = {}
    items = _items(tags)
    if len(items) == MAX_TAGS:  # more than 50: botocore's own limit reports it
        message = (
            f"must hold at most {MAX_TAGS - 1} tags: smdeploy adds its own tag "
            f"{interface.MANAGED_TAG} to what it creates (SageMaker allows {MAX_TAGS}), "
            f"got {len(items)}"
        )
        yield Violation(path, "tag-room", message, len(items))
    for i, tag in enumerate(items):
        key = _str(_obj(tag).get("Key"))
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
    for i, model in enumerate(_items(raw.get("Models"))):
        yield from _tag_violations(join(join("Models", i), "Tags"), _obj(model).get("Tags"))


# --- deployment config -----------------------------------------------------------------------


def _capacity_share(
    size: dict[str, Any], counts: list[tuple[str, int]]
) -> Iterator[tuple[float, str]]:
    """(share of the fleet, how it was computed) for a CapacitySize, per variant."""
    kind, value = size.get("Type"), _int(size.get("Value"))
    if value is None:
        return
    if kind == "CAPACITY_PERCENT":
        yield value / 100, ""
    elif kind == "INSTANCE_COUNT":
        for path, count in counts:
            yield value / count, f"{plural(value, 'instance')} of {path}'s {count}"


def _check_share(
    path: str, size: Any, counts: list[tuple[str, int]], bounds: tuple[float, float], rule: str
) -> Iterator[Violation]:
    low, high = bounds
    for share, how in _capacity_share(_obj(size), counts):
        if not low <= share <= high:
            wanted = (
                f"at most {_percent(high)}" if low == 0 else f"{_percent(low)} to {_percent(high)}"
            )
            got = f"{how} ({_percent(share)})" if how else _percent(share)
            message = f"must be {wanted} of the variant's instance count, got {got}"
            yield Violation(join(path, "Value"), rule, message, _obj(size).get("Value"))
            return


def deployment_config(raw: dict[str, Any]) -> Iterator[Violation]:
    """DeploymentConfig (CreateEndpoint, UpdateEndpoint) as the API reference documents it."""
    config = raw.get("DeploymentConfig")
    if not isinstance(config, dict):
        return
    blue_green, rolling = config.get("BlueGreenUpdatePolicy"), config.get("RollingUpdatePolicy")
    if blue_green is not None and rolling is not None:
        message = "give one update policy, BlueGreenUpdatePolicy or RollingUpdatePolicy, not both"
        yield Violation("DeploymentConfig", "update-policy", message)
    production = variants(raw)
    counts = [
        (path, count)
        for path, v in production
        if (count := _int(v.get("InitialInstanceCount"))) is not None and count >= 1
    ]
    if isinstance(blue_green, dict):
        yield from _blue_green(_obj(blue_green), counts)
    if isinstance(rolling, dict):
        yield from _rolling(rolling, production, counts)
    rollback = config.get("AutoRollbackConfiguration")
    if isinstance(rollback, dict):
        at = "DeploymentConfig.AutoRollbackConfiguration"
        if "Alarms" not in rollback:
            yield Violation(
                join(at, "Alarms"),
                "alarms",
                "required: 1 to 10 CloudWatch alarms that roll the deployment back",
            )
        for i, alarm in enumerate(_items(rollback.get("Alarms"))):
            if isinstance(alarm, dict) and "AlarmName" not in alarm:
                yield Violation(
                    join(join(join(at, "Alarms"), i), "AlarmName"),
                    "alarms",
                    "required field is missing",
                )


def _blue_green(policy: dict[str, Any], counts: list[tuple[str, int]]) -> Iterator[Violation]:
    at = "DeploymentConfig.BlueGreenUpdatePolicy"
    routing = _obj(policy.get("TrafficRoutingConfiguration"))
    where = join(at, "TrafficRoutingConfiguration")
    kind = routing.get("Type")
    needs = {"CANARY": "CanarySize", "LINEAR": "LinearStepSize"}
    for member in ("CanarySize", "LinearStepSize"):
        if kind not in ("ALL_AT_ONCE", "CANARY", "LINEAR"):
            break
        if needs.get(kind) == member and member not in routing:
            yield Violation(join(where, member), "traffic-routing", f"required when Type is {kind}")
        elif needs.get(kind) != member and member in routing:
            yield Violation(
                join(where, member), "traffic-routing", f"not allowed when Type is {kind}"
            )
    if kind == "CANARY" and "CanarySize" in routing:
        yield from _check_share(
            join(where, "CanarySize"), routing["CanarySize"], counts, CANARY_SHARE, "canary-size"
        )
    if kind == "LINEAR" and "LinearStepSize" in routing:
        yield from _check_share(
            join(where, "LinearStepSize"),
            routing["LinearStepSize"],
            counts,
            LINEAR_SHARE,
            "linear-step-size",
        )
    # "the timeout value should be larger than the total waiting time specified in
    # TerminationWaitInSeconds and WaitIntervalInSeconds."
    waits = [
        ("WaitIntervalInSeconds", _int(routing.get("WaitIntervalInSeconds"))),
        ("TerminationWaitInSeconds", _int(policy.get("TerminationWaitInSeconds"))),
    ]
    yield from _timeout(at, _int(policy.get("MaximumExecutionTimeoutInSeconds")), waits)


def _rolling(
    policy: dict[str, Any],
    production: list[tuple[str, dict[str, Any]]],
    counts: list[tuple[str, int]],
) -> Iterator[Violation]:
    """Deployment guardrails, exclusions: a rolling deployment does not support serverless
    endpoints or endpoints with more than one variant."""
    at = "DeploymentConfig.RollingUpdatePolicy"
    serverless = [path for path, v in production if is_serverless(v)]
    if serverless:
        yield Violation(
            at,
            "rolling-update",
            f"is not supported for a serverless endpoint ({serverless[0]} has ServerlessConfig)",
        )
    if len(production) > 1:
        yield Violation(
            at,
            "rolling-update",
            "is not supported for an endpoint with more than one production variant "
            f"(got {len(production)})",
        )
    if "MaximumBatchSize" in policy:
        yield from _check_share(
            join(at, "MaximumBatchSize"),
            policy["MaximumBatchSize"],
            counts,
            ROLLING_SHARE,
            "rolling-batch-size",
        )
    waits = [("WaitIntervalInSeconds", _int(policy.get("WaitIntervalInSeconds")))]
    yield from _timeout(at, _int(policy.get("MaximumExecutionTimeoutInSeconds")), waits)


def _timeout(
    at: str, timeout: int | None, waits: list[tuple[str, int | None]]
) -> Iterator[Violation]:
    given = [(name, seconds) for name, seconds in waits if seconds]
    total = sum(seconds for _, seconds in given)
    if timeout is None or not given or timeout > total:
        return
    spelled = " + ".join(f"{name} {seconds}" for name, seconds in given)
    if len(given) > 1:
        spelled += f" = {total}"
    message = f"must be larger than the waits it covers ({spelled}), got {timeout}"
    yield Violation(
        join(at, "MaximumExecutionTimeoutInSeconds"), "execution-timeout", message, timeout
    )


# --- models --------------------------------------------------------------------------------

_ARN_RESOURCE = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:(?P<resource>[a-z\-]*)/"
)


def models(raw: dict[str, Any]) -> Iterator[Violation]:
    """``Models`` are CreateModel requests: each carries a container, either PrimaryContainer
    or Containers (an inference pipeline), each container an Image or a ModelPackageName
    (a model package name or ARN: arn:aws:sagemaker:<region>:<account>:model-package/...).
    Model names are unique (SageMaker's names ignore case); an inference pipeline names all
    its containers or none ("If you specify a value for the ContainerHostName for any
    ContainerDefinition that is part of an inference pipeline, you must specify a value for
    the ContainerHostName parameter of every ContainerDefinition in that pipeline"); the
    environment of all containers together is at most 32 KB."""
    seen: dict[str, tuple[str, str]] = {}
    for i, model in enumerate(_items(raw.get("Models"))):
        if not isinstance(model, dict):
            continue
        path = join("Models", i)
        name = _str(model.get("ModelName"))
        if name is not None:
            if name.lower() in seen:
                message = (
                    f"must be unique within Models (names ignore case); "
                    f"{seen[name.lower()][0]} is {render(seen[name.lower()][1])}"
                )
                yield Violation(join(path, "ModelName"), "unique-model-names", message, name)
            else:
                seen[name.lower()] = (join(path, "ModelName"), name)
        yield from _model_containers(path, model)


def _model_containers(path: str, model: dict[str, Any]) -> Iterator[Violation]:
    primary, listed = model.get("PrimaryContainer"), model.get("Containers")
    if primary is None and not listed:
        message = (
            "needs PrimaryContainer or Containers (a container image, "
            "or a ModelPackageName from the model registry)"
        )
        yield Violation(path, "model-container", message)
    elif primary is not None and listed is not None:
        yield Violation(path, "model-container", "give PrimaryContainer or Containers, not both")
    containers = [(join(path, "PrimaryContainer"), primary)] if primary is not None else []
    containers += [(join(join(path, "Containers"), j), c) for j, c in enumerate(_items(listed))]
    environment = 0
    for at, container in containers:
        if not isinstance(container, dict):
            continue
        if "Image" not in container and "ModelPackageName" not in container:
            message = (
                "needs Image (a container image) "
                "or ModelPackageName (a model package from the registry)"
            )
            yield Violation(at, "model-container", message)
        package = _str(container.get("ModelPackageName"))
        if package and package.startswith("arn:"):
            found = _ARN_RESOURCE.match(package)
            if found and found.group("resource") != "model-package":
                message = (
                    "must be a model package ARN "
                    "(arn:aws:sagemaker:<region>:<account>:model-package/<name>[/<version>]), "
                    f"got {render(package)}, whose resource type is {found.group('resource')}"
                )
                yield Violation(join(at, "ModelPackageName"), "model-package-arn", message, package)
        for key, value in _obj(container.get("Environment")).items():
            environment += len(str(key).encode()) + len(str(value).encode())
    if environment > ENVIRONMENT_BYTES:
        message = (
            f"the Environment maps of the model's containers hold {environment} bytes "
            f"together; at most {ENVIRONMENT_BYTES} (32 KB)"
        )
        yield Violation(path, "environment-size", message, environment)
    pipeline = [c for c in _items(listed) if isinstance(c, dict)]
    named = [c for c in pipeline if "ContainerHostname" in c]
    if named and len(named) != len(pipeline):
        message = (
            "every container of an inference pipeline needs a ContainerHostname when one has it"
        )
        yield Violation(join(path, "Containers"), "container-hostname", message)


# --- the deployer's own fields --------------------------------------------------------------


def deadline(raw: dict[str, Any]) -> Iterator[Violation]:
    """``DeadlineSeconds``: how long the whole deployment may take from its execution's start
    (the wait for the endpoint's lease included), a whole number of seconds within the state
    machine's own time limit."""
    if interface.DEADLINE_FIELD not in raw:
        return
    value = raw[interface.DEADLINE_FIELD]
    low, high = interface.DEADLINE_MIN_SECONDS, interface.DEADLINE_MAX_SECONDS
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"must be a whole number of seconds from {low} to {high}, got {described(value)}"
        yield Violation(interface.DEADLINE_FIELD, "deadline", message, value)


RULES: tuple[Rule, ...] = (
    variant_models,
    unique_variant_names,
    instance_or_serverless,
    serverless_config,
    serverless_exclusions,
    shadow_variants,
    weights,
    kms_local_storage,
    variant_options,
    endpoint_config_options,
    update_options,
    tags,
    deployment_config,
    models,
    deadline,
)


def documented_violations(raw: dict[str, Any]) -> list[Violation]:
    """Every documented rule the request breaks, rule by rule."""
    return [violation for rule in RULES for violation in rule(raw)]
