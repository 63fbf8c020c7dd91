"""The names of the executions triggers start (``deployer.decide.names``): readable, within
Step Functions' rules, and the same for every delivery of one event."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deployer import interface
from deployer.decide.names import NAME_LIMIT, event_digest, execution_name

VALID = re.compile(r"[0-9A-Za-z_-]{1,80}")
EVENT_ID = "5b2c6a51-1111-4000-8000-000000000001"
ID = event_digest({"id": EVENT_ID})  # 8 hex digits


def package_event(status: str, group: str = "churn-predictor", **detail: Any) -> dict[str, Any]:
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/3"
    return {
        "id": EVENT_ID,
        "source": interface.APPROVAL_SOURCE,
        "detail-type": interface.APPROVAL_DETAIL_TYPE,
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
            **detail,
        },
    }


def manifest_event(key: str) -> dict[str, Any]:
    return {
        "id": EVENT_ID,
        "source": interface.S3_SOURCE,
        "detail-type": interface.S3_OBJECT_CREATED,
        "detail": {"bucket": {"name": "b"}, "object": {"key": key, "version-id": "v1"}},
    }


@pytest.mark.parametrize(
    ("event", "name"),
    [
        (package_event("Approved", ModelPackageVersion=3), f"churn-predictor-v3-approved-{ID}"),
        (package_event("Rejected", ModelPackageVersion=3), f"churn-predictor-v3-rejected-{ID}"),
        # no ModelPackageVersion in the detail: the ARN's last part
        (package_event("Approved"), f"churn-predictor-v3-approved-{ID}"),
        (manifest_event("manifests/churn.json"), f"manifests-churn-json-{ID}"),
        (manifest_event("manifests/team a/ü.json"), f"manifests-team-a-json-{ID}"),
        (manifest_event("///"), f"manifest-{ID}"),
        ({"id": EVENT_ID, "source": "other"}, f"event-{ID}"),
    ],
    ids=["approval", "rejection", "version-from-arn", "manifest", "unsafe", "empty", "other"],
)
def test_each_trigger_has_a_readable_name(event, name):
    assert execution_name(event) == name
    assert VALID.fullmatch(name)


def test_a_long_group_is_cut_and_keeps_its_version_and_the_event():
    name = execution_name(package_event("Approved", group="g" * 63, ModelPackageVersion=12))

    assert len(name) == NAME_LIMIT
    assert name.endswith(f"-v12-approved-{ID}")
    assert name.startswith("g" * 40)


def test_long_keys_that_begin_alike_differ():
    one = execution_name(manifest_event("manifests/" + "a" * 100 + "/one.json"))
    two = execution_name(manifest_event("manifests/" + "a" * 100 + "/two.json"))

    assert one != two
    assert len(one) == len(two) == NAME_LIMIT
    assert one.endswith(f"-{ID}") and two.endswith(f"-{ID}")


def test_a_redelivered_event_has_the_same_name_and_another_event_another():
    event = manifest_event("manifests/churn.json")

    assert execution_name(dict(event)) == execution_name(event)
    assert execution_name({**event, "id": "another"}) != execution_name(event)


def test_an_event_without_an_id_is_named_by_its_content():
    event = manifest_event("manifests/churn.json")
    del event["id"]

    assert execution_name(event) == execution_name(dict(event))
    assert VALID.fullmatch(execution_name(event))


@given(
    key=st.text(max_size=1024),
    group=st.text(max_size=200),
    version=st.one_of(st.none(), st.integers(), st.text(max_size=30)),
    event_id=st.text(max_size=100),
)
def test_every_name_keeps_step_functions_rules(key, group, version, event_id):
    for event in (
        {**manifest_event(key), "id": event_id},
        {**package_event("Approved", group=group, ModelPackageVersion=version), "id": event_id},
    ):
        assert VALID.fullmatch(execution_name(event))
