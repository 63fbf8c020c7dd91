"""What the commands share: the exit codes (declared once, in :mod:`smdeploy.exitcodes`), how
a command fails, the files it reads, and the options more than one command declares."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from deployer.errors import DeployerError
from smdeploy import files, present, remote, reports
from smdeploy.documents import DOCUMENTS
from smdeploy.executions import watch as follow_execution
from smdeploy.exitcodes import ExitCode
from smdeploy.params import number
from smdeploy.validation import Request, Validation, load_validator

# the codes of the one table (smdeploy/exitcodes.py), by the names the commands use
EXIT_OK, EXIT_FAILED, EXIT_MISUSE = ExitCode.OK, ExitCode.FAILED, ExitCode.MISUSE
EXIT_CHANGES, EXIT_SUPERSEDED = ExitCode.CHANGES, ExitCode.SUPERSEDED


def fail(message: str, code: int = EXIT_MISUSE) -> NoReturn:
    present.error(present.stderr(), message)
    raise typer.Exit(code)


def refused_file(refused: files.FileRefused) -> NoReturn:
    for line in refused.lines:
        present.error(present.stderr(), line)
    raise typer.Exit(refused.exit_code)


def read_request(path: Path) -> Any:
    """The request in ``path``, or exit (2: unreadable, 1: not JSON as smdeploy reads it)."""
    try:
        return files.read_json(path, "request")
    except files.FileRefused as refused:
        refused_file(refused)


def check_request(path: Path) -> Validation | files.NotJson:
    """The request in ``path`` judged by the Validate stage's validator (its bytes, as the
    stage judges a manifest's), or the file's JSON problems when it is too large to be read;
    exit 2 when it cannot be read."""
    try:
        body = files.read_bytes(path, "request")
    except files.NotJson as refused:
        return refused
    except files.FileRefused as refused:
        refused_file(refused)
    return load_validator()(body)


def show_check(
    path: Path,
    checked: Validation | files.NotJson,
    as_json: bool,
    out: present.Screen | None = None,
) -> bool:
    """Print ``checked`` as ``validate`` does (the problems, one a line, on ``out``, stdout
    unless told; the verdict on stderr; or with ``as_json`` exactly one JSON object); whether
    it is valid."""
    out = out or present.stdout()
    if isinstance(checked, files.NotJson):
        if as_json:
            errors = [{"Path": p.path, "Message": p.message} for p in checked.problems]
            present.json_document(out, {"Valid": False, "Errors": errors, "Traffic": {}})
        else:
            for problem in checked.problems:
                out.write(f"{problem}\n")
            present.verdict(present.stderr(), "invalid", str(path))
        return False
    if as_json:
        present.json_document(out, present.validation_document(checked))
    else:
        present.validation(out, present.stderr(), str(path), checked)
    return checked.valid


def valid_request(path: Path, as_json: bool = False) -> Request:
    """The request in ``path`` once the validator finds it valid; otherwise every problem
    printed as ``validate`` prints it, and exit 1 (2 when the file cannot be read). For a
    command printing ``as_json``, stdout is its own document's or nothing: the problems go to
    stderr."""
    checked = check_request(path)
    if isinstance(checked, files.NotJson) or checked.request is None:
        show_check(path, checked, as_json=False, out=present.stderr() if as_json else None)
        raise typer.Exit(EXIT_FAILED)
    return checked.request


def read_profiles(path: Path | None) -> dict[str, Any] | None:
    """The profiles file's object, or None without a file; exit 2 when it is not usable."""
    if path is None:
        return None
    try:
        profiles = files.read_json(path, "profiles", comments=True)
    except files.FileRefused as refused:
        refused.exit_code = EXIT_MISUSE
        refused_file(refused)
    if not isinstance(profiles, dict):
        fail(f"{path}: the profiles must be an object of model package group -> profile")
    return profiles


ProfilesFile = Annotated[
    Path | None,
    typer.Option(
        "--profiles",
        metavar="FILE",
        help="Deployment profiles (JSON, // and /* */ comments allowed: model package group "
        "-> profile), the file cdk deploy takes as -c profilesFile; their groups' approvals "
        "deploy.",
    ),
]


