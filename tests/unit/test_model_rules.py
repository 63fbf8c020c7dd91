"""deployer.request.shapes: the rules read from botocore's model (lengths, ranges, patterns, enums),
and the Java patterns translated for Python."""

import unicodedata

import pytest
from botocore.model import Shape
from hypothesis import given, settings
from hypothesis import strategies as st

from deployer.request import patterns, shapes


def string_shape(**metadata):
    return Shape("Fake", {"type": "string", **metadata})


# --- patterns ------------------------------------------------------------------------------

TAG = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"

PATTERNS = [
    # (id, pattern, matching values, values that must not match)
    ("letters-any-script", TAG, ["équipe", "команда", "チーム", "Ωmega"], ["team!", "a;b"]),
    ("numbers-any-script", TAG, ["٣", "²", "Ⅻ", "42"], ["#1"]),
    ("separators", TAG, ["a b", "a\u3000b", "a\u00a0b"], ["a\tb", "a\nb"]),
    ("symbols-listed", TAG, ["path/to:key=a+b@c-d_e.f", ""], ["a*b", "a&b"]),
    ("property-outside-a-class", r"\p{Lu}+", ["ABC", "ÄÖ"], ["abc", "A1"]),
    ("negated-property", r"\P{L}+", ["123", "--"], ["a"]),
    ("java-digits-are-ascii", r"\d{3}", ["123"], ["١٢٣"]),
    ("java-word-is-ascii", r"\w+", ["abc_1"], ["é"]),
    ("whole-value", "[a-z]+", ["abc"], ["abc1", "1abc"]),
]


@pytest.mark.parametrize(
    ("name", "pattern", "good", "bad"), PATTERNS, ids=[case[0] for case in PATTERNS]
)
def test_model_patterns_are_matched_as_java_matches_them(name, pattern, good, bad):
    for value in good:
        compiled = patterns.compile_pattern(pattern, value)
        assert compiled is not None
        assert compiled.fullmatch(value), value
    for value in bad:
        compiled = patterns.compile_pattern(pattern, value)
        assert compiled is not None
        assert not compiled.fullmatch(value), value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8))
def test_a_property_matches_each_character_by_its_general_category(value):
    """The class built from the value's own characters decides as the whole category would."""
    letters = patterns.compile_pattern(r"[\p{L}\p{N}_]*", value)
    not_separators = patterns.compile_pattern(r"\P{Z}*", value)

    assert letters is not None and not_separators is not None
    by_category = [unicodedata.category(c) for c in value]
    expected = all(c == "_" or k[0] in "LN" for c, k in zip(value, by_category, strict=True))
    assert bool(letters.fullmatch(value)) is expected
    assert bool(not_separators.fullmatch(value)) is all(k[0] != "Z" for k in by_category)


@pytest.mark.parametrize(
    "pattern",
    [r"[\P{L}]", "[a-z&&[^b]]", r"\p{Xx}", r"[\p{L}[0-9]]", "(unclosed"],
    ids=["negated-property-in-a-class", "class-intersection", "unknown-property", "nested-class",
         "not-a-pattern"],
)  # fmt: skip
def test_a_pattern_without_a_faithful_translation_is_not_checked(pattern):
    assert patterns.compile_pattern(pattern) is None
    assert shapes.unchecked_patterns([string_shape(pattern=pattern)]) == {"Fake": pattern}
    assert shapes.check_value(string_shape(pattern=pattern), "anything", "Field") == []


def test_every_pattern_of_the_pinned_model_is_checked():
    patterns = {s.name: s.metadata["pattern"] for s in shapes.request_shapes().values()
                if "pattern" in s.metadata}  # fmt: skip

    # every field of a request (nested ones too) whose shape in the pinned model has a pattern
    assert set(patterns) == {
        "AcceleratorPartitionType", "AdditionalModelChannelName", "AlarmName",
        "ClarifyContentTemplate", "ClarifyEnableExplanations", "ClarifyFeaturesAttribute",
        "ClarifyHeader", "ClarifyLabelAttribute", "ClarifyMimeType",
        "ClarifyProbabilityAttribute", "ClarifyShapBaseline", "ContainerHostname",
        "ContainerImage", "CsvContentType", "DestinationS3Uri", "EndpointConfigName",
        "EndpointName", "EnvironmentKey", "EnvironmentValue", "HubContentArn",
        "InferenceComponentName", "InferenceSpecificationName", "JsonContentType", "KmsKeyId",
        "MetricsEndpointPath", "MlReservationArn", "ModelName",
        "RepositoryCredentialsProviderArn", "RoleArn",
        "S3ModelUri", "SecurityGroupId", "SnsTopicArn", "SubnetId", "TagKey", "TagValue", "Url",
        "VariantName", "VersionedArnOrName",
    }  # fmt: skip
    assert shapes.unchecked_patterns() == {}


