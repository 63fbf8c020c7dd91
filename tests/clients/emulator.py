"""``smdeploy emulator`` for a client's test environment: the installed command of the
project's own environment (``SMDEPLOY``, set by ``make clients``), started on a free port with
``examples/profiles.json``, stopped at the end; the AWS variables a client reads point at it.
As in every other tier, each of its responses is checked against botocore's model of the
operation (``SMDEPLOY_CHECK_SHAPES``, smdeploy/runtime/emulator/shapes.py): a block that saw
one outside it fails."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "smdeploy-churn-predictor"  # examples/profiles.json's churn-predictor profile
GROUP = "churn-predictor"


@contextmanager
def running(tmp: Path) -> Iterator[dict[str, Any]]:
    """The emulator's ``--json`` line (EndpointUrl, ModelPackageGroups, ...), with the process
    environment pointing every AWS client at it for the block."""
    log, mismatches = tmp / "emulator.log", tmp / "mismatches.jsonl"
    command = [os.environ.get("SMDEPLOY", "smdeploy"), "emulator", "--port", "0", "--json"]
    process = subprocess.Popen(
        [*command, "--profiles", str(ROOT / "examples" / "profiles.json")],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        cwd=ROOT,
        env={**os.environ, "SMDEPLOY_CHECK_SHAPES": str(mismatches)},
    )
    saved = dict(os.environ)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the emulator did not start:\n{log.read_text()}")
        info: dict[str, Any] = json.loads(line)
        os.environ.update(
            AWS_ENDPOINT_URL=info["EndpointUrl"],
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION=info["Region"],
            AWS_REGION=info["Region"],
        )
        yield info
        found = mismatches.read_text() if mismatches.exists() else ""
        assert found == "", f"the emulator answered outside botocore's model:\n{found}"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        process.terminate()
        process.wait(timeout=30)


def inference_specification() -> dict[str, Any]:
    return dict(json.loads((ROOT / "examples" / "inference-specification.json").read_text()))
