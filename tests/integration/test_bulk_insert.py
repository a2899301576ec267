"""Bulk inserts give the same rows through COPY (PostgreSQL) as through executemany."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from plm_sync.store.bulk import COPY_MIN_ROWS, insert_rows
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import ProductLine, ServicePlan, table_of

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("count", [COPY_MIN_ROWS - 1, COPY_MIN_ROWS + 5])
def test_rows_with_json_nulls_and_text_survive_either_path(database_url: str, count: int) -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    rows = [
        {
            "product_line_id": 0,  # set below
            "key": f"K{n}|P1M",
            "content_hash": f"h{n}",
            "active": n % 2 == 0,
            "created_run_id": 1,
            "changed_run_id": None,
            "created_at": now,
            "updated_at": now,
            "name": f'Plan "{n}"\\t,\nwith\ttabs, quotes and é',
            "resource_mpn": f"MPN-{n}",
            "billing_duration": None if n == 0 else 1,
            "billing_unit": None if n == 0 else "month",
            "trial": n == 0,
            "sharing": {"op_units": ["US"], "reseller_groups": [], "n": n},
            "published": True,
            "description": "",
            "offer_plan_id": None,
            "features": None if n % 3 else [{"group": "G", "name": "F", "value": "Yes"}],
        }
        for n in range(count)
    ]
    with open_database(database_url) as factory, unit_of_work(factory) as session:
        line = ProductLine(
            connect_product_id="PRD-1",
            name="P",
            vendor="V",
            source_hash="x",
            created_at=now,
            updated_at=now,
        )
        session.add(line)
        session.flush()
        for row in rows:
            row["product_line_id"] = line.id
        insert_rows(session, table_of(ServicePlan), rows)
    with open_database(database_url) as factory, unit_of_work(factory) as session:
        stored = {plan.key: plan for plan in session.scalars(select(ServicePlan))}
        assert len(stored) == count
        for row in rows:
            plan = stored[row["key"]]
            assert (plan.name, plan.sharing, plan.features, plan.billing_duration) == (
                row["name"],
                row["sharing"],
                row["features"],
                row["billing_duration"],
            )
            assert plan.active is row["active"]
