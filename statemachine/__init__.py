"""The deployer's state machine definition, shipped in smdeploy's distribution as the package
``smdeploy.statemachine`` (see setup.py) and read with ``importlib.resources``
(``smdeploy.resources``); the stack deploys the same file."""
