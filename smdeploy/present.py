"""How the command line shows things: the consoles, progress, tables and reports.

Rules that every command follows through this module:

- Nothing a user needs to read or copy (a name, a status, an ARN) is ever cut or folded: a
  table is printed only when it fits the terminal; otherwise the same rows are printed as
  records, one ``field  value`` line each.
- Text is never hard-wrapped: one logical line is one line (a terminal wraps it for the eye,
  and copying it gives it back whole). Lines carry no trailing padding.
- The width is ``COLUMNS`` when set, else the terminal's; a pipe or a file has no width, so
  every table fits.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from smdeploy.executions import Progress
from smdeploy.validation import Validation

if TYPE_CHECKING:
    from smdeploy.remote import Started
    from smdeploy.runtime.local import Outcome

# The model column of a variant that names none: its endpoint hosts inference components
# (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html).
HOSTS_COMPONENTS = "(inference components)"
UNBOUNDED = 100_000  # the width of a pipe or a file: no line is ever broken


def layout_width(stream: IO[str]) -> int | None:
    """The width to lay tables out for: ``COLUMNS``, else the terminal's, else None."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream.isatty():
        return shutil.get_terminal_size().columns
    return None


class Screen:
    """One output stream: a rich Console that never wraps, and the width tables must fit."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.width = layout_width(stream)
        self.console = Console(
            file=stream,
            width=UNBOUNDED,
            soft_wrap=True,
            highlight=False,
            force_terminal=None,
        )

    def print(self, text: str = "") -> None:
        """One line (or several, split where ``text`` says), rich markup allowed."""
        self.console.print(text, soft_wrap=True)

    def write(self, text: str) -> None:
        """Plain text as it is (no markup), then flushed."""
        self.stream.write(text)
        self.stream.flush()

    def fits(self, renderable: RenderableType) -> bool:
        if self.width is None:
            return True
        return Measurement.get(self.console, self.console.options, renderable).maximum <= (
            self.width
        )

    def render(self, renderable: RenderableType) -> None:
        """A table or any rich renderable, with the trailing padding of each line removed."""
        with self.console.capture() as captured:
            self.console.print(renderable)
        lines = [line.rstrip() for line in captured.get().splitlines()]
        self.write("".join(f"{line}\n" for line in lines))

    def rows(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        right: Sequence[str] = (),
    ) -> None:
        """A table when it fits the width, else each row as a record (field, value lines);
        the ``right`` columns are right-aligned in the table."""
        table = Table(title=title or None, title_justify="left", box=None, pad_edge=False)
        for column in columns:
            table.add_column(column, no_wrap=True, justify="right" if column in right else "left")
        for row in rows:
            table.add_row(*row)
        if self.fits(table):
            self.render(table)
            return
        if title:
            self.print(f"[bold]{escape(title)}[/]")
        field_width = max(len(column) for column in columns[1:]) if len(columns) > 1 else 0
        for row in rows:
            self.print(f"{row[0]}")
            for column, value in zip(columns[1:], row[1:], strict=True):
                self.print(f"  {column:<{field_width}}  {value}")


def stdout() -> Screen:
    return Screen(sys.stdout)


def stderr() -> Screen:
    return Screen(sys.stderr)


def heading(screen: Screen, text: str) -> None:
    screen.print(f"[bold]{escape(text)}[/]")


def verdict(screen: Screen, word: str, text: str) -> None:
    """``valid: <text>`` (green) or ``invalid: <text>`` (red)."""
    colour = "green" if word == "valid" else "red"
    screen.print(f"[{colour}]{word}[/]: {escape(text)}")


def error(screen: Screen, message: str) -> None:
    """``error: <message>`` (the message is shown as is, not read as markup)."""
    screen.print(f"[red]error:[/] {escape(message)}")


# --- progress --------------------------------------------------------------------------------


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


class ProgressPrinter:
    """Human progress on stderr: each stage, what it found, and each change of endpoint status.

    The Wait/Describe loop prints only when the endpoint's status changes.
    """

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self._last = ""
        self._last_error = ""

    def __call__(self, line: Progress) -> None:
        stamp = f"  [dim]{clock(line.seconds)}[/]  "
        if line.kind == "stage":
            if line.stage != "DescribeEndpoint":
                self.screen.print(f"{stamp}[bold]{line.stage}[/]")
            return
        if line.kind == "result" and line.stage == "DescribeEndpoint":
            if line.endpoint_status == self._last:
                return
            self._last = line.endpoint_status or ""
        if line.kind == "end":
            colour = {"SUCCEEDED": "green", "SUPERSEDED": "yellow"}.get(line.stage, "red")
            # the failure's cause was printed already when a stage reported it
            detail = "" if line.detail == self._last_error else escape(line.detail)
            self.screen.print(f"{stamp}[{colour}]{line.stage}[/] {detail}".rstrip())
            self._last = self._last_error = ""
            return
        if line.kind == "retry":  # the state machine tries the stage again: not a failure
            self.screen.print(f"{stamp}  [dim]{escape(line.retry_text())}[/]")
            return
        colour = "yellow" if line.kind == "error" else "default"
        if line.kind == "error":
            self._last_error = line.detail
        self.screen.print(f"{stamp}  [{colour}]{escape(line.detail)}[/]")


def serving_text(instances: Sequence[dict[str, Any]]) -> str:
    """The instances that serve, in words: ``2 x ml.g6.2xlarge (AllTraffic)``, one part per
    variant and instance type; "" when DescribeEndpoint did not tell."""
    parts = []
    for serving in instances:
        count, kind = serving.get("CurrentInstanceCount"), serving.get("InstanceType")
        if kind is None and count is None:
            continue
        what = f"{count} x {kind}" if kind else f"{count} instance(s)"
        parts.append(f"{what} ({serving.get('VariantName')})")
    return ", ".join(parts)


# --- local and demo ----------------------------------------------------------------------------


def summary(screen: Screen, outcomes: list[Outcome]) -> None:
    """Each deployment's result: what ran, and where the account stands after it."""
    columns = (
        "request",
        "status",
        "endpoint",
        "config",
        "endpoint status",
        "serving",
        "error",
        "sim s",
        "wall s",
    )
    rows = []
    for o in outcomes:
        shown = o.shown_status
        colour = {"SUCCEEDED": "green", "SUPERSEDED": "yellow"}.get(shown, "red")
        rows.append(
            (
                escape(o.request),
                f"[{colour}]{shown}[/]",
                escape(o.EndpointName or "-"),
                escape(o.EndpointConfigName or "-"),
                o.EndpointStatus or "-",
                escape(serving_text(o.ServingInstances) or "-"),
                escape(o.error or "-"),
                f"{o.stats.simulated_seconds:.0f}" if o.stats else "-",
                f"{o.stats.wall_seconds:.2f}" if o.stats else "-",
            )
        )
    screen.rows("Deployments (simulated time)", columns, rows, right=("sim s", "wall s"))


