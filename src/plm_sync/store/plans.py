"""Change plans of pushes (`push --plan`): the lines each would change, and the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from plm_sync.store.models import PlannedLine, PushPlan

APPROVED, REJECTED = "approved", "rejected"


@dataclass(frozen=True)
class PlannedChange:
    """One line of a plan: its workbook digest, whether PLM's plans change, its price files."""

    product_id: str
    content: str
    workbook: bool
    prices: dict[str, dict[str, Any]]  # marketplace -> {"digest", "changes"}

    @property
    def price_changes(self) -> int:
        """Price rows the plan would change in all marketplaces."""
        return sum(int(entry.get("changes") or 0) for entry in self.prices.values())


@dataclass(frozen=True)
class Plan:
    """A push's plan as recorded: the hub, the request, the lines, and its decision."""

    run_id: int
    hub: str
    request: dict[str, Any]
    decision: str | None
    applied_by: int | None
    lines: list[PlannedChange]


class PlanRepository:
    """Reads and writes change plans; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open(self, run_id: int, hub: str, request: dict[str, Any]) -> None:
        """Record that run `run_id` is a plan for `hub`, asked as `request`."""
        self.session.add(PushPlan(run_id=run_id, hub=hub, request=request))
        self.session.flush()

    def add_line(self, run_id: int, change: PlannedChange) -> None:
        """A line the plan would change (a redelivered line task replaces its row)."""
        self.session.execute(
            delete(PlannedLine).where(
                PlannedLine.run_id == run_id, PlannedLine.connect_product_id == change.product_id
            )
        )
        self.session.add(
            PlannedLine(
                run_id=run_id,
                connect_product_id=change.product_id,
                content_hash=change.content,
                workbook=change.workbook,
                prices=change.prices,
            )
        )

    def get(self, run_id: int) -> Plan | None:
        """The plan of run `run_id` (None: that run is not a plan)."""
        plan = self.session.get(PushPlan, run_id)
        if plan is None:
            return None
        rows = self.session.scalars(
            select(PlannedLine)
            .where(PlannedLine.run_id == run_id)
            .order_by(PlannedLine.connect_product_id)
        )
        return Plan(
            run_id,
            plan.hub,
            dict(plan.request),
            plan.decision,
            plan.applied_by,
            [
                PlannedChange(
                    row.connect_product_id, row.content_hash, row.workbook, dict(row.prices)
                )
                for row in rows
            ],
        )

    def decide(
        self, run_id: int, decision: str, now: datetime, *, applied_by: int | None = None
    ) -> bool:
        """Approve or reject a plan still waiting; False when it was decided already."""
        result = self.session.execute(
            update(PushPlan)
            .where(PushPlan.run_id == run_id, PushPlan.decision.is_(None))
            .values(decision=decision, decided_at=now, applied_by=applied_by)
        )
        return bool(getattr(result, "rowcount", 0))

    def applied_by(self, run_id: int, push_run_id: int) -> None:
        """The push run that carried an approved plan out."""
        self.session.execute(
            update(PushPlan).where(PushPlan.run_id == run_id).values(applied_by=push_run_id)
        )

    def approved_by(self, push_run_id: int) -> int | None:
        """The plan a push run carries out (its run id), if any."""
        return self.session.scalar(
            select(PushPlan.run_id).where(PushPlan.applied_by == push_run_id)
        )

    def undecide(self, run_id: int) -> bool:
        """An approval no push run took on waits again; False when one has."""
        result = self.session.execute(
            update(PushPlan)
            .where(PushPlan.run_id == run_id, PushPlan.applied_by.is_(None))
            .values(decision=None, decided_at=None)
        )
        return bool(getattr(result, "rowcount", 0))
