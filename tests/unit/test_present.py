"""What the command line prints fits the terminal without cutting anything a user copies."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from smdeploy import present, reports
from smdeploy.validation import load_validator

ARN = (
    "arn:aws:states:us-east-1:123456789012:execution:smdeploy-deployer:"
    "churn-predictor-4267304df1a89cbfa76f78d3"
)
COLUMNS = ("request", "status", "execution")
ROWS = [("examples/request.json", "SUCCEEDED", ARN), ("examples/request-v2.json", "FAILED", "-")]


def printed(width: str | None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", width)
    stream = io.StringIO()
    present.Screen(stream).rows("Deployments", COLUMNS, ROWS)
    return stream.getvalue().splitlines()


@pytest.mark.parametrize("width", ["40", "80", "100", "200", None])
def test_every_value_is_printed_whole_on_one_line_at_any_width(width, monkeypatch):
    lines = printed(width, monkeypatch)

    for row in ROWS:
        for value in row:
            assert any(value in line for line in lines), (value, lines)
    assert not any("…" in line for line in lines)
    assert all(line == line.rstrip() for line in lines)  # no padding


def test_a_narrow_terminal_gets_one_record_per_row(monkeypatch):
    lines = printed("80", monkeypatch)

    assert lines[:4] == [
        "Deployments",
        "examples/request.json",
        "  status     SUCCEEDED",
        f"  execution  {ARN}",
    ]


def test_a_pipe_without_columns_gets_the_table_unbroken(monkeypatch):
    lines = printed(None, monkeypatch)

    assert lines[1].split() == list(COLUMNS)
    assert lines[2].split() == list(ROWS[0])


def test_status_prints_each_field_whole_and_says_when_dates_are_simulated(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    stream = io.StringIO()
    report = {
        "ExecutionArn": ARN,
        "Name": "churn-predictor-1",
        "Status": "SUCCEEDED",
        "Error": None,
        "StartDate": "2999-01-01T00:00:00+00:00",
    }

    reports.status(present.Screen(stream), report)

    lines = stream.getvalue().splitlines()
    assert lines[0] == "execution      churn-predictor-1"
    assert lines[1] == "status         SUCCEEDED"
    assert f"execution ARN  {ARN}" in lines
    assert not any(line.startswith("error") for line in lines)
    assert "simulated clock" in lines[-1]


def test_status_shows_lists_and_objects_as_sentences_never_json(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    stream = io.StringIO()
    report = {
        "ExecutionArn": ARN,
        "Name": "churn-predictor-2",
        "Status": "RUNNING",
        "Stage": "WaitForLease",
        "EndpointName": "churn-predictor",
        "Trigger": {"Source": "approval", "ModelPackageArn": "arn:pkg/3"},
        "WaitingFor": {
            "ExecutionArn": f"{ARN[: ARN.rindex(':')]}:churn-predictor-1",
            "EndpointConfigName": "churn-predictor-abc",
            "Phase": "DEPLOYING",
            "Since": "2026-01-01T00:00:00+00:00",
            "Until": None,
        },
        "Progress": ["primary: Baking (baking for 300 seconds)", "endpoint InService"],
        "Retries": [
            {
                "Stage": "Deploy",
                "Retry": 1,
                "MaxAttempts": 8,
                "Error": "EndpointConfigNotVisible",
                "Cause": "not yet",
            }
        ],
        "ServingInstances": [
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.g6.2xlarge",
                "CurrentInstanceCount": 2,
            }
        ],
        "StartDate": "2026-01-01T00:00:00+00:00",
    }

    reports.status(present.Screen(stream), report)

    text = stream.getvalue()
    assert "{" not in text and "[" not in text.replace("[primary", "")
    lines = text.splitlines()
    assert "trigger        approval of arn:pkg/3" in lines
    assert (
        "waiting for    execution churn-predictor-1, deploying config churn-predictor-abc, "
        "since 2026-01-01T00:00:00+00:00"
    ) in lines
    assert "progress       primary: Baking (baking for 300 seconds)" in lines
    assert "               endpoint InService" in lines
    assert "retries        Deploy: retry 1 of 8 after EndpointConfigNotVisible: not yet" in lines
    assert "serving        2 x ml.g6.2xlarge (AllTraffic)" in lines


def test_a_retried_attempt_reads_as_a_retry_not_a_failure():
    stream = io.StringIO()
    printer = present.ProgressPrinter(present.Screen(stream))

    printer(
        present.Progress(
            3.0, "retry", "Deploy", "ThrottlingException: slow down", retry=2, max_attempts=None
        )
    )
    printer(present.Progress(4.0, "retry", "Deploy", "X: y", retry=1, max_attempts=8))

    assert stream.getvalue().splitlines() == [
        "  0:00:03    retry 2 (until the deadline) after ThrottlingException: slow down",
        "  0:00:04    retry 1 of 8 after X: y",
    ]


def test_long_progress_lines_are_never_broken(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    stream = io.StringIO()
    cause = ("EndpointUpdateRolledBack: " + "the update was rolled back because " * 5).strip()

    present.ProgressPrinter(present.Screen(stream))(
        present.Progress(12.0, "error", "DescribeEndpoint", cause)
    )

    assert stream.getvalue().splitlines() == [f"  0:00:12    {cause}"]


def test_validate_shows_an_endpoint_for_inference_components_and_each_component(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    request = Path(__file__).resolve().parents[2] / "examples" / "inference-components-request.json"
    found = load_validator()(request.read_text(encoding="utf-8"))
    stream, problems = io.StringIO(), io.StringIO()

    present.validation(present.Screen(stream), present.Screen(problems), "r.json", found)

    lines = [line.split() for line in stream.getvalue().splitlines()]
    assert lines[4] == [
        "AllTraffic",
        "(inference",
        "components)",
        "1",
        "x",
        "ml.g5.12xlarge",
        "100.0%",
    ]
    assert lines[5:] == [
        ["inference", "component", "variant", "model", "copies"],
        ["llama-3-8b", "AllTraffic", "llama-3-8b-v1", "1"],
        ["mistral-7b", "AllTraffic", "mistral-7b-v1", "2"],
        ["llama-3-8b-support", "AllTraffic", "adapter", "of", "llama-3-8b", "base's"],
    ]
