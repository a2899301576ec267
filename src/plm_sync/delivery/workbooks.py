"""PLM workbook export and operator import: combines the store, the rules and the ppr adapter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.domain import events as codes
from plm_sync.domain.catalog import ProductLine, ServicePlan
from plm_sync.domain.changes import change_events
from plm_sync.domain.events import Event, Level
from plm_sync.domain.lines import (
    SYNCED_ITEM_STATUSES,
    build_line,
    group_product,
    line_source_hash,
)
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.overrides import Override, plan_values
from plm_sync.domain.runs import RunStart
from plm_sync.domain.sharing import Listings
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.domain.switches import SwitchError
from plm_sync.errors import UsageError
from plm_sync.mappings import load_plm_rules, load_rules
from plm_sync.mappings.sharing import load_sharing_rules
from plm_sync.ppr.export import write_workbook
from plm_sync.ppr.read import PlanEdit, RateEdit, WorkbookEdits, WorkbookError, read_workbook
from plm_sync.runs.runlog import RunLog, RunOutcome, utcnow
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.overrides import OverrideRepository
from plm_sync.store.prices import PriceRepository
from plm_sync.store.snapshot import SnapshotRepository

log = structlog.get_logger(__name__)
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def default_path(product_id: str, folder: Path, now: datetime) -> Path:
    """`PPR_<product>_v<n>_<timestamp>.xlsx`, n one above the exports already in `folder`."""
    safe = SAFE_NAME.sub("_", product_id)
    version = len(list(folder.glob(f"PPR_{safe}_v*.xlsx"))) + 1
    return folder / f"PPR_{safe}_v{version}_{now.strftime('%Y%m%dT%H%M%S')}.xlsx"


def export_ppr(settings: Settings, product_id: str, output: Path | None = None) -> Path:
    """Write the stored product line (overrides applied) as a PLM workbook."""
    rules = load_plm_rules(settings.mappings)
    with (
        open_database(settings.database_url, migrate=False) as factory,
        unit_of_work(factory) as session,
    ):
        lines = CatalogRepository(session).catalog((product_id,))["product_lines"]
    if not lines:
        raise UsageError(
            f"no product line {product_id} in the catalog: run `plm-sync import {product_id}`"
        )
    path = output or default_path(product_id, Path.cwd(), utcnow())
    write_workbook(lines[0], rules, path, units=load_sharing_rules(settings.mappings).units)
    log.info("ppr_exported", product_id=product_id, path=str(path))
    return path


@dataclass(frozen=True)
class _Source:
    """A stored line's inputs from its Connect snapshot, grouped once by the rules."""

    product: SourceProduct
    items: list[SourceItem]
    offer: SourceOffer | None
    grouped: ProductLine
    rules: OperatorRules
    listings: Listings  # as the last sync stored them: what it shared the plans from

    def build(self, overrides: list[Override]) -> tuple[ProductLine, list[Event]]:
        """The line as stored with these overrides, and what applying them found.

        The sync's own function, with the line's listings: the line is built exactly as the
        sync builds it, so only what the operator changed becomes an override.
        """
        try:
            return build_line(self.grouped, self.rules, overrides, self.offer, self.listings)
        except SwitchError as error:
            raise WorkbookError(
                [
                    f"plan switches do not fit this product line: {problem}"
                    for problem in error.problems
                ]
            ) from None

    def source_hash(self, overrides: list[Override]) -> str:
        """The source hash the line built with these overrides is stored with."""
        return line_source_hash(
            self.product,
            self.items,
            self.rules.fingerprint,
            overrides,
            self.offer,
            listings=self.listings,
            sharing=self.rules.sharing,
        )


@dataclass
class _Plan:
    """What importing a workbook means for one product line."""

    line_id: int
    product_id: str
    overrides: list[Override]
    events: list[Event]
    source: _Source


def _exported(plan: ServicePlan) -> dict[str, Any]:
    values = plan_values(plan)
    values["published"] = plan.published and plan.active  # what the export wrote
    return values


def _edited_values(
    edit: PlanEdit, rates: list[RateEdit], current: dict[str, Any]
) -> dict[str, Any]:
    columns = {unit for unit, _ in edit.op_units}
    units = sorted(
        {unit for unit, on in edit.op_units if on}
        | {unit for unit in current["op_units"] if unit not in columns}
    )
    values = {
        "name": edit.name,
        "description": edit.description,
        "published": edit.published,
        "op_units": units,
        "reseller_groups": sorted(edit.reseller_groups),
    }
    if rates:
        values["min_units"], values["max_units"] = rates[0].min_units, rates[0].max_units
    return values


