"""``smdeploy doctor``'s checks of what the deployer's functions rely on: the rules that invoke
them, the model package groups whose approvals deploy, the lease table, the notification topic
and the sweep's schedule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from deployer import interface
from smdeploy.doctor_checklist import REDEPLOY, Check, Found, denied, name_of, refused


def sweep_schedule(scheduler: Any, found: Found) -> Check:
    """The schedule that invokes the Sweep function once a minute (named as the function), and
    that it is ENABLED."""
    check = "sweep schedule"
    sweep = found.functions.get("Sweep")
    if sweep is None:
        return Check(check, False, "no Sweep function to invoke", REDEPLOY)
    name = str(sweep["FunctionName"])
    try:
        schedule = scheduler.get_schedule(Name=name)
    except ClientError as error:
        failed = refused(check, "scheduler:GetSchedule", error)
        if denied(error):
            return failed
        return Check(
            check,
            False,
            f"{failed.detail}: lost endpoint events cost a parked deployment its park timeout",
            REDEPLOY,
        )
    state = str(schedule.get("State"))
    target = (schedule.get("Target") or {}).get("Arn")
    if target != sweep["FunctionArn"]:
        return Check(check, False, f"{name} invokes {target}, not the Sweep function", REDEPLOY)
    return Check(
        check,
        state == "ENABLED",
        f"{name} is {state}, invokes the Sweep function once a minute",
        None
        if state == "ENABLED"
        else f"enable it (aws scheduler get-schedule --name {name}, then update-schedule with "
        "--state ENABLED), or deploy the stack again (npx cdk deploy)",
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


def rules(events: Any, sagemaker: Any, state_machine_arn: str, found: Found) -> Iterator[Check]:
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


def table(dynamodb: Any, found: Found) -> Check:
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


def topic(sns: Any, found: Found) -> Check:
    check = "notification topic"
    arn = found.variable(interface.ENV_TOPIC_ARN)
    if arn is None:
        return Check(check, False, f"no function names it ({interface.ENV_TOPIC_ARN})", REDEPLOY)
    try:
        sns.get_topic_attributes(TopicArn=arn)
    except ClientError as error:
        return refused(check, "sns:GetTopicAttributes", error)
    return Check(check, True, f"{name_of(arn)} exists; outcomes and alarms are published to it")
