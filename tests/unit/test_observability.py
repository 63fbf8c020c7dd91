"""Tracing: Powertools' Tracer (and the X-Ray SDK it imports) only when tracing is on."""

import sys

import pytest

from deployer import interface, observability
from tests.support import processes


@pytest.mark.parametrize(
    ("environment", "traced"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_CHALICE_CLI_MODE": "true"}, False),
        ({}, False),
    ],
    ids=["lambda", "disabled", "disabled-1", "not-disabled", "sam-local", "chalice", "outside"],
)
def test_tracing_is_on_only_in_lambda_when_not_disabled(monkeypatch, environment, traced):
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL",
                 "AWS_CHALICE_CLI_MODE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert observability.tracing_enabled() is traced


def _loads_xray(handler: str, **environment: str) -> bool:
    module = handler.rpartition(".")[0]
    script = f"import sys, {module}; print('aws_xray_sdk' in sys.modules)"
    env = {"AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_TASK_ROOT": "/var/task", **environment}
    done = processes.python(script, env={**env, "PYTHONPATH": ":".join(sys.path)})
    return done.stdout.strip() == "True"


@pytest.mark.parametrize("spec", interface.EVERY_FUNCTION, ids=lambda s: s.stage)
def test_a_handler_with_tracing_off_never_imports_the_x_ray_sdk(spec):
    assert _loads_xray(spec.handler, POWERTOOLS_TRACE_DISABLED="true") is False


def test_a_handler_with_tracing_on_traces_with_the_x_ray_sdk():
    assert _loads_xray(interface.FUNCTIONS[0].handler) is True
