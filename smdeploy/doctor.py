"""``smdeploy doctor``: check an installed deployer, reading only, and say how to fix what fails.

Everything is found from the state machine (the stack's ``StateMachineArn`` output): its
definition names the task functions; their configurations name their roles and, in their
environment (``deployer.interface``'s ``ENV_*``), the table, the topic and the SageMaker
execution role; the rules are those that target the state machine or the Wait function
(EventBridge's ListRuleNamesByTarget); the model package groups are those the approvals
rule's pattern names (``detail.ModelPackageGroupName``), the groups whose approvals deploy.

Reading comes first and deciding second: each check reads what it needs and makes one
:class:`Check`. A check whose call AWS refuses fails with the call and the reason, so that
missing permissions show as such. Every call is a Describe, Get or List.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer import interface
from smdeploy import iam_policy

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
# What the CLI users' managed policy is called in the stack's outputs (cdk/cli_policy.py).
POLICY_OUTPUT = "CliPolicyArn"
# CloudFormation recreates a resource deleted outside it only when it replaces it, so a
# plain deploy may report no changes (https://docs.aws.amazon.com/AWSCloudFormation/latest/
# UserGuide/using-cfn-stack-drift.html): the fix says so.
REDEPLOY = (
    "deploy the stack again (npx cdk deploy); if it reports no changes, CloudFormation does "
    "not know the resource is gone: remove the stack and deploy it again (npx cdk destroy, "
    "then npx cdk deploy)"
)
STAGE_OF = {spec.handler: spec.stage for spec in interface.EVERY_FUNCTION}
STAGES = frozenset(spec.stage for spec in interface.FUNCTIONS)  # the state machine's


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it holds, what was found, and
    (when it fails) how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"Name": self.name, "Ok": self.ok, "Detail": self.detail, "Fix": self.fix}


@dataclass
class Report:
    state_machine_arn: str
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "StateMachineArn": self.state_machine_arn,
            "Healthy": self.healthy,
            "Checks": [check.to_json() for check in self.checks],
        }


def denied(error: ClientError) -> bool:
    """AWS refused the call for want of permission (not because the resource is missing)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError")


