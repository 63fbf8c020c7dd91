"""The Wait function: park an execution on its endpoint, and wake it when SageMaker says so.

Two callers (see :mod:`deployer.decide.wake`): the state machine's park task
(``lambda:invoke.waitForTaskToken``), which registers the execution's task token and checks
DescribeEndpoint once; and the EventBridge rule on SageMaker's endpoint events, which records
progress and, on a final status, checks DescribeEndpoint once and completes every waiter it
settles. No loop: a lost event is the park's timeout's business (the state machine parks again).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.payloads.events import ParkEvent
from deployer.perform.wake import park, wake


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "detail-type" in event:
        return wake(event)
    return park(ParkEvent.model_validate(event))
