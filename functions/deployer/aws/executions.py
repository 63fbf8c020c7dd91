"""Step Functions for the Start function: StartExecution of the deployer's state machine, and
DescribeExecution of an execution of it that already has the name asked for.

botocore's errors become the deployer's own (:mod:`deployer.errors`): throttling and the
running-executions limit are :class:`~deployer.errors.StartThrottled` (the invocation is
retried), any other refusal :class:`~deployer.errors.StartRefused`. An execution of that name
that exists already is no error here: :meth:`Executions.start` returns None, and the caller
decides with :meth:`Executions.input_of` whether it is the same start.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws.sagemaker import THROTTLING_CODES
from deployer.errors import StartRefused, StartThrottled
from deployer.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# Errors after which the same call may succeed later: throttling, the account's quota of
# running executions, and Step Functions' own transient failure.
_RETRYABLE = THROTTLING_CODES | {"ExecutionLimitExceeded", "ServiceUnavailable", "InternalError"}


@dataclass(frozen=True)
class ExecutionStarted:
    execution_arn: str
    start_date: str  # ISO 8601


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of the execution ``name`` of a state machine
    (``arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>``)."""
    head, marker, machine = state_machine_arn.partition(":stateMachine:")
    if not marker:
        raise StartRefused(f"{state_machine_arn!r} is not a state machine ARN")
    return f"{head}:execution:{machine}:{name}"


class Executions:
    """The executions of one state machine, through a client asked for on first use."""

    def __init__(self, state_machine_arn: str, client: Callable[[], SFNClient]) -> None:
        self.state_machine_arn = state_machine_arn
        self._client = client

    @tracer.capture_method
    def start(self, name: str, text: str) -> ExecutionStarted | None:
        """Start the execution ``name`` with input ``text``; None when one of that name
        exists already (ExecutionAlreadyExists). A RUNNING one of the same name and input is
        returned by Step Functions itself, as started."""
        try:
            answer = self._client().start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=text
            )
        except ClientError as error:
            if _code(error) == "ExecutionAlreadyExists":
                return None
            _translate("StartExecution", error)
        except BotoCoreError as error:  # no answer at all (a connection that failed)
            raise StartThrottled(f"StartExecution: {error}") from error
        return ExecutionStarted(answer["executionArn"], answer["startDate"].isoformat())

    @tracer.capture_method
    def input_of(self, name: str) -> tuple[str, str | None]:
        """The ARN and the input of the execution ``name`` (DescribeExecution); the input is
        None when Step Functions keeps it elsewhere (over its size limit)."""
        arn = execution_arn(self.state_machine_arn, name)
        try:
            described = self._client().describe_execution(executionArn=arn)
        except ClientError as error:
            _translate("DescribeExecution", error)
        except BotoCoreError as error:
            raise StartThrottled(f"DescribeExecution: {error}") from error
        return arn, described.get("input")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _translate(operation: str, error: ClientError) -> NoReturn:
    code = _code(error)
    message = error.response.get("Error", {}).get("Message", "")
    if code in _RETRYABLE:
        raise StartThrottled(f"{operation}: {code}: {message}") from error
    raise StartRefused(f"{operation}: {code}: {message}") from error
