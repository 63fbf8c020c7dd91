"""smdeploy: the command line and the embedded local runtime.

``__version__`` is the one place the version is written: the distribution's metadata reads it
(pyproject.toml's ``dynamic = ["version"]``), and ``smdeploy --version`` prints it.
"""

__version__ = "0.1.0"
