"""What the smdeploy distribution ships; everything else about it is in pyproject.toml.

- The code: the packages under ``smdeploy/`` and the Lambda package ``deployer`` under
  ``functions/`` (the Lambda asset root), found, so that a new subpackage ships unlisted.
- The data, read with ``importlib.resources`` (``smdeploy.resources``), each from its one
  source: the state machine definition (``statemachine/``, also deployed by the stack) as
  ``smdeploy.statemachine``, and the examples (``examples/``, also read by the docs and the
  tests) as ``smdeploy.examples``.
"""

from setuptools import find_packages, setup

DATA = {"smdeploy.statemachine": "statemachine", "smdeploy.examples": "examples"}

setup(
    packages=[
        *find_packages(".", include=["smdeploy", "smdeploy.*"]),
        *find_packages("functions", include=["deployer", "deployer.*"]),
        *DATA,
    ],
    package_dir={"deployer": "functions/deployer", **DATA},
    package_data={
        "smdeploy": ["py.typed"],
        "deployer.request": ["*.json"],
        "smdeploy.statemachine": ["*.asl.json"],
        "smdeploy.examples": ["*.json"],
    },
)
