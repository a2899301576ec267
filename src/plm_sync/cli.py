"""The `plm-sync` command line: parse flags, call orchestration, print, exit with DESIGN codes."""

from __future__ import annotations

import json
import secrets
import sys
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Self, TextIO

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError

from plm_sync.config import Settings, load_settings, parse_duration
from plm_sync.connect.client import ConnectClient
from plm_sync.connect.sandbox.catalog import SAMPLE_CATALOG, CatalogError, SandboxCatalog
from plm_sync.connect.sandbox.faults import FaultSpec
from plm_sync.connect.sandbox.generate import generate_catalog
from plm_sync.connect.sandbox.server import SandboxBindError, SandboxOptions, SandboxServer
from plm_sync.domain.explain import explain_mpn
from plm_sync.domain.runs import RunStatus
from plm_sync.domain.text import inert
from plm_sync.errors import EXIT_OK, EXIT_USAGE, PlmSyncError, UsageError
from plm_sync.logging import configure_logging
from plm_sync.mappings import load_plm_rules
from plm_sync.pipeline import run_sync
from plm_sync.reports import RunReport, catalog, health, list_runs, read_report, run_report
from plm_sync.runlog import cancel_run, prune_runs
from plm_sync.store.database import open_database, safe_url
from plm_sync.store.runs import COUNT_FIELDS
from plm_sync.streamed_json import write_json
from plm_sync.sync_request import SyncRequest, check_product_id
from plm_sync.views import when


class _Context:
    """What every command shares: the settings built from flags and environment.

    A settings error is raised when a command first needs them, so `doctor` can report it
    as one of its checks.
    """

    def __init__(self, settings: Settings | None, error: UsageError | None = None) -> None:
        self._settings = settings
        self.settings_error = error
        self._noted = False

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise self.settings_error or UsageError("settings could not be loaded")
        if self._settings.mappings_packaged and not self._noted and _uses_rules():
            self._noted = True
            click.echo(
                f"plm-sync: using the rules files packaged with plm-sync "
                f"({self._settings.mappings}); set PLM_SYNC_MAPPINGS or --mappings, or create "
                "./mappings/, to use your own",
                err=True,
            )
        return self._settings


pass_context = click.make_pass_decorator(_Context)
RULES_COMMANDS = frozenset(
    {"sync", "import", "explain", "demo", "ppr", "enqueue", "doctor", "push"}
)


