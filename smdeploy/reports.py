"""How an execution's report and a plan are shown: ``status``, the end of ``start --wait`` and
``watch``, and ``plan``, in sentences and tables (never JSON lines or Python reprs), through
:mod:`smdeploy.present`'s screens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from smdeploy.present import Screen, capacity, serving_text

if TYPE_CHECKING:
    from smdeploy.plan_decision import PlanReport


def superseded(report: dict[str, Any]) -> bool:
    """Whether an execution's report (:func:`smdeploy.remote.report`) is of a superseded
    deployment: its execution SUCCEEDED, but a newer deployment of the endpoint (or the
    rejection of its package) took over, and it deployed nothing of its own."""
    return report["Status"] == "SUCCEEDED" and report.get("Action") == "SUPERSEDED"


def superseded_text(report: dict[str, Any]) -> str:
    """A superseded deployment in words: the endpoint, the execution that superseded it, and
    why (the output's own message)."""
    endpoint, why = report.get("EndpointName"), report.get("Message")
    by = superseding(report)
    if why and by.removeprefix("execution ") in str(why):  # the deployer's messages name it
        return f"{endpoint}: {why}"
    return f"{endpoint}: superseded by {by}" + (f"; {why}" if why else "")


def superseding(report: dict[str, Any]) -> str:
    """The execution that superseded the reported one, by name."""
    by = report.get("SupersededBy")
    return f"execution {str(by).rsplit(':', 1)[-1]}" if by else "a newer deployment"


def ended_text(final: dict[str, Any]) -> str:
    """How a successful deployment ended, in words (the endpoint, its status and config, and
    the instances that serve)."""
    if final.get("Skip"):
        return f"nothing deployed: {final['Skip']}"
    text = f"{final['EndpointName']} is {final['EndpointStatus']} on {final['EndpointConfigName']}"
    serving = serving_text(final.get("ServingInstances") or [])
    return text + (f", served by {serving}" if serving else "")


def final_line(screen: Screen, final: dict[str, Any]) -> None:
    """How a followed execution ended (``start --wait``, ``watch``)."""
    if superseded(final):
        screen.print(f"[yellow]SUPERSEDED[/]: {escape(superseded_text(final))}")
        return
    if final["Status"] == "SUCCEEDED":
        screen.print(f"[green]SUCCEEDED[/]: {escape(ended_text(final))}")
        return
    screen.print(
        f"[red]{final['Status']}[/]: {escape(str(final['Error']))}: {escape(str(final['Cause']))}"
    )


# --- status ------------------------------------------------------------------------------------


def _ahead_of_this_clock(report: dict[str, Any]) -> float:
    """Seconds by which the execution's dates are ahead of this machine's clock (0: not)."""
    now = datetime.now(UTC)
    ahead = 0.0
    for key in ("StartDate", "StopDate"):
        if report.get(key):
            ahead = max(ahead, (datetime.fromisoformat(report[key]) - now).total_seconds())
    return ahead if ahead > 60 else 0.0


def trigger_text(trigger: Any) -> str:
    """What started a deployment, in words (its Trigger: ``approval of <package ARN>``)."""
    if not isinstance(trigger, dict):
        return ""
    source = str(trigger.get("Source") or "")
    what = (
        trigger.get("RejectedModelPackageArn")
        or trigger.get("ModelPackageArn")
        or trigger.get("ManifestUri")
        or trigger.get("ModelPackageGroupName")
    )
    return f"{source} of {what}" if what and source != "direct" else (source or "")


def waiting_text(waiting: dict[str, Any]) -> str:
    """The deployment an execution waits for, in words."""
    name = str(waiting.get("ExecutionArn") or "").rsplit(":", 1)[-1]
    phase = str(waiting.get("Phase") or "").lower() or "holding"
    text = f"execution {name}, {phase} config {waiting.get('EndpointConfigName')}"
    if waiting.get("Since"):
        text += f", since {waiting['Since']}"
    if waiting.get("Until"):
        text += f"; waits until {waiting['Until']} at the latest"
    return text


def retry_text(retry: dict[str, Any]) -> str:
    """One retried attempt of a status report, in words."""
    of = f" of {retry['MaxAttempts']}" if retry.get("MaxAttempts") else " (until the deadline)"
    return f"{retry['Stage']}: retry {retry['Retry']}{of} after {retry['Error']}: {retry['Cause']}"


def status(screen: Screen, report: dict[str, Any]) -> None:
    """``status``: one ``field  value`` line per field that applies (a list's items on lines of
    their own), in words, values whole."""
    state = str(report["Status"])
    if superseded(report):  # SUCCEEDED in Step Functions, but deployed nothing of its own
        state = f"SUPERSEDED by {superseding(report)} (its execution SUCCEEDED)"
    endpoint = None
    if report.get("EndpointName"):
        endpoint = str(report["EndpointName"])
        if report.get("EndpointStatus"):
            endpoint += f" is {report['EndpointStatus']}"
        if report.get("EndpointConfigName"):
            endpoint += f" on {report['EndpointConfigName']}"
    action = report.get("Action")
    if action and report.get("Message") and not superseded(report):
        action = f"{action}: {report['Message']}"
    error = f"{report['Error']}: {report['Cause']}" if report.get("Error") else None
    fields: list[tuple[str, Any]] = [
        ("execution", report["Name"]),
        ("status", state),
        ("stage", report.get("Stage")),
        ("endpoint", endpoint),
        ("serving", serving_text(report.get("ServingInstances") or [])),
        ("trigger", trigger_text(report.get("Trigger"))),
        ("package", report.get("ModelPackageArn")),
        ("action", action),
        ("skipped", report.get("Skip")),
        ("why", report.get("Message") if superseded(report) else None),
        ("superseded by", report.get("SupersededBy")),
        ("waiting for", waiting_text(report["WaitingFor"]) if report.get("WaitingFor") else None),
        ("progress", list(report.get("Progress") or [])),
        ("components", [ic["Message"] for ic in report.get("InferenceComponents") or []]),
        ("retries", [retry_text(r) for r in report.get("Retries") or []]),
        ("started", report.get("StartDate")),
        ("stopped", report.get("StopDate")),
        ("error", error),
        ("execution ARN", report["ExecutionArn"]),
    ]
    shown = [(name, value) for name, value in fields if value not in (None, "", [])]
    width = max(len(name) for name, _ in shown)
    for name, value in shown:
        lines = value if isinstance(value, list) else [value]
        for index, line in enumerate(lines):
            label = name if index == 0 else ""
            screen.print(f"[bold]{label:<{width}}[/]  {escape(str(line))}")
    ahead = _ahead_of_this_clock(report)
    if ahead:
        screen.print(
            f"[bold]{'note':<{width}}[/]  these dates are {ahead:.0f} s ahead of this machine's "
            "clock: they are on a simulated clock (smdeploy emulator's), not AWS's"
        )


# --- plan --------------------------------------------------------------------------------------


def plan(screen: Screen, report: PlanReport) -> None:
    """``plan``'s human report, in sentences and tables: validity, the action, the variants
    (each instance pool in fallback order), the differences, models, retention."""
    if report.package_arn:
        screen.print(
            f"approval of {escape(report.package_arn)} (its status now: {report.approval_status})"
        )
    if not report.valid:
        screen.print("[red]invalid[/]: the request breaks these rules (nothing would be deployed)")
        for problem in report.errors:
            screen.print(f"  {escape(problem['path'])}: {escape(problem['message'])}")
        return
    screen.print(f"endpoint         {escape(str(report.endpoint_name))}")
    screen.print(f"endpoint config  {escape(str(report.endpoint_config_name))}")
    if report.blocked:
        blocked = report.blocked
        screen.print(f"[red]{blocked['error']}[/]: {escape(blocked['message'])}")
        return
    action = str(report.action)
    colour = "green" if action == "NONE" else "yellow"
    screen.print(f"[{colour}]{action}[/]: {escape(str(report.reason))}")
    if report.serving:
        serving = report.serving
        screen.print(
            f"  serving now: {escape(str(serving['EndpointConfigName']))} "
            f"({serving['EndpointStatus']})"
        )
    rows = [
        (
            escape(variant["VariantName"]),
            escape(str(variant.get("ModelName") or "-")),
            escape(capacity(variant)),
            "production" if kind == "ProductionVariants" else "shadow",
        )
        for kind, variant in report.variants
    ]
    if rows:
        screen.rows("", ("variant", "model", "capacity", "kind"), rows)
    if report.differences:
        screen.print("differences (what the endpoint serves -> what the request says):")
        for difference in report.differences:
            screen.print(f"  {escape(difference)}")
    if report.endpoint_config == "create":
        screen.print(f"endpoint config {escape(str(report.endpoint_config_name))} to create")
    elif report.endpoint_config == "reuse":
        screen.print(
            f"endpoint config {escape(str(report.endpoint_config_name))} exists with this "
            "content: reused"
        )
    for verb, models in (("create", report.models_create), ("reuse", report.models_reuse)):
        if models:
            screen.print(f"models to {verb}: {escape(', '.join(models))}")
    if report.policy:
        screen.print(f"update policy: {escape(report.policy)}")
    if report.components:
        screen.print("inference components, once the endpoint serves:")
        for ic in report.components:
            screen.print(f"  {ic['Action']}: {escape(ic['reason'])}")
            for difference in ic["differences"]:
                screen.print(f"    {escape(difference)}")
    doomed = [*report.delete, *report.delete_models]
    if doomed:
        screen.print(f"retention would delete: {escape(', '.join(doomed))} (keeping {report.keep})")
    elif report.keep:
        screen.print(f"retention would delete nothing (keeping {report.keep})")
