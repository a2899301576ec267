"""`plm-sync enqueue …`: operator-triggered work put on the Celery queue (a CLI plug-in)."""

from __future__ import annotations

from pathlib import Path

import click
from kombu.exceptions import OperationalError as KombuOperationalError

from plm_sync.config import load_settings
from plm_sync.errors import UsageError
from plm_sync.pipeline import SyncRequest, open_run, utcnow
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.runs import RunRepository


def _enqueue(request: SyncRequest) -> None:
    from tasks.jobs import dispatch  # noqa: PLC0415 - the app reads broker settings on import

    context = click.get_current_context().obj
    settings = getattr(context, "settings", None) or load_settings()
    run_id = open_run(settings, request, owner="celery:queued")
    try:
        dispatch(run_id, request.as_dict())
    except (KombuOperationalError, OSError) as error:
        with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
            RunRepository(session).finish(
                run_id, utcnow(), "failed", message=f"could not reach the queue: {error}"
            )
        raise UsageError(
            f"run {run_id} could not be queued ({error}); check PLM_SYNC_BROKER_URL"
        ) from None
    click.echo(f"queued run {run_id} ({request.scope}); follow it with `plm-sync report {run_id}`")


@click.group()
def enqueue() -> None:
    """Put work on the Celery queue for the workers (trigger `operator`)."""


@enqueue.command("sync")
@click.option("--full", is_flag=True, help="Reconcile every product.")
@click.option("--dry-run", is_flag=True)
def enqueue_sync(full: bool, dry_run: bool) -> None:
    """Queue a sync run."""
    _enqueue(SyncRequest(trigger="operator", full=full, dry_run=dry_run))


@enqueue.command("import")
@click.argument("product_ids", nargs=-1, required=True)
def enqueue_import(product_ids: tuple[str, ...]) -> None:
    """Queue the import of one or more Connect products."""
    _enqueue(SyncRequest(trigger="operator", full=True, product_ids=product_ids))


@enqueue.command("ppr-import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True)
def enqueue_ppr_import(file: Path, dry_run: bool) -> None:
    """Queue the import of an edited PLM workbook (the path must be readable by the workers)."""
    from tasks.jobs import ppr_import  # noqa: PLC0415 - the app reads broker settings on import

    result = ppr_import.apply_async(args=(str(file.resolve()), dry_run))
    click.echo(f"queued the import of {file} as task {result.id}; `plm-sync runs` shows its run")
