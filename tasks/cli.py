"""`plm-sync enqueue …`: operator-triggered work put on the Celery queue (a CLI plug-in)."""

from __future__ import annotations

from pathlib import Path

import click
from kombu.exceptions import OperationalError as KombuOperationalError

from plm_sync.config import load_settings
from plm_sync.domain.runs import RunStatus
from plm_sync.errors import UsageError
from plm_sync.fanout import open_run
from plm_sync.runlog import RunLog
from plm_sync.store.database import open_database
from plm_sync.sync_request import SyncRequest, check_product_id
from tasks.doctor import PING_SECONDS

ALLOW_DEACTIVATIONS = click.option(
    "--allow-deactivations",
    is_flag=True,
    help="Lift the deactivation brake (PLM_SYNC_DEACTIVATION_LIMIT) for this one run.",
)


def _enqueue(request: SyncRequest) -> None:
    from tasks.app import app  # noqa: PLC0415 - the app reads broker settings on import
    from tasks.jobs import dispatch  # noqa: PLC0415

    context = click.get_current_context().obj
    settings = getattr(context, "settings", None) or load_settings()
    run_id = open_run(settings, request, owner="celery:queued", queued=True)
    try:
        dispatch(run_id, request.as_dict())
        workers = app.control.ping(timeout=PING_SECONDS)
    except (KombuOperationalError, OSError) as error:
        with open_database(settings.database_url) as factory:
            RunLog.resume(factory, run_id).close(
                RunStatus.FAILED, message=f"could not reach the queue: {error}"
            )
        raise UsageError(
            f"run {run_id} could not be queued ({error}); check PLM_SYNC_BROKER_URL"
        ) from None
    click.echo(f"queued run {run_id} ({request.scope}); follow it with `plm-sync report {run_id}`")
    if not workers:
        click.echo(
            f"warning: no worker answered within {PING_SECONDS:g} s; run {run_id} stays queued "
            "(and holds the database) until one starts (`celery -A tasks worker`); cancel it "
            f"with `plm-sync runs cancel {run_id}`",
            err=True,
        )


@click.group()
def enqueue() -> None:
    """Put work on the Celery queue for the workers (trigger `operator`)."""


@enqueue.command("sync")
@click.option("--full", is_flag=True, help="Reconcile every product.")
@click.option("--dry-run", is_flag=True)
@ALLOW_DEACTIVATIONS
def enqueue_sync(full: bool, dry_run: bool, allow_deactivations: bool) -> None:
    """Queue a sync run.

    The workers read the Connect API key from PLM_SYNC_CONNECT_API_KEY or from the file
    named by PLM_SYNC_CONNECT_API_KEY_FILE.
    """
    _enqueue(
        SyncRequest(
            trigger="operator",
            full=full,
            dry_run=dry_run,
            allow_deactivations=allow_deactivations,
        )
    )


@enqueue.command("import")
@click.argument("product_ids", nargs=-1, required=True)
@ALLOW_DEACTIVATIONS
def enqueue_import(product_ids: tuple[str, ...], allow_deactivations: bool) -> None:
    """Queue the import of one or more Connect products.

    The workers read the Connect API key from PLM_SYNC_CONNECT_API_KEY or from the file
    named by PLM_SYNC_CONNECT_API_KEY_FILE.
    """
    for product_id in product_ids:
        check_product_id(product_id)
    _enqueue(
        SyncRequest(
            trigger="operator",
            full=True,
            product_ids=product_ids,
            allow_deactivations=allow_deactivations,
        )
    )


@enqueue.command("ppr-import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True)
def enqueue_ppr_import(file: Path, dry_run: bool) -> None:
    """Queue the import of an edited PLM workbook (the path must be readable by the workers)."""
    from tasks.jobs import ppr_import  # noqa: PLC0415 - the app reads broker settings on import

    result = ppr_import.apply_async(args=(str(file.resolve()), dry_run))
    click.echo(f"queued the import of {file} as task {result.id}; `plm-sync runs` shows its run")
