"""What writing a product line would change, as a value: computed before anything is written.

`diff_line` compares the rows a line should hold (`line_rows.flatten`) with the rows stored
for it (read for a whole batch of lines at once) and gives a `LineChangeSet`: per table the
rows to insert and the rows to update or deactivate, the new header of the line, and the
`Changes` (counts and named records) a run reports. The deactivation brake, a dry run and the
reports decide on this value; the store only applies it. Nothing is ever deleted: a row the
line no longer has is deactivated (its digest emptied).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plm_sync.domain.catalog import Sharing
from plm_sync.domain.changes import (
    LABEL_FIELDS,
    RECORDED,
    Changes,
    change_record,
    sharing_change,
)
from plm_sync.domain.line_rows import (
    SERVICE_PLANS,
    TABLES,
    Desired,
    Values,
    catalog_digest,
    row_digest,
)

# what a stored line's own row holds that a write sets (the rest is bookkeeping)
HEADER_FIELDS = (
    "name",
    "vendor",
    "active",
    "source_hash",
    "plan_source",
    "offer_id",
    "offer_name",
    "row_count",
    "findings",
    "connect_signature",
    "catalog_digest",
)


@dataclass(frozen=True)
class StoredRow:
    """What the diff needs of one stored catalog row."""

    ident: int
    digest: str
    active: bool
    labels: Values = field(default_factory=dict)  # what its change records name it by
    sharing: Values | None = None  # a service plan's stored sharing


@dataclass(frozen=True)
class StoredLine:
    """A stored product line: its row's values and its catalog rows by table and key."""

    line_id: int
    header: Values
    rows: Mapping[str, Mapping[str, StoredRow]]


@dataclass
class TableWrites:
    """One table's writes for a line: rows to insert (by key) and rows to update (by id)."""

    inserts: list[Values] = field(default_factory=list)
    updates: list[Values] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates)


@dataclass
class LineChangeSet:
    """Everything writing one product line would do, decided before it is written."""

    product_id: str
    line_id: int | None  # None: a new line
    header: Values | None  # the line's row to write (all of it when new); None: as stored
    writes: dict[str, TableWrites]
    changes: Changes

    @property
    def new(self) -> bool:
        """A line not stored yet."""
        return self.line_id is None

    def withdrawn(self, *, from_listings: bool) -> int:
        """Plans this write takes from customers: what the deactivation brake counts.

        Deactivated plans, and (sharing follows listings) plans taken from an operating unit.
        """
        count = len(self.changes.plans_deactivated)
        if from_listings:
            count += len(self.changes.plans_unshared_from_units)
        return count


def diff_line(
    product_id: str, desired: Desired, header: Values, stored: StoredLine | None
) -> LineChangeSet:
    """The change set that makes the stored line (None: none yet) what `desired` says.

    `header`: the line's own values (`line_rows.line_header`, with findings and signature
    when they are to be replaced); its `row_count` is computed here.
    """
    changes = Changes()
    stored_rows: Mapping[str, Mapping[str, StoredRow]] = stored.rows if stored else {}
    plans = stored_rows.get(SERVICE_PLANS, {})
    for key, values in desired.get(SERVICE_PLANS, {}).items():
        known = plans.get(key)
        change = sharing_change(
            str(values["name"]),
            Sharing.from_dict((known.sharing if known else None) or {}),
            Sharing.from_dict(values["sharing"]),
        )
        if change is not None:
            changes.records.append(change)
    writes: dict[str, TableWrites] = {}
    digests: dict[str, dict[str, str]] = {}
    total = 0
    for table in TABLES:
        digests[table] = {}
        table_changes, table_writes = _diff_table(
            table, desired.get(table, {}), stored_rows.get(table, {}), digests[table]
        )
        writes[table] = table_writes
        changes.add(table_changes)
        if table in RECORDED:
            changes.records += table_changes.records
        total += table_changes.created + table_changes.updated + table_changes.unchanged
        total += table_changes.deactivated
    values = dict(header) | {"row_count": total, "catalog_digest": catalog_digest(digests)}
    if stored is not None and all(stored.header.get(k) == v for k, v in values.items()):
        written: Values | None = None
    else:
        written = values
    return LineChangeSet(product_id, stored.line_id if stored else None, written, writes, changes)


def _diff_table(
    table: str,
    desired: Mapping[str, Values],
    stored: Mapping[str, StoredRow],
    digests: dict[str, str],
) -> tuple[Changes, TableWrites]:
    changes = Changes()
    writes = TableWrites()
    for key, values in desired.items():
        digest = digests[key] = row_digest(values)
        known = stored.get(key)
        if known is None:
            writes.inserts.append({**values, "key": key, "content_hash": digest})
            changes.created += 1
            _note(changes, table, "created", values)
        elif known.digest != digest:
            writes.updates.append({**values, "id": known.ident, "content_hash": digest})
            if known.active and not values["active"]:
                changes.deactivated += 1
                _note(changes, table, "deactivated", values)
            else:
                changes.updated += 1
                _note(changes, table, "updated", values)
        else:
            changes.unchanged += 1
    for key, known in stored.items():
        if key in desired:
            continue
        if not known.active:
            changes.unchanged += 1
            continue
        writes.updates.append({"id": known.ident, "active": False, "content_hash": ""})
        changes.deactivated += 1
        if known.labels:
            _note(changes, table, "deactivated", known.labels)
    return changes, writes


def _note(changes: Changes, table: str, what: str, values: Mapping[str, Any]) -> None:
    """Record the change of a plan, switch path, add-on rate or dependency (others: counted)."""
    record = change_record(table, what, values)
    if record is not None:
        changes.records.append(record)


def label_fields(table: str) -> tuple[str, ...]:
    """The columns a table's change records are named by (none for counted-only tables)."""
    return LABEL_FIELDS.get(table, ())
