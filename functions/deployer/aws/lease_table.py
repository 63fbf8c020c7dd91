"""The deployer's table: one record per endpoint (see :mod:`deployer.decide.lease` for what it
holds).

The only module that reads or writes DynamoDB, and that asks Step Functions whether an
execution is still running. Every write is conditional on the record's ``Version`` (optimistic
concurrency, as in the DynamoDB-semaphore pattern of the AWS Compute Blog); a write that loses
a race raises :class:`LeaseContention`, which the state machine retries at once with jitter:
no loop in a Lambda.

Item: ``Endpoint`` (S, key: the lower-cased endpoint name), ``Version`` (N), ``Record`` (S,
the :class:`deployer.decide.lease_record.Record` as JSON), ``Holder`` (S, the holder
execution's ARN, for people reading the table) and ``ExpiresAt`` (N, the TTL attribute: a
record untouched for ``interface.TABLE_TTL_SECONDS`` is let go).

A second item per endpoint, keyed ``<endpoint>#wait`` (``#`` is not allowed in endpoint names,
so it never meets a record), holds the executions parked on the endpoint and the progress
SageMaker reported (:class:`deployer.decide.wake.Waits`), under the same conditional-write
discipline.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from deployer import interface
from deployer.aws import clients
from deployer.aws.sagemaker import THROTTLING_CODES
from deployer.decide.lease import begin_rollout, executions_to_check
from deployer.decide.lease_record import Claim, Record
from deployer.decide.wake import Waits
from deployer.errors import LeaseContention
from deployer.observability import tracer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_stepfunctions import SFNClient


def record_key(endpoint_name: str) -> str:
    """SageMaker matches endpoint names without regard to case: so does the table."""
    return endpoint_name.lower()


def waits_key(endpoint_name: str) -> str:
    """The key of the endpoint's second item: its parked executions and progress."""
    return f"{record_key(endpoint_name)}#wait"


class Ledger:
    """Read and conditionally write endpoint records."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self._table = table
        self._client = client

    @classmethod
    def from_environment(cls) -> Ledger:
        """The deployer's table, as the function's environment names it."""
        return cls(os.environ[interface.ENV_TABLE], clients.dynamodb())

    @tracer.capture_method
    def read(self, endpoint_name: str) -> Record:
        """The endpoint's record (strongly consistent), or a new one (``Version`` 0)."""
        key = record_key(endpoint_name)
        item = self._get(key)
        if not item:
            return Record(Endpoint=key)
        record = Record.model_validate_json(item["Record"]["S"])
        return record.model_copy(update={"Version": int(item["Version"]["N"])})

    def _get(self, key: str) -> dict[str, Any] | None:
        """The item under ``key``, read strongly consistent (None: there is none)."""
        try:
            item = self._client.get_item(
                TableName=self._table,
                Key={interface.TABLE_KEY: {"S": key}},
                ConsistentRead=True,
            ).get("Item")
        except ClientError as error:
            _translate("GetItem", error)
        return dict(item) if item else None

    @tracer.capture_method
    def write(self, record: Record) -> Record:
        """Store ``record`` unless someone else wrote the endpoint's record since it was read;
        return it with its new version."""
        stored = record.model_copy(update={"Version": record.Version + 1})
        extra = {"Holder": {"S": record.Holder.Execution}} if record.Holder is not None else {}
        self._put(record.Endpoint, record.Version, stored.model_dump_json(), extra)
        return stored

    @tracer.capture_method
    def records(self) -> list[Record]:
        """Every endpoint's record (a Scan, every page; eventually consistent, which is all
        clean-up needs: a record written since names a config Configure has not made yet)."""
        found: list[Record] = []
        start: dict[str, Any] = {}
        while True:
            try:
                page = self._client.scan(TableName=self._table, **start)
            except ClientError as error:
                _translate("Scan", error)
            for item in page.get("Items", []):
                if "#" not in item[interface.TABLE_KEY]["S"]:  # not a "<endpoint>#wait" item
                    found.append(Record.model_validate_json(item["Record"]["S"]))
            if not page.get("LastEvaluatedKey"):
                return found
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    @tracer.capture_method
    def read_waits(self, endpoint_name: str) -> Waits:
        """The endpoint's parked executions and progress (strongly consistent), or none yet."""
        item = self._get(waits_key(endpoint_name))
        if not item:
            return Waits(Endpoint=record_key(endpoint_name))
        waits = Waits.model_validate_json(item["Record"]["S"])
        return waits.model_copy(update={"Version": int(item["Version"]["N"])})

    @tracer.capture_method
    def write_waits(self, waits: Waits) -> Waits:
        """Store ``waits`` unless the item changed since it was read (LeaseContention)."""
        stored = waits.model_copy(update={"Version": waits.Version + 1})
        self._put(waits_key(waits.Endpoint), waits.Version, stored.model_dump_json(), {})
        return stored

    def _put(self, key: str, read_version: int, body: str, extra: dict[str, Any]) -> None:
        item = {
            interface.TABLE_KEY: {"S": key},
            "Version": {"N": str(read_version + 1)},
            "Record": {"S": body},
            interface.TABLE_TTL_ATTRIBUTE: {
                "N": str(int(time.time()) + interface.TABLE_TTL_SECONDS)
            },
            **extra,
        }
        if read_version == 0:
            condition = f"attribute_not_exists({interface.TABLE_KEY})"
            values = {}
        else:
            condition = "Version = :read"
            values = {":read": {"N": str(read_version)}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),  # type: ignore[arg-type]
            )
        except ClientError as error:
            _translate("PutItem", error)


