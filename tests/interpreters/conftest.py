"""The main tier collects this folder without its LocalStack test: localstack-core lives in a
virtual environment of its own (``make interpreters`` runs it there, without this file)."""

collect_ignore = ["test_localstack.py", "localstack_engine.py", "record.py"]
