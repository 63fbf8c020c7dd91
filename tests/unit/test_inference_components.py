"""``InferenceComponents``: the parsed request's view of them (defaults filled in, bases before
their adapters, the parameters of each call), how they stay out of the endpoint config and its
derived name, and the shape they are checked against (CreateInferenceComponent's input with
UpdateInferenceComponent's DeploymentConfig)."""

import copy

import pytest
from botocore.validate import ParamValidator
from unit_builders import ENDPOINT

from deployer import interface
from deployer.errors import RequestInvalid
from deployer.request import inference_components, shapes
from deployer.request.deployment import known_fields, parse_request, validate_request

ROLE_ARN = "arn:aws:iam::123456789012:role/smdeploy-sagemaker-execution"


def ic_variant(name="AllTraffic", instance_type="ml.g5.12xlarge", **extra):
    return {
        "VariantName": name,
        "InstanceType": instance_type,
        "InitialInstanceCount": 1,
        **extra,
    }


def base(name, model=None, **extra):
    return {
        "InferenceComponentName": name,
        "Specification": {
            "ModelName": model or f"{name}-model",
            "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": 1,
                "MinMemoryRequiredInMb": 8192,
            },
        },
        "RuntimeConfig": {"CopyCount": 1},
        **extra,
    }


def adapter(name, of, **extra):
    return {
        "InferenceComponentName": name,
        "Specification": {
            "BaseInferenceComponentName": of,
            "Container": {"ArtifactUrl": f"s3://example-models/adapters/{name}.tar.gz"},
        },
        **extra,
    }


def ic_request(components, variants=None, **fields):
    return {
        "EndpointName": ENDPOINT,
        "ExecutionRoleArn": ROLE_ARN,
        "ProductionVariants": variants or [ic_variant()],
        interface.COMPONENTS_FIELD: components,
        **fields,
    }


def names(components):
    return [c["InferenceComponentName"] for c in components]


# --- the parsed request's view --------------------------------------------------------------


def test_endpoint_and_only_variant_are_filled_in():
    parsed = parse_request(ic_request([base("llama")]))

    (component,) = parsed.inference_components
    assert component["EndpointName"] == ENDPOINT
    assert component["VariantName"] == "AllTraffic"
    # the request itself is kept as given
    assert "EndpointName" not in parsed.fields["InferenceComponents"][0]
    assert "VariantName" not in parsed.fields["InferenceComponents"][0]


def test_a_given_variant_is_kept_and_the_endpoint_takes_the_requests_spelling():
    variants = [ic_variant("small", "ml.g5.2xlarge"), ic_variant("large")]
    raw = ic_request(
        [
            base("llama", VariantName="large", EndpointName=ENDPOINT.upper()),
            base("phi", VariantName="small"),
        ],
        variants,
    )

    components = parse_request(raw).inference_components

    assert [(c["VariantName"], c["EndpointName"]) for c in components] == [
        ("large", ENDPOINT),
        ("small", ENDPOINT),
    ]


def test_every_base_comes_before_its_adapters_in_the_requests_order_otherwise():
    raw = ic_request(
        [
            adapter("llama-legal", "llama"),
            base("llama"),
            adapter("mistral-chat", "Mistral"),
            base("mistral"),
            adapter("llama-support", "llama"),
        ]
    )

    components = parse_request(raw).inference_components

    assert names(components) == [
        "llama",
        "mistral",
        "llama-legal",
        "mistral-chat",
        "llama-support",
    ]
    positions = {name.lower(): i for i, name in enumerate(names(components))}
    for component in components:
        of = inference_components.base_of(component)
        if of is not None:
            assert positions[of.lower()] < positions[component["InferenceComponentName"]]


def test_the_view_is_a_copy_the_request_is_not_changed_through_it():
    raw = ic_request([base("llama")])
    parsed = parse_request(raw)
    given = copy.deepcopy(parsed.fields)

    parsed.inference_components[0]["Specification"]["ModelName"] = "changed"

    assert parsed.fields == given
    assert parsed.inference_components[0]["Specification"]["ModelName"] == "llama-model"


