"""Where smdeploy's resources are: the files it reads and the Lambda code it runs, found with
``importlib.resources``, so that they are the same whether smdeploy runs from a checkout (an
editable install) or from an installed wheel.

- ``DEFINITION``: the state machine definition (``statemachine/deployer.asl.json`` in the
  repository; the package ``smdeploy.statemachine`` once installed), the file the stack deploys.
- ``EXAMPLES``: the examples (``examples/``; ``smdeploy.examples``), read by ``smdeploy demo``.
- ``DEPLOYER``: the Lambda package ``deployer`` (``functions/deployer``), installed with
  smdeploy: the emulator gives its files to the functions it creates, and runs the handlers by
  their handler strings (``deployer.handlers...``), as Lambda does. The Lambda-runtime test
  tier puts a tree laid out like the asset first on ``PYTHONPATH``: ``deployer`` is then that
  tree's.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

DEFINITION: Traversable = files("smdeploy.statemachine") / "deployer.asl.json"
EXAMPLES: Traversable = files("smdeploy.examples")
DEPLOYER: Traversable = files("deployer")