def endpoint_url_problem(value: str) -> str | None:
    """Why ``value`` is not an endpoint URL the AWS clients can call, or None when it is one.

    An endpoint URL has its scheme (``https://``, or ``http://`` for a local endpoint) and a
    host (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-endpoints.html);
    botocore refuses a client any other with a bare ValueError (``botocore.utils``'s
    ``is_valid_endpoint_url``), and reads the port only when it connects
    (https://docs.python.org/3/library/urllib.parse.html#urllib.parse.urlsplit).
    """
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if not (is_valid_endpoint_url(value) or is_valid_ipv6_endpoint_url(value)):
        return "must name a valid host name or IP address"
    try:
        parts.port  # noqa: B018 (urlsplit checks the port only when it is read)
    except ValueError:
        return "must have a whole-number port from 0 to 65535 when it has one"
    return None


def endpoint_url_checked(value: str | None) -> str | None:
    """``--endpoint-url``'s callback: the URL, or exit 2 with one line before anything runs."""
    if value is not None:
        problem = endpoint_url_problem(value)
        if problem is not None:
            fail(f"--endpoint-url: {problem}, got {value!r}")
    return value


EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        callback=endpoint_url_checked,
        help="An AWS-compatible endpoint (e.g. smdeploy emulator's) instead of AWS.",
    ),
]
# Where and as whom a command calls AWS, chosen as the AWS CLI chooses (remote.session):
# https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="The AWS Region (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's "
        "region). An ARN given names its own, which this must not contradict.",
    ),
]
Profile = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help="The named profile of your AWS config and credentials files (default: "
        "AWS_PROFILE, else default).",
    ),
]


def json_flag(command: str) -> Any:
    """The ``--json`` option of ``command``: its document (:mod:`smdeploy.documents`) says
    what it prints; the help lists its keys."""
    document = DOCUMENTS[command]
    return typer.Option(
        "--json",
        help=f"Print exactly one JSON document on stdout ({document.summary}) instead of "
        "text; its keys, in the AWS APIs' casing, are listed under JSON keys.",
    )


StatusJson = Annotated[bool, json_flag("status")]
PlanJson = Annotated[bool, json_flag("plan")]
StartJson = Annotated[bool, json_flag("start")]
WatchJson = Annotated[bool, json_flag("watch")]
DoctorJson = Annotated[bool, json_flag("doctor")]
PollSeconds = Annotated[
    float,
    typer.Option(
        parser=number(0.1),
        metavar="SECONDS",
        help="Seconds between looks at the execution (at least 0.1).",
    ),
]


def no_aws_profile() -> None:
    """For the commands that run the embedded emulator in this process (``local``,
    ``emulator``, ``demo``): they call no AWS account, so no profile of the user's has a say.
    botocore (and moto, as it is imported) reads the profile on a session's first use, and
    raises ProfileNotFound when ``AWS_PROFILE`` names none
    (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html): the
    profile variables are dropped from this process's environment first."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)


AWS_CALL_ERRORS = (ClientError, BotoCoreError, DeployerError, remote.Misuse)


def aws_call_failed(error: Exception, endpoint_url: str | None) -> NoReturn:
    if isinstance(error, ClientError):
        fail(remote.error_text(error))
    if isinstance(error, NoCredentialsError):
        hint = " (any will do for smdeploy emulator)" if endpoint_url else ""
        fail(f"no AWS credentials found{hint}")
    fail(str(error))


def follow(
    sfn: Any, execution_arn: str, poll_seconds: float, endpoint_url: str | None
) -> tuple[int, dict[str, Any]]:
    """Follow an execution to its end on stderr; its exit code (0 succeeded, 4 superseded:
    the execution SUCCEEDED but deployed nothing of its own, 1 any other end) and its report
    at the end (:func:`smdeploy.remote.report`)."""
    err = present.stderr()
    try:
        follow_execution(sfn, execution_arn, present.ProgressPrinter(err), poll_seconds)
        final = remote.report(sfn, execution_arn)
    except AWS_CALL_ERRORS as error:
        aws_call_failed(error, endpoint_url)
    reports.final_line(err, final)
    if reports.superseded(final):
        return EXIT_SUPERSEDED, final
    return (EXIT_OK if final["Status"] == "SUCCEEDED" else EXIT_FAILED), final
