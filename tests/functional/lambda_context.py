"""The Lambda context a functional test hands a handler: the function of a stage, as the
emulator and the stack name it (``smdeploy-<stage>``), in the tests' account and Region."""

from __future__ import annotations

from smdeploy.runtime.emulator import LambdaContext

REGION = "us-east-1"
ACCOUNT = "123456789012"


def context_for(stage: str) -> LambdaContext:
    name = f"smdeploy-{stage}"
    return LambdaContext(name, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}", 256, 60)
