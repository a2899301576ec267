"""`runs`, `report` and `status`: the run log and how the catalog stands."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from plm_sync.cli.app import (
    _console,
    _Context,
    _print_json,
    _print_json_streamed,
    _SafeTable,
    cli,
    pass_context,
)
from plm_sync.cli.output import (
    _print_report,
    make_folder,
)
from plm_sync.config import Settings, parse_duration
from plm_sync.domain.moments import aware
from plm_sync.domain.runs import COUNT_FIELDS, RunStatus
from plm_sync.errors import UsageError
from plm_sync.ops.views import when


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since {value!r} is not a date like 2026-11-01") from None
    return aware(moment)


@cli.group(invoke_without_command=True)
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--status", type=click.Choice([status.value for status in RunStatus]))
@click.option("--since", help="Only runs started on or after this date (ISO 8601).")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def runs(
    ctx: click.Context, limit: int, status: str | None, since: str | None, output: str
) -> None:
    """Recent runs, newest first; `runs cancel` and `runs prune` act on them."""
    if ctx.invoked_subcommand is not None:
        return
    context = ctx.find_object(_Context)
    assert context is not None  # noqa: S101 - set by the group callback
    rows = _recent_runs(context.settings, limit, status, _since(since))
    if output == "json":
        _print_json(rows)
        return
    table = _SafeTable(title="runs")
    for column in ("id", "trigger", "scope", "status", "started", *COUNT_FIELDS, "retries"):
        table.add_column(column)
    for row in rows:
        counts = row["counts"]
        table.add_row(
            str(row["id"]),
            row["trigger"],
            row["scope"],
            row["status"] + (" (dry run)" if row["dry_run"] else ""),
            when(row["started_at"]),
            *(str(counts[name]) for name in COUNT_FIELDS),
            str(row["retries"]),
        )
    _console().print(table)


@runs.command("cancel")
@click.argument("run_id")
@pass_context
def runs_cancel(context: _Context, run_id: str) -> None:
    """Cancel a queued run now, or a running one at its next batch (status `cancelled`).

    Product lines written before stay whole; nothing is half-written and the cursor does not
    move.
    """
    from plm_sync.runs.runlog import cancel_run  # noqa: PLC0415 - the store on use
    from plm_sync.store.database import open_database  # noqa: PLC0415

    with open_database(context.settings.database_url) as factory:
        status = cancel_run(factory, run_id)
    if status == RunStatus.CANCELLED:
        click.echo(f"run {run_id} cancelled")
    else:
        click.echo(
            f"run {run_id} is asked to stop: it ends `cancelled` before its next batch of "
            f"product lines; `plm-sync report {run_id}` shows it"
        )


HANDFUL = 10  # runs a prune on a terminal drops without asking
_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")
_AGE_UNITS = {"": "day", "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def prune_age(text: str) -> tuple[float, str]:
    """Seconds and words of `--older-than`: a bare number is days (as PLM_SYNC_RETENTION_DAYS)."""
    match = _AGE.fullmatch(text)
    if match is None:
        raise UsageError(f"--older-than={text!r} is not an age such as 90 (days), 90d, 12h or 2w")
    number, unit = match.groups()
    seconds = parse_duration(number + (unit or "d"), "--older-than")
    if seconds <= 0:
        raise UsageError(f"--older-than={text!r}: give an age above 0, e.g. 90 (days)")
    name = _AGE_UNITS[unit]
    return seconds, f"{number} {name}{'' if float(number) == 1 else 's'}"


def _on_terminal() -> bool:
    return sys.stdin.isatty()


@runs.command("prune")
@click.option(
    "--older-than",
    required=True,
    help="Age of the runs to drop: 90 (days, as PLM_SYNC_RETENTION_DAYS), 90d, 12h, 2w "
    "(the latest successful run stays).",
)
@click.option(
    "--yes", is_flag=True, help=f"Prune more than {HANDFUL} runs on a terminal without asking."
)
@pass_context
def runs_prune(context: _Context, older_than: str, yes: bool) -> None:
    """Delete old runs and their events (never the latest successful run, nor open runs)."""
    from plm_sync.runs.runlog import prune_runs  # noqa: PLC0415 - the store on use
    from plm_sync.store.database import open_database  # noqa: PLC0415

    seconds, shown = prune_age(older_than)
    age = timedelta(seconds=seconds)
    with open_database(context.settings.database_url) as factory:
        doomed = prune_runs(factory, age, dry_run=True)
        if len(doomed) > HANDFUL and not yes and _on_terminal():
            click.confirm(
                f"prune {len(doomed)} run(s) finished more than {shown} ago, with their events?",
                abort=True,
            )
        pruned = prune_runs(factory, age)
    click.echo(f"pruned {len(pruned)} run(s) finished more than {shown} ago")


@cli.command()
@click.argument("run_id")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "html", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="For html/xlsx (default: plm_sync_run_<id>.<format>).",
)
@pass_context
def report(context: _Context, run_id: str, output: str, output_file: Path | None) -> None:
    """One run's status, counts, changes and events (RUN_ID or `latest`)."""
    from plm_sync.ops.reports import list_runs, read_report  # noqa: PLC0415 - the store on use

    data = read_report(context.settings, run_id)
    if output == "json":
        with data.opened():
            _print_json_streamed(data.streamed())
    elif output == "table":
        _print_report(data)
    else:
        path = output_file or Path(f"plm_sync_run_{data.run_id}.{output}")
        created = make_folder(path)
        try:
            if output == "html":
                from plm_sync.ops.views.html import render_report  # noqa: PLC0415 - Jinja2 on use

                history = list_runs(context.settings, limit=30)
                page = render_report(
                    data.document, data.shown, data.total, data.changes, history=history, root=None
                )
                path.write_text(page, encoding="utf-8")
            else:
                from plm_sync.ops.views.workbook import (  # noqa: PLC0415 - openpyxl on use
                    write_report_workbook,
                )

                with data.opened():
                    write_report_workbook(data.document, data.diff(), data.events(), path)
        except OSError as error:
            raise UsageError(f"{path}: cannot write: {error.strerror}") from None
        click.echo(f"wrote {path}{created}")


