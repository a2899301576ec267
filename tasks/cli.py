"""`plm-sync enqueue …`: operator-triggered work put on the Celery queue (a CLI plug-in)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from plm_sync.cli.app import ALLOW_DEACTIVATIONS, ALLOW_PRICE_CHANGES
from plm_sync.config import Settings, load_settings
from plm_sync.domain.runs import RunStatus
from plm_sync.errors import UsageError
from plm_sync.runs.scope import check_product_id
from plm_sync.sync.request import SyncRequest

if TYPE_CHECKING:
    from plm_sync.delivery.request import PushRequest


def _settings() -> Settings:
    context = click.get_current_context().obj
    return getattr(context, "settings", None) or load_settings()


def _enqueue(request: SyncRequest) -> None:
    from plm_sync.store.database import open_database  # noqa: PLC0415
    from plm_sync.sync.fanout import open_run  # noqa: PLC0415 - the run machinery on use
    from tasks.jobs import dispatch  # noqa: PLC0415 - the app reads broker settings on import

    settings = _settings()
    with open_database(settings.database_url) as factory:
        run_id = open_run(settings, factory, request, owner="celery:queued", queued=True)
    _dispatch_and_ping(settings, run_id, request.scope, lambda: dispatch(run_id, request.as_dict()))


def _dispatch_and_ping(
    settings: Settings, run_id: int, scope: str, send: Callable[[], None]
) -> None:
    """Send a recorded run's first task and see whether a worker answers."""
    from kombu.exceptions import OperationalError as KombuOperationalError  # noqa: PLC0415

    from plm_sync.runs.runlog import RunLog  # noqa: PLC0415 - the run machinery on use
    from plm_sync.store.database import open_database  # noqa: PLC0415
    from tasks.app import app  # noqa: PLC0415 - the app reads broker settings on import

    try:
        send()
        workers = app.control.ping(timeout=settings.worker_ping_seconds)
    except (KombuOperationalError, OSError) as error:
        with open_database(settings.database_url) as factory:
            RunLog.resume(factory, run_id).close(
                RunStatus.FAILED, message=f"could not reach the queue: {error}"
            )
        raise UsageError(
            f"run {run_id} could not be queued ({error}); check PLM_SYNC_BROKER_URL"
        ) from None
    click.echo(f"queued run {run_id} ({scope}); follow it with `plm-sync report {run_id}`")
    if not workers:
        click.echo(
            f"warning: no worker answered within {settings.worker_ping_seconds:g} s; run {run_id} "
            "stays queued "
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
@ALLOW_PRICE_CHANGES
def enqueue_sync(
    full: bool, dry_run: bool, allow_deactivations: bool, allow_price_changes: bool
) -> None:
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
            allow_price_changes=allow_price_changes,
        )
    )


@enqueue.command("import")
@click.argument("product_ids", nargs=-1, required=True)
@ALLOW_DEACTIVATIONS
@ALLOW_PRICE_CHANGES
def enqueue_import(
    product_ids: tuple[str, ...], allow_deactivations: bool, allow_price_changes: bool
) -> None:
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
            allow_price_changes=allow_price_changes,
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


@enqueue.command("push")
@click.argument("product_ids", nargs=-1)
@click.option("--changed", is_flag=True, help="Every line changed since its last push.")
@click.option("--dry-run", is_flag=True, help="Parse in PLM and report; apply nothing.")
@click.option("--upgrade-product", is_flag=True, help="Upgrade products PLM has an update of.")
@click.option("--force", is_flag=True, help="Send lines even when the hub holds them as they are.")
@click.option("--plan", is_flag=True, help="Record a change plan for `approve`; send nothing.")
@click.option(
    "--promote-from",
    metavar="STAGING_URL",
    help="Send only what this staging hub holds as applied and verified.",
)
def enqueue_push(  # noqa: PLR0917 - one argument per option
    product_ids: tuple[str, ...],
    changed: bool,
    dry_run: bool,
    upgrade_product: bool,
    force: bool,
    plan: bool,
    promote_from: str | None,
) -> None:
    """Queue a push of product lines into Commerce PLM (one task per line).

    The workers read the Commerce credentials from PLM_SYNC_COMMERCE_* (or the _FILE
    variants of the OAuth key and secret).
    """
    from plm_sync.delivery.push import PushRequest  # noqa: PLC0415 - on use

    for product_id in product_ids:
        check_product_id(product_id)
    request = PushRequest(
        product_ids,
        changed=changed,
        dry_run=dry_run,
        upgrade_product=upgrade_product,
        force=force,
        plan=plan,
        promote_from=promote_from,
    )
    _queue_push(_settings(), request)


def _queue_push(settings: Settings, request: PushRequest) -> None:
    """Open a push run as queued and hand it to the workers (one task per line)."""
    from plm_sync.delivery.push import open_push  # noqa: PLC0415 - on use
    from plm_sync.store.database import open_database  # noqa: PLC0415 - the store on use
    from tasks.jobs import dispatch_push  # noqa: PLC0415 - the app reads settings on import

    with open_database(settings.database_url) as factory:
        run_id = open_push(settings, factory, request, owner="celery:queued", queued=True)
    _dispatch_and_ping(
        settings, run_id, request.scope, lambda: dispatch_push(run_id, request.as_dict())
    )


@enqueue.command("approve")
@click.argument("run_id")
def enqueue_approve(run_id: str) -> None:
    """Queue the push that carries out a change plan (one task per line), as `approve` does."""
    from plm_sync.delivery.approval import approval_request, undo_unstarted  # noqa: PLC0415 - on use

    settings = _settings()
    request = approval_request(settings, run_id)
    try:
        _queue_push(settings, request)
    except BaseException:
        if request.approving is not None:
            undo_unstarted(settings, request.approving)  # never queued: the plan waits again
        raise


@enqueue.command("drift")
@click.argument("product_ids", nargs=-1)
@click.option("--all", "all_lines", is_flag=True, help="Every line the hub received.")
def enqueue_drift(product_ids: tuple[str, ...], all_lines: bool) -> None:
    """Queue a drift check (one task per line), as `plm-sync drift` runs it."""
    from plm_sync.delivery.drift import DriftRequest, open_drift  # noqa: PLC0415 - on use
    from plm_sync.store.database import open_database  # noqa: PLC0415
    from tasks.jobs import dispatch_drift  # noqa: PLC0415

    for product_id in product_ids:
        check_product_id(product_id)
    request = DriftRequest(product_ids, all_lines=all_lines)
    settings = _settings()
    with open_database(settings.database_url) as factory:
        run_id = open_drift(settings, factory, request, owner="celery:queued", queued=True)
    _dispatch_and_ping(
        settings, run_id, request.scope, lambda: dispatch_drift(run_id, request.as_dict())
    )
