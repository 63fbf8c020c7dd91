"""``smdeploy demo``: the main job, offline, through the front door, for a first-time user.

In a fresh emulated account with the deployer installed and the deployment profile of
``examples/profiles.json``: register version 1 of a model package in the SageMaker Model
Registry and approve it; the approval's event starts the state machine, which creates the
endpoint. Then register and approve version 2: the endpoint is updated (blue/green canary,
as the profile says). After each, verify from the account itself that exactly one
execution ran, that it succeeded, and that the endpoint is InService serving that version.

Then the production-like group (``fraud-scorer``), whose profile switches the guardrails on:
version 1 is approved, then version 2 on a bigger instance type (the package's
``smdeploy:InstanceType``). After each, the guardrails are read back from the account: the
variant's scalable target and target-tracking policy, the rollback alarms the update named,
and the smoke test the execution ran.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from smdeploy import resources
from smdeploy.present import ProgressPrinter, Screen
from smdeploy.runtime.local import LocalDeployment, Outcome
from smdeploy.serve import delivery_line

GROUP = "churn-predictor"
GUARDED_GROUP = "fraud-scorer"  # the production-like profile: autoscaling, alarms, smoke test


def profiles() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((resources.EXAMPLES / "profiles.json").read_text())
    return loaded


def register_package(
    account: LocalDeployment,
    version: int,
    group: str = GROUP,
    metadata: dict[str, str] | None = None,
) -> str:
    """Register version ``version`` of the demo model, pending approval; return its ARN."""
    specification = json.loads((resources.EXAMPLES / "inference-specification.json").read_text())
    specification["Containers"][0]["ModelDataUrl"] = (
        f"s3://example-models/churn/v{version}/model.tar.gz"
    )
    extra: dict[str, Any] = {"CustomerMetadataProperties": metadata} if metadata else {}
    arn: str = account.sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"XGBoost model, training run {version}",
        InferenceSpecification=specification,
        ModelApprovalStatus="PendingManualApproval",
        **extra,
    )["ModelPackageArn"]
    return arn


def verify(
    account: LocalDeployment, outcomes: list[Outcome], package_arn: str, action: str
) -> list[str]:
    """What is wrong after an approval; empty when it deployed ``package_arn`` as expected."""
    if len(outcomes) != 1:
        return [f"the approval started {len(outcomes)} executions, not one"]
    [outcome] = outcomes
    if outcome.status != "SUCCEEDED":
        return [f"the execution ended {outcome.status}: {outcome.error}: {outcome.cause}"]
    problems: list[str] = []
    done = (outcome.output or {}).get("Action")
    if done != action:
        problems.append(f"the execution's action was {done}, not {action}")
    endpoint_name = outcome.EndpointName or ""
    endpoint = account.sagemaker.describe_endpoint(EndpointName=endpoint_name)
    if endpoint["EndpointStatus"] != "InService":
        problems.append(f"endpoint is {endpoint['EndpointStatus']}, not InService")
    if endpoint["EndpointConfigName"] != outcome.EndpointConfigName:
        problems.append(
            f"endpoint serves {endpoint['EndpointConfigName']}, not {outcome.EndpointConfigName}"
        )
    config = account.sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    for variant in config["ProductionVariants"]:
        model = account.sagemaker.describe_model(ModelName=variant["ModelName"])
        packages = [c.get("ModelPackageName") for c in model.get("Containers", [])]
        if package_arn not in packages:
            problems.append(
                f"variant {variant['VariantName']} serves {packages}, not {package_arn}"
            )
    return problems


def guardrails_in_place(account: LocalDeployment, outcome: Outcome) -> tuple[list[str], list[str]]:
    """(what was read back from the account, what is wrong) about the guarded endpoint."""
    name = outcome.EndpointName or ""
    scaling = account.client("application-autoscaling")
    seen: list[str] = []
    problems: list[str] = []
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    mine = [t for t in targets if t["ResourceId"].startswith(f"endpoint/{name}/")]
    if not mine:
        problems.append("no variant of the endpoint is a scalable target")
    for target in mine:
        seen.append(
            f"scalable target {target['ResourceId']} ({target['ScalableDimension']}, "
            f"{target['MinCapacity']} to {target['MaxCapacity']})"
        )
        policies = scaling.describe_scaling_policies(
            ServiceNamespace="sagemaker", ResourceId=target["ResourceId"]
        )["ScalingPolicies"]
        if not policies:
            problems.append(f"{target['ResourceId']} has no scaling policy")
        for policy in policies:
            tracking = policy["TargetTrackingScalingPolicyConfiguration"]
            metric = tracking.get("PredefinedMetricSpecification", {}).get(
                "PredefinedMetricType", "a custom metric"
            )
            seen.append(
                f"policy {policy['PolicyName']}: target {tracking['TargetValue']:g} of {metric}"
            )
    endpoint = account.sagemaker.describe_endpoint(EndpointName=name)
    rollback = endpoint.get("LastDeploymentConfig", {}).get("AutoRollbackConfiguration", {})
    named = [a["AlarmName"] for a in rollback.get("Alarms", [])]
    alarms = account.client("cloudwatch").describe_alarms(AlarmNames=named)["MetricAlarms"]
    if not named or len(alarms) != len(named):
        problems.append(f"the update's rollback alarms {named} are not all in CloudWatch")
    for alarm in alarms:
        seen.append(f"rollback alarm {alarm['AlarmName']} ({alarm['StateValue']})")
    entered = [e["stateEnteredEventDetails"]["name"] for e in outcome.history if
               "stateEnteredEventDetails" in e]  # fmt: skip
    if "SmokeTest" not in entered:
        problems.append("the execution ran no smoke test")
    else:
        seen.append("smoke test: each production variant answered the sample request")
    return seen, problems


def approve(account: LocalDeployment, err: Screen, package: str, label: str) -> list[Outcome]:
    """Approve ``package`` in the Model Registry: the executions its event started, each
    followed to its end (progress on ``err``)."""
    return account.triggered(
        partial(
            account.sagemaker.update_model_package,
            ModelPackageArn=package,
            ModelApprovalStatus="Approved",
        ),
        label=label,
        on_progress=ProgressPrinter(err),
    )


def print_check(err: Screen, problems: list[str], seen: list[str]) -> None:
    """What verification found wrong, then what it read back as expected."""
    for problem in problems:
        err.print(f"  [red]verification failed:[/] {problem}")
    for line in seen:
        err.print(f"  [green]verified[/]: {line}")


def run_demo(err: Screen) -> tuple[list[Outcome], int]:
    """Run the demo, its progress on ``err``; every execution's outcome, and how many of the
    approvals failed verification (two of the plain group, two of the guarded one)."""
    outcomes: list[Outcome] = []
    failures = 0
    with LocalDeployment(seed=7, profiles=profiles()) as account:
        account.emulator.on_delivery = lambda delivery: err.print(
            f"[bold]EventBridge[/]: {delivery_line(delivery)}"
        )
        err.print("[bold]smdeploy demo[/]: an emulated AWS account on this machine; no AWS needed.")
        err.print(
            f"The deployer is installed; approvals in model package group [bold]{GROUP}[/] "
            "deploy with its profile (examples/profiles.json)."
        )
        for version, action in ((1, "CREATE"), (2, "UPDATE")):
            package = register_package(account, version)
            err.print(f"\n[bold]Model Registry[/]: registered {package} (PendingManualApproval)")
            err.print(f"[bold]Model Registry[/]: approving version {version}")
            started = approve(account, err, package, f"approval of v{version}")
            outcomes.extend(started)
            problems = verify(account, started, package, action)
            seen: list[str] = []
            if not problems:
                outcome = started[0]
                verb = "created" if action == "CREATE" else "updated"
                seen = [
                    f"the approval {verb} {outcome.EndpointName}; it is InService on "
                    f"{outcome.EndpointConfigName}, serving version {version}"
                ]
            print_check(err, problems, seen)
            failures += bool(problems)
        err.print(
            f"\n[bold]Guardrails[/]: group [bold]{GUARDED_GROUP}[/]'s profile asks for "
            "autoscaling, rollback alarms and a smoke test."
        )
        steps = ((1, "CREATE", None), (2, "UPDATE", {"smdeploy:InstanceType": "ml.c5.xlarge"}))
        for version, action, metadata in steps:
            package = register_package(account, version, GUARDED_GROUP, metadata)
            change = " on ml.c5.xlarge (smdeploy:InstanceType)" if metadata else ""
            err.print(f"\n[bold]Model Registry[/]: approving {package}{change}")
            started = approve(account, err, package, f"approval of {GUARDED_GROUP} v{version}")
            outcomes.extend(started)
            problems = verify(account, started, package, action)
            seen = []
            if not problems:
                seen, problems = guardrails_in_place(account, started[0])
            print_check(err, problems, seen)
            failures += bool(problems)
    return outcomes, failures
