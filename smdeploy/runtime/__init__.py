"""The embedded local runtime: moto, plus what moto lacks (see :mod:`.emulator`).

The Lambda asset root (``functions/``) is made importable here, once: the runtime installs
the deployer from the shared contract (``deployer.contract``), checks deployment profiles
as the stack does (``deployer.profiles``), and runs the handlers by their handler strings.
"""

import sys

from smdeploy import paths

if str(paths.FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(paths.FUNCTIONS))
