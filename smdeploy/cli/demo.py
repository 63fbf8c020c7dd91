"""``smdeploy demo``: approvals deploy, offline, with and without guardrails."""

from __future__ import annotations

from typing import Annotated

import typer

from smdeploy import present
from smdeploy.cli.app import app
from smdeploy.cli.common import EXIT_FAILED, EXIT_OK, json_flag, no_aws_profile
from smdeploy.helptext import Command

DemoJson = Annotated[bool, json_flag("demo")]


@app.command(cls=Command, short_help="Approve models offline: create, update, with guardrails.")
def demo(as_json: DemoJson = False) -> None:
    """Register and approve model packages of two groups: each approval deploys its version
    (create, then update), the second group with its profile's guardrails (autoscaling,
    rollback alarms, smoke test). All offline, through the front door; verify each."""
    no_aws_profile()  # offline: no AWS account is called
    from smdeploy.demo import run_demo

    err, out = present.stderr(), present.stdout()
    outcomes, failures = run_demo(err)
    if as_json:
        present.json_document(out, [o.to_json() for o in outcomes])
    else:
        present.summary(out, outcomes)
    raise typer.Exit(EXIT_FAILED if failures else EXIT_OK)
