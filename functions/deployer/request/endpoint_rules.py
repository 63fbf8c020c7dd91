"""The documented rules of CreateEndpoint and UpdateEndpoint: the DeploymentConfig (blue/green
traffic routing, rolling updates, their timeouts, auto-rollback alarms) and the variant
properties an update may keep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deployer.request.reading import as_int, as_items, as_object, is_serverless, variants
from deployer.request.violations import Violation, join, plural

# TrafficRoutingConfig: "CanarySize ... must be less than or equal to 50% of the variant's
# total instance count"; "LinearStepSize ... must be 10-50%". RollingUpdatePolicy:
# "MaximumBatchSize ... must be between 5% to 50% of the variant's total instance count."
CANARY_SHARE = (0.0, 0.5)
LINEAR_SHARE = (0.1, 0.5)
ROLLING_SHARE = (0.05, 0.5)


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


def _capacity_share(
    size: dict[str, Any], counts: list[tuple[str, int]]
) -> Iterator[tuple[float, str]]:
    """(share of the fleet, how it was computed) for a CapacitySize, per variant."""
    kind, value = size.get("Type"), as_int(size.get("Value"))
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
    for share, how in _capacity_share(as_object(size), counts):
        if not low <= share <= high:
            wanted = (
                f"at most {_percent(high)}" if low == 0 else f"{_percent(low)} to {_percent(high)}"
            )
            got = f"{how} ({_percent(share)})" if how else _percent(share)
            message = f"must be {wanted} of the variant's instance count, got {got}"
            yield Violation(join(path, "Value"), rule, message, as_object(size).get("Value"))
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
        if (count := as_int(v.get("InitialInstanceCount"))) is not None and count >= 1
    ]
    if isinstance(blue_green, dict):
        yield from _blue_green(as_object(blue_green), counts)
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
        for i, alarm in enumerate(as_items(rollback.get("Alarms"))):
            if isinstance(alarm, dict) and "AlarmName" not in alarm:
                yield Violation(
                    join(join(join(at, "Alarms"), i), "AlarmName"),
                    "alarms",
                    "required field is missing",
                )


def _blue_green(policy: dict[str, Any], counts: list[tuple[str, int]]) -> Iterator[Violation]:
    at = "DeploymentConfig.BlueGreenUpdatePolicy"
    routing = as_object(policy.get("TrafficRoutingConfiguration"))
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
        ("WaitIntervalInSeconds", as_int(routing.get("WaitIntervalInSeconds"))),
        ("TerminationWaitInSeconds", as_int(policy.get("TerminationWaitInSeconds"))),
    ]
    yield from _timeout(at, as_int(policy.get("MaximumExecutionTimeoutInSeconds")), waits)


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
    waits = [("WaitIntervalInSeconds", as_int(policy.get("WaitIntervalInSeconds")))]
    yield from _timeout(at, as_int(policy.get("MaximumExecutionTimeoutInSeconds")), waits)


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


def update_options(raw: dict[str, Any]) -> Iterator[Violation]:
    """VariantPropertyType DataCaptureConfig: "(Not currently supported.)\""""
    for i, item in enumerate(as_items(raw.get("ExcludeRetainedVariantProperties"))):
        if as_object(item).get("VariantPropertyType") == "DataCaptureConfig":
            path = join(join("ExcludeRetainedVariantProperties", i), "VariantPropertyType")
            yield Violation(
                path,
                "unsupported",
                "DataCaptureConfig is not currently supported by UpdateEndpoint",
                "DataCaptureConfig",
            )
