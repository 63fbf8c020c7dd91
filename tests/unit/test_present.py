"""What the command line prints fits the terminal without cutting anything a user copies."""

from __future__ import annotations

import io

import pytest

from smdeploy import present

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
        "executionArn": ARN,
        "status": "SUCCEEDED",
        "error": None,
        "startDate": "2999-01-01T00:00:00+00:00",
    }

    present.status(present.Screen(stream), report)

    lines = stream.getvalue().splitlines()
    assert lines[0] == f"executionArn  {ARN}"
    assert lines[1] == "status        SUCCEEDED"
    assert not any(line.startswith("error") for line in lines)
    assert "simulated clock" in lines[-1]


def test_long_progress_lines_are_never_broken(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    stream = io.StringIO()
    cause = ("EndpointUpdateRolledBack: " + "the update was rolled back because " * 5).strip()

    present.ProgressPrinter(present.Screen(stream))(
        present.Progress(12.0, "error", "DescribeEndpoint", cause)
    )

    assert stream.getvalue().splitlines() == [f"  0:00:12    {cause}"]
