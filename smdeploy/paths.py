"""Where the Lambda asset root and the state machine definition live in this repository.

smdeploy reaches the Lambda code only through these paths and the handler strings, exactly
as the stack does; it never imports the domain package directly.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DEFINITION = ROOT / "statemachine" / "deployer.asl.json"
EXAMPLES = ROOT / "examples"