def test_a_request_without_components_has_none():
    assert parse_request(ic_request([])).inference_components == []
    raw = ic_request([])
    del raw["InferenceComponents"]
    assert parse_request(raw).inference_components == []


def test_each_call_takes_its_own_members():
    deployment = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        }
    }
    tags = [{"Key": "a", "Value": "b"}]
    raw = ic_request(
        [base("llama", RuntimeConfig={"CopyCount": 2}, DeploymentConfig=deployment, Tags=tags)]
    )
    (component,) = parse_request(raw).inference_components

    create = inference_components.create_params(component)
    update = inference_components.update_params(component)

    assert set(create) == {
        "InferenceComponentName",
        "EndpointName",
        "VariantName",
        "Specification",
        "RuntimeConfig",
        "Tags",
    }
    assert set(update) == {
        "InferenceComponentName",
        "Specification",
        "RuntimeConfig",
        "DeploymentConfig",
    }
    for operation, params in (
        ("CreateInferenceComponent", create),
        ("UpdateInferenceComponent", update),
    ):
        report = ParamValidator().validate(params, shapes.input_shape(operation))
        assert not report.has_errors(), report.generate_report()


# --- the endpoint config and its name --------------------------------------------------------


def test_components_are_a_field_of_the_request_but_of_no_endpoint_call():
    parsed = parse_request(ic_request([base("llama")]))

    assert interface.COMPONENTS_FIELD in known_fields()
    for params in (
        parsed.endpoint_config_params(),
        parsed.create_endpoint_params(),
        parsed.update_endpoint_params(ENDPOINT),
    ):
        assert interface.COMPONENTS_FIELD not in params
        assert "Models" not in params


def test_the_derived_config_name_does_not_depend_on_components_or_models():
    one = ic_request([base("llama")])
    other = ic_request(
        [base("llama", model="llama-model-v2"), adapter("llama-legal", "llama")],
        Models=[
            {
                "ModelName": "llama-model-v2",
                "ExecutionRoleArn": ROLE_ARN,
                "PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"},
            }
        ],
    )

    assert parse_request(one).endpoint_config_name == parse_request(other).endpoint_config_name
    changed = ic_request([base("llama")], [ic_variant(instance_type="ml.g5.48xlarge")])
    assert parse_request(changed).endpoint_config_name != parse_request(one).endpoint_config_name


def test_an_endpoint_ready_for_components_needs_none_yet():
    raw = ic_request([])
    del raw["InferenceComponents"]

    parsed = parse_request(raw)

    assert "ModelName" not in parsed.endpoint_config_params()["ProductionVariants"][0]
    assert parsed.endpoint_config_params()["ExecutionRoleArn"] == ROLE_ARN


# --- the shape they are checked against -------------------------------------------------------


def test_an_item_is_create_inference_component_with_updates_deployment_config():
    shape = inference_components.item_shape()
    create = shapes.input_shape("CreateInferenceComponent")
    update = shapes.input_shape("UpdateInferenceComponent")

    assert list(shape.members) == [*create.members, "DeploymentConfig"]
    assert shape.members["DeploymentConfig"] is update.members["DeploymentConfig"]
    assert shape.required_members == ["InferenceComponentName"]


