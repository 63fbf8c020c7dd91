"""Infra tier: the CDK stack, synthesized once per session, read as data.

The app is built exactly as ``app.py`` builds it (``cdk.app.build``: configuration, stack, the
cdk-nag rule packs), from the context ``cdk.json`` gives the CLI plus this tier's own
(:data:`TEST_CONTEXT`: a second profile with its own execution role, an email subscription),
and synthesized once into a temporary cloud assembly. Tests read the written template, the
validation report and the acknowledgments recorded in the assembly's metadata.

CDK's own post-synth template validation (about 5 s) is off here (see infra_helpers.py); the
cdk-nag packs still run. The CLI test (test_infra_cli.py) synthesizes with everything on.
"""

from __future__ import annotations

import pytest
from infra_helpers import TEST_CONTEXT, Synthesized, synthesize, with_cdk_json


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack with cdk.json's context plus TEST_CONTEXT, synthesized once per session."""
    return synthesize(with_cdk_json(TEST_CONTEXT), tmp_path_factory.mktemp("cdk.out"))
