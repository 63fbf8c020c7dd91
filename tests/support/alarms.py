"""An alarm on a SageMaker metric, made outside smdeploy (by a person, or another tool): the
tiers that check which alarms roll an update back, and which alarms smdeploy leaves alone,
make it the same way. Imported as ``tests.support.alarms``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StatisticType


def put_sagemaker_alarm(
    cloudwatch: CloudWatchClient,
    name: str,
    metric: str,
    *,
    statistic: StatisticType = "Sum",
    description: str = "",
) -> None:
    """An alarm on ``metric`` (namespace AWS/SageMaker): one minute above 1."""
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=description,
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Statistic=statistic,
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
