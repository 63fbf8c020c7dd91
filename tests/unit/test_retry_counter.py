"""smdeploy.executions.RetryCounter: which failed attempts the state machine retries, read from
the definition the stack deploys, counted per retrier from the state's entry."""

from __future__ import annotations

import pytest

from smdeploy.executions import Progress, RetryCounter


def failures(state: str, errors: list[str]) -> list[tuple[int, int | None] | None]:
    counter = RetryCounter()
    counter.entered()
    return [counter.failed(state, error) for error in errors]


@pytest.mark.parametrize(
    ("state", "errors", "expected"),
    [
        pytest.param(
            "Deploy",
            ["EndpointConfigNotVisible"] * 9,
            [(n, 8) for n in range(1, 9)] + [None],
            id="retried-8-times-then-the-failure",
        ),
        pytest.param(
            "Deploy",
            ["SageMakerThrottled", "SageMakerThrottled"],
            [(1, None), (2, None)],
            id="throttling-until-the-deadline",
        ),
        pytest.param(
            "Deploy",
            ["EndpointConfigNotVisible", "Runtime.ExitError", "EndpointConfigNotVisible"],
            [(1, 8), (1, 5), (2, 8)],
            id="each-retrier-counts-its-own",
        ),
        pytest.param("Deploy", ["EndpointConfigMissing"], [None], id="not-retried"),
        pytest.param("NoSuchState", ["Runtime.ExitError"], [None], id="unknown-state"),
    ],
)
def test_which_attempts_are_retries(state, errors, expected):
    assert failures(state, errors) == expected


def test_entering_the_state_again_starts_the_count_again():
    counter = RetryCounter()
    assert counter.failed("Deploy", "EndpointCreateRace") == (1, 1)
    assert counter.failed("Deploy", "EndpointCreateRace") is None
    counter.entered()
    assert counter.failed("Deploy", "EndpointCreateRace") == (1, 1)


def test_an_error_line_becomes_a_retry_line_only_when_retried():
    counter = RetryCounter()
    line = Progress(
        1.0,
        "error",
        "Deploy",
        "EndpointConfigNotVisible: not yet",
        error=("EndpointConfigNotVisible"),
    )

    retried = counter.see(line)

    assert (retried.kind, retried.retry, retried.max_attempts) == ("retry", 1, 8)
    assert retried.retry_text() == "retry 1 of 8 after EndpointConfigNotVisible: not yet"
    assert counter.see(Progress(2.0, "error", "Deploy", "X: y", error="X")).kind == "error"