def _plan_overrides(
    edits: WorkbookEdits, current: ProductLine, base: ProductLine, existing: list[Override]
) -> tuple[list[Override], list[Event], list[str]]:
    """The overrides after an import.

    A field the workbook changes from what was exported becomes an override (or loses it
    when it goes back to the computed value); untouched fields keep theirs.
    """
    by_name = {plan.name: plan for plan in current.service_plans}
    base_by_key = {plan.key: plan for plan in base.service_plans}
    kept = {(o.key, o.field): o for o in existing}
    problems: list[str] = []
    events: list[Event] = []
    names: dict[str, int] = {}
    for edit in edits.plans:
        plan = by_name.get(edit.identity)
        if plan is None:
            problems.append(
                f"sheet ServicePlans row {edit.row}: unknown plan {edit.identity!r} (not in the "
                "catalog of this product line); if you renamed a plan, put its old name in "
                "OldName_1"
            )
            continue
        if edit.name in names:
            problems.append(
                f"sheet ServicePlans row {edit.row}: plan name {edit.name!r} is "
                f"already used on row {names[edit.name]}"
            )
        names[edit.name] = edit.row
        exported = _exported(plan)
        computed = plan_values(base_by_key[plan.key]) if plan.key in base_by_key else exported
        rates = [rate for rate in edits.rates if rate.plan in {edit.name, edit.identity}]
        rates, rate_problems = _first_rate_edits(plan, rates, current)
        problems += rate_problems
        for field, value in _edited_values(edit, rates, exported).items():
            if value == exported[field]:
                continue
            old = kept.pop((plan.key, field), None)
            if value == computed[field]:
                events.append(
                    Event(
                        Level.INFO,
                        codes.OVERRIDE_CLEARED,
                        f"plan {plan.name!r}: {field} back to {value!r}",
                        current.connect_product_id,
                    )
                )
                continue
            base_value = old.base_value if old else computed[field]
            kept[(plan.key, field)] = Override(plan.key, field, value, base_value)
            events.append(
                Event(
                    Level.INFO,
                    codes.OVERRIDE_SET,
                    f"plan {plan.name!r}: {field} set to {value!r} by the workbook",
                    current.connect_product_id,
                )
            )
    return sorted(kept.values(), key=lambda o: (o.key, o.field)), events, problems


def _first_rate_edits(
    plan: ServicePlan, rates: list[RateEdit], line: ProductLine
) -> tuple[list[RateEdit], list[str]]:
    """The workbook rows of the plan's first resource rate (the one overrides keep).

    A plan that follows a Connect offer has a rate per resource; limits of its other rates
    come from the offer's constraints, so editing them in the workbook is refused.
    """
    if len(plan.resource_rates) < 2 or not rates:  # noqa: PLR2004 - one rate: nothing to pick
        return rates, []
    names = {resource.mpn: resource.name for resource in line.resources}
    exported = {
        names.get(rate.resource_mpn, rate.resource_mpn): (rate.min_units, rate.max_units)
        for rate in plan.resource_rates
    }
    first = names.get(plan.resource_rates[0].resource_mpn, plan.resource_rates[0].resource_mpn)
    problems = [
        f"sheet ResourceRates row {rate.row}: plan {plan.name!r} follows a Connect offer; "
        f"only the limits of its first resource ({first!r}) can be changed here, those of "
        f"{rate.resource!r} come from the offer's item constraint (change them in Connect)"
        for rate in rates
        if rate.resource != first
        and (rate.min_units, rate.max_units) != exported.get(rate.resource, (None, None))
    ]
    return [rate for rate in rates if rate.resource == first], problems