def start_document(started: Started, final: dict[str, Any] | None) -> dict[str, Any]:
    """The object ``start --json`` prints (its keys: :data:`smdeploy.documents.START`)."""
    previous = started.previous
    return {
        "ExecutionArn": started.execution_arn,
        "Name": started.name,
        "Started": not started.existing,
        "Attempt": started.attempt,
        "PreviousAttempt": (
            {"Name": previous.name, "Status": previous.status} if previous is not None else None
        ),
        "Execution": final,
    }


def json_document(screen: Screen, document: Any) -> None:
    """Exactly one JSON document, indented, on its own."""
    screen.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# --- validate ----------------------------------------------------------------------------------


def share(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def capacity(variant: dict[str, Any]) -> str:
    if "ServerlessConfig" in variant:
        config = variant["ServerlessConfig"]
        return (
            f"serverless {config.get('MemorySizeInMB')} MB, "
            f"up to {config.get('MaxConcurrency')} concurrent"
        )
    count = variant.get("InitialInstanceCount")
    if "InstancePools" in variant:
        return f"{count} x {pools(variant['InstancePools'])}"
    return f"{count} x {variant.get('InstanceType')}"


def pools(instance_pools: list[dict[str, Any]]) -> str:
    """A variant's instance pools in the order SageMaker tries them: "SageMaker AI attempts to
    provision instances starting with the highest-priority type (priority 1) and automatically
    falls back to lower-priority types when capacity is unavailable"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-heterogeneous.html).
    A pool's ModelNameOverride is named after its priority."""
    shown = []
    for pool in sorted(instance_pools, key=lambda pool: pool["Priority"]):
        model = pool.get("ModelNameOverride")
        detail = f"priority {pool['Priority']}" + (f", model {model}" if model else "")
        shown.append(f"{pool['InstanceType']} ({detail})")
    return ", then ".join(shown)


def validation_document(found: Validation) -> dict[str, Any]:
    """The object ``validate --json`` prints (its keys: :data:`smdeploy.documents.VALIDATE`)."""
    return {
        "Valid": found.valid,
        "Errors": [{"Path": v.path, "Message": v.message} for v in found.violations],
        "Traffic": dict(found.traffic),
    }


def validation(screen: Screen, problems: Screen, label: str, found: Validation) -> None:
    """``validate``'s verdict: the request and its variants, or every problem, one a line."""
    if found.request is None:
        for violation in found.violations:
            screen.write(f"{violation.path}: {violation.message}\n")
        count = len(found.violations)
        noun = "problem" if count == 1 else "problems"
        problems.print(f"[red]invalid[/]: {escape(label)}: {count} {noun}")
        return
    request = found.request
    derived = " (derived from the content)" if request.config_name_derived else ""
    screen.print(f"[green]valid[/]: {escape(label)}")
    screen.print(f"  endpoint         {escape(request.endpoint_name)}")
    screen.print(f"  endpoint config  {escape(request.endpoint_config_name)}{derived}")
    rows = []
    for kind in ("ProductionVariants", "ShadowProductionVariants"):
        for variant in request.fields.get(kind, []):
            name = variant["VariantName"]
            traffic = share(found.traffic[name]) if kind == "ProductionVariants" else "shadow"
            model = variant.get("ModelName") or HOSTS_COMPONENTS
            rows.append((escape(name), escape(model), escape(capacity(variant)), traffic))
    screen.rows("", ("variant", "model", "capacity", "traffic"), rows, right=("traffic",))
    components = [component_row(ic) for ic in request.inference_components]
    if components:
        columns = ("inference component", "variant", "model", "copies")
        screen.rows("", columns, components, right=("copies",))


def component_row(ic: dict[str, Any]) -> tuple[str, str, str, str]:
    """An inference component of a valid request: its name, the variant that hosts it, what
    it runs (its model, its container's image, or for an adapter, 'adapter of' its base) and
    the copies it is created with (an adapter runs on its base's copies:
    https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-adapt.html)."""
    specs = ic.get("Specifications") or [ic.get("Specification") or {}]
    runs = []
    for spec in specs:
        base = spec.get("BaseInferenceComponentName")
        image = (spec.get("Container") or {}).get("Image")
        runs.append(f"adapter of {base}" if base else str(spec.get("ModelName") or image))
    copies = (ic.get("RuntimeConfig") or {}).get("CopyCount")
    shown = "base's" if copies is None else str(copies)
    name, variant = str(ic["InferenceComponentName"]), str(ic.get("VariantName", ""))
    return escape(name), escape(variant), escape(", ".join(runs)), shown
