"""The embedded local runtime: moto, plus what moto lacks (see :mod:`.emulator`)."""
