"""deployer.aws.sagemaker: SageMaker's answers and errors, translated into the deployer's own.

A real boto3 SageMaker client (no network: botocore's Stubber answers every call and checks
the parameters each call sends).
"""

import copy
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError, PaginationError
from botocore.stub import Stubber

from deployer.aws.clients import BOTO_CONFIG
from deployer.aws.guardrails import ScalingGateway
from deployer.aws.sagemaker import AlreadyExists, SageMakerGateway
from deployer.decide.guardrails import DIMENSION
from deployer.errors import (
    DeployerError,
    EndpointBusy,
    EndpointConfigNotVisible,
    EndpointCreateRace,
    SageMakerLimitExceeded,
    SageMakerRejected,
    SageMakerThrottled,
)

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
ENDPOINT = "churn-predictor"
CONFIG = "churn-predictor-1a2b3c4d5e"
MODEL = "churn-xgboost-v1"
ENDPOINT_ARN = f"{PREFIX}:endpoint/{ENDPOINT}"
CONFIG_ARN = f"{PREFIX}:endpoint-config/{CONFIG}"
MODEL_ARN = f"{PREFIX}:model/{MODEL}"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

MODEL_PARAMS = {
    "ModelName": MODEL,
    "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/smdeploy-sagemaker-execution",
    "PrimaryContainer": {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"},
}
CONFIG_PARAMS = {
    "EndpointConfigName": CONFIG,
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": MODEL,
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        }
    ],
}
ENDPOINT_PARAMS = {"EndpointName": ENDPOINT, "EndpointConfigName": CONFIG}

# gateway method -> (its argument, the botocore method, the parameters botocore must receive)
CALLS = {
    "describe_model": (MODEL, "describe_model", {"ModelName": MODEL}),
    "describe_endpoint_config": (
        CONFIG,
        "describe_endpoint_config",
        {"EndpointConfigName": CONFIG},
    ),
    "describe_endpoint": (ENDPOINT, "describe_endpoint", {"EndpointName": ENDPOINT}),
    "create_model": (MODEL_PARAMS, "create_model", MODEL_PARAMS),
    "create_endpoint_config": (CONFIG_PARAMS, "create_endpoint_config", CONFIG_PARAMS),
    "create_endpoint": (ENDPOINT_PARAMS, "create_endpoint", ENDPOINT_PARAMS),
    "update_endpoint": (ENDPOINT_PARAMS, "update_endpoint", ENDPOINT_PARAMS),
}
OPERATIONS = {
    "describe_model": "DescribeModel",
    "describe_endpoint_config": "DescribeEndpointConfig",
    "describe_endpoint": "DescribeEndpoint",
    "create_model": "CreateModel",
    "create_endpoint_config": "CreateEndpointConfig",
    "create_endpoint": "CreateEndpoint",
    "update_endpoint": "UpdateEndpoint",
}


@pytest.fixture(scope="module")
def client():
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    return session.client("sagemaker", config=BOTO_CONFIG)


@pytest.fixture
def stubber(client):
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def gateway(client, stubber):
    return SageMakerGateway(lambda: client)


def fail(stubber, method, code, message, status=400):
    argument, botocore_method, params = CALLS[method]
    stubber.add_client_error(
        botocore_method,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        expected_params=params,
    )
    return argument


# --- answers --------------------------------------------------------------------------------

# What SageMaker describes, as botocore gives it: the gateway returns it unchanged
DESCRIBED_MODEL = {"ModelName": MODEL, "ModelArn": MODEL_ARN, "CreationTime": NOW}
DESCRIBED_CONFIG = {
    "EndpointConfigName": CONFIG,
    "EndpointConfigArn": CONFIG_ARN,
    "ProductionVariants": CONFIG_PARAMS["ProductionVariants"],
    "CreationTime": NOW,
}
DESCRIBED_ENDPOINT = {
    "EndpointName": ENDPOINT,
    "EndpointArn": ENDPOINT_ARN,
    "EndpointConfigName": CONFIG,
    "EndpointStatus": "InService",
    "CreationTime": NOW,
    "LastModifiedTime": NOW,
}
ANSWERS = [
    # (gateway method, botocore response, expected return value)
    ("describe_model", DESCRIBED_MODEL, DESCRIBED_MODEL),
    ("describe_endpoint_config", DESCRIBED_CONFIG, DESCRIBED_CONFIG),
    ("describe_endpoint", DESCRIBED_ENDPOINT, DESCRIBED_ENDPOINT),
    ("create_model", {"ModelArn": MODEL_ARN}, MODEL_ARN),
    ("create_endpoint_config", {"EndpointConfigArn": CONFIG_ARN}, CONFIG_ARN),
    ("create_endpoint", {"EndpointArn": ENDPOINT_ARN}, ENDPOINT_ARN),
    ("update_endpoint", {"EndpointArn": ENDPOINT_ARN}, ENDPOINT_ARN),
]


