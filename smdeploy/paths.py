"""Where the Lambda asset root and the state machine definition live in this repository,
and the one place in smdeploy that edits ``sys.path``.

smdeploy reaches the Lambda code only through these paths and the handler strings, exactly
as the stack does; it never imports the domain package directly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DEFINITION = ROOT / "statemachine" / "deployer.asl.json"
EXAMPLES = ROOT / "examples"


def use_lambda_code(root: Path = FUNCTIONS) -> None:
    """Make the Lambda package (``deployer``) importable from ``root``, unless a tree on
    ``sys.path`` holds it already: the Lambda-runtime test tier puts a tree laid out like the
    asset first on ``PYTHONPATH``, and the handlers are then imported from it."""
    if str(root) in sys.path or importlib.util.find_spec("deployer") is not None:
        return
    sys.path.insert(0, str(root))