@cli.command()
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    default=26.0,
    show_default=True,
    help="Hours after which the catalog counts as stale.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "prometheus"]),
    default="table",
    show_default=True,
    help="prometheus: the metrics of /metrics, for a node-exporter textfile collector.",
)
@pass_context
def status(context: _Context, max_age: float, output: str) -> None:
    """Is the catalog in sync? Exits 1 when the last run failed or the catalog is stale."""
    from plm_sync.store.database import reading_engine  # noqa: PLC0415 - the store on use
    from plm_sync.store.run_rows import health_of, health_runs, not_withdrawn  # noqa: PLC0415

    with reading_engine(context.settings.database_url) as engine, engine.connect() as connection:
        data = health_of(health_runs(connection), max_age, not_withdrawn(connection))
    if data["running"]:
        data["running"]["waiting_for_workers"] = _waiting(context.settings, data["running"]["id"])
    if output == "prometheus":
        from plm_sync.ops.metrics import metrics_text  # noqa: PLC0415 - prometheus_client on use
        from plm_sync.store.database import open_database  # noqa: PLC0415

        with open_database(context.settings.database_url, migrate=False) as factory:
            click.echo(metrics_text(context.settings, factory).decode(), nl=False)
        return  # the metrics say how things are; the collector reads them, not the exit code
    if output == "json":
        _print_json(data)
    else:
        _status_text(data)
    sys.exit(0 if data["ok"] else 1)


def _status_text(data: dict[str, Any]) -> None:
    """`status` as text: the verdict, then a line per run kind and problem."""
    last = data["last_scheduled_run"] or data["last_run"]
    click.echo("OK" if data["ok"] else "PROBLEM: " + "; ".join(data["problems"]))
    if last:
        click.echo(
            f"last {last['trigger']} run: {last['id']} {last['status']} "
            f"(finished {last['finished_at']})"
        )
    if data["age_seconds"] is not None:
        click.echo(
            f"catalog age: {data['age_seconds'] / 3600:.1f} h (since sync "
            f"{data['last_success']['id']})"
        )
    if data["last_push"]:
        push = data["last_push"]
        click.echo(f"last push: {push['id']} {push['status']} (finished {push['finished_at']})")
    if data["last_drift"]:
        drift = data["last_drift"]
        click.echo(
            f"last drift check: {drift['id']} {drift['status']}, "
            f"{drift['counts']['updated']} line(s) differ (finished {drift['finished_at']})"
        )
    for entry in data["prices_not_withdrawn"]:
        rows = ", ".join(" / ".join(row) for row in entry["rows"][:5])
        click.echo(
            f"not withdrawn: {entry['connect_product_id']} in {entry['marketplace']} on "
            f"{entry['hub']}: {rows}"
        )
    if data["running"]:
        click.echo(f"running now: run {data['running']['id']} ({data['running']['scope']})")
        if data["running"]["waiting_for_workers"]:
            click.echo(data["running"]["waiting_for_workers"])


def _waiting(settings: Settings, run_id: int) -> str | None:
    """Why the open run is quiet, when its tasks wait for a worker in the broker's queue."""
    from plm_sync.runs.runlog import waits_for_workers  # noqa: PLC0415 - the store on use
    from plm_sync.store.database import open_database  # noqa: PLC0415

    with open_database(settings.database_url, migrate=False) as factory:
        return waits_for_workers(settings, factory, run_id)


def _recent_runs(
    settings: Settings, limit: int, status: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """The newest runs, read through SQLAlchemy Core alone (these commands start quickly)."""
    from plm_sync.store.database import reading_engine  # noqa: PLC0415 - the store on use
    from plm_sync.store.run_rows import recent_runs  # noqa: PLC0415

    with reading_engine(settings.database_url) as engine, engine.connect() as connection:
        return recent_runs(connection, limit, status, since)
