"""The main tier collects this folder without its client flows: each SDK lives in a virtual
environment of its own (``make clients`` runs them there, without this file)."""

collect_ignore = ["emulator.py", "test_sdk_v2.py", "test_sdk_v3.py"]
