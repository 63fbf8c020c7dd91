"""The guardrails' simulation options of ``smdeploy local`` and ``smdeploy emulator`` (what the
emulated account does to autoscaling, rollback alarms and InvokeEndpoint: see
:mod:`smdeploy.runtime.guardrails`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

# the value of --alarm-during-update that means "the first alarm the update names"
FIRST_ALARM = "first"

ScaledTo = Annotated[
    int | None,
    typer.Option(
        min=1,
        metavar="N",
        help="A variant newly registered as a scalable target is scaled to N instances "
        "(within its min and max), as Application Auto Scaling would under load.",
    ),
]
AlarmDuringUpdate = Annotated[
    str | None,
    typer.Option(
        metavar="ALARM|first",
        help="During the next update whose AutoRollbackConfiguration names alarms, this alarm "
        "(or the first named) goes into ALARM: SageMaker rolls the update back.",
    ),
]
InvokeResponse = Annotated[
    str | None,
    typer.Option(
        metavar="BODY",
        help='What InvokeEndpoint answers (default {"predictions": [0.5]}).',
    ),
]
FailInvoke = Annotated[
    str | None,
    typer.Option(
        metavar="MESSAGE",
        help="InvokeEndpoint fails with a ModelError (the model's status 500, this message).",
    ),
]


def guardrail_faults(
    scaled_to: int | None,
    alarm_during_update: str | None,
    invoke_response: str | None,
    fail_invoke: str | None,
) -> dict[str, Any]:
    """The options as :class:`~smdeploy.runtime.faults.Faults` fields."""
    alarm = "" if alarm_during_update == FIRST_ALARM else alarm_during_update
    return {
        "scaled_to": scaled_to,
        "alarm_during_update": alarm,
        "invoke_response": invoke_response,
        "fail_invoke": fail_invoke,
    }
