"""Drift: what a Commerce hub holds that the catalog does not say, read back, never changed.

For each line (named, or `--all`: every line the hub received), PLM's parse of the line's
workbook is compared with the hub's export (`downloadConfig`, the one comparison of
`commerce.readback`): plans edited by hand, missing or on the hub only; then each
marketplace's prices as the reseller's flat catalog shows them against the catalog's rows.
A run of its own (trigger `drift`) with coded events: each difference is an error (exit 3),
a line as the catalog says is an info. Nothing is sent that changes Commerce: `push --force`
on the lines listed repairs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.commerce.client import CommerceClient
from plm_sync.commerce.hubs import normal_url
from plm_sync.commerce.readback import ConfigDiff
from plm_sync.commerce.wizard import PriceWizard
from plm_sync.config import Settings
from plm_sync.delivery.hub_view import hub_view
from plm_sync.delivery.line_tasks import close_tasks, line_task
from plm_sync.delivery.price_rows import price_drift, priced_marketplaces, wanted_prices
from plm_sync.domain.events import (
    DRIFT_NO_LINE,
    DRIFT_NONE,
    DRIFT_NOT_INSTALLED,
    DRIFT_PLAN_CHANGED,
    DRIFT_PLAN_EXTRA,
    DRIFT_PLAN_MISSING,
    DRIFT_PRICES,
    DRIFT_READ_FAILED,
    Event,
    Level,
)
from plm_sync.domain.runs import RunStart
from plm_sync.errors import (
    CommerceAuthError,
    CommerceError,
    CommerceServiceError,
    PlmSyncError,
    UsageError,
)
from plm_sync.mappings import load_plm_rules, load_pricing_rules
from plm_sync.mappings.sharing import load_sharing_rules
from plm_sync.ppr.export import workbook_bytes
from plm_sync.runs.runlog import RunLog, RunOutcome, run_failed_error
from plm_sync.runs.scope import check_product_id
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.prices import PriceRepository
from plm_sync.store.pushes import DRIFT_TRIGGER, PushRepository

log = structlog.get_logger(__name__)
Factory = sessionmaker[Session]


SHOWN_ROWS = 5
REPAIR = "`plm-sync push {product} --force` repairs it"


@dataclass(frozen=True)
class DriftRequest:
    """Which lines to read back, from which hub (None: PLM_SYNC_COMMERCE_URL)."""

    product_ids: tuple[str, ...] = ()
    all_lines: bool = False
    hub_url: str | None = None
    trigger: str = DRIFT_TRIGGER

    def __post_init__(self) -> None:
        if not self.product_ids and not self.all_lines:
            msg = "name the product lines to check (PRD-…) or pass --all"
            raise UsageError(msg)

    def as_dict(self) -> dict[str, Any]:
        """JSON for a task's arguments."""
        return {
            "product_ids": list(self.product_ids),
            "all_lines": self.all_lines,
            "hub_url": self.hub_url,
            "trigger": self.trigger,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftRequest:
        """Inverse of `as_dict`."""
        return cls(
            tuple(data.get("product_ids") or ()),
            all_lines=bool(data.get("all_lines")),
            hub_url=data.get("hub_url") or None,
            trigger=str(data.get("trigger") or DRIFT_TRIGGER),
        )

    @property
    def scope(self) -> str:
        """The run's scope: `drift --all`, `drift PRD-1 --hub https://…`."""
        parts = ["drift"] + (["--all"] if self.all_lines else [])
        shown = list(self.product_ids[:5])
        parts += shown + ([f"(+{len(self.product_ids) - 5} more)"] if self.product_ids[5:] else [])
        if self.hub_url:
            parts += ["--hub", normal_url(self.hub_url)]
        return " ".join(parts)


@dataclass
class DriftTally:
    """Lines read back: drifted, as the catalog says, failed to read."""

    products: int = 0
    drifted: int = 0
    unchanged: int = 0
    errors: int = 0
    seen: list[str] = field(default_factory=list)

    def merge(self, other: dict[str, Any]) -> None:
        """Add a line's (or a task's) tally."""
        self.products += int(other.get("products", 0))
        self.drifted += int(other.get("drifted", 0))
        self.unchanged += int(other.get("unchanged", 0))
        self.errors += int(other.get("errors", 0))
        self.seen += list(other.get("seen", []))

    def as_dict(self) -> dict[str, Any]:
        """JSON for the tasks."""
        return {
            "products": self.products,
            "drifted": self.drifted,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "seen": list(self.seen),
        }


def _plan_events(product_id: str, diff: ConfigDiff) -> list[Event]:
    """One error per plan the hub holds otherwise, lacks, or holds beyond the line."""
    repair = REPAIR.format(product=product_id)
    return (
        [
            Event(
                Level.ERROR,
                DRIFT_PLAN_CHANGED,
                f"plan {plan.name} differs on the hub from the catalog (hub -> catalog): "
                f"{'; '.join(plan.fields)}; {repair}",
                product_id,
                subject=plan.name,
            )
            for plan in diff.changed
        ]
        + [
            Event(
                Level.ERROR,
                DRIFT_PLAN_MISSING,
                f"plan {name} of the catalog is not on the hub; {repair}",
                product_id,
                subject=name,
            )
            for name in diff.new
        ]
        + [
            Event(
                Level.ERROR,
                DRIFT_PLAN_EXTRA,
                f"plan {name} is on the hub but not in the catalog's line (made by hand, or "
                "renamed in the catalog): PLM keeps plans; unpublish or remove it in Commerce",
                product_id,
                subject=name,
            )
            for name in diff.extra
        ]
    )


class LineDrift:
    """Reads lines back from one hub and records what differs, line by line."""

    def __init__(self, settings: Settings, runlog: RunLog, client: CommerceClient) -> None:
        self.settings = settings
        self.runlog = runlog
        self.client = client
        self.rules = load_plm_rules(settings.mappings)
        self.units = load_sharing_rules(settings.mappings).units
        self.pricing = load_pricing_rules(settings.mappings)
        with unit_of_work(runlog.factory) as session:
            self.marketplaces = PriceRepository(session).marketplaces()

    def lines(self, request: DriftRequest) -> tuple[list[str], list[str]]:
        """The lines to read back (named, or all this hub received) and named ones unknown."""
        with unit_of_work(self.runlog.factory) as session:
            stored = PushRepository(session).lines(self.client.hub, request.product_ids)
        found = {line.connect_product_id for line in stored}
        missing = sorted(set(request.product_ids) - found)
        if request.product_ids:
            return sorted(found), missing
        return sorted(line.connect_product_id for line in stored if line.pushed_hash), missing

    def check(self, product_id: str) -> DriftTally:
        """Read one line back; its events are recorded."""
        tally = DriftTally(products=1, seen=[product_id])
        events: list[Event] = []
        try:
            drifted = self._check(product_id, events)
        except (CommerceAuthError, CommerceServiceError):
            raise
        except CommerceError as error:
            events.append(
                Event(
                    Level.ERROR,
                    DRIFT_READ_FAILED,
                    f"{product_id} could not be read back from the hub: {error}",
                    product_id,
                )
            )
            drifted = None
        if drifted is None:
            tally.errors += 1
        elif drifted:
            tally.drifted += 1
        else:
            tally.unchanged += 1
        self.runlog.record(events, product_id)
        self.runlog.heartbeat()
        return tally

    def _check(self, product_id: str, events: list[Event]) -> bool | None:
        with unit_of_work(self.runlog.factory) as session:
            lines = CatalogRepository(session).catalog((product_id,))["product_lines"]
        if not lines:
            events.append(
                Event(
                    Level.ERROR,
                    DRIFT_NO_LINE,
                    f"no product line {product_id} in the catalog",
                    product_id,
                )
            )
            return None
        line = lines[0]
        details = self.client.app_details(product_id)
        if details is None or not details.installed:
            events.append(
                Event(
                    Level.ERROR,
                    DRIFT_NOT_INSTALLED,
                    f"{product_id} is not installed in Commerce PLM on this hub: none of its "
                    "plans can be there",
                    product_id,
                )
            )
            return True
        parsed = self.client.parse_config(workbook_bytes(line, self.rules, units=self.units))
        view = hub_view(self.client, product_id, parsed, events)
        diff = view.diff
        events.extend(_plan_events(product_id, view.diff))
        drifted = bool(diff.changed or diff.new or diff.extra)
        drifted |= self._prices(line, events)
        if not drifted:
            unread = f"; not read back: {', '.join(diff.unread)}" if diff.unread else ""
            events.append(
                Event(
                    Level.INFO,
                    DRIFT_NONE,
                    f"{product_id} is on the hub as the catalog says: plans {diff.summary()}"
                    f"{unread}",
                    product_id,
                )
            )
        return drifted

    def _prices(self, line: dict[str, Any], events: list[Event]) -> bool:
        """Each priced marketplace's rows as the reseller's flat catalog shows them."""
        product_id = str(line["connect_product_id"])
        drifted = False
        for marketplace_id in priced_marketplaces(line):
            marketplace = self.marketplaces.get(marketplace_id)
            account = self.pricing.reseller_of(marketplace) if marketplace is not None else None
            if account is None:
                continue  # no reseller to read as: the push says so when it sends prices
            vendor = str(
                ((line.get("prices") or {}).get(marketplace_id) or {}).get("vendor_id") or ""
            )
            shown = PriceWizard(self.client, account).products(vendor)
            found = price_drift(wanted_prices(line, marketplace_id), shown)
            if found:
                drifted = True
                more = f"; and {len(found) - SHOWN_ROWS} more" if len(found) > SHOWN_ROWS else ""
                events.append(
                    Event(
                        Level.ERROR,
                        DRIFT_PRICES,
                        f"{marketplace_id}: {len(found)} price row(s) differ on the hub "
                        f"(reseller {account}, hub -> catalog): {'; '.join(found[:SHOWN_ROWS])}"
                        f"{more}; {REPAIR.format(product=product_id)}",
                        product_id,
                        subject=marketplace_id,
                    )
                )
        return drifted


def _close(
    runlog: RunLog, tally: DriftTally, failure: PlmSyncError | None, step: str
) -> RunOutcome:
    counts = {
        "products": tally.products,
        "updated": tally.drifted,  # lines that drifted
        "unchanged": tally.unchanged,
        "errors": tally.errors + tally.drifted,
    }
    return runlog.conclude(counts, failure=failure, step=step, product_ids=tally.seen)


def _hub(settings: Settings, request: DriftRequest) -> Settings:
    """The settings that read the hub asked for (`--hub`), else the configured one."""
    return settings.with_overrides(commerce_url=request.hub_url) if request.hub_url else settings


def open_drift(
    settings: Settings,
    factory: Factory,
    request: DriftRequest,
    *,
    owner: str | None = None,
    queued: bool = False,
) -> int:
    """Check the settings and record the drift run (refused while another run is open)."""
    for product_id in request.product_ids:
        check_product_id(product_id)
    CommerceClient.from_settings(_hub(settings, request)).close()  # every setting is there
    runlog = RunLog.open(
        factory,
        settings,
        RunStart(request.trigger, request.scope, full=False, dry_run=False, queued=queued),
        owner=owner,
        brake=False,
    )
    return runlog.run_id


def _listed(
    runlog: RunLog, drift: LineDrift, request: DriftRequest, tally: DriftTally
) -> list[str]:
    """The lines to read back; a named line the catalog lacks is an error of its own."""
    wanted, missing = drift.lines(request)
    for product_id in missing:
        runlog.record(
            [
                Event(
                    Level.ERROR,
                    DRIFT_NO_LINE,
                    f"no product line {product_id} in the catalog",
                    product_id,
                )
            ],
            product_id,
        )
        tally.merge(DriftTally(products=1, errors=1, seen=[product_id]).as_dict())
    return wanted


def drift_lines(settings: Settings, request: DriftRequest) -> RunOutcome:
    """Read the lines back from the hub in this process: one run, trigger `drift`."""
    hub = _hub(settings, request)
    with open_database(settings.database_url) as factory:
        run_id = open_drift(settings, factory, request)
        runlog = RunLog.resume(factory, run_id, settings=settings)
        client = CommerceClient.from_settings(hub)
        tally = DriftTally()
        step = "checking the Commerce credentials"
        try:
            with runlog.bound():
                client.check_credentials()
                drift = LineDrift(hub, runlog, client)
                for product_id in _listed(runlog, drift, request, tally):
                    step = f"reading {product_id} back"
                    tally.merge(drift.check(product_id).as_dict())
        except PlmSyncError as error:
            _close(runlog, tally, error, step)
            raise run_failed_error(f"drift run {run_id}", step, error) from None
        except BaseException as error:
            _close(runlog, tally, PlmSyncError(f"{error.__class__.__name__}: {error}"), step)
            raise
        finally:
            client.close()
        return _close(runlog, tally, None, step)


# -- the workers' fan-out: plan (one task), a task per line, close (one task) -----------------


def plan_drift(
    settings: Settings, factory: Factory, run_id: int, request: DriftRequest, *, owner: str
) -> tuple[list[str], dict[str, Any]] | None:
    """Take the drift run, check the credentials, list its lines (None: the run is not open)."""
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        if not runlog.take(owner):
            return None
        client = CommerceClient.from_settings(_hub(settings, request))
        tally = DriftTally()
        try:
            client.check_credentials()
            wanted = _listed(runlog, LineDrift(settings, runlog, client), request, tally)
        except PlmSyncError as error:
            _close(runlog, tally, error, "checking the Commerce credentials")
            raise run_failed_error(
                f"drift run {run_id}", "checking the Commerce credentials", error
            ) from None
        finally:
            client.close()
        runlog.heartbeat(force=True)
        return wanted, tally.as_dict()


def drift_line(
    settings: Settings, factory: Factory, run_id: int, request: DriftRequest, product_id: str
) -> dict[str, Any]:
    """Read one line of a drift run back; its tally (its events replace an earlier try's)."""
    return line_task(
        settings,
        factory,
        run_id,
        product_id,
        tally=DriftTally,
        failed_code=DRIFT_READ_FAILED,
        work=lambda runlog, client: LineDrift(settings, runlog, client).check(product_id),
        hub=_hub(settings, request),
    )


def close_drift(
    settings: Settings, factory: Factory, run_id: int, tallies: Sequence[dict[str, Any]]
) -> RunOutcome:
    """Add up the line tasks and close the drift run."""
    return close_tasks(
        settings,
        factory,
        run_id,
        tallies,
        tally=DriftTally,
        close=lambda runlog, tally: _close(runlog, tally, None, "closing"),
    )
