"""Operator overrides repository: the workbook edits later syncs keep."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from plm_sync.domain.overrides import Override
from plm_sync.store.models import OperatorOverride

PLAN_TABLE = "service_plans"


class OverrideRepository:
    """Reads and replaces a line's overrides; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_line(self, line_id: int) -> list[Override]:
        """The line's overrides, in a stable order."""
        rows = self.session.scalars(
            select(OperatorOverride)
            .where(OperatorOverride.product_line_id == line_id)
            .order_by(OperatorOverride.row_key, OperatorOverride.field)
        )
        return [Override(row.row_key, row.field, row.value, row.base_value) for row in rows]

    def by_line(self, line_ids: Collection[int] | None = None) -> dict[int, list[Override]]:
        """The overrides of these lines (None: every line's), by line id, in one query.

        Stable order within a line.
        """
        query = select(OperatorOverride).order_by(
            OperatorOverride.product_line_id, OperatorOverride.row_key, OperatorOverride.field
        )
        if line_ids is not None:
            if not line_ids:
                return {}
            query = query.where(OperatorOverride.product_line_id.in_(line_ids))
        rows = self.session.scalars(query)
        found: dict[int, list[Override]] = {}
        for row in rows:
            found.setdefault(row.product_line_id, []).append(
                Override(row.row_key, row.field, row.value, row.base_value)
            )
        return found

    def replace_for_line(
        self, line_id: int, overrides: Sequence[Override], run_id: int | None, now: datetime
    ) -> None:
        """Make the stored overrides of a line exactly `overrides`."""
        self.session.execute(
            delete(OperatorOverride).where(OperatorOverride.product_line_id == line_id)
        )
        if overrides:
            self.session.execute(
                insert(OperatorOverride),
                [
                    {
                        "product_line_id": line_id,
                        "table_name": PLAN_TABLE,
                        "row_key": o.key,
                        "field": o.field,
                        "value": o.value,
                        "base_value": o.base_value,
                        "run_id": run_id,
                        "created_at": now,
                    }
                    for o in overrides
                ],
            )
