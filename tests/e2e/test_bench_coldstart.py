"""``make bench``'s cold-start part measures each function with the event the state machine
gave it in a real deployment: that deployment must invoke every function (it stopped
``make bench`` once the guardrail steps were skipped for a request without guardrails)."""

from __future__ import annotations

import pytest

from bench import coldstart
from deployer import interface
from smdeploy.runtime.server import EmulatorServer

pytestmark = pytest.mark.e2e


def test_the_bench_deployment_invokes_every_function_with_its_own_event():
    with EmulatorServer(port=0, seed=1) as server:
        invocations = coldstart.invocations_of(server)

    assert [i.stage for i in invocations] == [spec.stage for spec in interface.FUNCTIONS]
    assert [i.handler for i in invocations] == [spec.handler for spec in interface.FUNCTIONS]
    for invocation in invocations:
        assert isinstance(invocation.event, dict), invocation
        assert invocation.event, invocation
    guardrails = next(i for i in invocations if i.stage == "Guardrails")
    assert guardrails.event["Request"]["Guardrails"]["SmokeTest"]["ExpectStatus"] == 200
