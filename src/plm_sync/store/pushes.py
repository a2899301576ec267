"""What was pushed into Commerce PLM, and whether the last sync left a line fit to push."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plm_sync.domain.digests import DIGEST_VERSION
from plm_sync.store.models import ProductLine, RunEvent

PUSH_TRIGGER = "push"
_CHUNK = 1000  # lines per statement


@dataclass(frozen=True)
class PushedLine:
    """A stored line as a push sees it."""

    connect_product_id: str
    active: bool
    pushed_hash: str | None
    pushed_task_id: str | None
    pushed_digest_version: int | None


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
            ProductLine.pushed_digest_version,
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
                pushed_hash=content,
                pushed_task_id=task_id,
                pushed_at=now,
                pushed_run_id=run_id,
                pushed_digest_version=DIGEST_VERSION,
            )
        )

    def upgrade_digest(self, product_id: str, content: str) -> None:
        """Keep a line's pushed digest in the current version (it was recognised in an older)."""
        self.session.execute(
            update(ProductLine)
            .where(ProductLine.connect_product_id == product_id)
            .values(pushed_hash=content, pushed_digest_version=DIGEST_VERSION)
        )

    def verdicts(self, product_ids: Sequence[str]) -> dict[str, SyncVerdict]:
        """Each named line's verdict: the last sync that read it and the errors it left.

        One query for all lines, from the lines themselves; a line no sync read since it was
        stored has none.
        """
        rows = self.session.execute(
            select(
                ProductLine.connect_product_id, ProductLine.sync_run_id, ProductLine.sync_errors
            ).where(
                ProductLine.connect_product_id.in_(product_ids),
                ProductLine.sync_run_id.is_not(None),
            )
        )
        return {
            product_id: SyncVerdict(int(run_id), tuple(sorted(codes or ())))
            for product_id, run_id, codes in rows
            if run_id is not None
        }

    def record_verdicts(self, run_id: int, product_ids: Iterable[str]) -> None:
        """Keep on each line the verdict of the sync (or import) closing now.

        Lines it read and lines it left an error event for: the run's error codes of each
        (none: clean). Called in the transaction that closes the run.
        """
        codes: dict[str, set[str]] = {}
        for product_id, code in self.session.execute(
            select(RunEvent.connect_product_id, RunEvent.code)
            .where(
                RunEvent.run_id == run_id,
                RunEvent.level == "error",
                RunEvent.connect_product_id.is_not(None),
            )
            .distinct()
        ):
            codes.setdefault(str(product_id), set()).add(code)
        groups: dict[tuple[str, ...], list[str]] = {}
        for product_id in set(product_ids) | codes.keys():
            groups.setdefault(tuple(sorted(codes.get(product_id, ()))), []).append(product_id)
        for found, members in groups.items():
            for start in range(0, len(members), _CHUNK):
                self.session.execute(
                    update(ProductLine)
                    .where(ProductLine.connect_product_id.in_(members[start : start + _CHUNK]))
                    .values(sync_run_id=run_id, sync_errors=list(found))
                )


def judges_lines(trigger: str, dry_run: bool) -> bool:
    """Whether a run's close gives the lines it read their verdict (a sync or an import)."""
    return trigger != PUSH_TRIGGER and not dry_run
