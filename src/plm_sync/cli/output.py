"""How a run is shown: progress while it goes, its table and events after, its exit code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from plm_sync.cli.app import (
    _console,
    _print_json_streamed,
    _SafeTable,
)
from plm_sync.config import Settings
from plm_sync.errors import UsageError
from plm_sync.ops.views import when
from plm_sync.sync.request import SyncRequest

if TYPE_CHECKING:  # the run's machinery loads when a command runs one, not for --help
    from plm_sync.connect.client import ConnectClient
    from plm_sync.ops.reports import RunReport
    from plm_sync.runs.runlog import RunOutcome


class _RichProgress:
    """A live count of product lines and items on a terminal; nothing otherwise."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("syncing", total=None)
        self.products = 0
        self.items = 0

    def product(self, product_id: str, items: int) -> None:
        self.products += 1
        self.items += items
        self.progress.update(
            self.task,
            description=f"{self.products} product lines, {self.items} items (last {product_id})",
        )

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()


def _run_and_report(
    settings: Settings, request: SyncRequest, output: str, client: ConnectClient | None = None
) -> int:
    from plm_sync.ops.reports import read_report, run_report  # noqa: PLC0415 - the store on use

    console = Console(stderr=True)
    if console.is_terminal and output != "json":
        with _RichProgress(console) as progress:
            outcome = _sync(settings, request, client, progress)
    else:
        outcome = _sync(settings, request, client, None)
    pushed = None
    if settings.push_after_sync:
        from plm_sync.delivery.push import push_after_sync  # noqa: PLC0415 - Commerce code on use

        pushed = push_after_sync(settings, request.dry_run, outcome)
    if output == "json":  # one JSON document: the sync's report, with its push inside
        read = read_report(settings, outcome.run_id)
        report = read.streamed()
        if pushed is not None:
            report["push"] = run_report(settings, pushed.run_id)
        with read.opened():
            _print_json_streamed(report)
    else:
        _show_run(settings, outcome.run_id, output)
        if pushed is not None:
            _show_run(settings, pushed.run_id, output)
    return outcome.exit_code if pushed is None else max(outcome.exit_code, pushed.exit_code)


def _sync(
    settings: Settings,
    request: SyncRequest,
    client: ConnectClient | None,
    progress: _RichProgress | None,
) -> RunOutcome:
    """The run: in this process, or its product lines in `--jobs` processes."""
    if settings.processes > 1 and client is None:
        from plm_sync.sync.fanout import run_in_processes  # noqa: PLC0415 - the machinery on use

        return run_in_processes(
            settings, request, settings.processes, progress=progress, auto=settings.jobs == 0
        )
    from plm_sync.sync.run import run_sync  # noqa: PLC0415

    return run_sync(settings, request, client=client, progress=progress)


def _show_run(settings: Settings, run_id: int, output: str) -> None:
    """Print a run's report: JSON (its events streamed), or the summary tables."""
    from plm_sync.ops.reports import read_report  # noqa: PLC0415 - the store on use

    report = read_report(settings, run_id)
    if output == "json":
        with report.opened():
            _print_json_streamed(report.streamed())
    else:
        _print_report(report)


def make_folder(path: Path) -> str:
    """Create the missing folder of a file about to be written: what `wrote` then says.

    `report -o`, `prices -o` and `ppr export -o` all create it (and say so), none silently.
    """
    folder = path.parent
    if folder.exists():
        return ""
    try:
        folder.mkdir(parents=True)
    except OSError as error:
        raise UsageError(f"{path}: cannot create its folder {folder}: {error.strerror}") from None
    return f" (created the folder {folder})"


def _plural(count: int, noun: str) -> str:
    """`1 draft`, `2 drafts`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _period(period: dict[str, Any]) -> str:
    """`1 month`, `3 years`."""
    return _plural(int(period["duration"]), str(period["unit"]))


def _run_table(report: dict[str, Any]) -> Table:
    """A run's summary: scope, times, counts, cursor and message."""
    counts = report["counts"]
    title = f"run {report['id']}: {report['status']}" + (" (dry run)" if report["dry_run"] else "")
    table = _SafeTable(title=title, show_header=False)
    is_import = report["scope"].startswith(("ppr import", "push"))
    table.add_row("trigger / scope", f"{report['trigger']} / {report['scope']}")
    table.add_row(
        "started / finished",
        f"{when(report['started_at'])} / {when(report['finished_at']) or 'not yet'}",
    )
    if is_import:
        table.add_row("product lines", str(counts["products"]))
    else:
        table.add_row(
            "products / items",
            f"{counts['products']} / {counts['items']} "
            f"({_plural(counts['skipped'], 'draft')} skipped)",
        )
    if report["trigger"] == "push":
        verb = "would change" if report["dry_run"] else "pushed"
        table.add_row("lines", f"{verb} {counts['updated']}, unchanged {counts['unchanged']}")
    elif report["trigger"] == "drift":
        table.add_row("lines", f"differ {counts['updated']}, as the catalog {counts['unchanged']}")
    else:
        table.add_row(
            "catalog rows",
            f"created {counts['created']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, deactivated {counts['deactivated']}",
        )
    table.add_row("errors / retries", f"{counts['errors']} / {report['retries']}")
    if not is_import:
        table.add_row(
            "cursor",
            f"{report['cursor_before'] or 'none yet'} -> {report['cursor_after'] or 'none yet'}",
        )
    if report.get("message"):
        table.add_row("message", report["message"])
    return table


def _price_table(rows: list[dict[str, Any]]) -> _SafeTable:
    columns = ("listed", "unlisted", "created", "changed", "removed", "held")
    table = _SafeTable(title="prices by product line and marketplace")
    for column in ("product", "marketplace", *columns):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["connect_product_id"], row["marketplace"], *(str(row[c]) for c in columns)
        )
    return table


def _print_report(run: RunReport) -> None:
    console = _console()
    report = run.document
    console.print(_run_table(report))
    if report["event_summary"]:
        summary = _SafeTable(title="events", show_lines=False)
        for column in ("level", "code", "count"):
            summary.add_column(column)
        for row in report["event_summary"]:
            summary.add_row(row["level"], row["code"], str(row["count"]))
        console.print(summary)
    if report.get("price_changes"):
        console.print(_price_table(report["price_changes"]))
    problems = [e for e in run.shown if e["level"] in {"error", "warning"}]
    problem_count = sum(
        row["count"] for row in report["event_summary"] if row["level"] in {"error", "warning"}
    )
    if problems:
        detail = _SafeTable(title="errors and warnings")
        for column in ("level", "code", "product", "item", "mpn", "message"):
            detail.add_column(column, overflow="fold")
        for event in problems[:50]:
            detail.add_row(
                event["level"],
                event["code"],
                event["connect_product_id"] or "",
                event["connect_item_id"] or "",
                event["mpn"] or "",
                event["message"],
            )
        console.print(detail)
        if problem_count > 50:  # noqa: PLR2004 - a screenful; the JSON report has all
            console.print(
                f"... {problem_count - 50} more: `plm-sync report {report['id']} --format json`"
            )
