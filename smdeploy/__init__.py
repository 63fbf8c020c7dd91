"""smdeploy: the command line and the embedded local runtime."""

__version__ = "0.1.0"
