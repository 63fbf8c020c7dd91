"""``smdeploy demo``: the main job, offline, for a first-time user.

In a fresh emulated account: register two versions of a model package in the SageMaker Model
Registry and approve them; deploy version 1 (CreateEndpoint) and then version 2 (UpdateEndpoint
with a blue/green canary policy) through the real state machine; then verify, from the
account itself, that the endpoint is InService on the second config and that the config's
model comes from version 2 of the package.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from smdeploy.runtime.local import LocalDeployment, Outcome

GROUP = "churn-predictor"
ENDPOINT = "churn-predictor"
ROLE = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def register_package(account: LocalDeployment, version: int) -> str:
    """Register version ``version`` of the demo model and approve it; return its ARN."""
    arn: str = account.sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelPackageDescription=f"XGBoost churn model, training run {version}",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": IMAGE,
                    "ModelDataUrl": f"s3://example-models/churn/v{version}/model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        },
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]
    account.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    return arn


def request_for(package_arn: str, version: int) -> dict[str, Any]:
    model = f"churn-predictor-v{version}"
    request: dict[str, Any] = {
        "EndpointName": ENDPOINT,
        "Models": [
            {
                "ModelName": model,
                "ExecutionRoleArn": ROLE,
                "Containers": [{"ModelPackageName": package_arn}],
            }
        ],
        "ProductionVariants": [
            {
                "VariantName": "primary",
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 2,
            }
        ],
        "Tags": [{"Key": "model-package-version", "Value": str(version)}],
    }
    if version > 1:
        request["DeploymentConfig"] = {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 300,
                },
                "MaximumExecutionTimeoutInSeconds": 3600,
            }
        }
    return request


def verify(account: LocalDeployment, outcome: Outcome, package_arn: str) -> list[str]:
    """What is wrong with the account after ``outcome``; empty when all is as deployed."""
    problems: list[str] = []
    if outcome.status != "SUCCEEDED":
        return [f"the execution ended {outcome.status}: {outcome.error}: {outcome.cause}"]
    endpoint = account.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
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


def run_demo(err: Console, out: Console) -> int:
    from smdeploy.cli import ProgressPrinter, summary_table

    outcomes: list[Outcome] = []
    failures = 0
    with LocalDeployment(seed=7) as account:
        err.print("[bold]smdeploy demo[/]: an emulated AWS account on this machine; no AWS needed.")
        account.sagemaker.create_model_package_group(
            ModelPackageGroupName=GROUP, ModelPackageGroupDescription="Customer churn models"
        )
        for version in (1, 2):
            package = register_package(account, version)
            err.print(f"\n[bold]Model Registry[/]: {package} registered and Approved")
            verb = "create" if version == 1 else "update (blue/green canary)"
            err.print(f"[bold]Deploying version {version}[/]: {verb} endpoint {ENDPOINT}")
            outcome = account.deploy(
                request_for(package, version),
                label=f"model package v{version}",
                on_progress=ProgressPrinter(err),
            )
            outcomes.append(outcome)
            problems = verify(account, outcome, package)
            if problems:
                failures += 1
                for problem in problems:
                    err.print(f"  [red]verification failed:[/] {problem}")
            else:
                err.print(
                    f"  [green]verified[/]: {ENDPOINT} is InService on "
                    f"{outcome.EndpointConfigName}, serving model package version {version}"
                )
    out.print(summary_table(outcomes))
    return 1 if failures else 0
