"""smdeploy: the command line and the embedded local runtime.

The Lambda asset root (``functions/``) is made importable here, once, before any module of
the package runs: the command line and the runtime read the contract the stack and the
handlers share (``deployer.contract``), check deployment profiles as the stack does
(``deployer.profiles``), and run the handlers by their handler strings.
"""

from smdeploy import paths

paths.use_lambda_code()

__version__ = "0.1.0"
