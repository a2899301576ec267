"""Plans a run deactivates: the deactivation brake's verdict, and lines Connect no longer serves.

The brake judges a run as a whole: the plans its deferred lines would deactivate plus, in a
clean unscoped run, the active plans of lines whose product Connect no longer lists. Above
the limit every such line is held as stored, each with a `deactivation_limit` error, and the
run says why; within it the deferred lines are written and the lines gone are deactivated.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.domain import events as codes
from plm_sync.domain.events import Event, Level
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.runs.runlog import RunLog
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import unit_of_work
from plm_sync.sync.compute import BuiltLine
from plm_sync.sync.tally import Tally

log = structlog.get_logger(__name__)

HOW = (
    "check Connect and the rules files; if the deactivations are meant, run again with "
    "--allow-deactivations"
)


@dataclass(frozen=True)
class BrakeVerdict:
    """The brake holds: each held line's error, and the run's message."""

    events: dict[str, Event]  # by product id, in the order they are recorded
    message: str
    total: int


Inputs = tuple[SourceProduct, list[SourceItem], list[SourceOffer], list[Event]]


class DeactivationBrake:
    """One run's brake: the lines it holds back until the run's total is known, and its verdict.

    A held line is kept with what it was computed from and the events it found, so it is
    written later without fetching it again (in this process); the run's tally keeps the
    deferred lines across processes. `message`: why the run held them, once it did.
    """

    def __init__(self, settings: Settings, runlog: RunLog, *, dry_run: bool) -> None:
        self.settings = settings
        self.runlog = runlog
        self.dry_run = dry_run
        self.inputs: dict[str, Inputs] = {}
        self.events: dict[str, list[Event]] = {}
        self.message: str | None = None

    def keep(self, tally: Tally, built: BuiltLine, plans: int, events: list[Event]) -> None:
        """A line whose new state deactivates `plans` plans, held until the total is known."""
        product = built.product
        tally.deferred.append({"product": asdict(product), "plans": plans})
        self.inputs[product.id] = (product, built.items, built.offers, built.read_events)
        self.events[product.id] = events

    def holds(self, tally: Tally, *, reconciles: bool) -> bool:
        """Judge the run's deactivations as a whole; above the limit, hold every such line.

        Held lines stay exactly as stored, each with a `deactivation_limit` error (after the
        events the line found), counted in `tally`; the cursor stays.
        """
        limit = self.runlog.deactivation_limit
        if limit is None:
            return False
        gone = active_plans_gone(self.runlog.factory, tally.listed) if reconciles else {}
        deferred = {entry["product"]["id"]: int(entry["plans"]) for entry in tally.deferred}
        verdict = judge(
            deferred, gone, limit, dry_run=self.dry_run, setting=self.settings.deactivation_limit
        )
        if verdict is None:
            return False
        for product_id, event in verdict.events.items():
            tally.errors += self.runlog.record(
                [*self.events.get(product_id, []), event], product_id
            )
        tally.failed_products += len(verdict.events)
        self.message = verdict.message
        log.warning(
            "deactivation_limit", total=verdict.total, limit=limit, lines=len(verdict.events)
        )
        return True


def active_plans_gone(factory: sessionmaker[Session], listed: Collection[str]) -> dict[str, int]:
    """The active plans of each stored line whose product Connect no longer lists."""
    with unit_of_work(factory) as session:
        return CatalogRepository(session).active_plans_except(listed)


def judge(
    deferred: dict[str, int],
    gone: dict[str, int],
    limit: int,
    *,
    dry_run: bool,
    setting: object,
) -> BrakeVerdict | None:
    """The brake's verdict on a run's deactivations: None within the limit.

    `deferred`: plans each deferred line would deactivate; `gone`: active plans of lines
    Connect no longer serves; `setting`: the limit as the operator set it (named in errors).
    """
    total = sum(deferred.values()) + sum(gone.values())
    if total <= limit:
        return None
    verb = "would deactivate" if dry_run else "deactivates"
    lines = [
        (product_id, plans, "its new state") for product_id, plans in sorted(deferred.items())
    ] + [
        (product_id, plans, "Connect no longer serves it")
        for product_id, plans in sorted(gone.items())
    ]
    events = {
        product_id: Event(
            Level.ERROR,
            codes.DEACTIVATION_LIMIT,
            f"product line held as stored: {why} {verb} {plans} service plan(s); the run "
            f"{verb} {total} in all, above the limit of {limit} "
            f"(PLM_SYNC_DEACTIVATION_LIMIT={setting}); {HOW}",
            product_id,
        )
        for product_id, plans, why in lines
    }
    message = (
        f"deactivation brake: this run {verb} {total} service plans across {len(lines)} "
        f"product line(s), above the limit of {limit}; those lines were left as stored "
        f"(events deactivation_limit); {HOW}"
    )
    return BrakeVerdict(events, message, total)


def deactivate_unseen(
    runlog: RunLog, listed: Collection[str], *, dry_run: bool, now: datetime
) -> int:
    """Lines whose product Connect no longer serves go inactive: how many rows did.

    With its events, in one transaction. A dry run reads what would go inactive and writes
    nothing (no write rolled back); its events are recorded all the same.
    """
    with unit_of_work(runlog.factory, commit=not dry_run) as session:
        catalog = CatalogRepository(session)
        gone = catalog.lines_gone(listed)
        ids = [ident for ident, _ in gone]
        if dry_run:
            deactivated = catalog.active_rows(ids)
        else:
            deactivated = catalog.deactivate_lines(ids, runlog.run_id, now).deactivated
        events = [
            Event(
                Level.INFO,
                codes.PRODUCT_LINE_DEACTIVATED,
                "Connect no longer serves this product as published; its plans "
                + ("would be" if dry_run else "were")
                + " deactivated",
                product_id,
            )
            for _, product_id in gone
        ]
        if not dry_run:
            runlog.write(session, events)
    if dry_run:
        runlog.record(events)
    return deactivated
