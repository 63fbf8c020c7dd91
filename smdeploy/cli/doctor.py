"""``smdeploy doctor``: check an installed deployer (reads only)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from smdeploy import present, remote
from smdeploy.cli.app import app
from smdeploy.cli.common import (
    AWS_CALL_ERRORS,
    EXIT_FAILED,
    EXIT_OK,
    DoctorJson,
    EndpointUrl,
    Profile,
    Region,
    aws_call_failed,
    fail,
)
from smdeploy.helptext import Command


@app.command(cls=Command, short_help="Check an installed deployer; say how to fix what fails.")
def doctor(
    state_machine_arn: Annotated[
        str | None,
        typer.Option(
            "--state-machine-arn",
            metavar="ARN",
            help="The deployer's state machine (the stack's StateMachineArn output; default: "
            "the one the approval rules start).",
        ),
    ] = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: DoctorJson = False,
) -> None:
    """Check an installed deployer, reading only, and print a checklist: each item passes
    (✓) or fails (✗, with how to fix it).

    From its state machine it finds the rest: the state machine is ACTIVE; each task function
    exists, and the Start and Sweep functions; the rules (approvals, rejections, manifests,
    SageMaker's endpoint events) exist, are ENABLED and target the Start function (the
    endpoint events: the Wait function); the schedule that runs the sweep of lost endpoint
    events once a minute exists and is ENABLED; the
    functions' roles and the SageMaker execution role exist, and the Configure function's
    role may pass the SageMaker role to SageMaker (its identity policies are evaluated:
    permissions boundaries and SCPs are not); each model package group whose approvals
    deploy exists; the lease table is ACTIVE; the notification topic exists.

    Every call is a Describe, Get or List: nothing is changed. The stack's CLI users' policy
    (its CliPolicyArn output) allows them all.
    """
    from smdeploy import approvals, doctor

    try:
        if state_machine_arn is None:
            machines = approvals.approval_state_machines(
                remote.client("events", region, endpoint_url, profile),
                lambda: remote.client("lambda", region, endpoint_url, profile),
            )
            if len(machines) != 1:
                found = ", ".join(machines) or "none"
                fail(
                    f"give --state-machine-arn ARN (the stack's StateMachineArn output): the "
                    f"approval rules here start {found}"
                )
            state_machine_arn = machines[0]
        arn_region = remote.region_for(
            state_machine_arn, remote.region_of(state_machine_arn), region
        )
        report = doctor.examine(
            lambda service: remote.client(service, arn_region, endpoint_url, profile),
            state_machine_arn,
        )
    except remote.BadArn:
        fail(f"not a state machine ARN: {state_machine_arn}")
    except AWS_CALL_ERRORS as error:
        aws_call_failed(error, endpoint_url)
    if as_json:
        present.json_document(present.stdout(), report.to_json())
    else:
        out = present.stdout()
        for check in report.checks:
            mark = "✓" if check.ok else "✗"
            out.print(f"{mark} {escape(check.name)}: {escape(check.detail)}")
            if check.fix:
                out.print(f"  fix: {escape(check.fix)}")
        failing = sum(not check.ok for check in report.checks)
        present.stderr().print(
            f"{len(report.checks) - failing} of {len(report.checks)} checks pass"
            + (f"; {failing} fail{'s' if failing == 1 else ''}" if failing else "")
        )
    raise typer.Exit(EXIT_OK if report.healthy else EXIT_FAILED)
