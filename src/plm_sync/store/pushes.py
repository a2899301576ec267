"""What was pushed into Commerce PLM, and whether the last sync left a line fit to push."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plm_sync.domain.runs import RunStatus
from plm_sync.store.models import ProductLine, Run, RunEvent

PUSH_TRIGGER = "push"
# runs that do not sync from Connect: they say nothing of whether a line synced cleanly
_NOT_SYNCS = (PUSH_TRIGGER,)
_LOOKBACK_RUNS = 500  # how far back the last sync of a line is looked for


@dataclass(frozen=True)
class PushedLine:
    """A stored line as a push sees it."""

    connect_product_id: str
    active: bool
    pushed_hash: str | None
    pushed_task_id: str | None


@dataclass(frozen=True)
class SyncVerdict:
    """The last sync run that read a line, and the error codes it left for it."""

    run_id: int
    codes: tuple[str, ...]


class PushRepository:
    """Push state of product lines; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lines(self, product_ids: Sequence[str] = ()) -> list[PushedLine]:
        """The stored lines (those named, or all), by product id."""
        query = select(
            ProductLine.connect_product_id,
            ProductLine.active,
            ProductLine.pushed_hash,
            ProductLine.pushed_task_id,
        ).order_by(ProductLine.connect_product_id)
        if product_ids:
            query = query.where(ProductLine.connect_product_id.in_(product_ids))
        return [PushedLine(*row) for row in self.session.execute(query)]

    def record(
        self, product_id: str, content: str, task_id: str | None, run_id: int, now: datetime
    ) -> None:
        """Remember a successful push of the line with this content."""
        self.session.execute(
            update(ProductLine)
            .where(ProductLine.connect_product_id == product_id)
            .values(
                pushed_hash=content, pushed_task_id=task_id, pushed_at=now, pushed_run_id=run_id
            )
        )

    def last_syncs(self, product_ids: Sequence[str]) -> dict[str, SyncVerdict]:
        """For each line, the latest finished (not dry) sync run that read it and its errors.

        Runs store the ids of the products they read; a line no recent run read is absent.
        """
        wanted = set(product_ids)
        found: dict[str, int] = {}
        runs = self.session.execute(
            select(Run.id, Run.product_ids)
            .where(
                Run.trigger.not_in(_NOT_SYNCS),
                Run.dry_run.is_(False),
                Run.status.not_in((RunStatus.QUEUED, RunStatus.RUNNING)),
                Run.product_ids.is_not(None),
            )
            .order_by(Run.id.desc())
            .limit(_LOOKBACK_RUNS)
        )
        for run_id, read in runs:
            for product_id in set(read or ()) & (wanted - found.keys()):
                found[product_id] = run_id
            if len(found) == len(wanted):
                break
        verdicts: dict[str, SyncVerdict] = {}
        for product_id, run_id in found.items():
            codes = self.session.scalars(
                select(RunEvent.code)
                .where(
                    RunEvent.run_id == run_id,
                    RunEvent.connect_product_id == product_id,
                    RunEvent.level == "error",
                )
                .distinct()
            ).all()
            verdicts[product_id] = SyncVerdict(run_id, tuple(sorted(codes)))
        return verdicts
