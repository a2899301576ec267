"""`serve`, `doctor`, `notify`, `migrate`: running and watching plm-sync."""

from __future__ import annotations

import sys

import click
from rich.text import Text

from plm_sync.cli.app import (
    KEY_HELP,
    _console,
    _Context,
    _print_json,
    _SafeTable,
    cli,
    pass_context,
)
from plm_sync.errors import EXIT_USAGE, PlmSyncError, UsageError


@cli.group()
def notify() -> None:
    """Alerts to people (PLM_SYNC_NOTIFY: Apprise URLs for Slack, Teams, e-mail, webhooks)."""


@notify.command("test")
@pass_context
def notify_test(context: _Context) -> None:
    """Send a test message to every PLM_SYNC_NOTIFY target."""
    from plm_sync.infra.notify import Message, scheme_of, send, targets  # noqa: PLC0415 - on use

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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--allow-remote", is_flag=True, help="Allow listening beyond loopback.")
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
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
    from plm_sync.store.database import open_database  # noqa: PLC0415 - the store on use

    with open_database(context.settings.database_url, migrate=False):
        pass  # the database holds plm-sync's schema before the first page is asked for
    from plm_sync.ops.web import WebServer  # noqa: PLC0415 - the web pages load with `serve`

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
    from plm_sync.ops.doctor import Outcome, diagnose, healthy  # noqa: PLC0415 - on use

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
    from plm_sync.store.database import open_database, safe_url  # noqa: PLC0415 - on use

    with open_database(context.settings.database_url):
        pass
    click.echo(f"schema is up to date: {safe_url(context.settings.database_url)}")
