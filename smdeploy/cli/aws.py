"""The commands that talk to AWS (or any AWS-compatible endpoint): ``start``, ``status``,
``plan``, ``watch``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from smdeploy import present, remote, reports
from smdeploy.cli.app import app
from smdeploy.cli.common import (
    AWS_CALL_ERRORS,
    EXIT_CHANGES,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SUPERSEDED,
    EndpointUrl,
    PlanJson,
    PollSeconds,
    Profile,
    Region,
    StartJson,
    StatusJson,
    WatchJson,
    aws_call_failed,
    fail,
    follow,
    read_profiles,
    read_request,
    valid_request,
)
from smdeploy.helptext import Command
from smdeploy.params import number, whole
from smdeploy.validation import load_validator


@app.command(cls=Command, short_help="Start a deployment by the deployer's state machine.")
def start(
    request_file: Annotated[
        Path,
        typer.Argument(
            metavar="REQUEST.json", help="The deployment request (JSON).", show_default=False
        ),
    ],
    state_machine_arn: Annotated[
        str,
        typer.Option("--state-machine-arn", metavar="ARN", help="The deployer's state machine."),
    ],
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the execution to its end; exit as it ended."),
    ] = False,
    poll_seconds: PollSeconds = 2.0,
    as_json: StartJson = False,
) -> None:
    """Start a deployment of REQUEST by the deployer's state machine (on AWS, or on any
    AWS-compatible endpoint).

    REQUEST is checked first, as validate checks it: when it is invalid, every problem is
    printed as validate prints it, and nothing is started.

    The execution's name is derived from the request's content, so submitting the same
    request again finds its execution (running or succeeded) instead of deploying twice;
    when that execution FAILED, TIMED_OUT or was ABORTED, a new attempt starts, named
    <name>-2, <name>-3, ... Prints the execution ARN on stdout (with --json, one JSON document
    instead). With --wait, it exits as the deployment ended, naming the instance types that
    serve; a superseded one is named SUPERSEDED, with the execution that took over. A retried
    attempt of a stage is shown as a retry, not as a failure.
    """
    request = valid_request(request_file, as_json).fields  # before any AWS call
    err = present.stderr()
    try:
        sfn = remote.stepfunctions(state_machine_arn, endpoint_url, region, profile)
        started = remote.start(sfn, state_machine_arn, request)
    except remote.BadArn:
        fail(f"not a state machine ARN: {state_machine_arn}")
    except AWS_CALL_ERRORS as error:
        aws_call_failed(error, endpoint_url)
    if not started.existing and started.previous is not None:
        err.print(
            f"This request's execution {started.previous.name} ended "
            f"{started.previous.status}: started attempt {started.attempt}, execution "
            f"{started.name}"
        )
    elif not started.existing:
        err.print(f"Started execution {started.name}")
    elif wait:
        err.print(
            f"This request was submitted before: following its execution {started.name} "
            "instead of deploying it again."
        )
    else:
        err.print(
            f"This request was submitted before: its execution is {started.name}; nothing "
            "was started (smdeploy status ARN, or --wait, shows how it went)."
        )
    if not as_json:
        present.stdout().write(started.execution_arn + "\n")
    if not wait:
        where = [
            f"{option} {shlex.quote(value)}"
            for option, value in (
                ("--endpoint-url", endpoint_url),
                ("--region", region),
                ("--profile", profile),
            )
            if value
        ]
        status = " ".join(["smdeploy status", shlex.quote(started.execution_arn), *where])
        err.print(
            f"How it goes: {escape(status)} (or this command again with --wait, to follow it "
            "to its end: nothing is started twice)"
        )
        if as_json:
            present.json_document(present.stdout(), present.start_document(started, None))
        raise typer.Exit(EXIT_OK)
    code, final = follow(sfn, started.execution_arn, poll_seconds, endpoint_url)
    if as_json:
        present.json_document(present.stdout(), present.start_document(started, final))
    raise typer.Exit(code)


@app.command(cls=Command, short_help="Report where a deployer execution stands.")
def status(
    execution_arn: Annotated[
        str,
        typer.Argument(
            metavar="EXECUTION_ARN",
            help="The deployer execution to report on (as start prints it).",
            show_default=False,
        ),
    ],
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: StatusJson = False,
) -> None:
    """Report where a deployer execution stands: its status, the stage it is in (or ended
    in), the endpoint and its status, start and stop, error and cause. A superseded
    deployment's status reads SUPERSEDED, with the execution that superseded it and why.

    Reporting a failed execution is a success: the exit code says the report was made.
    """
    try:
        sfn = remote.stepfunctions(execution_arn, endpoint_url, region, profile)
        found = remote.report(sfn, execution_arn)
    except remote.BadArn:
        fail(f"not an execution ARN: {execution_arn}")
    except AWS_CALL_ERRORS as error:
        aws_call_failed(error, endpoint_url)
    if as_json:
        present.json_document(present.stdout(), found)
    else:
        reports.status(present.stdout(), found)
    # superseded is neither success nor failure: a script tells it apart as start --wait does
    raise typer.Exit(EXIT_SUPERSEDED if reports.superseded(found) else EXIT_OK)


@app.command(cls=Command, short_help="Say what a deployment would do (reads only).")
def plan(
    request_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="REQUEST.json",
            help="The deployment request to plan (JSON); or --approval.",
            show_default=False,
        ),
    ] = None,
    approval: Annotated[
        str | None,
        typer.Option(
            "--approval",
            metavar="MODEL_PACKAGE_ARN",
            help="Plan what approving this model package would deploy (needs --profiles).",
        ),
    ] = None,
    profiles: Annotated[
        Path | None,
        typer.Option(
            "--profiles", metavar="FILE", help="The deployment profiles (with --approval)."
        ),
    ] = None,
    sagemaker_role_arn: Annotated[
        str | None,
        typer.Option(
            "--sagemaker-role-arn",
            metavar="ARN",
            help="With --approval: the deployer's SageMaker execution role for the package's "
            "model (default: the profile's, else the installed deployer's).",
        ),
    ] = None,
    config_retention: Annotated[
        int,
        typer.Option(
            parser=whole(0),
            metavar="N",
            help="The deployer's config retention, to show what it would delete (0: keeps all).",
        ),
    ] = 0,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: PlanJson = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="Exit 3 when the deployment would change something (Terraform's "
            "-detailed-exitcode, with smdeploy's code for changes); without it, changes exit 0.",
        ),
    ] = False,
) -> None:
    """Say what deploying REQUEST (or approving a model package) would do, reading the
    account only: the request's problems, the action (CREATE, UPDATE, NONE...), what changes
    from the config the endpoint serves, the models and config to create, what retention
    would delete.

    Nothing is ever created, updated, tagged or deleted. Changes to make are a success;
    with --detailed-exitcode they exit 3, as Terraform's plan -detailed-exitcode exits non-zero
    on changes (it says 2; 2 is smdeploy's misuse).
    """
    from smdeploy import planning

    if (request_file is None) == (approval is None):
        fail("give one REQUEST.json, or --approval MODEL_PACKAGE_ARN (with --profiles FILE)")
    if approval is not None and profiles is None:
        fail("--approval needs --profiles FILE: the deployment profiles of the deployer")
    try:
        if approval is not None:
            report = planning.plan_approval(
                approval,
                planning.Target(region, endpoint_url, config_retention, profile),
                read_profiles(profiles) or {},
                sagemaker_role_arn,
            )
        else:
            assert request_file is not None
            validation = load_validator()(read_request(request_file))
            if validation.valid:
                sagemaker = remote.client("sagemaker", region, endpoint_url, profile)
                report = planning.plan(validation, sagemaker, config_retention)
            else:
                report = planning.rejected(validation)
    except planning.CannotPlan as error:
        fail(str(error), error.exit_code)
    except AWS_CALL_ERRORS as error:
        aws_call_failed(error, endpoint_url)
    if as_json:
        present.json_document(present.stdout(), report.to_json())
    else:
        reports.plan(present.stdout(), report)
    if not report.valid or (report.blocked and not report.blocked["retryable"]):
        raise typer.Exit(EXIT_FAILED)
    changes = bool(report.changes or report.blocked)
    raise typer.Exit(EXIT_CHANGES if changes and detailed_exitcode else EXIT_OK)


@app.command(cls=Command, short_help="Follow the deployment an approval started.")
def watch(
    model_package_arn: Annotated[
        str,
        typer.Option(
            "--model-package-arn",
            metavar="ARN",
            help="The approved model package whose deployment to follow.",
        ),
    ],
    state_machine_arn: Annotated[
        str | None,
        typer.Option(
            "--state-machine-arn",
            metavar="ARN",
            help="The deployer's state machine (default: the one the approval rules start).",
        ),
    ] = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    appear_seconds: Annotated[
        float,
        typer.Option(
            parser=number(0),
            metavar="SECONDS",
            help="How long to wait for the approval's execution to appear.",
        ),
    ] = 120.0,
    poll_seconds: PollSeconds = 2.0,
    as_json: WatchJson = False,
) -> None:
    """Follow the deployment that approving a model package started, as start --wait does.

    For a pipeline that approves a package (AWS CLI, SageMaker Python SDK) and must wait for
    the endpoint: finds the execution the approval's event started (waiting for it to appear,
    at most --appear-seconds), then follows it, and exits as it ended. Prints the execution
    ARN on stdout (with --json, one JSON document once it ended, instead). No execution
    appearing in time is a failure.
    """
    from smdeploy import approvals

    err = present.stderr()
    try:
        found = approvals.wait_for_execution(
            model_package_arn,
            state_machine_arn,
            endpoint_url,
            appear_seconds,
            poll_seconds,
            on_pending=lambda status: err.print(
                f"{model_package_arn} is {status}: waiting for its approval and the execution "
                "it starts"
            ),
            region=region,
            profile=profile,
        )
        sfn = remote.stepfunctions(found, endpoint_url, region, profile)
    except approvals.NotFound as error:
        fail(str(error), error.exit_code)
    except AWS_CALL_ERRORS as error:
        aws_call_failed(error, endpoint_url)
    err.print(f"Following execution {found.rsplit(':', 1)[-1]} (the approval's)")
    if not as_json:
        present.stdout().write(found + "\n")
    code, final = follow(sfn, found, poll_seconds, endpoint_url)
    if as_json:
        document = {"ModelPackageArn": model_package_arn, "ExecutionArn": found}
        present.json_document(present.stdout(), {**document, "Execution": final})
    raise typer.Exit(code)
