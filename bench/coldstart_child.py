"""One cold start, measured in a fresh interpreter (run by ``bench/coldstart.py``, not imported).

Reads one JSON object on stdin: ``{"handler": "<module>.<function>", "event": {...}}`` for a
stage function, or ``{"handler": null}`` for the floor (``import boto3`` and one SageMaker
client). Prints, after the marker ``COLDSTART``,
``{"import": s, "first": s, "second": s, "xray": b}``: the CPU seconds spent importing the
handler's module, in its first invocation, and in a second one (the same calls, warm), and
whether the X-Ray SDK was loaded. With ``"calls": N`` (0, 1 or 2), it invokes the handler
N times only (0: nothing at all, not even the floor's import), for a count of instructions
of the whole process (:mod:`bench.coldstart_instructions`).

Only the standard library is imported before the clock starts, so nothing the handler needs
is loaded ahead of it.
"""

import importlib
import json
import sys
import time
import uuid

MARK = "COLDSTART "


class Context:
    """What the Lambda Python runtime passes as ``context`` (the attributes Powertools reads)."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 55_000


def main() -> None:
    spec = json.loads(sys.stdin.read())
    handler_name = spec["handler"]
    calls = spec.get("calls", 2)
    if calls == 0:
        return
    start = time.process_time()
    if handler_name is None:
        import boto3

        boto3.client("sagemaker")
        report({"import": time.process_time() - start, "first": 0.0, "second": 0.0, "xray": False})
        return
    module_name, _, attribute = handler_name.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    imported = time.process_time()
    handler(spec["event"], Context("bench"))
    first = time.process_time()
    if calls > 1:
        handler(spec["event"], Context("bench"))
    second = time.process_time()
    report(
        {
            "import": imported - start,
            "first": first - imported,
            "second": second - first,
            "xray": "aws_xray_sdk" in sys.modules,
        }
    )


def report(seconds: dict[str, float | bool]) -> None:
    """The result, on its own line after whatever the handler logged."""
    print(MARK + json.dumps(seconds), flush=True)


if __name__ == "__main__":
    main()