@pytest.mark.parametrize(
    ("method", "response", "expected"), ANSWERS, ids=[case[0] for case in ANSWERS]
)
def test_answer(gateway, stubber, method, response, expected):
    argument, botocore_method, params = CALLS[method]
    # a copy: the expected value stays as written whatever the client does with its answer
    stubber.add_response(botocore_method, copy.deepcopy(response), expected_params=params)

    assert getattr(gateway, method)(argument) == expected


NOT_FOUND = [
    (
        "describe_model",
        f'Could not find model "{MODEL_ARN}".',
    ),
    (
        "describe_endpoint_config",
        f'Could not find endpoint configuration "{CONFIG_ARN}".',
    ),
    (
        "describe_endpoint",
        f'Could not find endpoint "{ENDPOINT_ARN}".',
    ),
]


@pytest.mark.parametrize(("method", "message"), NOT_FOUND, ids=[case[0] for case in NOT_FOUND])
def test_describe_of_a_missing_resource_is_none(gateway, stubber, method, message):
    argument = fail(stubber, method, "ValidationException", message)

    assert getattr(gateway, method)(argument) is None


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    # (id, gateway method, code, SageMaker's message, HTTP status, error class, fragments)
    (
        "create-endpoint-config-not-visible",
        "create_endpoint",
        "ValidationException",
        f'Could not find endpoint configuration "{CONFIG_ARN}".',
        400,
        EndpointConfigNotVisible,
        ["CreateEndpoint", ENDPOINT, CONFIG, "eventual consistency", CONFIG_ARN],
    ),
    (
        "update-endpoint-config-not-visible",
        "update_endpoint",
        "ValidationException",
        f'Could not find endpoint configuration "{CONFIG_ARN}".',
        400,
        EndpointConfigNotVisible,
        ["UpdateEndpoint", ENDPOINT, CONFIG, CONFIG_ARN],
    ),
    (
        "create-endpoint-already-exists",
        "create_endpoint",
        "ValidationException",
        f'Cannot create already existing endpoint "{ENDPOINT_ARN}".',
        400,
        EndpointCreateRace,
        ["CreateEndpoint", ENDPOINT, "created by someone else", ENDPOINT_ARN],
    ),
    (
        "update-endpoint-in-progress",
        "update_endpoint",
        "ValidationException",
        f'Cannot update in-progress endpoint "{ENDPOINT_ARN}".',
        400,
        EndpointBusy,
        ["UpdateEndpoint", ENDPOINT, "in progress", ENDPOINT_ARN],
    ),
    (
        "update-missing-endpoint-is-rejected",
        "update_endpoint",
        "ValidationException",
        f'Could not find endpoint "{ENDPOINT_ARN}".',
        400,
        SageMakerRejected,
        ["UpdateEndpoint", f'Could not find endpoint "{ENDPOINT_ARN}".'],
    ),
    (
        "create-endpoint-instance-quota",
        "create_endpoint",
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.m5.large for endpoint usage' is 0 Instances",
        400,
        SageMakerLimitExceeded,
        ["CreateEndpoint", "'ml.m5.large for endpoint usage' is 0 Instances"],
    ),
    (
        "update-endpoint-instance-quota",
        "update_endpoint",
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.g5.xlarge for endpoint usage' is 2 Instances",
        400,
        SageMakerLimitExceeded,
        ["UpdateEndpoint", "'ml.g5.xlarge for endpoint usage' is 2 Instances"],
    ),
    (
        "create-endpoint-config-limit",
        "create_endpoint_config",
        "ResourceLimitExceeded",
        "You have reached the limit of endpoint configurations",
        400,
        SageMakerLimitExceeded,
        ["CreateEndpointConfig", "limit of endpoint configurations"],
    ),
    (
        "create-model-rejected",
        "create_model",
        "ValidationException",
        "Could not access model data at s3://example-models/churn/v1/model.tar.gz.",
        400,
        SageMakerRejected,
        ["CreateModel", "Could not access model data at s3://example-models/churn/v1"],
    ),
    (
        "create-endpoint-config-rejected",
        "create_endpoint_config",
        "ValidationException",
        "Invalid value 'ml.bogus' for InstanceType.",
        400,
        SageMakerRejected,
        ["CreateEndpointConfig", "Invalid value 'ml.bogus' for InstanceType."],
    ),
    (
        "describe-endpoint-other-validation-error",
        "describe_endpoint",
        "ValidationException",
        "1 validation error detected: Value at 'endpointName' failed to satisfy constraint",
        400,
        SageMakerRejected,
        ["DescribeEndpoint", "Value at 'endpointName' failed to satisfy constraint"],
    ),
    (
        "create-endpoint-other-validation-error",
        "create_endpoint",
        "ValidationException",
        "Role is not authorized to perform sagemaker:CreateEndpoint",
        400,
        SageMakerRejected,
        ["CreateEndpoint", "Role is not authorized to perform sagemaker:CreateEndpoint"],
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "code", "message", "status", "error", "fragments"),
    ERRORS,
    ids=[case[0] for case in ERRORS],
)
def test_error_is_translated(
    gateway, stubber, name, method, code, message, status, error, fragments
):
    argument = fail(stubber, method, code, message, status)

    with pytest.raises(error) as caught:
        getattr(gateway, method)(argument)

    text = str(caught.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from {text!r}"


@pytest.mark.parametrize("method", list(CALLS))
def test_throttling_on_any_call_is_retryable(gateway, stubber, method):
    argument = fail(stubber, method, "ThrottlingException", "Rate exceeded")

    with pytest.raises(SageMakerThrottled) as caught:
        getattr(gateway, method)(argument)

    assert str(caught.value) == (
        f"{OPERATIONS[method]}: SageMaker throttled the call (ThrottlingException: Rate exceeded)"
    )


@pytest.mark.parametrize(
    ("method", "kind", "arn", "name"),
    [
        ("create_endpoint_config", "endpoint configuration", CONFIG_ARN, CONFIG),
        # a duplicate approval event: two executions create the same model at once
        ("create_model", "model", MODEL_ARN, MODEL),
    ],
)
def test_an_existing_resource_is_reported_as_already_exists(
    gateway, stubber, method, kind, arn, name
):
    message = f'Cannot create already existing {kind} "{arn}".'
    argument = fail(stubber, method, "ValidationException", message)

    with pytest.raises(AlreadyExists) as caught:
        getattr(gateway, method)(argument)

    assert str(caught.value) == name
    assert not isinstance(caught.value, DeployerError)


@pytest.mark.parametrize(
    "message",
    [
        f"ModelPackage {PREFIX}:model-package/churn/3 does not exist.",
        f"Model package {PREFIX}:model-package/churn/3 not found",  # moto's phrasing
    ],
)
def test_missing_model_package_is_none(gateway, stubber, message):
    arn = f"{PREFIX}:model-package/churn/3"
    stubber.add_client_error(
        "describe_model_package",
        service_error_code="ValidationException",
        service_message=message,
        expected_params={"ModelPackageName": arn},
    )

    assert gateway.describe_model_package(arn) is None


def test_approved_packages_are_listed_across_pages(gateway, stubber):
    def summary(version):
        return {
            "ModelPackageArn": f"{PREFIX}:model-package/churn/{version}",
            "ModelPackageVersion": version,
            "ModelPackageGroupName": "churn",
            "CreationTime": NOW,
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
        }

    expected = {
        "ModelPackageGroupName": "churn",
        "ModelApprovalStatus": "Approved",
        "ModelPackageType": "Versioned",
    }
    stubber.add_response(
        "list_model_packages",
        {"ModelPackageSummaryList": [summary(1)], "NextToken": "t"},
        expected,
    )
    stubber.add_response(
        "list_model_packages",
        {"ModelPackageSummaryList": [summary(3)]},
        {**expected, "NextToken": "t"},
    )

    found = gateway.list_approved_packages("churn")

    assert [p["ModelPackageVersion"] for p in found] == [1, 3]


# gateway method -> (its argument, the botocore method, its parameters, a page of one item
# (n), what the method returns for that item)
LISTINGS = {
    "list_tags": (
        ENDPOINT_ARN,
        "list_tags",
        {"ResourceArn": ENDPOINT_ARN},
        lambda n: {"Tags": [{"Key": f"k{n}", "Value": f"v{n}"}]},
        lambda n: {"Key": f"k{n}", "Value": f"v{n}"},
    ),
    "list_endpoint_configs": (
        ENDPOINT,
        "list_endpoint_configs",
        {"NameContains": ENDPOINT},
        lambda n: {
            "EndpointConfigs": [
                {
                    "EndpointConfigName": f"{ENDPOINT}-{n}",
                    "EndpointConfigArn": f"{CONFIG_ARN}-{n}",
                    "CreationTime": NOW,
                }
            ]
        },
        lambda n: {
            "EndpointConfigName": f"{ENDPOINT}-{n}",
            "EndpointConfigArn": f"{CONFIG_ARN}-{n}",
            "CreationTime": NOW,
        },
    ),
    "list_models": (
        MODEL,
        "list_models",
        {"NameContains": MODEL},
        lambda n: {
            "Models": [{"ModelName": f"{MODEL}-{n}", "ModelArn": MODEL_ARN, "CreationTime": NOW}]
        },
        lambda n: f"{MODEL}-{n}",
    ),
}


@pytest.mark.parametrize("method", list(LISTINGS))
def test_listings_follow_next_token_across_pages(gateway, stubber, method):
    argument, botocore_method, params, page, item = LISTINGS[method]
    stubber.add_response(botocore_method, {**page(1), "NextToken": "a"}, params)
    stubber.add_response(
        botocore_method, {**page(2), "NextToken": "b"}, {**params, "NextToken": "a"}
    )
    stubber.add_response(botocore_method, page(3), {**params, "NextToken": "b"})

    assert getattr(gateway, method)(argument) == [item(1), item(2), item(3)]


@pytest.mark.parametrize("method", list(LISTINGS))
def test_a_listing_whose_token_comes_back_unchanged_stops_with_an_error(gateway, stubber, method):
    argument, botocore_method, params, page, _ = LISTINGS[method]
    stubber.add_response(botocore_method, {**page(1), "NextToken": "a"}, params)
    stubber.add_response(
        botocore_method, {**page(2), "NextToken": "a"}, {**params, "NextToken": "a"}
    )

    with pytest.raises(PaginationError, match="the same NextToken came back twice: a"):
        getattr(gateway, method)(argument)


def test_scalable_targets_are_read_across_pages():
    client = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("application-autoscaling", config=BOTO_CONFIG)
    params = {"ServiceNamespace": "sagemaker", "ScalableDimension": DIMENSION}

    def target(resource, low, high):
        return {
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource,
            "ScalableDimension": DIMENSION,
            "MinCapacity": low,
            "MaxCapacity": high,
            "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/autoscaling",
            "CreationTime": NOW,
        }

    with Stubber(client) as stub:
        stub.add_response(
            "describe_scalable_targets",
            {
                "ScalableTargets": [target(f"endpoint/{ENDPOINT}/variant/primary", 1, 4)],
                "NextToken": "a",
            },
            params,
        )
        stub.add_response(
            "describe_scalable_targets",
            {
                "ScalableTargets": [
                    target("endpoint/other/variant/primary", 1, 2),
                    target(f"endpoint/{ENDPOINT.upper()}/variant/challenger", 2, 3),
                ]
            },
            {**params, "NextToken": "a"},
        )

        found = ScalingGateway(client).targets(ENDPOINT)
        stub.assert_no_pending_responses()

    assert found == {"primary": (1, 4), "challenger": (2, 3)}


@pytest.mark.parametrize("method", list(CALLS))
def test_unknown_error_is_re_raised_as_client_error(gateway, stubber, method):
    argument = fail(stubber, method, "InternalFailure", "We encountered an internal error.", 500)

    with pytest.raises(ClientError) as caught:
        getattr(gateway, method)(argument)

    assert not isinstance(caught.value, DeployerError)
    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "We encountered an internal error." in str(caught.value)


def test_every_endpoint_of_the_account_is_listed_across_pages(gateway, stubber):
    def page(n: int) -> dict:
        summary = {
            "EndpointName": f"{ENDPOINT}-{n}",
            "EndpointArn": f"{ENDPOINT_ARN}-{n}",
            "CreationTime": NOW,
            "LastModifiedTime": NOW,
            "EndpointStatus": "InService",
        }
        return {"Endpoints": [summary]}

    stubber.add_response("list_endpoints", {**page(1), "NextToken": "a"}, {"MaxResults": 100})
    stubber.add_response("list_endpoints", page(2), {"MaxResults": 100, "NextToken": "a"})

    assert gateway.list_endpoints() == [f"{ENDPOINT}-1", f"{ENDPOINT}-2"]


def test_a_throttled_endpoint_listing_is_the_deployers_error(gateway, stubber):
    stubber.add_client_error("list_endpoints", "ThrottlingException", "Rate exceeded")

    with pytest.raises(SageMakerThrottled, match="ListEndpoints"):
        gateway.list_endpoints()