@pytest.mark.parametrize(
    ("component", "path", "fragment"),
    [
        ({"Specification": {}}, "InferenceComponents[0].InferenceComponentName", "required"),
        (
            {**base("llama"), "Specificaton": {}},
            "InferenceComponents[0].Specificaton",
            "did you mean Specification",
        ),
        (
            base("llama", RuntimeConfig={}),
            "InferenceComponents[0].RuntimeConfig.CopyCount",
            "required",
        ),
        (
            base("llama", DeploymentConfig={}),
            "InferenceComponents[0].DeploymentConfig.RollingUpdatePolicy",
            "required",
        ),
        (
            base("llama", RuntimeConfig={"CopyCount": "2"}),
            "InferenceComponents[0].RuntimeConfig.CopyCount",
            'must be an integer, got a string "2"',
        ),
    ],
    ids=["name", "unknown-member", "copy-count", "rolling-policy", "type"],
)
def test_the_models_rules_are_checked_with_their_path(component, path, fragment):
    with pytest.raises(RequestInvalid) as caught:
        parse_request(ic_request([component]))

    lines = [p for p in caught.value.problems if p.startswith(f"{path}:")]
    assert len(lines) == 1, caught.value.problems
    assert fragment in lines[0]


def violations_of(raw):
    return [(v.path, v.rule) for v in validate_request(raw).violations]


@pytest.mark.parametrize("copies", [0, -1])
def test_a_copy_count_below_one_is_refused_even_where_the_endpoint_scales_to_zero(copies):
    # CreateInferenceComponent refuses 0 ("Inference components copy count an integer larger
    # than 0", https://github.com/stdapi-ai/stdapi.ai/issues/43); an IC reaches 0 copies later,
    # by its autoscaling policy, though the model's minimum is 0
    variant = ic_variant(
        ManagedInstanceScaling={"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2}
    )
    raw = ic_request([base("llama", RuntimeConfig={"CopyCount": copies})], [variant])

    (violation,) = validate_request(raw).violations
    assert (violation.path, violation.rule) == (
        "InferenceComponents[0].RuntimeConfig.CopyCount",
        "ic-copy-count",
    )
    assert violation.message.startswith("must be at least 1: ")
    assert violation.message.endswith(f"got {copies}")
    assert violation.value == copies


def test_an_ic_that_hosts_a_model_needs_its_copy_count_with_one_specification_or_several():
    one = base("llama")
    del one["RuntimeConfig"]
    several = base("mistral")
    several["Specifications"] = [{"InstanceType": "ml.g5.12xlarge", **several["Specification"]}]
    del several["Specification"], several["RuntimeConfig"]
    raw = ic_request([one, several, base("phi", RuntimeConfig={})])

    assert violations_of(raw) == [
        ("InferenceComponents[0].RuntimeConfig", "ic-runtime-config"),
        ("InferenceComponents[1].RuntimeConfig", "ic-runtime-config"),
        ("InferenceComponents[2].RuntimeConfig.CopyCount", "ic-runtime-config"),
    ]


def test_an_adapter_takes_no_runtime_config_it_runs_on_its_bases_copies():
    raw = ic_request(
        [
            base("llama"),
            adapter("llama-legal", "llama", RuntimeConfig={"CopyCount": 1}),
            adapter("llama-support", "llama", RuntimeConfig={"CopyCount": 0}),
            adapter("llama-sales", "llama"),
        ]
    )

    violations = validate_request(raw).violations

    assert [(v.path, v.rule) for v in violations] == [
        ("InferenceComponents[1].RuntimeConfig", "ic-adapter"),
        ("InferenceComponents[2].RuntimeConfig", "ic-adapter"),
    ]
    assert violations[0].message.endswith('got {"CopyCount": 1}')


def test_a_runtime_config_of_the_wrong_type_is_reported_once_by_the_model():
    raw = ic_request([base("llama", RuntimeConfig=[1])])

    assert violations_of(raw) == [("InferenceComponents[0].RuntimeConfig", "type")]


def test_a_type_the_capacity_table_lacks_is_never_refused():
    big = base("llama")
    big["Specification"]["ComputeResourceRequirements"] = {
        "NumberOfAcceleratorDevicesRequired": 64,
        "NumberOfCpuCoresRequired": 1000,
        "MinMemoryRequiredInMb": 10_000_000,
    }

    assert validate_request(ic_request([big], [ic_variant(instance_type="ml.p3.2xlarge")])).valid
