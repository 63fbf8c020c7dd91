"""Where the stack finds what it deploys, in the repository (the stack is synthesized from a
checkout, never from an installed smdeploy).

The stack deploys the Lambda asset built from the ``functions/`` folder (``cdk.asset``) and
the ASL file as the state machine. The pure modules of the Lambda package it imports,
``deployer.interface`` (the names the stack and the handlers share) and
``deployer.request.profiles``
(so that synth refuses a deployment profile the Validate stage would refuse), are imported as
installed: the project's install (``pip install -e .``, what make runs) installs ``deployer``
from ``functions/deployer``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DEFINITION = ROOT / "statemachine" / "deployer.asl.json"
CDK_JSON = ROOT / "cdk.json"
