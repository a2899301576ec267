"""Prometheus metrics of the run log and the catalog, read from the database per scrape.

`plm-sync serve` answers them at `/metrics`; `plm-sync status --format prometheus` prints them
for a node-exporter textfile collector. Every value comes from a handful of aggregate
queries (no table is read row by row), so a scrape stays cheap on a large catalog. Other
packages add metrics through the `plm_sync.ops.metrics` entry point group (the Celery side adds
the broker's queue depth).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.domain import events as codes
from plm_sync.domain.events import LINE_OUTCOMES
from plm_sync.domain.moments import aware
from plm_sync.domain.runs import SUCCEEDED_STATUSES, RunStatus
from plm_sync.store.database import unit_of_work
from plm_sync.store.models import (
    CatalogRow,
    LineMarketplace,
    PlanPeriod,
    Price,
    ProductLine,
    Resource,
    ResourceRate,
    ResourceRatePeriod,
    Run,
    RunEvent,
    ServicePlan,
)
from plm_sync.store.run_rows import DRIFT_TRIGGER, NOT_SYNCS, PUSH_TRIGGER, not_withdrawn

log = structlog.get_logger(__name__)
CATALOG_KINDS: dict[str, type[CatalogRow]] = {
    "resources": Resource,
    "plans": ServicePlan,
    "periods": PlanPeriod,
    "rates": ResourceRate,
    "rate_periods": ResourceRatePeriod,
}
# an entry point of group `plm_sync.ops.metrics`: more metric families for a scrape
ExtraMetrics = Callable[[Settings], Iterable[Metric]]


def _seconds(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return aware(moment).timestamp()


class DatabaseCollector(Collector):
    """The run log's and the catalog's metrics, computed when Prometheus scrapes."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        """Every metric family, from a few aggregate queries."""
        yield self._runs()
        yield self._last_success()
        yield from self._last_run()
        yield self._held()
        yield self._catalog()
        yield from self._prices()
        yield from self._last_push()
        yield self._drift()
        for entry in entry_points(group="plm_sync.metrics"):
            extra: ExtraMetrics = entry.load()
            try:
                yield from extra(self.settings)
            except Exception as error:  # noqa: BLE001 - a broken plug-in never fails a scrape
                log.warning("metrics_plugin_failed", plugin=entry.name, error=str(error))

    def _runs(self) -> Metric:
        family = GaugeMetricFamily(
            "plm_sync_runs", "Runs recorded in the run log", labels=["status", "trigger"]
        )
        query = select(Run.status, Run.trigger, func.count()).group_by(Run.status, Run.trigger)
        for status, trigger, count in self.session.execute(query):
            family.add_metric([status, trigger], count)
        return family

    def _last_success(self) -> Metric:
        family = GaugeMetricFamily(
            "plm_sync_last_success_timestamp_seconds",
            "When the last successful run of each kind finished (Unix time)",
            labels=["run"],
        )
        successful = (Run.status.in_(sorted(SUCCEEDED_STATUSES)), Run.dry_run.is_(False))
        kinds = {
            "full": (Run.scope == "full", Run.trigger != "push"),
            "incremental": (Run.scope == "incremental", Run.trigger != "push"),
            "push": (Run.trigger == "push",),
            "drift": (Run.trigger == DRIFT_TRIGGER,),
        }
        for kind, conditions in kinds.items():
            last = self.session.scalar(
                select(func.max(Run.finished_at)).where(*successful, *conditions)
            )
            seconds = _seconds(last)
            if seconds is not None:
                family.add_metric([kind], seconds)
        return family

    def _latest(self, *conditions: Any) -> Run | None:  # noqa: ANN401 - SQL conditions
        closed = Run.status.not_in([str(RunStatus.QUEUED), str(RunStatus.RUNNING)])
        query = select(Run).where(closed, *conditions).order_by(Run.id.desc()).limit(1)
        return self.session.scalars(query).first()

    def _last_run(self) -> Iterator[Metric]:
        run = self._latest(Run.trigger.not_in(NOT_SYNCS))  # the last sync: a push hides nothing
        described = {
            "plm_sync_last_run_duration_seconds": "How long the last finished sync took",
            "plm_sync_last_run_items": "Connect items the last finished sync read",
            "plm_sync_last_run_errors": "Errors the last finished sync recorded",
            "plm_sync_last_run_products": "Product lines the last finished sync read",
        }
        families = {name: GaugeMetricFamily(name, text) for name, text in described.items()}
        rows = GaugeMetricFamily(
            "plm_sync_last_run_catalog_rows",
            "Catalog rows the last finished sync created, updated and deactivated",
            labels=["change"],
        )
        status = GaugeMetricFamily(
            "plm_sync_last_run_status",
            "The last finished sync's status (1 for its status; pushes: plm_sync_last_push_status)",
            labels=["status", "trigger"],
        )
        if run is not None:
            started, finished = _seconds(run.started_at), _seconds(run.finished_at)
            duration = finished - started if started is not None and finished is not None else 0
            families["plm_sync_last_run_duration_seconds"].add_metric([], duration)
            families["plm_sync_last_run_items"].add_metric([], run.items)
            families["plm_sync_last_run_errors"].add_metric([], run.errors)
            families["plm_sync_last_run_products"].add_metric([], run.products)
            for change in ("created", "updated", "deactivated"):
                rows.add_metric([change], getattr(run, change))
            status.add_metric([run.status, run.trigger], 1)
        yield from families.values()
        yield rows
        yield status

    def _held(self) -> Metric:
        family = GaugeMetricFamily(
            "plm_sync_held_lines",
            "Product lines the latest finished sync held back, by brake",
            labels=["brake"],
        )
        run = self._latest(Run.trigger.not_in(NOT_SYNCS), ~Run.scope.startswith("ppr import"))
        brakes = {"deactivation": codes.DEACTIVATION_LIMIT, "price": codes.PRICE_CHANGE_LIMIT}
        for brake, code in brakes.items():
            held: int | None = 0
            if run is not None:
                held = self.session.scalar(
                    select(func.count(func.distinct(RunEvent.connect_product_id))).where(
                        RunEvent.run_id == run.id, RunEvent.code == code
                    )
                )
            family.add_metric([brake], held or 0)
        return family

    def _catalog(self) -> Metric:
        family = GaugeMetricFamily(
            "plm_sync_catalog_rows", "Active rows of the stored catalog", labels=["kind"]
        )
        lines = self.session.scalar(
            select(func.count()).select_from(ProductLine).where(ProductLine.active.is_(True))
        )
        family.add_metric(["product_lines"], lines or 0)
        for kind, table in CATALOG_KINDS.items():
            count = self.session.scalar(
                select(func.count()).select_from(table).where(table.active.is_(True))
            )
            family.add_metric([kind], count or 0)
        return family

    def _prices(self) -> Iterator[Metric]:
        prices = GaugeMetricFamily(
            "plm_sync_prices", "Active prices by marketplace", labels=["marketplace"]
        )
        query = (
            select(Price.marketplace_id, func.count())
            .where(Price.active.is_(True))
            .group_by(Price.marketplace_id)
        )
        for marketplace, count in self.session.execute(query):
            prices.add_metric([marketplace], count)
        listed = GaugeMetricFamily(
            "plm_sync_listed_lines",
            "Product lines listed in each marketplace",
            labels=["marketplace"],
        )
        query = (
            select(LineMarketplace.marketplace_id, func.count())
            .where(LineMarketplace.listed.is_(True))
            .group_by(LineMarketplace.marketplace_id)
        )
        for marketplace, count in self.session.execute(query):
            listed.add_metric([marketplace], count)
        yield prices
        yield listed

    def _last_push(self) -> Iterator[Metric]:
        lines = GaugeMetricFamily(
            "plm_sync_last_push_lines",
            "Product lines of the latest finished push, by outcome (one per line)",
            labels=["outcome"],
        )
        status = GaugeMetricFamily(
            "plm_sync_last_push_status",
            "The latest finished push's status (1 for its status)",
            labels=["status"],
        )
        run = self._latest(Run.trigger == PUSH_TRIGGER)
        if run is not None:
            status.add_metric([run.status], 1)
            query = (
                select(RunEvent.code, func.count(func.distinct(RunEvent.connect_product_id)))
                .where(RunEvent.run_id == run.id, RunEvent.code.in_(sorted(LINE_OUTCOMES)))
                .group_by(RunEvent.code)
            )
            for code, count in self.session.execute(query):
                lines.add_metric([code.removeprefix("commerce_")], count)
        withdrawn = GaugeMetricFamily(
            "plm_sync_prices_not_withdrawn",
            "Price rows the catalog dropped that a hub still sold at its last push",
            labels=["marketplace"],
        )
        rows: dict[str, int] = {}
        for entry in not_withdrawn(self.session.connection()):
            rows[entry["marketplace"]] = rows.get(entry["marketplace"], 0) + len(entry["rows"])
        for marketplace, count in sorted(rows.items()):
            withdrawn.add_metric([marketplace], count)
        yield lines
        yield status
        yield withdrawn

    def _drift(self) -> Metric:
        family = GaugeMetricFamily(
            "plm_sync_drift_lines",
            "Product lines the latest finished drift check found differing on the hub, and "
            "those it found as the catalog says",
            labels=["state"],
        )
        run = self._latest(Run.trigger == DRIFT_TRIGGER)
        if run is not None and run.status != "failed":
            family.add_metric(["drifted"], int(run.updated or 0))
            family.add_metric(["as_catalog"], int(run.unchanged or 0))
        return family


def metrics_text(settings: Settings, factory: sessionmaker[Session]) -> bytes:
    """Every metric in Prometheus' text format, read from the caller's database."""
    with unit_of_work(factory, commit=False) as session:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(DatabaseCollector(session, settings))
        return generate_latest(registry)