def refused(check: str, call: str, error: ClientError) -> Check:
    """The check ``check`` failed: AWS answered ``call`` with ``error``."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Error"))
    reason = f"{call}: {code}: {details.get('Message', '')}".rstrip(": ")
    if denied(error):
        fix = (
            f"your credentials may not call {call}: attach the stack's CLI users' managed "
            f"policy (the {POLICY_OUTPUT} output) to your user or role"
        )
    else:
        fix = REDEPLOY
    return Check(check, False, reason, fix)


def _name(arn: str) -> str:
    """The last part of an ARN (a role's, function's or rule's name)."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if arn.startswith("arn:") else arn


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


@dataclass
class _Found:
    """What the checks read that later checks need."""

    functions: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> configuration

    def variable(self, name: str) -> str | None:
        for config in self.functions.values():
            value = ((config.get("Environment") or {}).get("Variables") or {}).get(name)
            if value:
                return str(value)
        return None


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
    found = _Found()
    lambda_client = client("lambda")
    arns = function_arns(machine["definition"])
    report.checks.extend(_functions(lambda_client, arns, found))
    report.checks.extend(_other_functions(lambda_client, state_machine_arn, found))
    iam = client("iam")
    report.checks.extend(_roles(iam, found))
    report.checks.extend(_rules(client("events"), client("sagemaker"), state_machine_arn, found))
    report.checks.append(_table(client("dynamodb"), found))
    report.checks.append(_topic(client("sns"), found))
    report.checks.append(_sweep_schedule(client("scheduler"), found))
    return report


def _functions(lambda_client: Any, arns: list[str], found: _Found) -> Iterator[Check]:
    for arn in arns:
        check = f"function {_name(arn)}"
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


def _other_functions(lambda_client: Any, state_machine_arn: str, found: _Found) -> Iterator[Check]:
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


def _sweep_schedule(scheduler: Any, found: _Found) -> Check:
    """The schedule that invokes the Sweep function once a minute, and that it is ENABLED."""
    check = "sweep schedule"
    sweep = found.functions.get("Sweep")
    if sweep is None:
        return Check(check, False, "no Sweep function to invoke", REDEPLOY)
    try:
        pages = scheduler.get_paginator("list_schedules").paginate()
        schedules = [
            s
            for page in pages
            for s in page["Schedules"]
            if (s.get("Target") or {}).get("Arn") == sweep["FunctionArn"]
        ]
    except ClientError as error:
        return refused(check, "scheduler:ListSchedules", error)
    if not schedules:
        return Check(
            check,
            False,
            "no schedule invokes the Sweep function: lost endpoint events cost a park timeout",
            REDEPLOY,
        )
    schedule = schedules[0]
    name, state = schedule["Name"], str(schedule.get("State"))
    return Check(
        check,
        state == "ENABLED",
        f"{name} is {state}, invokes the Sweep function once a minute",
        None
        if state == "ENABLED"
        else f"enable it (aws scheduler get-schedule --name {name}, then update-schedule with "
        "--state ENABLED), or deploy the stack again (npx cdk deploy)",
    )


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


def _roles(iam: Any, found: _Found) -> Iterator[Check]:
    users: dict[str, list[str]] = {}
    for stage, config in found.functions.items():
        users.setdefault(str(config["Role"]), []).append(stage)
    for role_arn, stages in users.items():
        check = f"role {_name(role_arn)}"
        try:
            iam.get_role(RoleName=_name(role_arn))
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
        iam.get_role(RoleName=_name(model_role))
        yield Check("SageMaker execution role", True, f"{_name(model_role)} exists")
    except ClientError as error:
        failed = refused("SageMaker execution role", "iam:GetRole", error)
        if not denied(error):
            failed = Check(
                failed.name,
                False,
                failed.detail,
                f"create the role {_name(model_role)} (trusting sagemaker.amazonaws.com), or "
                "deploy the stack with the role that exists: npx cdk deploy -c "
                "sagemakerRoleArn=ARN",
            )
        yield failed
        return
    yield _pass_role(iam, found, model_role)


def _pass_role(iam: Any, found: _Found, model_role: str) -> Check:
    """Whether the function that creates the models (Configure) may pass the SageMaker role.

    AWS's own answer would be iam:SimulatePrincipalPolicy, which the emulator (moto) does not
    implement: the role's identity-based policies (inline and attached) are evaluated here
    (:mod:`smdeploy.iam_policy`), without permissions boundaries or service control policies,
    and the detail says so."""
    check = "SageMaker role can be passed"
    creator = found.functions.get("Configure")
    if creator is None:
        return Check(check, False, "the Configure function was not found", REDEPLOY)
    role = _name(str(creator["Role"]))
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
        f"iam:PassRole on {_name(model_role)} to {SAGEMAKER_SERVICE} is {decision} for the "
        f"Configure function's role {role}, {scope}",
        f"allow {role} iam:PassRole on {model_role} with iam:PassedToService = "
        f"{SAGEMAKER_SERVICE} (npx cdk deploy restores the stack's grant)",
    )


def _kind(pattern: dict[str, Any]) -> str | None:
    """Which of the deployer's rules a pattern is (None: none of them)."""
    kinds = pattern.get("detail-type") or []
    statuses = (pattern.get("detail") or {}).get("ModelApprovalStatus") or []
    if interface.APPROVAL_DETAIL_TYPE in kinds:
        return "approvals" if "Approved" in statuses else "rejections"
    if interface.S3_OBJECT_CREATED in kinds:
        return "manifests"
    if interface.ENDPOINT_STATE_CHANGE in kinds:
        return "endpoint events"
    return None


# Which rule targets what: the triggers start the state machine, SageMaker's endpoint events
# wake the Wait function (cdk/triggers.py).
RULE_TARGETS = {
    "approvals": "the Start function",
    "rejections": "the Start function",
    "manifests": "the Start function",
    "endpoint events": "the Wait function",
}