def _find_line(session: Session, edits: WorkbookEdits) -> tuple[int, str]:
    """The product line whose plans the workbook names.

    Plan names may repeat across lines: the single line holding most of them wins.
    """
    identities = {edit.identity for edit in edits.plans}
    found: dict[tuple[int, str], set[str]] = {}
    for row in session.execute(CatalogRepository.plan_lines_query(identities)):
        found.setdefault((row.line_id, row.connect_product_id), set()).add(row.name)
    if not found:
        hint = "export the workbook with `plm-sync ppr export PRD-…` after a sync"
        raise WorkbookError([f"no plan of this workbook is in the catalog: {hint}"])
    best = max(len(names) for names in found.values())
    lines = sorted(line for line, names in found.items() if len(names) == best)
    if len(lines) > 1:
        products = ", ".join(pid for _, pid in lines)
        hint = "the workbook names the same plans as several product lines"
        raise WorkbookError([f"{hint} ({products}); export and import one line at a time"])
    return lines[0]


def _source(session: Session, product_id: str, rules: OperatorRules) -> _Source:
    snapshots = SnapshotRepository(session)
    snapshot = snapshots.load(product_id)
    if snapshot is None:
        raise UsageError(f"product {product_id} has no Connect snapshot: sync it first")
    product, items = snapshot
    items = [item for item in items if item.status in SYNCED_ITEM_STATUSES]
    offer = snapshots.load_offer(product_id)
    grouped = group_product(product, items, [offer] if offer else [], rules)[0].product_line
    known = PriceRepository(session).states([product_id]).get(product_id, {})
    listings = Listings.of([mp for mp, state in known.items() if state.listed], known)
    return _Source(product, items, offer, grouped, rules, listings)


def _prepare(edits: WorkbookEdits, factory: sessionmaker[Session], rules: OperatorRules) -> _Plan:
    with unit_of_work(factory, commit=False) as session:
        line_id, product_id = _find_line(session, edits)
        existing = OverrideRepository(session).for_line(line_id)
        source = _source(session, product_id, rules)
    base, _ = source.build([])
    current, _ = source.build(existing)
    overrides, events, problems = _plan_overrides(edits, current, base, existing)
    if problems:
        raise WorkbookError(problems)
    return _Plan(line_id, product_id, overrides, events, source)


def import_ppr(
    settings: Settings, path: Path, *, dry_run: bool = False, trigger: str = "cli"
) -> RunOutcome:
    """Validate a workbook whole, then store its edits as operator overrides and apply them.

    All or nothing: any problem (file, sheet, column, value, unknown plan) stops the import
    before anything is written (exit 2). The import is a run of its own (one at a time).
    """
    with open_database(settings.database_url) as factory:
        return apply_ppr(settings, factory, path, dry_run=dry_run, trigger=trigger)


def apply_ppr(
    settings: Settings,
    factory: sessionmaker[Session],
    path: Path,
    *,
    dry_run: bool = False,
    trigger: str = "cli",
) -> RunOutcome:
    """`import_ppr` on a database the caller opened (a worker's)."""
    edits = read_workbook(path)
    rules = load_rules(settings.mappings)
    plan = _prepare(edits, factory, rules)
    start = RunStart(trigger, f"ppr import: {path.name}", full=False, dry_run=dry_run)
    runlog = RunLog.open(factory, settings, start, brake=False)
    with runlog.bound():
        return _apply(runlog, plan, dry_run=dry_run)


def _apply(runlog: RunLog, plan: _Plan, *, dry_run: bool) -> RunOutcome:
    """Store the line with the workbook's overrides in one transaction; close the run."""
    try:
        line, line_events = plan.source.build(plan.overrides)
        with unit_of_work(runlog.factory, commit=not dry_run) as session:
            changes = CatalogRepository(session).save_line(
                line, plan.source.source_hash(plan.overrides), runlog.run_id, runlog.clock()
            )
            OverrideRepository(session).replace_for_line(
                plan.line_id, plan.overrides, runlog.run_id, runlog.clock()
            )
            events = plan.events + line_events + change_events(plan.product_id, changes, dry_run)
            if not dry_run:  # in the line's transaction: a line is never stored without them
                runlog.write(session, events, plan.product_id, replace=True)
        if dry_run:  # the line's transaction was rolled back: what it would do is recorded
            runlog.record(events, plan.product_id)
    except Exception as error:
        runlog.conclude(
            {}, failure=error, step="applying the workbook", product_ids=[plan.product_id]
        )
        raise
    errors = sum(1 for event in events if event.level is Level.ERROR)
    counts = {
        "products": 1,
        "created": changes.created,
        "updated": changes.updated,
        "unchanged": changes.unchanged,
        "deactivated": changes.deactivated,
        "errors": errors,
    }
    return runlog.conclude(counts, product_ids=[plan.product_id])
