"""Stage 4, Describe: one DescribeEndpoint, and whether the deployment is done.

Called once the Wait function woke the deployment (it hands over the DescribeEndpoint it made),
or at once when the endpoint was already deployed (one DescribeEndpoint here). Raises the
deployer's errors for every way a deployment can fail (Failed, UpdateRollbackFailed, silent
rollback, deadline).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from deployer.observability import stage_handler
from deployer.payloads.events import DescribeEvent
from deployer.perform.outcome import conclude


@stage_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return conclude(DescribeEvent.model_validate(event))
