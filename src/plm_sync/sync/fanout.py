"""The same sync run split into tasks that several workers share (the Celery side calls these).

open (or queue) the run -> plan: take it and list its products -> one task per product line
-> close: add up, judge the deactivation brake, reconcile, close. Every function works on the
run through the run lifecycle, bound to the run's id in the logs. Each takes the session
factory of its process (a worker's, built once in the child; the CLI's, opened once per
command): no function opens a database of its own.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.domain.source import SourceProduct
from plm_sync.errors import ConnectAuthError
from plm_sync.mappings import cached_rules, load_rules
from plm_sync.runs.runlog import RunLog, RunOutcome, utcnow
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import connect, open_database, unit_of_work
from plm_sync.sync.request import SyncRequest
from plm_sync.sync.run import SyncRun, open_run_log
from plm_sync.sync.tally import Progress

log = structlog.get_logger(__name__)

Factory = sessionmaker[Session]


@dataclass(frozen=True)
class RunPlan:
    """What the planning task found.

    The products to sync (JSON, one task each) and every product Connect lists in scope (what
    the closing task's reconciliation keeps).
    """

    products: list[dict[str, Any]]
    listed: list[str]
    # each product's offer rows, read once for the whole run; None: each task lists its own
    offers: dict[str, list[Any]] | None


def _sync_run(settings: Settings, request: SyncRequest, runlog: RunLog) -> SyncRun:
    """The run's stages for one task; the rules are parsed once per process while unchanged."""
    return SyncRun(
        settings, request, rules=cached_rules(settings.mappings), runlog=runlog, client=None
    )


def open_run(
    settings: Settings, factory: Factory, request: SyncRequest, *, owner: str, queued: bool = False
) -> int:
    """Validate the operator files and record a run (refused while another is open).

    `queued` records it for the workers (status `queued` until one takes it); otherwise it is
    `running` at once, driven by `owner` (e.g. `celery:<task id>`), so the stale-run sweep does
    not take a finished enqueuer process for a crash; the heartbeat is what counts.
    """
    load_rules(settings.mappings)  # every operator file is valid before a run starts
    runlog = RunLog.open(
        factory,
        settings,
        request.run_start(queued=queued),
        owner=owner,
        brake=not request.allow_deactivations,
    )
    return runlog.run_id


def plan_run(
    settings: Settings, factory: Factory, run_id: int, request: SyncRequest, *, owner: str
) -> RunPlan | None:
    """Take the run and list its products, as JSON for one task each.

    None when the run is no longer open (cancelled, or failed by the sweep, before a worker
    took it): there is nothing to do. A failure to list closes the run failed.
    """
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        if not runlog.take(owner):
            return None
        run = _sync_run(settings, request, runlog)
        try:
            with run.closes_on_failure():
                products = [asdict(product) for product in run.list_products()]
                offers = (
                    run.extract.client.offer_rows(request.product_ids) if settings.offers else {}
                )
        finally:
            run.close_client()
        runlog.heartbeat(force=True)
        wanted = {product["id"] for product in products}
        return RunPlan(
            products,
            sorted(run.tally.listed),
            None
            if offers is None
            else {pid: rows for pid, rows in offers.items() if pid in wanted},
        )


def in_chunks(products: Sequence[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """The planned products in chunks of `size`, in order: one task (or process) each."""
    return [list(products[start : start + size]) for start in range(0, len(products), size)]


def sync_products(
    settings: Settings,
    factory: Factory,
    run_id: int,
    request: SyncRequest,
    products: Sequence[dict[str, Any]],
    *,
    offer_rows: dict[str, list[Any]] | None = None,
    chunk: int = 0,
) -> dict[str, Any]:
    """Fetch, group and store a chunk of a run's product lines; its tally for the closing task.

    The chunk's lines are fetched ahead and written in batches as a run in one process does;
    a product that fails as a whole stays as it was (the others go on). Idempotent (content
    diff, events replaced): a redelivered or retried task gives the same catalog, and its
    tally carries its `chunk` number, so the closing task counts it once. A cancelled run's
    remaining tasks do nothing.
    """
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        run = _sync_run(settings, request, runlog)
        if offer_rows is not None:  # the planning task read the run's offers
            run.extract.given_offers(offer_rows)
        try:
            if run.cancel_requested():  # cancelled, or failed by another task
                return run.tally.as_dict() | {"chunk": chunk}
            run.prices.per_process()  # the run's listings and price sources, once per process
            run.preload([product["id"] for product in products])
            run.walk((SourceProduct(**product) for product in products), isolated=True)
            run.tally.retries = run.extract.retries
        except ConnectAuthError as error:
            # the key is refused: the whole run fails now, with one connect_auth error,
            # as a CLI run does; the remaining tasks find it closed and stop
            run.finish(error)
            run.tally.cancelled = True
        finally:
            run.close_client()
        runlog.heartbeat(force=True)
        return run.tally.as_dict() | {"chunk": chunk}


def sync_product(
    settings: Settings,
    factory: Factory,
    run_id: int,
    request: SyncRequest,
    product: dict[str, Any],
    *,
    offer_rows: list[Any] | None = None,
) -> dict[str, Any]:
    """One product line of a run: a chunk of one (tasks queued before chunks existed)."""
    return sync_products(
        settings,
        factory,
        run_id,
        request,
        [product],
        offer_rows=None if offer_rows is None else {product["id"]: offer_rows},
        chunk=-1,
    )


def counted_once(tallies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chunks' tallies with each chunk once (a task that ran twice reported twice)."""
    by_chunk: dict[Any, dict[str, Any]] = {}
    unnumbered = []
    for tally in tallies:
        chunk = tally.get("chunk")
        if chunk is None or chunk == -1:
            unnumbered.append(tally)
        else:
            by_chunk[chunk] = tally
    return [*by_chunk.values(), *unnumbered]


def close_run(
    settings: Settings,
    factory: Factory,
    run_id: int,
    request: SyncRequest,
    tallies: Sequence[dict[str, Any]],
    *,
    listed: Sequence[str] = (),
) -> RunOutcome:
    """Add up the product tasks, judge the brake, reconcile, close; the cursor moves on success."""
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        run = _sync_run(settings, request, runlog)
        for tally in counted_once(tallies):
            run.tally.merge(tally)
        run.tally.listed.update(listed)
        try:
            return run.conclude(run.reconcile_unless_cancelled)
        finally:
            run.close_client()


# -- one run in several processes of this machine (`sync --jobs N`) ----------------------------

_FACTORIES: dict[str, Factory] = {}  # a --jobs process's database, opened once


def _chunk_in_process(
    settings: Settings,
    run_id: int,
    request: SyncRequest,
    products: list[dict[str, Any]],
    *,
    offer_rows: dict[str, list[Any]] | None,
    chunk: int,
) -> dict[str, Any]:
    """A chunk of a `--jobs` run, in one of its processes (its engine kept for the next)."""
    factory = _FACTORIES.get(settings.database_url)
    if factory is None:
        factory = _FACTORIES[settings.database_url] = connect(settings.database_url)
    return sync_products(
        settings, factory, run_id, request, products, offer_rows=offer_rows, chunk=chunk
    )


def run_in_processes(
    settings: Settings,
    request: SyncRequest,
    jobs: int,
    *,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utcnow,
    auto: bool = False,
) -> RunOutcome:
    """One sync run whose product lines are synced by `jobs` processes of this machine.

    `auto` (no `--jobs`/`PLM_SYNC_JOBS` given): `_processes_worth` decides from the work
    whether the processes pay for themselves.

    The run is planned here (its products listed once, its offers read once), its products
    go to the processes in chunks (`PLM_SYNC_TASK_PRODUCTS`) as they would to the workers,
    and it is closed here: the brake judged, lines gone from Connect deactivated. The lines,
    catalog and counts are the one-process run's; the run log's events come in the order the
    chunks were written. A run of one chunk (or `jobs` 1) is synced in this process, as
    `run_sync` does: starting processes would cost more than it saves.
    """
    rules = load_rules(settings.mappings)  # every operator file is valid before a run starts
    with open_database(settings.database_url) as factory:
        runlog = open_run_log(settings, factory, request, clock)
        with runlog.bound():
            run = SyncRun(
                settings, request, rules=rules, runlog=runlog, client=None, progress=progress
            )
            try:
                with run.closes_on_failure():
                    run.step = "fetching products"
                    listed = list(run.list_products())
                    parts = in_chunks([asdict(p) for p in listed], settings.task_products)
                    if auto and jobs > 1:
                        jobs = _processes_worth(run, listed, jobs)
                    if jobs < 2 or len(parts) < 2:  # noqa: PLR2004 - one process or one chunk
                        run.preload()
                        run.walk(listed)
                    else:
                        offers = (
                            run.extract.client.offer_rows(request.product_ids)
                            if settings.offers
                            else {}
                        )
                        run.step = f"syncing {len(listed)} product lines in {jobs} processes"
                        _in_processes(run, parts, offers, jobs, progress)
                return run.conclude(run.reconcile_unless_cancelled)
            finally:
                run.close_client()


# Processes pay when enough lines are to be computed: measured on a 2-core machine (100k items,
# 2,000 lines, PostgreSQL), a full sync of new lines took 20.3 s in 2 processes and 26.6 s in
# one, a no-change full sync 8.7 s in 2 and 6.5 s in one (2026-12-07): each line computed in a
# second process saves ~3 ms, starting them and sending them the unchanged lines costs ~2 s.
CHANGED_SHARE = 3  # at least one listed product in this many must have changed


def _processes_worth(run: SyncRun, listed: Sequence[SourceProduct], jobs: int) -> int:
    """How many processes this run's work is worth: `jobs`, or 1 when few lines changed.

    Changed: a product new to the store, or whose Connect change signals (version, status,
    events) differ from those its active line was stored with, as an incremental run picks
    them. Fewer than a third of the listed products, or fewer than two chunks of them: one
    process, which then skips the unchanged lines by their digests.
    """
    with unit_of_work(run.factory) as session:
        known = CatalogRepository(session).signatures()
    changed = sum(1 for product in listed if known.get(product.id) != (product.signature, True))
    enough = changed * CHANGED_SHARE >= len(listed) and changed >= 2 * run.settings.task_products
    chosen = jobs if enough else 1
    log.info("sync_processes_chosen", processes=chosen, changed=changed, listed=len(listed))
    return chosen


def _in_processes(
    run: SyncRun,
    parts: list[list[dict[str, Any]]],
    offers: dict[str, list[Any]] | None,
    jobs: int,
    progress: Progress | None,
) -> None:
    """The run's chunks on a pool of `jobs` processes; their tallies added to the run's."""
    context = multiprocessing.get_context("spawn")  # no engine or thread crosses a fork
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [
            pool.submit(
                _chunk_in_process,
                run.settings,
                run.run_id,
                run.request,
                part,
                offer_rows=None
                if offers is None
                else {p["id"]: offers.get(p["id"], []) for p in part},
                chunk=number,
            )
            for number, part in enumerate(parts)
        ]
        try:
            for future in as_completed(futures):
                tally = future.result()
                run.tally.merge(tally)
                if progress is not None:
                    for product_id in tally.get("seen", ()):
                        progress.product(product_id, 0)
                run.runlog.heartbeat()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
