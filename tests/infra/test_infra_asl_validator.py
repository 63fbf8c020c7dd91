"""A static check of the state machine definition by a validator no one here wrote:
asl-validator (npm, pinned in package.json) checks the definition against the Amazon States
Language's schema, every path expression, and the graph: every Next, Default and Catch target
exists and every state is reachable (issue 21, item 1)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from cdk import paths

VALIDATOR = paths.ROOT / "node_modules" / ".bin" / "asl-validator"


def _with_function_arns(definition: str) -> str:
    """The definition as the stack deploys it: each ``${NameFunctionArn}`` a function's ARN."""

    def arn(match: re.Match[str]) -> str:
        name = match.group(1).removesuffix("FunctionArn").lower()
        return f"arn:aws:lambda:us-east-1:123456789012:function:smdeploy-{name}"

    return re.sub(r"\$\{(\w+FunctionArn)\}", arn, definition)


def _validate(definition: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "definition.json"
    path.write_text(definition)
    return subprocess.run(
        [str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, check=False
    )


def test_the_deployer_definition_is_valid_states_language(tmp_path):
    deployed = _with_function_arns(paths.DEFINITION.read_text())
    assert "${" not in deployed

    run = _validate(deployed, tmp_path)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "is valid" in run.stdout


def test_the_validator_refuses_a_missing_target_and_an_unreachable_state(tmp_path):
    definition = json.loads(_with_function_arns(paths.DEFINITION.read_text()))
    definition["States"]["Validate"]["Next"] = "Nowhere"

    run = _validate(json.dumps(definition), tmp_path)

    assert run.returncode != 0
    assert "Missing 'StartAt'|'Next'|'Default' target: Nowhere" in run.stdout + run.stderr
    assert "State NothingToDeploy? is not reachable" in run.stdout + run.stderr
