"""Catalog repository: store a product line by content diff, read it back as DESIGN §6 JSON."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from plm_sync.domain import catalog as domain
from plm_sync.domain.catalog import Sharing
from plm_sync.domain.changes import (
    LABEL_FIELDS,
    RECORDED,
    Change,
    Changes,
    change_record,
    sharing_change,
)
from plm_sync.domain.digests import content_hash
from plm_sync.domain.events import Event
from plm_sync.domain.text import shorten, storable
from plm_sync.errors import LineWriteError
from plm_sync.store import models
from plm_sync.store.bulk import insert_rows
from plm_sync.store.models import CATALOG_TABLES, CatalogRow, table_of
from plm_sync.store.prices import PriceRepository

Values = dict[str, Any]


class Unread:
    """The stored row was not read yet (`save_line` reads it)."""


UNREAD = Unread()
Desired = dict[type[CatalogRow], dict[str, Values]]


def row_digest(values: Values) -> str:
    """The content hash of a catalog row's values (its columns but the bookkeeping ones).

    A column added later and still empty (None) is not in the canonical form: rows stored
    before it keep their digest.
    """
    return content_hash(values)


def _check_fits(product_id: str, desired: Desired, header: Values) -> None:
    """Refuse a line with a value its column cannot hold, before anything is written.

    Names built from Connect text (a plan name is the resource's name and a label) can
    outgrow their column; SQLite would store them and PostgreSQL refuse them: both refuse
    them here, with the table, column and limit named.
    """
    tables: list[tuple[Table, Iterable[tuple[str, Values]]]] = [
        (table_of(models.ProductLine), [(product_id, header)])
    ]
    tables += [(table_of(kind), rows.items()) for kind, rows in desired.items()]
    for table, rows in tables:
        for key, values in rows:
            for name, value in (("key", key), *values.items()):
                if not isinstance(value, str) or name not in table.c:
                    continue
                length = getattr(table.c[name].type, "length", None)
                if length is not None and len(value) > length:
                    raise LineWriteError(
                        f"{table.name}.{name} would be {len(value)} characters long, the limit "
                        f"is {length} ({shorten(value, 60)!r}); shorten the Connect name or the "
                        "plan name template"
                    )
                if storable(value) != value:
                    raise LineWriteError(
                        f"{table.name}.{name} holds a NUL or invalid character "
                        f"({shorten(value, 60)!r})"
                    )


def flatten(line: domain.ProductLine) -> Desired:
    """The rows each catalog table should hold for this line, by natural key."""
    desired: Desired = {table: {} for table in CATALOG_TABLES}
    for resource in line.resources:
        desired[models.Resource][resource.mpn] = {
            "mpn": resource.mpn,
            "name": resource.name,
            "uom": resource.uom,
            "measurable": resource.measurable,
            "as_is": resource.as_is,
            "active": resource.active,
        }
    keys = {plan.name: plan.key for plan in line.service_plans}
    for plan in line.service_plans:
        pkey = keys[plan.name]
        desired[models.ServicePlan][pkey] = {
            "name": plan.name,
            "resource_mpn": plan.resource_mpn,
            "billing_duration": plan.billing_period.duration if plan.billing_period else None,
            "billing_unit": plan.billing_period.unit.value if plan.billing_period else None,
            "trial": plan.trial,
            "sharing": plan.sharing.as_dict(),
            "published": plan.published,
            "description": plan.description or plan.name,
            "offer_plan_id": plan.offer_plan_id or None,
            "features": [feature.as_dict() for feature in plan.features] or None,
            "active": plan.active,
        }
        for position, period in enumerate(plan.periods):
            desired[models.PlanPeriod][f"{pkey}|{period.mpn}"] = {
                "plan_key": pkey,
                "duration": period.period.duration,
                "unit": period.period.unit.value,
                "trial": period.trial,
                "mpn": period.mpn,
                "connect_item_id": period.connect_item_id,
                "position": position,
                "active": period.active,
            }
        for rate in plan.resource_rates:
            rkey = f"{pkey}|{rate.resource_mpn}"
            desired[models.ResourceRate][rkey] = {
                "plan_key": pkey,
                "resource_mpn": rate.resource_mpn,
                "min_units": rate.min_units,
                "max_units": rate.max_units,
                "addon": True if rate.addon else None,
                "active": plan.active,
            }
            for position, rate_period in enumerate(rate.periods):
                desired[models.ResourceRatePeriod][f"{rkey}|{rate_period.mpn}"] = {
                    "rate_key": rkey,
                    "duration": rate_period.period.duration,
                    "unit": rate_period.period.unit.value,
                    "mpn": rate_period.mpn,
                    "position": position,
                    "active": rate_period.active,
                }
        for target in plan.upgrade_paths:
            tkey = keys[target]
            desired[models.UpgradePath][f"{pkey}>{tkey}"] = {
                "plan_key": pkey,
                "target_plan_key": tkey,
                "target_name": target,
                "active": True,
            }
    for switch in line.plan_switches:  # keyed by plan keys: a plan rename updates the path
        skey = f"{keys[switch.source_plan]}>{keys[switch.target_plan]}"
        desired[models.PlanSwitch][skey] = {
            "source_plan": switch.source_plan,
            "target_plan": switch.target_plan,
            "preset": switch.preset,
            "operation": switch.operation,
            "item_mapping": dict(switch.item_mapping),
            "preset_settings": switch.preset_settings.as_dict(),
            "resource_mapping": [list(pair) for pair in switch.resource_mapping],
            "origin": switch.origin,
            "connect_switch_id": switch.connect_switch_id or None,
            "active": switch.active,
        }
    for dependency in line.resource_dependencies:
        desired[models.ResourceDependency][dependency.key] = {
            "child_mpn": dependency.child_mpn,
            "parent_mpn": dependency.parent_mpn,
            "kind": dependency.kind,
            "multiplier": dependency.multiplier,
            "active": True,
        }
    return desired


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
        stored: models.ProductLine | Unread | None = UNREAD,
    ) -> Changes:
        """Store a line by diff: insert new rows, update changed ones, deactivate missing ones.

        Rows whose content hash is unchanged are not touched (no write, same timestamps);
        nothing is ever deleted. `findings` (the rules' warnings and errors for this line)
        replace the stored ones; None keeps them. `signature`: the Connect signature the line
        now reflects (None keeps the stored one). `stored`: the line's row when the caller
        read it already (None: there is none), so it is not read again.
        """
        row = self.line(line.connect_product_id) if isinstance(stored, Unread) else stored
        new_line = row is None
        desired = flatten(line)
        header: Values = {
            "name": line.name,
            "vendor": line.vendor,
            "active": True,
            "source_hash": source,
            "plan_source": line.plan_source,
            "offer_id": line.offer_id or None,
            "offer_name": line.offer_name or None,
            # a new line's rows are all created: its header is complete before they are
            "row_count": sum(map(len, desired.values())) if new_line else None,
        }
        _check_fits(line.connect_product_id, desired, header)
        if findings is not None:
            header["findings"] = [event.as_dict() for event in findings]
        if signature:
            header["connect_signature"] = signature
        if row is None:
            row = models.ProductLine(
                connect_product_id=line.connect_product_id,
                created_at=now,
                updated_at=now,
                **header,
            )
            self.session.add(row)
            self.session.flush()  # the new line's id keys its catalog rows below
        changes = Changes()
        total = 0
        # a new line has no stored rows: nothing to read back
        changes.records = self._sharing_changes(
            row.id, desired[models.ServicePlan], read=not new_line
        )
        for table, rows in desired.items():
            table_changes = self._diff_table(table, row.id, rows, run_id, now, read=not new_line)
            changes.add(table_changes)
            if table_of(table).name in RECORDED:  # plans, switch paths, add-on rates, ...: named
                changes.records += table_changes.records
            total += table_changes.created + table_changes.updated + table_changes.unchanged
            total += table_changes.deactivated
        header["row_count"] = total
        if any(getattr(row, name) != value for name, value in header.items()):
            for name, value in header.items():
                setattr(row, name, value)
            row.updated_at = now
        return changes

    def _sharing_changes(
        self, line_id: int, plans: dict[str, Values], *, read: bool = True
    ) -> list[Change]:
        """Per plan: what the new rows share and unshare compared with the stored ones."""
        stored: dict[str, dict[str, Any]] = {}
        if read:
            rows = self.session.execute(
                select(models.ServicePlan.key, models.ServicePlan.sharing).where(
                    models.ServicePlan.product_line_id == line_id
                )
            )
            stored = {row.key: row.sharing for row in rows}
        found = (
            sharing_change(
                str(values["name"]),
                Sharing.from_dict(stored.get(key) or {}),
                Sharing.from_dict(values["sharing"]),
            )
            for key, values in plans.items()
        )
        return [change for change in found if change is not None]

    def _diff_table(
        self,
        table: type[CatalogRow],
        line_id: int,
        desired: dict[str, Values],
        run_id: int,
        now: datetime,
        *,
        read: bool = True,
    ) -> Changes:
        label_columns = _label_columns(table)
        names = LABEL_FIELDS.get(table_of(table).name, ())
        stored = (
            {
                key: (ident, digest, active, dict(zip(names, labels, strict=True)))
                for ident, key, digest, active, *labels in self.session.execute(
                    select(
                        table.id,
                        table.key,
                        table.content_hash,
                        table.active,
                        *label_columns,
                    ).where(table.product_line_id == line_id)
                )
            }
            if read
            else {}
        )
        changes = Changes()
        inserts: list[Values] = []
        updates: list[Values] = []
        for key, values in desired.items():
            digest = row_digest(values)
            known = stored.get(key)
            if known is None:
                inserts.append(
                    {
                        **values,
                        "product_line_id": line_id,
                        "key": key,
                        "content_hash": digest,
                        "created_run_id": run_id,
                        "changed_run_id": run_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                changes.created += 1
                _note(changes, table, "created", values)
            elif known[1] != digest:
                updates.append(
                    {
                        **values,
                        "id": known[0],
                        "content_hash": digest,
                        "changed_run_id": run_id,
                        "updated_at": now,
                    }
                )
                if known[2] and not values["active"]:
                    changes.deactivated += 1
                    _note(changes, table, "deactivated", values)
                else:
                    changes.updated += 1
                    _note(changes, table, "updated", values)
            else:
                changes.unchanged += 1
        updates += _deactivate_missing(table, stored, desired, changes, run_id=run_id, now=now)
        if inserts:
            # Core, not the ORM bulk path: no per-row ORM bookkeeping for rows never read back
            insert_rows(self.session, table_of(table), inserts)
        if updates:
            self.session.execute(update(table), updates)
        return changes

    def deactivate_lines_except(
        self, seen: Iterable[str], run_id: int, now: datetime
    ) -> tuple[Changes, list[str]]:
        """Deactivate every active line whose Connect product was not seen (after a full sync).

        Reads the active lines' ids only (not their rows, whose findings grow with the catalog).
        """
        keep = set(seen)
        line = models.ProductLine
        gone = [
            (ident, product_id)
            for ident, product_id in self.session.execute(
                select(line.id, line.connect_product_id).where(line.active.is_(True))
            )
            if product_id not in keep
        ]
        changes = Changes()
        for ident, _ in gone:
            for table in CATALOG_TABLES:
                result = self.session.execute(
                    update(table)
                    .where(table.product_line_id == ident, table.active.is_(True))
                    .values(active=False, content_hash="", changed_run_id=run_id, updated_at=now)
                )
                changes.deactivated += int(getattr(result, "rowcount", 0) or 0)
            self.session.execute(
                update(line)
                .where(line.id == ident)
                .values(active=False, source_hash="", updated_at=now)
            )
        return changes, [product_id for _, product_id in gone]

    def line_states(self) -> dict[str, LineState]:
        """Every stored line's state, by Connect product id, in one query."""
        line = models.ProductLine
        rows = self.session.execute(
            select(
                line.connect_product_id,
                line.id,
                line.active,
                line.source_hash,
                line.row_count,
                line.findings.is_not(None),
                line.connect_signature,
            )
        )
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

    def set_signature(self, connect_product_id: str, signature: str) -> None:
        """Record the Connect signature a line now reflects (no write when it is the same)."""
        self.session.execute(
            update(models.ProductLine)
            .where(
                models.ProductLine.connect_product_id == connect_product_id,
                or_(
                    models.ProductLine.connect_signature.is_(None),
                    models.ProductLine.connect_signature != signature,
                ),
            )
            .values(connect_signature=signature)
        )

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
        """The stored catalog in the JSON shape of DESIGN §6, sorted for stable output."""
        query = select(models.ProductLine).order_by(models.ProductLine.connect_product_id)
        if product_ids:
            query = query.where(models.ProductLine.connect_product_id.in_(product_ids))
        prices = PriceRepository(self.session)
        lines = []
        for line in self.session.scalars(query):
            found = self._line_json(line)
            markets = prices.line_prices([line.id]).get(line.id, {})
            found["marketplaces"] = markets.get("marketplaces", [])
            found["prices"] = markets.get("prices", {})
            lines.append(found)
        return {"product_lines": lines}

    def _rows(self, table: type[CatalogRow], line_id: int) -> list[Any]:
        return list(self.session.scalars(select(table).where(table.product_line_id == line_id)))

    def _line_json(self, line: models.ProductLine) -> dict[str, Any]:
        resources = sorted(self._rows(models.Resource, line.id), key=lambda r: r.mpn)
        plans = self._rows(models.ServicePlan, line.id)
        periods = _by(self._rows(models.PlanPeriod, line.id), "plan_key")
        rates = _by(self._rows(models.ResourceRate, line.id), "plan_key")
        rate_periods = _by(self._rows(models.ResourceRatePeriod, line.id), "rate_key")
        paths = _by(self._rows(models.UpgradePath, line.id), "plan_key")
        switches = sorted(
            self._rows(models.PlanSwitch, line.id), key=lambda s: (s.source_plan, s.target_plan)
        )
        dependencies = sorted(
            self._rows(models.ResourceDependency, line.id),
            key=lambda d: (d.child_mpn, d.parent_mpn),
        )
        return {
            "connect_product_id": line.connect_product_id,
            "name": line.name,
            "vendor": line.vendor,
            "active": line.active,
            "plan_source": line.plan_source,
            "offer": {"id": line.offer_id, "name": line.offer_name} if line.offer_id else None,
            "resources": [
                {
                    "mpn": r.mpn,
                    "name": r.name,
                    "uom": r.uom,
                    "measurable": r.measurable,
                    "as_is": r.as_is,
                    "active": r.active,
                }
                for r in resources
            ],
            "service_plans": [
                _plan_json(plan, periods, rates, rate_periods, paths)
                for plan in sorted(plans, key=lambda p: p.name)
            ],
            "plan_switches": [_switch_json(switch) for switch in switches],
            "resource_dependencies": [
                {
                    "child_mpn": d.child_mpn,
                    "parent_mpn": d.parent_mpn,
                    "kind": d.kind,
                    "multiplier": d.multiplier,
                    "active": d.active,
                }
                for d in dependencies
            ],
        }


def _switch_json(switch: models.PlanSwitch) -> dict[str, Any]:
    return {
        "source_plan": switch.source_plan,
        "target_plan": switch.target_plan,
        "preset": switch.preset,
        "operation": switch.operation,
        "item_mapping": dict(sorted(switch.item_mapping.items())),
        "preset_settings": switch.preset_settings,
        "resource_mapping": [
            {"from": source, "to": target} for source, target in switch.resource_mapping
        ],
        "origin": switch.origin,
        "connect_switch_id": switch.connect_switch_id,
        "active": switch.active,
    }


def _note(changes: Changes, table: type[CatalogRow], what: str, values: Values) -> None:
    """Record the change of a plan, switch path, add-on rate or dependency (others: counted)."""
    record = change_record(table_of(table).name, what, values)
    if record is not None:
        changes.records.append(record)


def _label_columns(table: type[CatalogRow]) -> list[Any]:
    """The columns a recorded table's change labels are made of (none for the others)."""
    return [getattr(table, name) for name in LABEL_FIELDS.get(table_of(table).name, ())]


def _deactivate_missing(
    table: type[CatalogRow],
    stored: dict[str, tuple[int, str, bool, Values]],
    desired: dict[str, Values],
    changes: Changes,
    *,
    run_id: int,
    now: datetime,
) -> list[Values]:
    updates: list[Values] = []
    for key, (ident, _, active, labels) in stored.items():
        if key in desired:
            continue
        if not active:
            changes.unchanged += 1
            continue
        updates.append(
            {
                "id": ident,
                "active": False,
                "content_hash": "",
                "changed_run_id": run_id,
                "updated_at": now,
            }
        )
        changes.deactivated += 1
        if labels:
            _note(changes, table, "deactivated", labels)
    return updates


def _by(rows: list[Any], attribute: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, attribute), []).append(row)
    return grouped


def _plan_json(
    plan: models.ServicePlan,
    periods: dict[str, list[models.PlanPeriod]],
    rates: dict[str, list[models.ResourceRate]],
    rate_periods: dict[str, list[models.ResourceRatePeriod]],
    paths: dict[str, list[models.UpgradePath]],
) -> dict[str, Any]:
    billing = (
        {"duration": plan.billing_duration, "unit": plan.billing_unit}
        if plan.billing_duration is not None
        else None
    )
    return {
        "name": plan.name,
        "key": plan.key,
        "description": plan.description,
        "published": plan.published,
        "resource_mpn": plan.resource_mpn,
        "billing_period": billing,
        "trial": plan.trial,
        "active": plan.active,
        "periods": [
            {
                "duration": p.duration,
                "unit": p.unit,
                "trial": p.trial,
                "mpn": p.mpn,
                "connect_item_id": p.connect_item_id,
                "active": p.active,
            }
            for p in sorted(periods.get(plan.key, []), key=lambda p: (p.position, p.mpn))
        ],
        "resource_rates": [
            {
                "resource_mpn": rate.resource_mpn,
                "min_units": rate.min_units,
                "max_units": rate.max_units,
                "active": rate.active,
                "periods": [
                    {"duration": p.duration, "unit": p.unit, "mpn": p.mpn, "active": p.active}
                    for p in sorted(
                        rate_periods.get(rate.key, []), key=lambda p: (p.position, p.mpn)
                    )
                ],
            }
            | ({"addon": True} if rate.addon else {})
            for rate in sorted(rates.get(plan.key, []), key=lambda r: r.resource_mpn)
        ],
        "upgrade_paths": sorted(
            path.target_name for path in paths.get(plan.key, []) if path.active
        ),
        "sharing": plan.sharing,
        "offer_plan_id": plan.offer_plan_id,
        "features": plan.features or [],
    }
