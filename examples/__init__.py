"""The examples, shipped in smdeploy's distribution as the package ``smdeploy.examples`` (see
setup.py) and read with ``importlib.resources`` (``smdeploy.resources``) by ``smdeploy demo``."""