def _translate(operation: str, error: ClientError) -> None:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code == "ConditionalCheckFailedException":
        raise LeaseContention(
            f"{operation}: the endpoint's record changed since it was read (another deployment "
            f"of the endpoint wrote it); reading it again"
        ) from error
    if code in THROTTLING_CODES:
        raise LeaseContention(f"{operation}: DynamoDB throttled the call ({code})") from error
    raise error


# Execution statuses in which an execution can still act.
_LIVE = frozenset({"RUNNING", "PENDING_REDRIVE"})


@tracer.capture_method
def running(sfn: Callable[[], SFNClient], execution_arns: Iterable[str]) -> dict[str, bool]:
    """For each execution, whether it is still RUNNING (DescribeExecution). An execution that
    no longer exists is not running; any other error is raised (never guess "dead").

    ``sfn`` gives the Step Functions client, asked for only when there is an execution to
    look at: usually there is none, and then no client is created."""
    answers: dict[str, bool] = {}
    for arn in dict.fromkeys(execution_arns):
        try:
            answers[arn] = sfn().describe_execution(executionArn=arn)["status"] in _LIVE
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code == "ExecutionDoesNotExist":
                answers[arn] = False
            elif code in THROTTLING_CODES:
                raise LeaseContention(f"DescribeExecution: throttled ({code})") from error
            else:
                raise
    return answers


class LeasedRollout:
    """The Deploy stage's view of its lease (:class:`deployer.perform.deploy.Rollout`)."""

    def __init__(
        self,
        ledger: Ledger,
        sfn: Callable[[], SFNClient],
        endpoint_name: str,
        me: Claim,
        now: float,
    ) -> None:
        self._ledger, self._sfn = ledger, sfn
        self._endpoint, self._me, self._now = endpoint_name, me, now
        self._record: Record | None = None

    def _read(self) -> Record:
        if self._record is None:
            self._record = self._ledger.read(self._endpoint)
        return self._record

    def replacing(self) -> str | None:
        return self._read().Replacing

    def begin(self, replacing: str | None) -> Claim | None:
        record = self._read()
        alive = running(self._sfn, executions_to_check(record, self._me, self._now))
        updated, newer = begin_rollout(record, self._me, self._now, alive)
        self._record = self._ledger.write(updated.model_copy(update={"Replacing": replacing}))
        return newer


# What SendTaskSuccess/SendTaskFailure answer for a token that is no longer waiting: it was
# completed already (by the registration's own check, or an earlier event), or its park timed
# out and the execution parked again under a new token.
_SPENT_TOKEN_CODES = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})
CAUSE_LIMIT = 32768  # SendTaskFailure's cause, in characters


@tracer.capture_method
def complete(
    sfn: SFNClient, token: str, output: dict[str, Any] | None, error: tuple[str, str] | None
) -> bool:
    """Complete a parked execution's task (success with ``output``, or failure with ``error``:
    its name and cause). False when the token was spent already: harmless, as for a repeated
    event (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html)."""
    try:
        if error is None:
            sfn.send_task_success(taskToken=token, output=json.dumps(output or {}, default=str))
        else:
            sfn.send_task_failure(taskToken=token, error=error[0], cause=error[1][:CAUSE_LIMIT])
    except ClientError as failure:
        code = str(failure.response.get("Error", {}).get("Code", ""))
        if code in _SPENT_TOKEN_CODES:
            return False
        if code in THROTTLING_CODES:
            raise LeaseContention(f"SendTask*: throttled ({code})") from failure
        raise
    return True
