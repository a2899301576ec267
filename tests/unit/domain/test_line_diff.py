"""The change set of a line, decided before anything is written (domain.line_diff)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plm_sync.domain.changes import ChangeKind
from plm_sync.domain.grouping import group_items
from plm_sync.domain.line_diff import LineChangeSet, StoredLine, StoredRow, diff_line
from plm_sync.domain.line_rows import (
    PLAN_PERIODS,
    RESOURCES,
    SERVICE_PLANS,
    TABLES,
    Desired,
    catalog_digest,
    flatten,
    line_header,
    row_digest,
)
from tests.unit.domain.test_grouping import NCE_ITEMS, PRODUCT, RULES

LINE = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
DESIRED = flatten(LINE)
HEADER = line_header(LINE, "source-1")


def stored_as(desired: Desired, header: dict[str, Any] | None = None) -> StoredLine:
    """The stored line a clean write of `desired` leaves (ids numbered in order)."""
    ident = iter(range(1, 100_000))
    rows = {
        table: {
            key: StoredRow(
                next(ident),
                row_digest(values),
                bool(values["active"]),
                {"name": values["name"]} if table == SERVICE_PLANS else {},
                values["sharing"] if table == SERVICE_PLANS else None,
            )
            for key, values in desired.get(table, {}).items()
        }
        for table in TABLES
    }
    first = diff_line(PRODUCT.id, desired, header or HEADER, None)
    assert first.header is not None
    return StoredLine(7, dict(first.header), rows)


def written(change: LineChangeSet) -> dict[str, tuple[int, int]]:
    return {
        table: (len(writes.inserts), len(writes.updates))
        for table, writes in change.writes.items()
        if writes
    }


def test_a_new_line_inserts_every_row_and_its_whole_header() -> None:
    change = diff_line(PRODUCT.id, DESIRED, HEADER, None)
    assert change.new
    assert written(change) == {table: (len(rows), 0) for table, rows in DESIRED.items() if rows}
    assert change.changes.created == sum(map(len, DESIRED.values()))
    assert change.header is not None
    assert change.header["row_count"] == change.changes.created
    assert change.header["catalog_digest"] == catalog_digest(
        {table: {key: row_digest(v) for key, v in rows.items()} for table, rows in DESIRED.items()}
    )
    created = change.changes.subjects(ChangeKind.PLAN_CREATED)
    assert sorted(created) == sorted(plan["name"] for plan in DESIRED[SERVICE_PLANS].values())


def test_a_line_stored_as_computed_writes_nothing() -> None:
    change = diff_line(PRODUCT.id, DESIRED, HEADER, stored_as(DESIRED))
    assert (change.line_id, change.header, written(change)) == (7, None, {})
    assert change.changes.unchanged == sum(map(len, DESIRED.values()))
    assert change.changes.records == []


def plan_key(index: int = 0) -> str:
    return sorted(DESIRED[SERVICE_PLANS])[index]


@pytest.mark.parametrize(
    ("edit", "expected", "kind"),
    [
        # a plan renamed: one update, named by its new name
        (
            lambda d: d[SERVICE_PLANS][plan_key()].update(description="new words"),
            {SERVICE_PLANS: (0, 1)},
            ChangeKind.PLAN_UPDATED,
        ),
        # a plan gone from the line: deactivated (never deleted), named by its stored name
        (
            lambda d: d[SERVICE_PLANS].pop(plan_key()),
            {SERVICE_PLANS: (0, 1)},
            ChangeKind.PLAN_DEACTIVATED,
        ),
        # a plan still there but inactive: an update that deactivates
        (
            lambda d: d[SERVICE_PLANS][plan_key()].update(active=False),
            {SERVICE_PLANS: (0, 1)},
            ChangeKind.PLAN_DEACTIVATED,
        ),
        # a resource added: one insert, counted only (resources have no change records)
        (
            lambda d: d[RESOURCES].setdefault(
                "NEW:0001", {**next(iter(d[RESOURCES].values())), "mpn": "NEW:0001"}
            ),
            {RESOURCES: (1, 0)},
            None,
        ),
    ],
)
def test_one_change_is_one_write_and_its_record(
    edit: Callable[[Desired], object],
    expected: dict[str, tuple[int, int]],
    kind: ChangeKind | None,
) -> None:
    desired = {table: {k: dict(v) for k, v in rows.items()} for table, rows in DESIRED.items()}
    edit(desired)
    change = diff_line(PRODUCT.id, desired, HEADER, stored_as(DESIRED))
    assert written(change) == expected
    assert change.header is not None  # its row count or catalog digest moved
    if kind is None:
        assert change.changes.records == []
    else:
        assert [record.kind for record in change.changes.records] == [kind]
        assert change.changes.records[0].subject == DESIRED[SERVICE_PLANS][plan_key()]["name"]


def test_a_deactivated_row_missing_again_is_left_alone() -> None:
    stored = stored_as(DESIRED)
    key = next(iter(stored.rows[PLAN_PERIODS]))
    rows = dict(stored.rows)
    old = rows[PLAN_PERIODS][key]
    rows[PLAN_PERIODS] = {**rows[PLAN_PERIODS], key: StoredRow(old.ident, "", active=False)}
    desired = {table: dict(rows_) for table, rows_ in DESIRED.items()}
    desired[PLAN_PERIODS] = {k: v for k, v in DESIRED[PLAN_PERIODS].items() if k != key}
    change = diff_line(PRODUCT.id, desired, HEADER, StoredLine(7, stored.header, rows))
    assert written(change) == {}
    assert change.changes.deactivated == 0


def test_what_the_brake_counts_is_read_from_the_change_set() -> None:
    desired = {table: dict(rows) for table, rows in DESIRED.items()}
    gone = [desired[SERVICE_PLANS].pop(plan_key(index)) for index in (0, 1)]
    change = diff_line(PRODUCT.id, desired, HEADER, stored_as(DESIRED))
    assert change.withdrawn(from_listings=False) == len(gone) == 2
    assert sorted(change.changes.plans_deactivated) == sorted(plan["name"] for plan in gone)
