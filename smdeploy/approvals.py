"""From a model package to the deployer's doings about it, read-only (``plan --approval``,
``watch --model-package-arn``).

- :func:`approval_state_machines`: the state machines the EventBridge rules on Model Package
  State Change events start (the deployer's, as the stack or ``smdeploy emulator`` installs it:
  through its Start function).
- :func:`find_execution`: the newest execution whose input is the approval event of a package.
- :func:`deployer_role`: the SageMaker execution role the installed Validate function gives
  the models it makes from packages (its environment), when the caller may read it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from deployer import interface

_PACKAGE_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/[^/]+/\d+"
)
# How many of the state machine's newest executions are searched for the approval's.
SEARCHED = 200


class BadPackageArn(ValueError):
    """Not a versioned model package ARN."""


def region_of(package_arn: str) -> str:
    match = _PACKAGE_ARN.fullmatch(package_arn)
    if match is None:
        raise BadPackageArn(package_arn)
    return match["region"]


def approval_state_machines(events: Any, functions: Callable[[], Any] | None = None) -> list[str]:
    """The state machine ARNs that the rules matching the approval event start, sorted: a
    target that is a state machine, or a function that starts executions of one (the
    deployer's Start function: the state machine of its environment, read with the Lambda
    client ``functions`` gives; one it may not read is passed over).

    A rule whose targets the caller may not read is another team's: the stack's CLI users'
    policy allows events:ListTargetsByRule on the deployer's own rules only."""
    found: set[str] = set()
    starters: set[str] = set()  # the functions targeted (one Start function, many rules)
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            pattern = json.loads(rule.get("EventPattern") or "{}")
            if interface.APPROVAL_DETAIL_TYPE not in (pattern.get("detail-type") or []):
                continue
            try:
                targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            except ClientError as error:
                if "AccessDenied" not in str(error.response.get("Error", {}).get("Code")):
                    raise
                continue
            for target in targets:
                arn = str(target["Arn"])
                if ":states:" in arn:
                    found.add(arn)
                elif ":lambda:" in arn:
                    starters.add(arn)
    if starters and functions is not None:
        lambda_client = functions()
        for arn in sorted(starters):
            found.update(_started_by(lambda_client, arn))
    return sorted(found)


def _started_by(functions: Any, function_arn: str) -> list[str]:
    """The state machine a function starts executions of (its environment's), if any."""
    try:
        configuration = functions.get_function_configuration(FunctionName=function_arn)
    except ClientError:  # not found, or not ours to read
        return []
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    machine = variables.get(interface.ENV_STATE_MACHINE_ARN)
    return [machine] if isinstance(machine, str) and machine else []


def _approval_of(execution_input: str | None) -> str | None:
    """The package ARN of an approval event (None: some other input)."""
    try:
        event = json.loads(execution_input or "null")
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("detail-type") != interface.APPROVAL_DETAIL_TYPE:
        return None
    detail = event.get("detail")
    if not isinstance(detail, dict) or detail.get("ModelApprovalStatus") != "Approved":
        return None
    arn = detail.get("ModelPackageArn")
    return arn if isinstance(arn, str) else None


def find_execution(
    sfn: Any,
    state_machine_arn: str,
    package_arn: str,
    since: datetime | None = None,
    checked: set[str] | None = None,
) -> str | None:
    """The newest execution of the state machine that the approval of ``package_arn``
    started (among its :data:`SEARCHED` newest, and those started after ``since``), or None.
    ``checked``: the executions already found to be another's (not described again; those
    found now are added)."""
    checked = set() if checked is None else checked
    listed: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, PaginationConfig={"MaxItems": SEARCHED}
    ):
        listed.extend(page["executions"])
    listed.sort(key=lambda e: e["startDate"], reverse=True)
    for execution in listed:
        if since is not None and execution["startDate"] < since:
            break
        arn = str(execution["executionArn"])
        if arn in checked:
            continue
        described = sfn.describe_execution(executionArn=arn)
        found = _approval_of(described.get("input"))
        if found is not None and found.lower() == package_arn.lower():
            return arn
        checked.add(arn)
    return None


def deployer_role(lambda_client: Any) -> str | None:
    """The role the installed Validate function gives models made from packages (its
    ``contract.ENV_MODEL_ROLE``), when exactly one function runs Validate's handler."""
    handler = next(f.handler for f in interface.FUNCTIONS if f.stage == "Validate")
    roles: set[str] = set()
    for page in lambda_client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function.get("Handler") != handler:
                continue
            variables = (function.get("Environment") or {}).get("Variables") or {}
            if variables.get(interface.ENV_MODEL_ROLE):
                roles.add(variables[interface.ENV_MODEL_ROLE])
    return roles.pop() if len(roles) == 1 else None


class NotFound(Exception):
    """What ``watch`` looked for is not there: exit 2 (misuse) or 1 (nothing appeared)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def wait_for_execution(
    package_arn: str,
    state_machine_arn: str | None,
    endpoint_url: str | None,
    appear_seconds: float,
    poll_seconds: float,
    on_pending: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    region: str | None = None,
    profile: str | None = None,
) -> str:
    """The ARN of the execution the approval of ``package_arn`` started, waiting at most
    ``appear_seconds`` for it to appear (``on_pending`` is told when the package is not
    Approved yet). The package's ARN names the Region (``region``, a ``--region``, must be
    that one); ``profile`` names the credentials."""
    from smdeploy import remote

    try:
        package_region = remote.region_for(package_arn, region_of(package_arn), region)
    except BadPackageArn:
        raise NotFound(f"not a model package ARN (with its version): {package_arn}", 2) from None
    sagemaker = remote.client("sagemaker", package_region, endpoint_url, profile)
    described = sagemaker.describe_model_package(ModelPackageName=package_arn)
    if described.get("ModelApprovalStatus") != "Approved":
        on_pending(str(described.get("ModelApprovalStatus")))
    machines = [state_machine_arn] if state_machine_arn else []
    if not machines:
        machines = approval_state_machines(
            remote.client("events", package_region, endpoint_url, profile),
            lambda: remote.client("lambda", package_region, endpoint_url, profile),
        )
    if not machines:
        raise NotFound(
            "no EventBridge rule starts a state machine on model package approvals here; "
            "give --state-machine-arn ARN",
            2,
        )
    try:
        sfn = remote.stepfunctions(machines[0], endpoint_url, region, profile)
    except remote.BadArn:
        raise NotFound(f"not a state machine ARN: {machines[0]}", 2) from None
    # the approval's execution starts after the package was last modified (allowing for skew)
    modified = described.get("LastModifiedTime")
    since = modified - timedelta(minutes=5) if isinstance(modified, datetime) else None
    deadline = clock() + appear_seconds
    checked: set[str] = set()  # executions another approval (or request) started
    while True:
        for machine in machines:
            found = find_execution(sfn, machine, package_arn, since, checked)
            if found is not None:
                return found
        left = deadline - clock()
        if left <= 0:
            raise NotFound(
                f"no execution for the approval of {package_arn} appeared within "
                f"{appear_seconds:g} s (state machine {', '.join(machines)})",
                1,
            )
        sleep(min(poll_seconds, left))
