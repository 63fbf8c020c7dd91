"""Where the stack finds what it deploys, and the one place that puts ``functions/`` on sys.path.

The stack deploys the Lambda asset built from the ``functions/`` folder (``cdk.asset``) and
the ASL file as the state machine. It also imports pure modules of the Lambda package,
``deployer.contract`` (the names the stack and the handlers share) and ``deployer.profiles``
(so that synth refuses a deployment profile the Validate stage would refuse). They live under
``functions/``, the source of the asset, so that folder is put on ``sys.path`` here, once;
``cdk/__init__.py`` imports this module first.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DEFINITION = ROOT / "statemachine" / "deployer.asl.json"
CDK_JSON = ROOT / "cdk.json"

if str(FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS))
