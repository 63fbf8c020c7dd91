"""The emulated SageMaker: tags on endpoints and configs, Failed endpoints, faults limited to
their first occurrences, and the model names it refuses, as SageMaker does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployer.aws import clients
from deployer.aws.sagemaker import SageMakerGateway
from smdeploy.runtime.emulator import Emulator, Faults

VARIANT = {
    "VariantName": "primary",
    "ModelName": "churn-xgboost-v1",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 1,
}
TEAM = [{"Key": "team", "Value": "growth"}]


def _model(aws) -> None:
    aws.sagemaker.create_model(
        ModelName="churn-xgboost-v1",
        ExecutionRoleArn=aws.ROLE_ARN,
        PrimaryContainer={"Image": aws.IMAGE_V1},
    )


@pytest.fixture
def sm(aws):
    _model(aws)
    return aws.sagemaker


def _tags(sm, arn: str) -> list[dict[str, str]]:
    return sm.list_tags(ResourceArn=arn)["Tags"]


def test_create_tags_are_listed_on_the_config_and_the_endpoint(sm):
    config_arn = sm.create_endpoint_config(
        EndpointConfigName="churn-v1", ProductionVariants=[VARIANT], Tags=TEAM
    )["EndpointConfigArn"]
    endpoint_arn = sm.create_endpoint(
        EndpointName="churn-predictor",
        EndpointConfigName="churn-v1",
        Tags=[{"Key": "owner", "Value": "ml"}],
    )["EndpointArn"]

    assert _tags(sm, config_arn) == TEAM
    assert _tags(sm, endpoint_arn) == [{"Key": "owner", "Value": "ml"}]
    # DescribeEndpointConfig does not return tags, as in SageMaker
    assert "Tags" not in sm.describe_endpoint_config(EndpointConfigName="churn-v1")


def test_add_tags_adds_or_overwrites_and_delete_tags_removes(sm):
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    arn = sm.create_endpoint(
        EndpointName="churn-predictor", EndpointConfigName="churn-v1", Tags=TEAM
    )["EndpointArn"]

    sm.add_tags(
        ResourceArn=arn,
        Tags=[{"Key": "team", "Value": "risk"}, {"Key": "cost-centre", "Value": "42"}],
    )
    after_add = _tags(sm, arn)
    sm.delete_tags(ResourceArn=arn, TagKeys=["team", "no-such-key"])

    assert after_add == [{"Key": "team", "Value": "risk"}, {"Key": "cost-centre", "Value": "42"}]
    assert _tags(sm, arn) == [{"Key": "cost-centre", "Value": "42"}]


def test_tags_of_a_config_arn_whatever_the_case_of_its_name(sm):
    arn = sm.create_endpoint_config(EndpointConfigName="Churn-V1", ProductionVariants=[VARIANT])[
        "EndpointConfigArn"
    ]

    sm.add_tags(ResourceArn=arn, Tags=TEAM)

    assert arn.endswith("endpoint-config/churn-v1")  # SageMaker lower-cases ARNs
    assert _tags(sm, arn) == TEAM


def test_more_than_50_tags_are_refused_and_none_added(sm):
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    arn = sm.create_endpoint(
        EndpointName="churn-predictor", EndpointConfigName="churn-v1", Tags=TEAM
    )["EndpointArn"]

    with pytest.raises(ClientError) as caught:
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "51 tags" in caught.value.response["Error"]["Message"]
    assert _tags(sm, arn) == TEAM


def test_tags_of_a_missing_endpoint_are_refused(sm):
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ghost"

    with pytest.raises(ClientError) as caught:
        sm.list_tags(ResourceArn=arn)

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert 'Could not find endpoint "' in caught.value.response["Error"]["Message"]


def test_a_deleted_and_recreated_endpoint_starts_without_the_old_tags(aws, sm):
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    arn = sm.create_endpoint(
        EndpointName="churn-predictor", EndpointConfigName="churn-v1", Tags=TEAM
    )["EndpointArn"]
    aws.settle()
    sm.delete_endpoint(EndpointName="churn-predictor")
    aws.clock.advance(aws.emulator.faults.deletion_seconds)

    again = sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")

    assert again["EndpointArn"] == arn
    assert _tags(sm, arn) == []


def test_model_tags_stay_moto_s(sm):
    arn = sm.describe_model(ModelName="churn-xgboost-v1")["ModelArn"]

    sm.add_tags(ResourceArn=arn, Tags=TEAM)

    assert _tags(sm, arn) == TEAM


def test_a_model_name_that_exists_is_refused_without_regard_to_case(sm):
    with pytest.raises(ClientError) as caught:
        sm.create_model(ModelName="Churn-XGBoost-V1", PrimaryContainer={"Image": "other"})

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"].startswith(
        'Cannot create already existing model "'
    )
    model = sm.describe_model(ModelName="churn-xgboost-v1")
    assert model["PrimaryContainer"]["Image"] != "other"


def test_a_failed_endpoint_can_be_described_and_deleted_but_not_updated(start_aws):
    aws = start_aws(Faults(fail_endpoint="insufficient capacity"))
    _model(aws)
    sm = aws.sagemaker
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    aws.settle()

    failed = sm.describe_endpoint(EndpointName="churn-predictor")
    with pytest.raises(ClientError) as refused:
        sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    sm.delete_endpoint(EndpointName="churn-predictor")
    deleting = sm.describe_endpoint(EndpointName="churn-predictor")["EndpointStatus"]
    aws.clock.advance(aws.emulator.faults.deletion_seconds)

    assert deleting == "Deleting"
    assert (failed["EndpointStatus"], failed["FailureReason"]) == (
        "Failed",
        "insufficient capacity",
    )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "in status Failed" in refused.value.response["Error"]["Message"]
    assert sm.list_endpoints()["Endpoints"] == []


def test_fault_times_fails_only_the_first_endpoint(start_aws):
    aws = start_aws(Faults(fail_endpoint="insufficient capacity", times=1))
    _model(aws)
    sm = aws.sagemaker
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    aws.settle()
    first = sm.describe_endpoint(EndpointName="churn-predictor")["EndpointStatus"]
    sm.delete_endpoint(EndpointName="churn-predictor")
    aws.clock.advance(aws.emulator.faults.deletion_seconds)

    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    aws.settle()
    second = sm.describe_endpoint(EndpointName="churn-predictor")

    assert first == "Failed"
    assert second["EndpointStatus"] == "InService"
    assert "FailureReason" not in second


def test_fault_times_rolls_back_only_the_first_update(start_aws):
    aws = start_aws(Faults(rollback_update="alarm tripped", times=1))
    _model(aws)
    sm = aws.sagemaker
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    sm.create_endpoint_config(
        EndpointConfigName="churn-v2", ProductionVariants=[dict(VARIANT, InitialInstanceCount=2)]
    )
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    aws.settle()

    outcomes = []
    for _ in range(2):
        sm.update_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v2")
        aws.settle()
        endpoint = sm.describe_endpoint(EndpointName="churn-predictor")
        outcomes.append((endpoint["EndpointConfigName"], endpoint.get("FailureReason")))

    assert outcomes == [("churn-v1", "alarm tripped"), ("churn-v2", None)]


def test_fault_times_hides_only_the_first_new_config(start_aws):
    aws = start_aws(Faults(config_visibility_lag=1, times=1))
    _model(aws)
    sm = aws.sagemaker
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    sm.create_endpoint_config(EndpointConfigName="churn-v2", ProductionVariants=[VARIANT])

    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.create_endpoint(EndpointName="first", EndpointConfigName="churn-v1")
    sm.create_endpoint(EndpointName="second", EndpointConfigName="churn-v2")

    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["second"]


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
@pytest.mark.parametrize("operation", ["CreateModel", "ListTags"])
def test_throttling_reaches_the_operations_the_emulator_counts(start_aws, operation):
    aws = start_aws(Faults(throttle={operation: 1}))
    sm = aws.sagemaker
    call = {
        "CreateModel": lambda: _model(aws),
        "ListTags": lambda: sm.list_tags(
            ResourceArn="arn:aws:sagemaker:us-east-1:123456789012:model/none"
        ),
    }[operation]

    with pytest.raises(ClientError) as caught:
        call()

    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    if operation == "CreateModel":
        assert sm.list_models()["Models"] == []  # a throttled call did nothing
        _model(aws)  # the second call goes through
        assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["churn-xgboost-v1"]


@pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingError\\):UserWarning")
@pytest.mark.parametrize(("each_resource", "second_throttled"), [(False, False), (True, True)])
def test_throttle_counts_are_kept_per_account_or_per_resource(
    start_aws, each_resource, second_throttled
):
    aws = start_aws(Faults(throttle={"DescribeEndpoint": 1}, throttle_each_resource=each_resource))
    sm = aws.sagemaker

    def code(name: str) -> str:
        try:
            sm.describe_endpoint(EndpointName=name)
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return ""

    # the first call on "first" is throttled either way; the first on "second" only when the
    # counts are kept per resource (both endpoints are missing: ValidationException after it)
    assert code("first") == "ThrottlingException"
    assert code("second") == ("ThrottlingException" if second_throttled else "ValidationException")
    assert code("first") == "ValidationException"


def test_a_deleted_endpoint_is_deleting_and_keeps_its_name_until_it_is_gone(aws, sm):
    sm.create_endpoint_config(EndpointConfigName="churn-v1", ProductionVariants=[VARIANT])
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")
    with pytest.raises(ClientError) as in_progress:
        sm.delete_endpoint(EndpointName="churn-predictor")
    aws.settle()

    sm.delete_endpoint(EndpointName="churn-predictor")
    deleting = sm.describe_endpoint(EndpointName="churn-predictor")
    with pytest.raises(ClientError) as taken:
        sm.create_endpoint(EndpointName="Churn-Predictor", EndpointConfigName="churn-v1")
    with pytest.raises(ClientError) as again:
        sm.delete_endpoint(EndpointName="churn-predictor")
    aws.clock.advance(aws.emulator.faults.deletion_seconds)

    assert in_progress.value.response["Error"]["Message"].startswith(
        "Cannot delete in-progress endpoint"
    )
    assert deleting["EndpointStatus"] == "Deleting"
    assert "PendingDeploymentSummary" not in deleting
    assert taken.value.response["Error"]["Message"].startswith(
        "Cannot create already existing endpoint"
    )
    assert again.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sm.describe_endpoint(EndpointName="churn-predictor")
    assert sm.list_endpoints()["Endpoints"] == []
    sm.create_endpoint(EndpointName="churn-predictor", EndpointConfigName="churn-v1")


def test_invocation_delays_are_drawn_from_the_seed():
    from smdeploy.runtime.emulator import Emulator

    def delays(seed: int, jitter: float = 0.5) -> list[float]:
        emulator = Emulator(Faults(invocation_jitter=jitter), seed=seed)
        return [emulator.invocation_delay() for _ in range(20)]

    assert delays(3) == delays(3)
    assert delays(3) != delays(4)
    assert all(0 <= delay <= 0.5 for delay in delays(3))
    assert delays(3, jitter=0) == [0.0] * 20


def test_config_listings_come_newest_first_a_page_at_a_time_as_in_sagemaker(aws, sm):
    names = []
    for i in range(12):  # more than one page
        names.append(f"churn-v{i}")
        sm.create_endpoint_config(EndpointConfigName=names[-1], ProductionVariants=[VARIANT])
        aws.clock.advance(1)

    first = sm.list_endpoint_configs(NameContains="churn")
    second = sm.list_endpoint_configs(NameContains="churn", NextToken=first["NextToken"])
    oldest = sm.list_endpoint_configs(SortOrder="Ascending", MaxResults=2)

    listed = [c["EndpointConfigName"] for c in first["EndpointConfigs"] + second["EndpointConfigs"]]
    assert listed == names[::-1]  # CreationTime, Descending: SageMaker's default order
    assert len(first["EndpointConfigs"]) < len(names) and "NextToken" not in second
    assert [c["EndpointConfigName"] for c in oldest["EndpointConfigs"]] == names[:2]
    # the deployer's gateway follows the pages
    gateway = SageMakerGateway(lambda: sm)
    assert sorted(
        c["EndpointConfigName"] for c in gateway.list_endpoint_configs("churn")
    ) == sorted(names)


def test_each_emulator_starts_the_functions_without_an_earlier_emulators_clients():
    """A function's clients live as long as its execution environment: an emulator's
    functions never call through a client an earlier emulator's functions made (it may point
    at a moto server that is gone)."""
    earlier = object()
    clients.use_client("dynamodb", earlier)
    try:
        with mock_aws(), Emulator(seed=1):
            assert clients.dynamodb() is not earlier
            made = clients.dynamodb()
        assert clients.dynamodb() is not made
    finally:
        clients.use_client("dynamodb", None)
