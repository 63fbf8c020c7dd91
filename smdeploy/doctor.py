"""``smdeploy doctor``: check an installed deployer, reading only, and say how to fix what fails.

Everything is found from the state machine (the stack's ``StateMachineArn`` output): its
definition names the task functions; their configurations name their roles and, in their
environment (``deployer.interface``'s ``ENV_*``), the table, the topic and the SageMaker
execution role; the Start and Sweep functions are those whose environment names the state
machine and the Wait function; the rules are those that target the Start or the Wait function
(EventBridge's ListRuleNamesByTarget); the model package groups are those the approval rules'
patterns name (``detail.ModelPackageGroupName``), the groups whose approvals deploy
(:mod:`smdeploy.doctor_resources` checks the rules, groups, table, topic and schedule;
:mod:`smdeploy.doctor_checklist` holds the checklist).

Reading comes first and deciding second: each check reads what it needs and makes one
:class:`Check`. A check whose call AWS refuses fails with the call and the reason, so that
missing permissions show as such. Every call is a Describe, Get or List.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from deployer import interface
from smdeploy import doctor_resources, iam_policy
from smdeploy.doctor_checklist import (
    REDEPLOY,
    Check,
    Found,
    Report,
    denied,
    name_of,
    refused,
)

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
STAGE_OF = {spec.handler: spec.stage for spec in interface.EVERY_FUNCTION}
STAGES = frozenset(spec.stage for spec in interface.FUNCTIONS)  # the state machine's


def function_arns(definition: str) -> list[str]:
    """The Lambda functions a definition's Task states call, each once, in order: a
    ``Resource`` that is a function ARN, or the ``FunctionName`` of an ``arn:...:lambda:invoke``
    integration (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html)."""
    found: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            resource = node.get("Resource")
            if isinstance(resource, str) and ":lambda:" in resource and ":function:" in resource:
                found[resource] = None
            name = (node.get("Parameters") or {}).get("FunctionName")
            if isinstance(resource, str) and ":lambda:invoke" in resource and name:
                found[str(name)] = None
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(definition))
    return list(found)


def examine(client: Callable[[str], Any], state_machine_arn: str) -> Report:
    """Check the deployer whose state machine is ``state_machine_arn``, with ``client(service)``
    (boto3 clients of its account and Region)."""
    report = Report(state_machine_arn)
    sfn = client("stepfunctions")
    try:
        machine = sfn.describe_state_machine(stateMachineArn=state_machine_arn)
    except ClientError as error:
        failed = refused("state machine", "states:DescribeStateMachine", error)
        if not denied(error):
            failed = Check(
                "state machine",
                False,
                failed.detail,
                "give the state machine of the installed stack: its StateMachineArn output "
                "(aws cloudformation describe-stacks --stack-name smdeploy --query "
                "\"Stacks[0].Outputs[?OutputKey=='StateMachineArn'].OutputValue\" --output "
                "text), or install it (npx cdk deploy)",
            )
        report.checks.append(failed)
        return report
    status = str(machine.get("status", "ACTIVE"))
    report.checks.append(
        Check(
            "state machine",
            status == "ACTIVE",
            f"{machine['name']} is {status}",
            None if status == "ACTIVE" else REDEPLOY,
        )
    )
    found = Found()
    lambda_client = client("lambda")
    arns = function_arns(machine["definition"])
    report.checks.extend(_functions(lambda_client, arns, found))
    report.checks.extend(_other_functions(lambda_client, state_machine_arn, found))
    iam = client("iam")
    report.checks.extend(_roles(iam, found))
    report.checks.extend(
        doctor_resources.rules(client("events"), client("sagemaker"), state_machine_arn, found)
    )
    report.checks.append(doctor_resources.table(client("dynamodb"), found))
    report.checks.append(doctor_resources.topic(client("sns"), found))
    report.checks.append(doctor_resources.sweep_schedule(client("scheduler"), found))
    return report


def _functions(lambda_client: Any, arns: list[str], found: Found) -> Iterator[Check]:
    for arn in arns:
        check = f"function {name_of(arn)}"
        try:
            config = lambda_client.get_function_configuration(FunctionName=arn)
        except ClientError as error:
            yield refused(check, "lambda:GetFunctionConfiguration", error)
            continue
        stage = STAGE_OF.get(str(config.get("Handler")))
        if stage is not None:
            found.functions[stage] = config
        state = str(config.get("State") or "Active")
        if stage is None:
            label = f"handler {config.get('Handler')}"
        else:
            label = f"{stage} stage" if stage in STAGES else f"{stage} function"
        yield Check(
            check,
            state == "Active",
            f"{label}, {state}",
            None
            if state == "Active"
            else f"see why: aws lambda get-function --function-name {arn}",
        )


def _variables(config: dict[str, Any]) -> dict[str, Any]:
    return dict((config.get("Environment") or {}).get("Variables") or {})


def _other_functions(lambda_client: Any, state_machine_arn: str, found: Found) -> Iterator[Check]:
    """The functions outside the definition: Start, whose environment names this state machine
    (the trigger rules invoke it), and Sweep, whose environment names its Wait function (the
    schedule invokes it once a minute)."""
    wait = found.functions.get("Wait") or {}
    wait_names = {wait.get("FunctionArn"), wait.get("FunctionName")} - {None}
    try:
        pages = lambda_client.get_paginator("list_functions").paginate()
        configs = [config for page in pages for config in page["Functions"]]
    except ClientError as error:
        yield refused("functions Start and Sweep", "lambda:ListFunctions", error)
        return
    wanted: dict[str, tuple[str, set[Any], str]] = {
        "Start": (
            interface.ENV_STATE_MACHINE_ARN,
            {state_machine_arn},
            "approvals, rejections and manifests start nothing",
        ),
        "Sweep": (
            interface.ENV_WAIT_FUNCTION,
            wait_names,
            "a deployment whose endpoint events are lost waits for its park timeout",
        ),
    }
    for stage, (variable, values, without) in wanted.items():
        arns = [str(c["FunctionArn"]) for c in configs if _variables(c).get(variable) in values]
        if not arns:
            yield Check(f"function {stage}", False, f"not found: {without}", REDEPLOY)
            continue
        yield from _functions(lambda_client, arns[:1], found)


def _role_documents(iam: Any, role_name: str) -> list[dict[str, Any]]:
    """The identity-based policy documents of a role: inline and attached managed ones."""
    documents: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            documents.append(json.loads(document) if isinstance(document, str) else document)
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(
                PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
            )["PolicyVersion"]["Document"]
            documents.append(json.loads(version) if isinstance(version, str) else version)
    return documents


def _roles(iam: Any, found: Found) -> Iterator[Check]:
    users: dict[str, list[str]] = {}
    for stage, config in found.functions.items():
        users.setdefault(str(config["Role"]), []).append(stage)
    for role_arn, stages in users.items():
        check = f"role {name_of(role_arn)}"
        try:
            iam.get_role(RoleName=name_of(role_arn))
        except ClientError as error:
            yield refused(check, "iam:GetRole", error)
            continue
        yield Check(check, True, f"exists; the {', '.join(stages)} functions run as it")
    model_role = found.variable(interface.ENV_MODEL_ROLE)
    if model_role is None:
        yield Check(
            "SageMaker execution role",
            False,
            f"no function names it ({interface.ENV_MODEL_ROLE} of the Validate function)",
            REDEPLOY,
        )
        return
    try:
        iam.get_role(RoleName=name_of(model_role))
        yield Check("SageMaker execution role", True, f"{name_of(model_role)} exists")
    except ClientError as error:
        failed = refused("SageMaker execution role", "iam:GetRole", error)
        if not denied(error):
            failed = Check(
                failed.name,
                False,
                failed.detail,
                f"create the role {name_of(model_role)} (trusting sagemaker.amazonaws.com), or "
                "deploy the stack with the role that exists: npx cdk deploy -c "
                "sagemakerRoleArn=ARN",
            )
        yield failed
        return
    yield _pass_role(iam, found, model_role)


def _pass_role(iam: Any, found: Found, model_role: str) -> Check:
    """Whether the function that creates the models (Configure) may pass the SageMaker role.

    AWS's own answer would be iam:SimulatePrincipalPolicy, which the emulator (moto) does not
    implement: the role's identity-based policies (inline and attached) are evaluated here
    (:mod:`smdeploy.iam_policy`), without permissions boundaries or service control policies,
    and the detail says so."""
    check = "SageMaker role can be passed"
    creator = found.functions.get("Configure")
    if creator is None:
        return Check(check, False, "the Configure function was not found", REDEPLOY)
    role = name_of(str(creator["Role"]))
    try:
        documents = _role_documents(iam, role)
    except ClientError as error:
        return refused(check, "iam:ListRolePolicies/GetRolePolicy", error)
    decision = iam_policy.decide(
        documents, "iam:PassRole", model_role, {"iam:PassedToService": SAGEMAKER_SERVICE}
    )
    scope = "by its identity policies (permissions boundaries and SCPs are not evaluated)"
    if decision == iam_policy.ALLOWED:
        return Check(check, True, f"the Configure function's role {role} may pass it, {scope}")
    return Check(
        check,
        False,
        f"iam:PassRole on {name_of(model_role)} to {SAGEMAKER_SERVICE} is {decision} for the "
        f"Configure function's role {role}, {scope}",
        f"allow {role} iam:PassRole on {model_role} with iam:PassedToService = "
        f"{SAGEMAKER_SERVICE} (npx cdk deploy restores the stack's grant)",
    )
