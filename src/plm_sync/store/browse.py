"""What the catalog browser reads: a page of product lines, and one line's history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from plm_sync.store.models import (
    LineMarketplace,
    LinePush,
    PlanPeriod,
    ProductLine,
    Resource,
    Run,
    RunEvent,
    ServicePlan,
)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class BrowseRepository:
    """Read-only queries of the catalog pages (inside the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lines(self, search: str = "", offset: int = 0, limit: int = 100) -> tuple[int, list[Any]]:
        """(how many lines match, a page of them with their counts), by product id.

        `search` matches the product id, the line's name, and the MPNs of its resources and
        periods (case-insensitive, anywhere in the text).
        """
        query = select(ProductLine.id)
        if search:
            pattern = _like(search.casefold())
            query = query.where(
                or_(
                    func.lower(ProductLine.connect_product_id).like(pattern, escape="\\"),
                    func.lower(ProductLine.name).like(pattern, escape="\\"),
                    exists().where(
                        Resource.product_line_id == ProductLine.id,
                        func.lower(Resource.mpn).like(pattern, escape="\\"),
                    ),
                    exists().where(
                        PlanPeriod.product_line_id == ProductLine.id,
                        func.lower(PlanPeriod.mpn).like(pattern, escape="\\"),
                    ),
                )
            )
        matching = query.subquery()
        total = self.session.scalar(select(func.count()).select_from(matching)) or 0
        plans = (
            select(func.count())
            .where(ServicePlan.product_line_id == ProductLine.id, ServicePlan.active.is_(True))
            .scalar_subquery()
        )
        items = (
            select(func.count())
            .where(PlanPeriod.product_line_id == ProductLine.id, PlanPeriod.active.is_(True))
            .scalar_subquery()
        )
        page = self.session.execute(
            select(ProductLine, plans, items)
            .where(ProductLine.id.in_(select(matching.c.id)))
            .order_by(ProductLine.connect_product_id)
            .offset(offset)
            .limit(limit)
        ).all()
        ids = [line.id for line, _, _ in page]
        markets: dict[int, list[str]] = {}
        for line_id, marketplace in self.session.execute(
            select(LineMarketplace.product_line_id, LineMarketplace.marketplace_id)
            .where(LineMarketplace.product_line_id.in_(ids), LineMarketplace.listed.is_(True))
            .order_by(LineMarketplace.marketplace_id)
        ):
            markets.setdefault(line_id, []).append(marketplace)
        pushed: dict[int, datetime] = dict(  # the latest push of each line, to whichever hub
            self.session.execute(
                select(LinePush.product_line_id, func.max(LinePush.pushed_at))
                .where(LinePush.product_line_id.in_(ids))
                .group_by(LinePush.product_line_id)
            ).all()
        )
        rows = [
            {
                "connect_product_id": line.connect_product_id,
                "name": line.name,
                "vendor": line.vendor,
                "active": line.active,
                "plans": plan_count,
                "items": item_count,
                "marketplaces": markets.get(line.id, []),
                "updated_at": line.updated_at,
                "pushed_at": pushed.get(line.id),
                "errors": sum(
                    1 for finding in line.findings or () if finding.get("level") == "error"
                ),
            }
            for line, plan_count, item_count in page
        ]
        return total, rows

    def history(
        self, product_id: str, codes: Sequence[str], runs: int = 20, per_run: int = 50
    ) -> list[dict[str, Any]]:
        """The changes of one line, run by run, newest first.

        The last `runs` runs that changed it, at most `per_run` events each.
        """
        run_ids = [
            run_id
            for (run_id,) in self.session.execute(
                select(RunEvent.run_id)
                .where(RunEvent.connect_product_id == product_id, RunEvent.code.in_(codes))
                .group_by(RunEvent.run_id)
                .order_by(RunEvent.run_id.desc())
                .limit(runs)
            )
        ]
        found = []
        for run_id in run_ids:
            run = self.session.get(Run, run_id)
            events = self.session.execute(
                select(RunEvent.code, RunEvent.subject, RunEvent.mpn, RunEvent.message)
                .where(
                    RunEvent.run_id == run_id,
                    RunEvent.connect_product_id == product_id,
                    RunEvent.code.in_(codes),
                )
                .order_by(RunEvent.id)
                .limit(per_run)
            ).all()
            found.append(
                {
                    "run_id": run_id,
                    "trigger": run.trigger if run else "",
                    "started_at": run.started_at if run else None,
                    "status": run.status if run else "",
                    "events": [
                        {"code": code, "subject": subject, "mpn": mpn, "message": message}
                        for code, subject, mpn, message in events
                    ],
                }
            )
        return found