# --- the request's fields --------------------------------------------------------------------


def test_a_field_shared_by_several_operations_has_one_shape():
    for name, shape in shapes.request_members().items():
        for operation in shapes.REQUEST_OPERATIONS:
            members = shapes.input_shape(operation).members
            if name in members:
                assert members[name].name == shape.name, (name, operation)


def test_request_fields_are_every_member_of_the_seed_operations():
    names = set(shapes.request_members())

    for operation in shapes.REQUEST_OPERATIONS:
        assert set(shapes.input_shape(operation).members) <= names
    assert {"EndpointName", "ProductionVariants", "DeploymentConfig", "Tags"} <= names


def integer(kind="integer", **metadata):
    return Shape("Int", {"type": kind, **metadata})


def number(**metadata):
    return Shape("Float", {"type": "float", **metadata})


BOOLEAN = Shape("Bool", {"type": "boolean"})
INT_MAX = 2**31 - 1

CHECKS = [
    # (id, shape, value, expected problem or None)
    ("string-type", string_shape(), 7, "must be a string, got a number 7"),
    ("string-max", string_shape(max=3), "abcd", 'must be at most 3 characters, got 4: "abcd"'),
    ("string-min-max", string_shape(min=2, max=3), "a", "must be 2 to 3 characters, got 1"),
    ("string-not-empty", string_shape(min=1, max=3), "", "must not be empty"),
    ("enum-case", string_shape(enum=["Input", "Output"]), "input",
     'must be one of Input, Output, got "input"; did you mean Input?'),
    ("enum-close", string_shape(enum=["CANARY", "LINEAR"]), "CANARI",
     'must be one of CANARY, LINEAR, got "CANARI"; did you mean CANARY?'),
    ("enum-nothing-close", string_shape(enum=["CANARY", "LINEAR"]), "x",
     'must be one of CANARY, LINEAR, got "x"'),
    ("pattern", string_shape(pattern="[a-z]+"), "A", 'must match the pattern [a-z]+, got "A"'),
    ("int-bool", integer(), True, "must be an integer, got a boolean true"),
    ("int-float", integer(), 2.0, "must be an integer, got a number 2.0"),
    ("int-32-bit", integer(), INT_MAX + 1, f"must be at most {INT_MAX}, got {INT_MAX + 1}"),
    ("long-64-bit", integer("long"), INT_MAX + 1, None),
    ("int-min", integer(min=1), 0, "must be at least 1, got 0"),
    ("int-range", integer(min=1, max=5), 6, "must be from 1 to 5, got 6"),
    ("float-int-ok", number(min=0), 3, None),
    ("float-nan", number(), float("nan"), "must be a finite number, got a non-finite number nan"),
    ("float-null", number(), None, "must be a number, got null"),
    ("boolean", BOOLEAN, "true", 'must be true or false, got a string "true"'),
]  # fmt: skip


@pytest.mark.parametrize(("name", "shape", "value", "expected"), CHECKS, ids=[c[0] for c in CHECKS])
def test_scalar_rules_of_the_model(name, shape, value, expected):
    found = [str(v) for v in shapes.check_value(shape, value, "Field")]

    assert found == ([f"Field: {expected}"] if expected else [])


def test_the_instance_type_enum_comes_from_the_model_and_suggests_the_nearest():
    enum = shapes.service_model().shape_for("ProductionVariantInstanceType").metadata["enum"]
    shape = shapes.service_model().shape_for("ProductionVariantInstanceType")

    (problem,) = shapes.check_value(shape, "ml.g5.2xlarg", "InstanceType")

    assert problem.rule == "enum"
    assert f"one of the {len(enum)} values of ProductionVariantInstanceType" in problem.message
    assert problem.message.endswith("did you mean ml.g5.2xlarge?")
    assert shapes.check_value(shape, enum[-1], "InstanceType") == []