def _uses_rules() -> bool:
    """Whether the command being run reads the operator's rules files."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(RULES_COMMANDS & set(ctx.command_path.split()[1:]))


@click.group()
@click.option("--database-url", help="SQLAlchemy URL (env PLM_SYNC_DATABASE_URL).")
@click.option("--mappings", type=click.Path(path_type=Path), help="Operator mappings folder.")
@click.option("--connect-url", help="Connect API base URL (env PLM_SYNC_CONNECT_URL).")
@click.option(
    "--log-format",
    type=click.Choice(["auto", "json", "console"]),
    default="auto",
    show_default=True,
    help="Logs on standard error: JSON when not a terminal.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
)
@click.version_option(package_name="plm-sync")
@click.pass_context
def cli(
    ctx: click.Context,
    database_url: str | None,
    mappings: Path | None,
    connect_url: str | None,
    log_format: str,
    log_level: str,
) -> None:
    """Synchronise CloudBlue Connect catalogs into CloudBlue Commerce PLM."""
    configure_logging(log_format, log_level)
    try:
        settings = load_settings(
            database_url=database_url, mappings=mappings, connect_url=connect_url
        )
    except UsageError as error:
        ctx.obj = _Context(None, error)
    else:
        ctx.obj = _Context(settings)
        _IN_USE["database_url"] = settings.database_url


# the database this command uses, for a refusal the database gives outside a run
_IN_USE: dict[str, str] = {}


class _SafeTable(Table):
    r"""A rich table for text from outside: shown as it is, never run by rich or the terminal.

    Strings (title and cells) are neither rich markup (`[inactive]` stays visible) nor
    terminal commands: control characters, escape sequences included, show as `\xNN`.
    """

    def __init__(self, *headers: Any, title: str | Text | None = None, **options: Any) -> None:  # noqa: ANN401 - rich's options
        shown = Text(inert(title)) if isinstance(title, str) else title
        super().__init__(*headers, title=shown, **options)

    def add_row(self, *cells: Any, **options: Any) -> None:  # noqa: ANN401 - rich's renderables
        super().add_row(
            *(Text(inert(cell)) if isinstance(cell, str) else cell for cell in cells), **options
        )


def _console() -> Console:
    """Rich output; wide enough when piped that tables do not wrap names mid-word."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _print_json(data: Any) -> None:  # noqa: ANN401 - any JSON value
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
@click.option(
    "--mpn", required=True, help="The flat Connect MPN, e.g. CFQ7TTC0HDK0:0001_P1M:Monthly"
)
@click.option("--name", help="The Connect item name, e.g. 'Cloud Service (NCE COM BAS 1YR ANN)'.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def explain(context: _Context, mpn: str, name: str | None, output: str) -> None:
    """Show how one item would be transformed, and why."""
    rules = load_plm_rules(context.settings.mappings)
    result = explain_mpn(mpn, name, rules)
    if output == "json":
        _print_json(result)
        return
    table = _SafeTable(show_header=False, box=None)
    for key, value in result.items():
        if isinstance(value, dict):
            value = f"{value['duration']} {value['unit']}"  # noqa: PLW2901 - display only
        table.add_row(key, "" if value is None else str(value))
    _console().print(table)


SANDBOX_DEFAULT_KEY = "SU-000-000-000:sandbox"
DEMO_DATABASE = Path("plm_sync_demo.db")
DEMO_CATALOG_JSON = Path("plm_sync_demo_catalog.json")
DEMO_WORKBOOK = Path("plm_sync_demo_PPR.xlsx")
DEMO_PRODUCT = "PRD-276-377-545"
DEMO_MARKETPLACE = "MP-91111"  # its prices come from a pricing batch
DEMO_PRICE_LIST = Path("plm_sync_demo_Price-list.xlsx")
DEMO_OFFER_PRODUCT = "PRD-900-100-200"
DEMO_OFFER_WORKBOOK = Path("plm_sync_demo_offer_PPR.xlsx")
DEMO_ADDON_PRODUCT = "PRD-300-000-600"
DEMO_ADDON_WORKBOOK = Path("plm_sync_demo_addons_PPR.xlsx")


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
    console = Console(stderr=True)
    if console.is_terminal and output != "json":
        with _RichProgress(console) as progress:
            outcome = run_sync(settings, request, client=client, progress=progress)
    else:
        outcome = run_sync(settings, request, client=client)
    pushed = None
    if settings.push_after_sync and outcome.exit_code == EXIT_OK and not request.dry_run:
        from plm_sync.push import push_after_sync  # noqa: PLC0415 - Commerce code on use

        pushed = push_after_sync(settings, outcome.run_id)
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


def _show_run(settings: Settings, run_id: int, output: str) -> None:
    """Print a run's report: JSON (its events streamed), or the summary tables."""
    report = read_report(settings, run_id)
    if output == "json":
        with report.opened():
            _print_json_streamed(report.streamed())
    else:
        _print_report(report)


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


def _print_json_streamed(document: dict[str, Any]) -> None:
    """Like `_print_json`, for a document whose long lists are iterators (bounded memory)."""
    out: TextIO = sys.stdout
    write_json(document, out.write)
    out.write("\n")
    out.flush()


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


KEY_HELP = (
    "The Connect API key comes from PLM_SYNC_CONNECT_API_KEY, or from the file named by "
    "PLM_SYNC_CONNECT_API_KEY_FILE (Docker and Kubernetes secrets); never from a flag, so it "
    "stays out of shell history."
)
ALLOW_DEACTIVATIONS = click.option(
    "--allow-deactivations",
    is_flag=True,
    help="Lift the deactivation brake (PLM_SYNC_DEACTIVATION_LIMIT) for this one run.",
)
ALLOW_PRICE_CHANGES = click.option(
    "--allow-price-changes",
    is_flag=True,
    help="Lift the price-change brake (PLM_SYNC_PRICE_CHANGE_LIMIT) for this one run.",
)


@cli.command(epilog=KEY_HELP)
@click.option("--full", is_flag=True, help="Reconcile every product (finds deletions).")
@click.option("--product", "products", multiple=True, help="Only this Connect product (repeat).")
@click.option("--dry-run", is_flag=True, help="Compute and report the changes, write none.")
@ALLOW_DEACTIVATIONS
@ALLOW_PRICE_CHANGES
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def sync(
    context: _Context,
    full: bool,
    products: tuple[str, ...],
    dry_run: bool,
    allow_deactivations: bool,
    allow_price_changes: bool,
    output: str,
) -> None:
    """One sync run in this process (incremental by default).

    A run that would deactivate more service plans than PLM_SYNC_DEACTIVATION_LIMIT (default
    10% of the active plans, at least 20) writes none of the lines that deactivate, and exits 3.
    """
    for product_id in products:
        check_product_id(product_id)
    request = SyncRequest(
        trigger="cli",
        full=full,
        product_ids=products,
        dry_run=dry_run,
        allow_deactivations=allow_deactivations,
        allow_price_changes=allow_price_changes,
    )
    sys.exit(_run_and_report(context.settings, request, output))


@cli.command("import", epilog=KEY_HELP)
@click.argument("product_id")
@click.option("--dry-run", is_flag=True)
@ALLOW_DEACTIVATIONS
@ALLOW_PRICE_CHANGES
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def import_product(
    context: _Context,
    product_id: str,
    dry_run: bool,
    allow_deactivations: bool,
    allow_price_changes: bool,
    output: str,
) -> None:
    """Import one Connect product now (a full run for that product)."""
    request = SyncRequest(
        trigger="cli",
        full=True,
        product_ids=(check_product_id(product_id),),
        dry_run=dry_run,
        allow_deactivations=allow_deactivations,
        allow_price_changes=allow_price_changes,
    )
    sys.exit(_run_and_report(context.settings, request, output))


COMMERCE_HELP = (
    "The Commerce hub and credentials come from PLM_SYNC_COMMERCE_URL, "
    "PLM_SYNC_COMMERCE_OAUTH_KEY and PLM_SYNC_COMMERCE_OAUTH_SECRET (or their _FILE variants) "
    "and PLM_SYNC_COMMERCE_APP_ID; never from a flag, so they stay out of shell history."
)


@cli.command(epilog=COMMERCE_HELP)
@click.argument("product_ids", nargs=-1)
@click.option(
    "--changed", is_flag=True, help="Push every line whose catalog differs from its last push."
)
@click.option(
    "--dry-run", is_flag=True, help="Parse in PLM and show what would change; apply nothing."
)
@click.option(
    "--upgrade-product",
    is_flag=True,
    help="Upgrade a product PLM has an update of before pushing its line.",
)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def push(
    context: _Context,
    product_ids: tuple[str, ...],
    changed: bool,
    dry_run: bool,
    upgrade_product: bool,
    output: str,
) -> None:
    """Deliver product lines into Commerce PLM (parseConfig, applyConfig, the PLM task).

    One run (trigger `push`); a line whose catalog is as it was last pushed sends nothing;
    a line the last sync left in error or held is not pushed. Exit 0, 3 (some lines failed),
    1 (the run failed) or 2 (settings, credentials).
    """
    from plm_sync.push import PushRequest, push_lines  # noqa: PLC0415 - Commerce code on use

    for product_id in product_ids:
        check_product_id(product_id)
    request = PushRequest(
        product_ids, changed=changed, dry_run=dry_run, upgrade_product=upgrade_product
    )
    outcome = push_lines(context.settings, request)
    _show_run(context.settings, outcome.run_id, output)
    sys.exit(outcome.exit_code)


@cli.group()
def notify() -> None:
    """Alerts to people (PLM_SYNC_NOTIFY: Apprise URLs for Slack, Teams, e-mail, webhooks)."""


@notify.command("test")
@pass_context
def notify_test(context: _Context) -> None:
    """Send a test message to every PLM_SYNC_NOTIFY target."""
    from plm_sync.notify import Message, scheme_of, send, targets  # noqa: PLC0415 - on use

    urls = targets(context.settings.notify)
    if not urls:
        raise UsageError(
            "PLM_SYNC_NOTIFY is not set: give one or more Apprise URLs separated by spaces, "
            "e.g. slack://…, msteams://…, mailto://…, json://host/path"
        )
    schemes = ", ".join(sorted({scheme_of(url) for url in urls}))
    message = Message(
        "plm-sync: test message",
        "A test message from plm-sync: alerts come here when a run fails, ends with errors, a "
        "brake holds lines, a push fails or the scheduled sync goes quiet.",
        "info",
    )
    if not send(urls, message):
        raise PlmSyncError(
            f"not every target took the test message ({schemes}); the log says which "
            "(URLs are never shown: they hold tokens)"
        )
    click.echo(f"test message sent to {len(urls)} target(s): {schemes}")


@cli.command("prices")
@click.argument("product_id")
@click.option("--marketplace", help="Only this Connect marketplace (MP-…).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "xlsx"]),
    default="table",
    show_default=True,
    help="xlsx: the file Commerce's price-import wizard takes (sheet Price-list).",
)
@click.option("-o", "output_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def prices_command(
    context: _Context,
    product_id: str,
    marketplace: str | None,
    output: str,
    output_file: Path | None,
) -> None:
    """A product line's prices per marketplace (as stored by the last sync)."""
    check_product_id(product_id)
    lines = catalog(context.settings, (product_id,))["product_lines"]
    if not lines:
        raise UsageError(
            f"no stored product line for {product_id}: `plm-sync catalog` lists what is stored, "
            f"`plm-sync import {product_id}` brings it in"
        )
    line = lines[0]
    found: dict[str, Any] = line["prices"]
    if marketplace is not None:
        if marketplace not in line["marketplaces"] and marketplace not in found:
            known = ", ".join(line["marketplaces"]) or "none"
            raise UsageError(
                f"{product_id} is not listed in marketplace {marketplace!r} (listed in: {known})"
            )
        found = {key: value for key, value in found.items() if key == marketplace}
    if output == "json":
        _print_json(
            {
                "connect_product_id": product_id,
                "marketplaces": line["marketplaces"],
                "prices": found,
            }
        )
        return
    if output == "xlsx":
        if len(found) != 1:
            choices = ", ".join(found) or "none with prices"
            raise UsageError(
                f"{product_id} has prices in {len(found)} marketplaces ({choices}): one file per "
                "marketplace, name it with --marketplace MP-…"
                if found
                else f"{product_id} has no stored prices"
                + (f" in {marketplace}" if marketplace else "")
            )
        from plm_sync.views.price_list import write_price_list  # noqa: PLC0415 - openpyxl on use

        (chosen,) = found
        path = output_file or Path(f"{product_id}_{chosen}_Price-list.xlsx")
        try:
            write_price_list(line, chosen, path)
        except OSError as error:
            raise UsageError(f"{path}: cannot write: {error.strerror}") from None
        click.echo(f"wrote {path}")
        return
    _print_prices(line, found)


def _print_prices(line: dict[str, Any], found: dict[str, Any]) -> None:
    console = _console()
    for marketplace, entry in sorted(found.items()):
        table = _SafeTable(
            title=f"{line['connect_product_id']} in {marketplace} ({entry['currency']}, "
            f"from {entry['source']})"
        )
        for column in ("MPN", "billing", "term", "cost", "price", "MSRP", "effective"):
            table.add_column(column, overflow="fold")
        for row in entry["rows"]:
            table.add_row(
                row["mpn"],
                row["billing_period"] or "trial",
                row["subscription_period"],
                _amount(row["cost"], row["cost_currency"]),
                _amount(row["price"], row["price_currency"]),
                _amount(row["msrp"], row["price_currency"]),
                row["effective_date"] + (" (scheduled)" if row.get("scheduled") else ""),
            )
        console.print(table)
    if not found:
        listed = ", ".join(line["marketplaces"]) or "no marketplace"
        console.print(
            Text(f"no stored prices for {line['connect_product_id']} (listed in: {listed})")
        )


def _amount(value: float | None, currency: str | None) -> str:
    return "" if value is None else f"{value} {currency or ''}".strip()


@cli.command("catalog")
@click.option("--product", "products", multiple=True, help="Only this Connect product (repeat).")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def catalog_command(context: _Context, products: tuple[str, ...], output: str) -> None:
    """The stored hierarchical catalog."""
    data = catalog(context.settings, products)
    if output == "json":
        _print_json(data)
        return
    console = _console()
    for line in data["product_lines"]:
        offer = line.get("offer")
        table = _SafeTable(
            title=f"{line['connect_product_id']} {line['name']} ({line['vendor']})"
            + (f", plans from offer {offer['id']}" if offer else "")
            + ("" if line["active"] else " [inactive]")
        )
        for column in ("service plan", "resources", "billing", "periods", "active"):
            table.add_column(column, overflow="fold")
        for plan in line["service_plans"]:
            billing = plan["billing_period"]
            table.add_row(
                plan["name"],
                ", ".join(rate["resource_mpn"] for rate in plan["resource_rates"]),
                "trial" if billing is None else _period(billing),
                ", ".join(_period(p) for p in plan["periods"]),
                "yes" if plan["active"] else "no",
            )
        console.print(table)
        if line["plan_switches"]:
            switches = _SafeTable(title="plan switches (one-way)")
            for column in ("from", "to", "operation", "preset", "origin", "active"):
                switches.add_column(column, overflow="fold")
            for switch in line["plan_switches"]:
                switches.add_row(
                    switch["source_plan"],
                    switch["target_plan"],
                    switch["operation"],
                    switch["preset"],
                    switch["connect_switch_id"] or switch["origin"],
                    "yes" if switch["active"] else "no",
                )
            console.print(switches)
    if not data["product_lines"]:
        if products:
            console.print(
                f"no stored product line for {', '.join(products)}; `plm-sync catalog` lists "
                "what is stored, `plm-sync import PRD-…` brings one in"
            )
        else:
            console.print("the catalog is empty: run `plm-sync sync --full` first")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since {value!r} is not a date like 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    rows = list_runs(context.settings, limit, status, _since(since))
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
    """Cancel a queued run now, or a running one at its next product line (status `cancelled`).

    Product lines written before stay whole; nothing is half-written and the cursor does not
    move.
    """
    status = cancel_run(context.settings, run_id)
    if status == RunStatus.CANCELLED:
        click.echo(f"run {run_id} cancelled")
    else:
        click.echo(
            f"run {run_id} is asked to stop: it ends `cancelled` after the product line it is "
            f"writing; `plm-sync report {run_id}` shows it"
        )


@runs.command("prune")
@click.option(
    "--older-than",
    required=True,
    help="Age of the runs to drop, e.g. 90d, 12h, 2w (the latest successful run stays).",
)
@pass_context
def runs_prune(context: _Context, older_than: str) -> None:
    """Delete old runs and their events (never the latest successful run, nor open runs)."""
    seconds = parse_duration(older_than, "--older-than")
    pruned = prune_runs(context.settings, timedelta(seconds=seconds))
    click.echo(f"pruned {len(pruned)} run(s) finished more than {older_than} ago")


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
    data = read_report(context.settings, run_id)
    if output == "json":
        with data.opened():
            _print_json_streamed(data.streamed())
    elif output == "table":
        _print_report(data)
    else:
        path = output_file or Path(f"plm_sync_run_{data.run_id}.{output}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # as `ppr export -o` does
            if output == "html":
                from plm_sync.views.html import render_report  # noqa: PLC0415 - Jinja2 on use

                history = list_runs(context.settings, limit=30)
                page = render_report(
                    data.document, data.shown, data.total, data.changes, history=history, root=None
                )
                path.write_text(page, encoding="utf-8")
            else:
                from plm_sync.views.workbook import (  # noqa: PLC0415 - openpyxl on use
                    write_report_workbook,
                )

                with data.opened():
                    write_report_workbook(data.document, data.diff(), data.events(), path)
        except OSError as error:
            raise UsageError(f"{path}: cannot write: {error.strerror}") from None
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--allow-remote", is_flag=True, help="Allow listening beyond loopback.")
@click.option(
    "--max-age",
    type=float,
    default=26.0,
    show_default=True,
    help="Hours after which /health calls the catalog stale.",
)
@click.option(
    "--public-metrics",
    is_flag=True,
    help="Leave /health and /metrics open when PLM_SYNC_SERVE_TOKEN guards the pages.",
)
@pass_context
def serve(
    context: _Context,
    host: str,
    port: int,
    allow_remote: bool,
    max_age: float,
    public_metrics: bool,
) -> None:
    """Read-only web pages of the runs and the catalog, /health and /metrics.

    Beyond loopback (--allow-remote) the pages need PLM_SYNC_SERVE_TOKEN (or its _FILE), asked
    for as a bearer token or an HTTP Basic password.
    """
    with open_database(context.settings.database_url, migrate=False):
        pass  # the database holds plm-sync's schema before the first page is asked for
    from plm_sync.web import WebServer  # noqa: PLC0415 - the web pages load with `serve`

    try:
        server = WebServer(
            context.settings,
            host=host,
            port=port,
            allow_remote=allow_remote,
            max_age_hours=max_age,
            public_metrics=public_metrics,
        )
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    click.echo(f"plm-sync reports on {server.url}/ (health: {server.url}/health)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


@cli.command()
@click.option(
    "--max-age",
    type=float,
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
    data = health(context.settings, max_age)
    if output == "prometheus":
        from plm_sync.metrics import metrics_text  # noqa: PLC0415 - prometheus_client on use

        click.echo(metrics_text(context.settings).decode(), nl=False)
        return  # the metrics say how things are; the collector reads them, not the exit code
    if output == "json":
        _print_json(data)
    else:
        last = data["last_scheduled_run"] or data["last_run"]
        click.echo("OK" if data["ok"] else "PROBLEM: " + "; ".join(data["problems"]))
        if last:
            click.echo(
                f"last {last['trigger']} run: {last['id']} {last['status']} "
                f"(finished {last['finished_at']})"
            )
        if data["age_seconds"] is not None:
            click.echo(f"catalog age: {data['age_seconds'] / 3600:.1f} h")
        if data["running"]:
            click.echo(f"running now: run {data['running']['id']} ({data['running']['scope']})")
    sys.exit(0 if data["ok"] else 1)


@cli.group()
def ppr() -> None:
    """The PLM plan workbook: export a product line, import an operator's edits."""


@ppr.command("export")
@click.argument("product_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Default: PPR_<product>_v<n>_<timestamp>.xlsx here.",
)
@pass_context
def ppr_export(context: _Context, product_id: str, output: Path | None) -> None:
    """Write the stored product line as a PLM workbook."""
    from plm_sync.workbooks import export_ppr  # noqa: PLC0415 - openpyxl on use

    path = export_ppr(context.settings, product_id, output)
    click.echo(f"wrote {path}")


@ppr.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report, change nothing.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def ppr_import(context: _Context, file: Path, dry_run: bool, output: str) -> None:
    """Validate an edited workbook and keep its edits as operator overrides."""
    from plm_sync.workbooks import import_ppr  # noqa: PLC0415 - openpyxl on use

    outcome = import_ppr(context.settings, file, dry_run=dry_run)
    _show_run(context.settings, outcome.run_id, output)
    sys.exit(outcome.exit_code)


@cli.command(epilog=KEY_HELP)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def doctor(ctx: click.Context, output: str) -> None:
    """Check settings, rules files, database, Connect (key, Offers), broker and workers.

    Reads only: records no run, creates or migrates no database. Exits 0 when every check
    passes (warnings allowed), 2 naming what to fix.
    """
    from plm_sync.doctor import Outcome, diagnose, healthy  # noqa: PLC0415 - on use

    context = ctx.find_object(_Context)
    assert context is not None  # noqa: S101 - set by the group callback
    settings = None if context.settings_error else context.settings
    checks = diagnose(settings, context.settings_error)
    ok = healthy(checks)
    if output == "json":
        _print_json({"ok": ok, "checks": [check.as_dict() for check in checks]})
    else:
        table = _SafeTable(title="plm-sync doctor: " + ("all good" if ok else "needs fixing"))
        for column in ("check", "result", "detail"):
            table.add_column(column, overflow="fold")
        colours = {Outcome.OK: "green", Outcome.WARN: "yellow", Outcome.FAIL: "red"}
        for check in checks:
            table.add_row(
                check.name,
                Text(str(check.outcome), style=colours[check.outcome]),
                check.detail,
                style=None,
            )
        _console().print(table)
    if not ok:
        failed = ", ".join(check.name for check in checks if check.outcome is Outcome.FAIL)
        click.echo(f"plm-sync: doctor: fix {failed}", err=True)
    sys.exit(0 if ok else EXIT_USAGE)


@cli.command()
@pass_context
def migrate(context: _Context) -> None:
    """Upgrade the database schema to the newest version (deployments run it once)."""
    with open_database(context.settings.database_url):
        pass
    click.echo(f"schema is up to date: {safe_url(context.settings.database_url)}")


@cli.command()
@pass_context
def demo(context: _Context) -> None:
    """Serve the bundled sample catalog on loopback, sync it into plm_sync_demo.db, push it.

    Connect -> plm-sync -> Commerce in one command: the sample catalog served by the Connect
    sandbox, a full sync, the PLM workbooks, and a push of every product line into the
    Commerce sandbox (which parses, applies and reports each one as PLM would).
    """
    from plm_sync.commerce.sandbox.server import (  # noqa: PLC0415 - on use
        CommerceSandbox,
        CommerceSandboxOptions,
    )
    from plm_sync.push import PushRequest, push_lines  # noqa: PLC0415
    from plm_sync.workbooks import export_ppr  # noqa: PLC0415 - openpyxl on use

    key = f"SU-DEMO-{secrets.token_hex(4)}:{secrets.token_hex(16)}"
    server = SandboxServer(
        SandboxCatalog.load(SAMPLE_CATALOG), SandboxOptions(api_key=key), port=0
    ).start()
    commerce_options = CommerceSandboxOptions(
        oauth_key=f"demo-{secrets.token_hex(4)}",
        oauth_secret=secrets.token_hex(16),
        task_seconds=0.3,
    )
    hub = CommerceSandbox(commerce_options, port=0).start()
    try:
        settings = context.settings.with_overrides(
            database_url=f"sqlite:///{DEMO_DATABASE}",
            connect_url=server.url,
            connect_api_key=key,
            commerce_url=hub.url,
            commerce_oauth_key=commerce_options.oauth_key,
            commerce_oauth_secret=commerce_options.oauth_secret,
            commerce_app_id=commerce_options.app_id,
            commerce_poll_seconds=0.1,
            push_after_sync=False,
        )
        click.echo(f"sandbox with the bundled sample catalog on {server.url}")
        code = _run_and_report(settings, SyncRequest(trigger="cli", full=True), "table")
        DEMO_CATALOG_JSON.write_text(
            json.dumps(catalog(settings), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        workbook = export_ppr(settings, DEMO_PRODUCT, DEMO_WORKBOOK)
        offer_workbook = export_ppr(settings, DEMO_OFFER_PRODUCT, DEMO_OFFER_WORKBOOK)
        addon_workbook = export_ppr(settings, DEMO_ADDON_PRODUCT, DEMO_ADDON_WORKBOOK)
        price_list = _demo_prices(settings)
        click.echo(f"Commerce sandbox (PLM) on {hub.url}: pushing every product line")
        lines = tuple(line["connect_product_id"] for line in catalog(settings)["product_lines"])
        pushed = push_lines(settings, PushRequest(lines, changed=True))
        _print_report(read_report(settings, pushed.run_id))
        applied = hub.plm.state()["applied"]
    finally:
        hub.stop()
        server.stop()
    for item in applied:
        click.echo(
            f"PLM applied {len(item['plans'])} service plans of {item['product_id']} "
            f"(request {item['tracking_id']})"
        )
    click.echo(
        f"catalog stored in {DEMO_DATABASE.resolve()} "
        f"(`plm-sync --database-url sqlite:///{DEMO_DATABASE} catalog`)"
    )
    click.echo(f"catalog JSON written to {DEMO_CATALOG_JSON.resolve()}")
    click.echo(f"PLM workbook of {DEMO_PRODUCT} written to {workbook.resolve()}")
    click.echo(
        f"PLM workbook of {DEMO_OFFER_PRODUCT} (plans from its Connect offer, with switch "
        f"paths) written to {offer_workbook.resolve()}"
    )
    click.echo(
        f"PLM workbook of {DEMO_ADDON_PRODUCT} (an add-on as optional rates of its base plans, "
        f"ResourceDependencies, end-of-sale replacement switches) written to "
        f"{addon_workbook.resolve()}"
    )
    click.echo(
        f"prices of {DEMO_PRODUCT} in {DEMO_MARKETPLACE}, as Commerce's price-import wizard "
        f"takes them, written to {price_list.resolve()}"
    )
    sys.exit(max(code, pushed.exit_code))


def _demo_prices(settings: Settings) -> Path:
    """Show the demo lines' prices (one from a pricing batch, one from a price list)."""
    from plm_sync.views.price_list import write_price_list  # noqa: PLC0415 - openpyxl on use

    lines = catalog(settings, (DEMO_PRODUCT, DEMO_OFFER_PRODUCT))["product_lines"]
    for line in lines:
        _print_prices(line, line["prices"])
    demo = next(line for line in lines if line["connect_product_id"] == DEMO_PRODUCT)
    return write_price_list(demo, DEMO_MARKETPLACE, DEMO_PRICE_LIST)


@cli.group(invoke_without_command=True)
@click.option(
    "--catalog",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Catalog JSON file (default: the bundled sample catalog).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--api-key",
    help=f"Key clients must send (default: PLM_SYNC_CONNECT_API_KEY, else {SANDBOX_DEFAULT_KEY}).",
)
@click.option(
    "--faults", help="Fault rates, e.g. '429:0.05,500:0.05,reset:0.02,slow:0.02,truncate:0.01'."
)
@click.option("--seed", type=int, help="Seed that makes the faults repeatable.")
@click.option(
    "--retry-after",
    type=float,
    default=1.0,
    show_default=True,
    help="Retry-After seconds sent with injected 429/5xx.",
)
@click.option(
    "--slow-seconds", type=float, default=5.0, show_default=True, help="Delay of a 'slow' fault."
)
@click.option(
    "--max-limit",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Larger page sizes are cut to this, as Connect does.",
)
@click.option("--allow-remote", is_flag=True, help="Allow listening beyond loopback.")
@click.pass_context
def sandbox(
    ctx: click.Context,
    catalog: Path | None,
    host: str,
    port: int,
    api_key: str | None,
    faults: str | None,
    seed: int | None,
    retry_after: float,
    slow_seconds: float,
    max_limit: int,
    allow_remote: bool,
) -> None:
    """Serve a Connect-style API on loopback (products, items, paging, RQL, faults)."""
    if ctx.invoked_subcommand is not None:
        return

    settings: Settings = ctx.find_object(_Context).settings  # type: ignore[union-attr]
    key = api_key or settings.connect_api_key or SANDBOX_DEFAULT_KEY
    try:
        spec = FaultSpec.parse(faults)
        data = SandboxCatalog.load(catalog or SAMPLE_CATALOG)
        options = SandboxOptions(
            api_key=key.removeprefix("ApiKey "),
            max_limit=max_limit,
            faults=spec,
            seed=seed,
            retry_after=retry_after,
            slow_seconds=slow_seconds,
        )
        server = SandboxServer(data, options, host=host, port=port, allow_remote=allow_remote)
    except (ValueError, CatalogError, SandboxBindError) as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    shown_key = key if key == SANDBOX_DEFAULT_KEY else "(the key you gave)"
    click.echo(f"Connect sandbox: {server.url}  items={data.item_count()}  api key: {shown_key}")
    click.echo(f"test mutations: {server.control_url}  faults: {faults or 'none'}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


@sandbox.command("generate")
@click.option("--products", type=click.IntRange(0), default=3, show_default=True)
@click.option("--items-per-product", type=click.IntRange(0), default=50, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--offers", is_flag=True, help="Give every product a listed Connect offer.")
@click.option("--prices", is_flag=True, help="Add two marketplaces, listings and price sources.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
def sandbox_generate(
    products: int, items_per_product: int, seed: int, offers: bool, prices: bool, output: Path
) -> None:
    """Write a realistic NCE-shaped catalog file for the sandbox."""
    data = generate_catalog(products, items_per_product, seed, offers=offers, prices=prices)
    try:
        output.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror}") from None
    count = sum(len(rows) for rows in data["items"].values())
    published = sum(1 for row in data["products"] if row["status"] == "published")
    others = len(data["products"]) - published
    click.echo(
        f"wrote {output}: {published} published products"
        + (f" (+{others} in other statuses)" if others else "")
        + f", {count} items (seed {seed})"
    )


@sandbox.command("commerce")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8766, show_default=True, help="0: any free."
)
@click.option("--fail-task", is_flag=True, help="Every PLM task fails, with an actionOutput.")
@click.option(
    "--task-seconds",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="How long a PLM task takes (n, then r, then s or f).",
)
@click.option(
    "--not-installed", multiple=True, help="A product PLM knows but has not installed (repeat)."
)
@click.option("--unknown", multiple=True, help="A product PLM does not know at all (repeat).")
@click.option("--update-available", multiple=True, help="A product PLM has an update of (repeat).")
@click.option("--faults", help="Fault rates, as the Connect sandbox's (e.g. '503:0.1,reset:0.05').")
@click.option("--seed", type=int, help="Seed that makes the faults repeatable.")
@click.option("--allow-remote", is_flag=True, help="Allow listening beyond loopback.")
def sandbox_commerce(
    host: str,
    port: int,
    fail_task: bool,
    task_seconds: float,
    not_installed: tuple[str, ...],
    unknown: tuple[str, ...],
    update_available: tuple[str, ...],
    faults: str | None,
    seed: int | None,
    allow_remote: bool,
) -> None:
    """Serve a Commerce PLM double on loopback (OAuth 1.0a, parseConfig, applyConfig, tasks).

    The OAuth key, secret and app id it accepts are printed; point PLM_SYNC_COMMERCE_* at it.
    """
    from plm_sync.commerce.sandbox.plm import SandboxPlm  # noqa: PLC0415 - on use
    from plm_sync.commerce.sandbox.server import (  # noqa: PLC0415
        CommerceSandbox,
        CommerceSandboxOptions,
    )

    try:
        options = CommerceSandboxOptions(
            task_seconds=task_seconds,
            fail_task=fail_task,
            faults=FaultSpec.parse(faults),
            seed=seed,
        )
        plm = SandboxPlm(
            not_installed=set(not_installed),
            unknown=set(unknown),
            update_available=set(update_available),
        )
        server = CommerceSandbox(options, plm, host=host, port=port, allow_remote=allow_remote)
    except (ValueError, SandboxBindError) as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    click.echo(f"Commerce sandbox: PLM_SYNC_COMMERCE_URL={server.url}")
    click.echo(
        f"PLM_SYNC_COMMERCE_OAUTH_KEY={options.oauth_key} "
        f"PLM_SYNC_COMMERCE_OAUTH_SECRET={options.oauth_secret} "
        f"PLM_SYNC_COMMERCE_APP_ID={options.app_id}  (sandbox test credentials)"
    )
    click.echo(f"state: {server.control_url}/state  tasks fail: {'yes' if fail_task else 'no'}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


def _load_plugins() -> None:
    """Add commands other installed packages register (`plm_sync.commands` entry points)."""
    for entry in entry_points(group="plm_sync.commands"):
        command = entry.load()
        if isinstance(command, click.Command) and entry.name not in cli.commands:
            cli.add_command(command, entry.name)


def main() -> None:
    """Console-script entry: expected errors become one line and their exit code."""
    try:
        _load_plugins()
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE)
    except PlmSyncError as error:
        click.echo(f"plm-sync: error: {error}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except SQLAlchemyDatabaseError as error:  # a database that refused us mid-command
        from plm_sync.store.database import refused  # noqa: PLC0415 - on failure only

        failure = refused(_IN_USE.get("database_url", ""), error)
        click.echo(f"plm-sync: error: {failure}", err=True)
        sys.exit(failure.exit_code)
