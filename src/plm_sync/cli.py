"""The `plm-sync` command line: parse flags, call orchestration, print, exit with DESIGN codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from plm_sync.config import Settings, load_settings
from plm_sync.connect.sandbox.catalog import SAMPLE_CATALOG, CatalogError, SandboxCatalog
from plm_sync.connect.sandbox.faults import FaultSpec
from plm_sync.connect.sandbox.generate import generate_catalog
from plm_sync.connect.sandbox.server import SandboxBindError, SandboxOptions, SandboxServer
from plm_sync.domain.explain import explain_mpn
from plm_sync.errors import EXIT_USAGE, PlmSyncError, UsageError
from plm_sync.logging import configure_logging
from plm_sync.mappings import load_plm_rules


class _Context:
    """What every command shares: the settings built from flags and environment."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


pass_context = click.make_pass_decorator(_Context)


@click.group()
@click.option("--database-url", help="SQLAlchemy URL (env PLM_SYNC_DATABASE_URL).")
@click.option("--mappings", type=click.Path(path_type=Path), help="Operator mappings folder.")
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
    log_format: str,
    log_level: str,
) -> None:
    """Synchronise CloudBlue Connect catalogs into CloudBlue Commerce PLM."""
    configure_logging(log_format, log_level)
    ctx.obj = _Context(load_settings(database_url=database_url, mappings=mappings))


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
    table = Table(show_header=False, box=None)
    for key, value in result.items():
        if isinstance(value, dict):
            value = f"{value['duration']} {value['unit']}"  # noqa: PLW2901 - display only
        table.add_row(key, "" if value is None else str(value))
    Console().print(table)


SANDBOX_DEFAULT_KEY = "SU-000-000-000:sandbox"


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
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
def sandbox_generate(products: int, items_per_product: int, seed: int, output: Path) -> None:
    """Write a realistic NCE-shaped catalog file for the sandbox."""
    data = generate_catalog(products, items_per_product, seed)
    try:
        output.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror}") from None
    count = sum(len(rows) for rows in data["items"].values())
    click.echo(f"wrote {output}: {products} products, {count} items (seed {seed})")


def main() -> None:
    """Console-script entry: expected errors become one line and their exit code."""
    try:
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
