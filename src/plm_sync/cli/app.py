"""The `plm-sync` group: settings, shared options and output helpers, the entry point."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from plm_sync.config import Settings, load_settings
from plm_sync.domain.text import inert
from plm_sync.errors import EXIT_USAGE, PlmSyncError, UsageError
from plm_sync.infra.logging import configure_logging
from plm_sync.infra.streamed_json import write_json


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
    {"sync", "import", "explain", "demo", "ppr", "enqueue", "doctor", "push", "drift", "approve"}
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


def _print_json_streamed(document: dict[str, Any]) -> None:
    """Like `_print_json`, for a document whose long lists are iterators (bounded memory)."""
    out: TextIO = sys.stdout
    write_json(document, out.write)
    out.write("\n")
    out.flush()


def _print_json(data: Any) -> None:  # noqa: ANN401 - any JSON value
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


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


COMMERCE_HELP = (
    "The Commerce hub and credentials come from PLM_SYNC_COMMERCE_URL, "
    "PLM_SYNC_COMMERCE_OAUTH_KEY and PLM_SYNC_COMMERCE_OAUTH_SECRET (or their _FILE variants) "
    "and PLM_SYNC_COMMERCE_APP_ID; never from a flag, so they stay out of shell history."
)


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
    except Exception as error:  # a database that refused us mid-command; else a bug
        from sqlalchemy.exc import DatabaseError  # noqa: PLC0415 - loaded by then if it is one

        if not isinstance(error, DatabaseError):
            raise
        from plm_sync.store.database import refused  # noqa: PLC0415 - on failure only

        failure = refused(_IN_USE.get("database_url", ""), error)
        click.echo(f"plm-sync: error: {failure}", err=True)
        sys.exit(failure.exit_code)
