"""Catalog repository: store a product line by content diff, read it back as DESIGN §6 JSON."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from plm_sync.domain import catalog as domain
from plm_sync.domain.catalog_json import line_json
from plm_sync.domain.changes import Changes
from plm_sync.domain.events import Event
from plm_sync.domain.line_diff import diff_line
from plm_sync.domain.line_rows import flatten, line_header
from plm_sync.store import models
from plm_sync.store.bulk import in_chunks
from plm_sync.store.catalog_writes import apply_change_sets, check_fits, read_stored_lines
from plm_sync.store.models import CATALOG_TABLES, CatalogRow, table_of
from plm_sync.store.prices import PriceRepository


@dataclass(frozen=True)
class LineState:
    """What a run needs to know of a stored line to tell whether it is still current."""

    line_id: int
    active: bool
    source_hash: str
    row_count: int
    has_findings: bool  # the findings themselves are read when needed (`findings_of`)
    connect_signature: str | None

    def current(self, source: str) -> bool:
        """Active, computed from inputs that hash as `source`, with its findings kept."""
        return self.active and self.source_hash == source and self.has_findings


_IDS_PER_STATEMENT = 500  # line ids in one IN (...) of a statement


class CatalogRepository:
    """Reads and writes the hierarchical catalog; never commits (the caller owns that)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def findings(line: models.ProductLine) -> list[Event]:
        """The warnings and errors stored with a line when it was last computed."""
        return [Event.from_dict(data) for data in line.findings or []]

    def line(self, connect_product_id: str) -> models.ProductLine | None:
        """The stored line of a Connect product, if any."""
        return self.session.scalars(
            select(models.ProductLine).where(
                models.ProductLine.connect_product_id == connect_product_id
            )
        ).one_or_none()

    def save_line(
        self,
        line: domain.ProductLine,
        source: str,
        run_id: int,
        now: datetime,
        findings: list[Event] | None = None,
        *,
        signature: str | None = None,
    ) -> Changes:
        """Store one line by diff: insert new rows, update changed ones, deactivate missing ones.

        Rows whose content hash is unchanged are not touched (no write, same timestamps);
        nothing is ever deleted. `findings` (the rules' warnings and errors for this line)
        replace the stored ones; None keeps them. `signature`: the Connect signature the line
        now reflects (None keeps the stored one). A sync writes its lines a batch at a time
        (`sync.load`); this is the same diff and write for one line (a workbook import).
        """
        header = line_header(line, source)
        if findings is not None:
            header["findings"] = [event.as_dict() for event in findings]
        if signature:
            header["connect_signature"] = signature
        product_id = line.connect_product_id
        stored = read_stored_lines(self.session, [product_id]).get(product_id)
        change = diff_line(product_id, flatten(line), header, stored)
        check_fits(change)
        apply_change_sets(self.session, [change], run_id, now)
        return change.changes

    def lines_gone(self, seen: Iterable[str]) -> list[tuple[int, str]]:
        """The active lines whose Connect product was not seen: (line id, product id).

        Reads the active lines' ids only (not their rows, whose findings grow with the catalog).
        """
        keep = set(seen)
        line = models.ProductLine
        return [
            (ident, product_id)
            for ident, product_id in self.session.execute(
                select(line.id, line.connect_product_id)
                .where(line.active.is_(True))
                .order_by(line.connect_product_id)
            )
            if product_id not in keep
        ]

    def active_rows(self, line_ids: Collection[int]) -> int:
        """How many active catalog rows these lines hold: what deactivating them would change."""
        ids = list(line_ids)
        total = 0
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = ids[start : start + _IDS_PER_STATEMENT]
            for table in CATALOG_TABLES:
                total += int(
                    self.session.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(table.product_line_id.in_(chunk), table.active.is_(True))
                    )
                    or 0
                )
        return total

    def deactivate_lines(self, line_ids: Collection[int], run_id: int, now: datetime) -> Changes:
        """Deactivate these lines and their active rows (one statement per table a chunk)."""
        ids = list(line_ids)
        changes = Changes()
        line = models.ProductLine
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = ids[start : start + _IDS_PER_STATEMENT]
            for table in CATALOG_TABLES:
                result = self.session.execute(
                    update(table)
                    .where(table.product_line_id.in_(chunk), table.active.is_(True))
                    .values(active=False, content_hash="", changed_run_id=run_id, updated_at=now)
                )
                changes.deactivated += int(getattr(result, "rowcount", 0) or 0)
            self.session.execute(
                update(line)
                .where(line.id.in_(chunk))
                .values(active=False, source_hash="", updated_at=now)
            )
        return changes

    def line_states(self, product_ids: Collection[str] | None = None) -> dict[str, LineState]:
        """The stored lines' states (None: every line's), by Connect product id, in one query."""
        line = models.ProductLine
        query = select(
            line.connect_product_id,
            line.id,
            line.active,
            line.source_hash,
            line.row_count,
            line.findings.is_not(None),
            line.connect_signature,
        )
        if product_ids is not None:
            query = query.where(line.connect_product_id.in_(list(product_ids)))
        rows = self.session.execute(query)
        return {row[0]: LineState(*row[1:]) for row in rows}

    def findings_of(self, product_ids: Collection[str]) -> dict[str, list[Event]]:
        """The stored findings of these lines (warnings and errors), by Connect product id.

        Read for a batch of unchanged lines at a time, not with every line's state: they
        grow with the catalog.
        """
        if not product_ids:
            return {}
        rows = self.session.execute(
            select(models.ProductLine.connect_product_id, models.ProductLine.findings).where(
                models.ProductLine.connect_product_id.in_(product_ids)
            )
        )
        return {pid: [Event.from_dict(data) for data in found or []] for pid, found in rows}

    def set_signatures(self, signatures: dict[str, str]) -> None:
        """Record the Connect signatures several lines now reflect, in one statement."""
        if not signatures:
            return
        statement = (
            update(models.ProductLine)
            .where(models.ProductLine.connect_product_id == bindparam("pid"))
            .values(connect_signature=bindparam("signature"))
        )
        self.session.connection().execute(
            statement,
            [{"pid": pid, "signature": signature} for pid, signature in signatures.items()],
        )

    def signatures(self) -> dict[str, tuple[str | None, bool]]:
        """Per stored line: the Connect signature it was synced from, and whether it is active."""
        rows = self.session.execute(
            select(
                models.ProductLine.connect_product_id,
                models.ProductLine.connect_signature,
                models.ProductLine.active,
            )
        )
        return {pid: (signature, active) for pid, signature, active in rows}

    def active_plans_except(self, seen: Iterable[str]) -> dict[str, int]:
        """Active service plans per active line whose Connect product was not seen."""
        keep = set(seen)
        rows = self.session.execute(
            select(models.ProductLine.connect_product_id, func.count(models.ServicePlan.id))
            .join(models.ServicePlan, models.ServicePlan.product_line_id == models.ProductLine.id)
            .where(models.ProductLine.active.is_(True), models.ServicePlan.active.is_(True))
            .group_by(models.ProductLine.connect_product_id)
        )
        return {pid: int(count) for pid, count in rows if pid not in keep}

    @staticmethod
    def plan_lines_query(names: set[str]) -> Any:  # noqa: ANN401 - a select statement
        """Which lines hold plans with these names (line id, Connect product id, name)."""
        return (
            select(
                models.ProductLine.id.label("line_id"),
                models.ProductLine.connect_product_id,
                models.ServicePlan.name,
            )
            .join(models.ServicePlan, models.ServicePlan.product_line_id == models.ProductLine.id)
            .where(models.ServicePlan.name.in_(names))
            .distinct()
        )

    # -- reading ---------------------------------------------------------------------------

    def plan_sources(self, product_ids: set[str]) -> dict[str, str]:
        """What each stored line's plans follow: `offer OFR-…` or `MPN`."""
        if not product_ids:
            return {}
        rows = self.session.execute(
            select(
                models.ProductLine.connect_product_id,
                models.ProductLine.plan_source,
                models.ProductLine.offer_id,
            ).where(models.ProductLine.connect_product_id.in_(product_ids))
        )
        return {
            pid: f"offer {offer}" if source == "offer" and offer else "MPN"
            for pid, source, offer in rows
        }

    def catalog(self, product_ids: Sequence[str] = ()) -> dict[str, Any]:
        """The stored catalog in the JSON shape of DESIGN §6, sorted for stable output.

        A fixed number of queries for each 500 lines (one per catalog table, and the
        prices'), whatever the lines hold: never a query per line.
        """
        query = select(models.ProductLine).order_by(models.ProductLine.connect_product_id)
        if product_ids:
            query = query.where(models.ProductLine.connect_product_id.in_(product_ids))
        prices = PriceRepository(self.session)
        lines = []
        for chunk in in_chunks(list(self.session.scalars(query))):
            ids = [line.id for line in chunk]
            rows = {table_of(table).name: self._rows_of(table, ids) for table in CATALOG_TABLES}
            markets = prices.line_prices(ids)
            for line in chunk:
                found = line_json(line, partial(_of_line, rows, line.id))
                market = markets.get(line.id, {})
                found["marketplaces"] = market.get("marketplaces", [])
                found["prices"] = market.get("prices", {})
                lines.append(found)
        return {"product_lines": lines}

    def _rows_of(self, table: type[CatalogRow], line_ids: list[int]) -> dict[int, list[Any]]:
        """The table's rows of these lines, by line."""
        found: dict[int, list[Any]] = {}
        for row in self.session.scalars(select(table).where(table.product_line_id.in_(line_ids))):
            found.setdefault(row.product_line_id, []).append(row)
        return found


def _of_line(rows: dict[str, dict[int, list[Any]]], line_id: int, table: str) -> list[Any]:
    return rows[table].get(line_id, [])
