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
from plm_sync.domain.explain import explain_mpn
from plm_sync.errors import EXIT_USAGE, PlmSyncError
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
