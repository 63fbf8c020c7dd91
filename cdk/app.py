"""Building the app: the configuration read once, the stack, the rule packs."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from cdk.checks import add_checks
from cdk.context import ConfigError, context_of, load_config
from cdk.functions import AssetNotBuilt
from cdk.stack import SmdeployStack


def build(app: App, *, deploy_account: str | None = None) -> SmdeployStack:
    """Add the stack (configured from ``app``'s context) and the rule packs to ``app``."""
    node = app.node
    config = load_config(
        context_of(node.try_get_context),
        all_keys=tuple(node.get_all_context()),
        deploy_account=deploy_account,
    )
    stack = SmdeployStack(app, config.stack_name, config=config)
    add_checks(app)
    return stack


def new_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """An App with ``context`` (tests: the same context as cdk.json, plus their own)."""
    return App(context=dict(context or {}), outdir=outdir)


def main(app: App | None = None) -> int:
    """``python app.py``, as the CDK CLI runs it: synth, or explain what to configure.

    The CLI hands the app its context (cdk.json, -c) through the environment; tests pass an
    ``app`` built with theirs.
    """
    app = app or App()
    try:
        # The account the CLI is deploying to, when it knows it: the role must live there.
        build(app, deploy_account=os.environ.get("CDK_DEFAULT_ACCOUNT"))
    except (ConfigError, AssetNotBuilt) as error:
        print(error, file=sys.stderr)
        return 1
    app.synth()
    return 0