def _rules(events: Any, sagemaker: Any, state_machine_arn: str, found: _Found) -> Iterator[Check]:
    targets: dict[str, str] = {}
    for what, stage in (("the Start function", "Start"), ("the Wait function", "Wait")):
        function = found.functions.get(stage)
        if function is not None:
            targets[what] = str(function["FunctionArn"])
    # kind -> its rules, by name (several approval and rejection rules when the profiles'
    # groups do not fit one event pattern: interface.group_batches)
    rules: dict[str, list[dict[str, Any]]] = {}
    for what, target in targets.items():
        try:
            pages = events.get_paginator("list_rule_names_by_target").paginate(TargetArn=target)
            for name in sorted(name for page in pages for name in page["RuleNames"]):
                described = events.describe_rule(Name=name)
                kind = _kind(json.loads(described.get("EventPattern") or "{}"))
                if kind is not None and RULE_TARGETS[kind] == what:
                    rules.setdefault(kind, []).append(described)
        except ClientError as error:
            yield refused(f"rules targeting {what}", "events:ListRuleNamesByTarget", error)
            return
    for kind, target in RULE_TARGETS.items():
        check = f"rule: {kind}"
        if not rules.get(kind):
            why = "; approvals deploy only with it" if kind in ("approvals", "rejections") else ""
            yield Check(check, False, f"no rule on {kind} targets {target}{why}", REDEPLOY)
            continue
        for rule in rules[kind]:
            state = str(rule.get("State"))
            yield Check(
                check,
                state == "ENABLED",
                f"{rule['Name']} is {state}, targets {target}",
                None if state == "ENABLED" else f"aws events enable-rule --name {rule['Name']}",
            )
    groups: list[str] = []
    for rule in rules.get("approvals", []):
        pattern = json.loads(rule.get("EventPattern") or "{}")
        groups.extend(
            str(g) for g in (pattern.get("detail") or {}).get("ModelPackageGroupName") or []
        )
    for group in sorted(set(groups)):
        yield _group(sagemaker, group)


def _group(sagemaker: Any, group: str) -> Check:
    check = f"model package group {group}"
    try:
        described = sagemaker.describe_model_package_group(ModelPackageGroupName=group)
    except ClientError as error:
        failed = refused(check, "sagemaker:DescribeModelPackageGroup", error)
        if denied(error):
            return failed
        return Check(
            check,
            False,
            f"{failed.detail}: its approvals would deploy, but it does not exist",
            f"create it (aws sagemaker create-model-package-group --model-package-group-name "
            f"{group}), or remove its profile and deploy the stack again (npx cdk deploy)",
        )
    status = str(described.get("ModelPackageGroupStatus") or "Completed")
    return Check(
        check,
        status == "Completed",
        f"{status}; a profile deploys its approved versions",
        None if status == "Completed" else f"the group is {status}: wait, or create it again",
    )


def _table(dynamodb: Any, found: _Found) -> Check:
    check = "lease table"
    name = found.variable(interface.ENV_TABLE)
    if name is None:
        return Check(check, False, f"no function names it ({interface.ENV_TABLE})", REDEPLOY)
    try:
        status = str(dynamodb.describe_table(TableName=name)["Table"]["TableStatus"])
    except ClientError as error:
        failed = refused(check, "dynamodb:DescribeTable", error)
        if denied(error):
            return failed
        return Check(
            check,
            False,
            failed.detail,
            f"restore the table {name} from its point-in-time backup (aws dynamodb "
            "restore-table-to-point-in-time) under that name, or " + REDEPLOY,
        )
    return Check(
        check,
        status == "ACTIVE",
        f"{name} is {status}",
        None if status == "ACTIVE" else f"wait until {name} is ACTIVE",
    )


def _topic(sns: Any, found: _Found) -> Check:
    check = "notification topic"
    arn = found.variable(interface.ENV_TOPIC_ARN)
    if arn is None:
        return Check(check, False, f"no function names it ({interface.ENV_TOPIC_ARN})", REDEPLOY)
    try:
        sns.get_topic_attributes(TopicArn=arn)
    except ClientError as error:
        return refused(check, "sns:GetTopicAttributes", error)
    return Check(check, True, f"{_name(arn)} exists; outcomes and alarms are published to it")
