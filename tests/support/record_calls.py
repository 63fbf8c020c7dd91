"""Run the ``smdeploy`` command line in this process and record every AWS call it makes.

``python tests/support/record_calls.py OUT.jsonl ARGS...`` runs ``smdeploy ARGS...`` and
appends one JSON line per call to OUT: the service's signing name (the IAM prefix: ``states``
for Step Functions), the operation and its parameters. Each botocore session the command
creates gets a handler on botocore's ``before-parameter-build`` event, which every API call
emits with the operation's model and its parameters
(https://docs.aws.amazon.com/boto3/latest/guide/events.html): botocore's public event system,
nothing of smdeploy's is replaced.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import botocore.session


def main() -> None:
    out_path, args = sys.argv[1], sys.argv[2:]
    out = open(out_path, "a")  # noqa: SIM115 (open for the process's life; closed at exit)
    created = botocore.session.Session.__init__

    def record(**event: Any) -> None:
        params, model = event["params"], event["model"]
        service = model.service_model
        line = {
            "Service": service.signing_name or service.endpoint_prefix,
            "Operation": model.name,
            "Params": params,
        }
        out.write(json.dumps(line, default=str) + "\n")
        out.flush()

    def init(self: botocore.session.Session, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        self.register("before-parameter-build", record)

    botocore.session.Session.__init__ = init  # type: ignore[method-assign]
    from smdeploy.cli import app

    sys.argv = ["smdeploy", *args]
    app()


if __name__ == "__main__":
    main()
