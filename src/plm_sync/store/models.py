"""SQLAlchemy 2 models: Connect snapshot, hierarchical PLM catalog, runs and run events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plm_sync.domain import text as limits

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names and column types per annotation."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        str: String(255),
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


# -- runs ------------------------------------------------------------------------------


class Run(Base):
    """One sync run (CLI, schedule or operator); never left `running` by a clean exit."""

    __tablename__ = "runs"
    __table_args__ = (
        # At most one running run per database: the second insert fails, whoever races.
        Index(
            "uq_runs_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(1000))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime]
    owner: Mapped[str] = mapped_column(String(255), default="")
    products: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    failed_products: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    cursor_before: Mapped[str | None] = mapped_column(String(64))
    cursor_after: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    # `plm-sync runs cancel`: a queued run is cancelled at once, a running one stops at its
    # next product line.
    cancel_requested_at: Mapped[datetime | None]
    # Plans this run may deactivate (fixed when it opens); None: the brake is lifted.
    deactivation_limit: Mapped[int | None] = mapped_column(Integer)
    # the Connect products the run read (its report lists those without events too)
    product_ids: Mapped[list[str] | None] = mapped_column(JSON)


class RunEvent(Base):
    """Something a run noticed about a product or item."""

    __tablename__ = "run_events"
    # a run's events, and one product's events of a run (a product task replaces them)
    __table_args__ = (Index("ix_run_events_run_id_product", "run_id", "connect_product_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    connect_product_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    connect_item_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    mpn: Mapped[str | None] = mapped_column(String(limits.MPN_MAX))
    message: Mapped[str] = mapped_column(Text)
    # the plan or switch path a change event is about (reports group on it)
    subject: Mapped[str | None] = mapped_column(Text)


class SyncState(Base):
    """Small named values kept between runs: the incremental cursor."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_at: Mapped[datetime]


# -- Connect snapshot -----------------------------------------------------------------------


class ConnectProduct(Base):
    """The last Connect product row seen, with its content hash."""

    __tablename__ = "connect_products"

    id: Mapped[str] = mapped_column(String(limits.ID_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    vendor: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    status: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    updated_at: Mapped[str | None] = mapped_column(String(limits.STAMP_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)


class ConnectItem(Base):
    """The last Connect item row seen (fields the rules use), with its content hash."""

    __tablename__ = "connect_items"

    id: Mapped[str] = mapped_column(String(limits.ID_MAX), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(limits.ID_MAX), index=True)
    mpn: Mapped[str] = mapped_column(String(limits.MPN_MAX))
    name: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    type: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    commitment_count: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(limits.UNIT_MAX))
    status: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    updated_at: Mapped[str | None] = mapped_column(String(limits.STAMP_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    # an add-on's base item; the item replacing this end-of-sale one
    parent_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    replacement_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))


class ConnectOffer(Base):
    """The offer a product's plans last followed (None row: no published offer), as JSON."""

    __tablename__ = "connect_offers"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)


# -- hierarchical catalog ----------------------------------------------------------------------


class ProductLine(Base):
    """A PLM product line: one Connect product."""

    __tablename__ = "product_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connect_product_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(1000))
    vendor: Mapped[str] = mapped_column(String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    plan_source: Mapped[str] = mapped_column(String(16), server_default="mpn")
    offer_id: Mapped[str | None] = mapped_column(String(64))
    offer_name: Mapped[str | None] = mapped_column(String(1000))
    # The warnings and errors the rules found when the line was last computed: reported
    # again by runs that find the line unchanged and skip recomputing it.
    findings: Mapped[list[Any] | None] = mapped_column(JSON)
    # the change signals of the Connect product the line was last synced from (incremental
    # runs sync a product whose signature differs); None before it was first recorded
    connect_signature: Mapped[str | None] = mapped_column(String(64))
    # one digest of its catalog rows (domain.line_rows.catalog_digest): what a push compares
    catalog_digest: Mapped[str | None] = mapped_column(String(64))
    # the line's verdict: the last finished, not dry sync (or workbook import) that read it,
    # and the error codes it left for it (empty: clean); what a push asks before sending
    sync_run_id: Mapped[int | None] = mapped_column(Integer)
    sync_errors: Mapped[list[str] | None] = mapped_column(JSON)
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CatalogRow:
    """Columns every catalog row has: its natural key in the line, hash, activity, history."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_run_id: Mapped[int | None] = mapped_column(Integer)
    changed_run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Resource(CatalogRow, Base):
    """A PLM resource (one per vendor product id)."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    mpn: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(1000))
    uom: Mapped[str] = mapped_column(String(255))
    measurable: Mapped[bool] = mapped_column(Boolean)
    as_is: Mapped[bool] = mapped_column(Boolean)


class ServicePlan(CatalogRow, Base):
    """A PLM service plan, keyed by resource MPN and billing period."""

    __tablename__ = "service_plans"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    name: Mapped[str] = mapped_column(String(1000))
    resource_mpn: Mapped[str] = mapped_column(String(255))
    billing_duration: Mapped[int | None] = mapped_column(Integer)
    billing_unit: Mapped[str | None] = mapped_column(String(8))
    trial: Mapped[bool] = mapped_column(Boolean)
    sharing: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, server_default=true())
    description: Mapped[str] = mapped_column(Text, server_default="")
    offer_plan_id: Mapped[str | None] = mapped_column(String(64))
    features: Mapped[list[Any] | None] = mapped_column(JSON)


class PlanPeriod(CatalogRow, Base):
    """A subscription period of a plan, keeping its flat MPN and Connect item."""

    __tablename__ = "plan_periods"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    plan_key: Mapped[str] = mapped_column(String(1000))
    duration: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    trial: Mapped[bool] = mapped_column(Boolean)
    mpn: Mapped[str] = mapped_column(String(255))
    connect_item_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)


class ResourceRate(CatalogRow, Base):
    """The rate of a resource in a plan."""

    __tablename__ = "resource_rates"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    plan_key: Mapped[str] = mapped_column(String(1000))
    resource_mpn: Mapped[str] = mapped_column(String(255))
    min_units: Mapped[int] = mapped_column(Integer)
    max_units: Mapped[int] = mapped_column(Integer)
    addon: Mapped[bool | None] = mapped_column(Boolean)  # True: an add-on's rate in a base plan


class ResourceRatePeriod(CatalogRow, Base):
    """A resource rate period: the flat MPN that keys price lists."""

    __tablename__ = "resource_rate_periods"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    rate_key: Mapped[str] = mapped_column(String(1000))
    duration: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    mpn: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)


class UpgradePath(CatalogRow, Base):
    """An upgrade path from one plan to a sibling plan."""

    __tablename__ = "upgrade_paths"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    plan_key: Mapped[str] = mapped_column(String(1000))
    target_plan_key: Mapped[str] = mapped_column(String(1000))
    target_name: Mapped[str] = mapped_column(String(1000))


class PlanSwitch(CatalogRow, Base):
    """A one-way switch path between two plans of a line, keyed by the plan pair."""

    __tablename__ = "plan_switches"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    source_plan: Mapped[str] = mapped_column(String(1000))
    target_plan: Mapped[str] = mapped_column(String(1000))
    preset: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(16))
    item_mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    preset_settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    resource_mapping: Mapped[list[Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(16))
    connect_switch_id: Mapped[str | None] = mapped_column(String(64))


class OperatorOverride(Base):
    """An operator's edit (from the PPR workbook) that later syncs keep."""

    __tablename__ = "operator_overrides"
    __table_args__ = (UniqueConstraint("product_line_id", "table_name", "row_key", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[str] = mapped_column(String(1000))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    base_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ResourceDependency(CatalogRow, Base):
    """A resource of a line that depends on another: an add-on requires its base."""

    __tablename__ = "resource_dependencies"
    __table_args__ = (UniqueConstraint("product_line_id", "key"),)

    child_mpn: Mapped[str] = mapped_column(String(255))
    parent_mpn: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64))
    multiplier: Mapped[int] = mapped_column(Integer)


# -- marketplaces and prices -----------------------------------------------------------------


class Marketplace(Base):
    """A Connect marketplace as last read: currencies and the Commerce hubs serving it."""

    __tablename__ = "marketplaces"

    id: Mapped[str] = mapped_column(String(limits.ID_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    currency: Mapped[str] = mapped_column(String(8))
    alt_currencies: Mapped[list[str]] = mapped_column(JSON)
    hubs: Mapped[list[Any]] = mapped_column(JSON)  # [[hub id, external id], ...]
    content_hash: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)


class LineMarketplace(Base):
    """A marketplace a product line is listed in (or was), and where its prices came from.

    `digest` covers the price sources and everything the prices were checked against: equal
    digests mean the marketplace's prices need no recomputing.
    """

    __tablename__ = "line_marketplaces"
    __table_args__ = (UniqueConstraint("product_line_id", "marketplace_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    marketplace_id: Mapped[str] = mapped_column(String(limits.ID_MAX))
    listed: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    scheduled_source: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    vendor_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    changed_run_id: Mapped[int | None] = mapped_column(Integer)


class PriceValues:
    """What a price says, kept alike by a price and its history.

    Amounts as decimal text (exact, and the same on both databases), currencies, effective
    date, source, activity.
    """

    cost: Mapped[str | None] = mapped_column(String(limits.SHORT_MAX))
    cost_currency: Mapped[str | None] = mapped_column(String(8))
    price: Mapped[str | None] = mapped_column(String(limits.SHORT_MAX))
    price_currency: Mapped[str | None] = mapped_column(String(8))
    msrp: Mapped[str | None] = mapped_column(String(limits.SHORT_MAX))
    effective_date: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(limits.ID_MAX))
    active: Mapped[bool] = mapped_column(Boolean)


class Price(PriceValues, Base):
    """One item's price in one marketplace (now, or scheduled); changes keep history."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("product_line_id", "marketplace_id", "mpn", "scheduled"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    marketplace_id: Mapped[str] = mapped_column(String(limits.ID_MAX))
    mpn: Mapped[str] = mapped_column(String(limits.MPN_MAX))
    scheduled: Mapped[bool] = mapped_column(Boolean)
    resource_mpn: Mapped[str] = mapped_column(String(limits.MPN_MAX))
    billing_period: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    subscription_period: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    created_run_id: Mapped[int | None] = mapped_column(Integer)
    changed_run_id: Mapped[int | None] = mapped_column(Integer)


class PriceHistory(PriceValues, Base):
    """A price's values before a run changed or removed it."""

    __tablename__ = "price_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_id: Mapped[int] = mapped_column(ForeignKey("prices.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime]


# -- deliveries into Commerce ------------------------------------------------------------

HUB_MAX = 1000  # a hub: its controller URL and the app id, as `push.hub_key` writes them


class LinePush(Base):
    """What one hub last received of a line: its content digest, the PLM task, when, the run.

    One row per line and hub (a second hub has none until it is pushed to). `hub` '' holds
    what was pushed before hubs were told apart (migration 0011): the first hub pushed to
    afterwards takes it as its own.
    """

    __tablename__ = "line_pushes"
    __table_args__ = (UniqueConstraint("product_line_id", "hub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    hub: Mapped[str] = mapped_column(String(HUB_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    # the digest version of `content_hash` (1: the `repr` form of versions before 0010,
    # recognised until the line is pushed again)
    digest_version: Mapped[int] = mapped_column(Integer)
    # the line's catalog digest with the PLM rules when it was received (migration 0012):
    # equal to the line's now, the workbook is unchanged without rebuilding it
    catalog_digest: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(64))
    pushed_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(Integer)


class PricePush(Base):
    """What one hub last received of a line's prices in one marketplace (the wizard's file)."""

    __tablename__ = "price_pushes"
    __table_args__ = (UniqueConstraint("product_line_id", "hub", "marketplace_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    hub: Mapped[str] = mapped_column(String(HUB_MAX))
    marketplace_id: Mapped[str] = mapped_column(String(limits.ID_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    effective_date: Mapped[str] = mapped_column(String(limits.STAMP_MAX))
    pushed_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(Integer)
    # {"vendor": …, "rows": [[MPN, billing, subscription], …]}: the file the hub received
    rows: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # rows the catalog dropped that the hub's flat catalog still showed at the last push
    not_withdrawn: Mapped[list[Any] | None] = mapped_column(JSON)


class PushIntent(Base):
    """A change about to be sent to a hub (`applyConfig`), written before it is sent.

    Closed with its outcome when the answer comes; an intent still open is a push that was
    cut off (a crash, a lost answer): the next push of the line to that hub reads PLM's state
    before it sends anything again.
    """

    __tablename__ = "push_intents"
    __table_args__ = (Index("ix_push_intents_open", "product_line_id", "hub", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(ForeignKey("product_lines.id", ondelete="CASCADE"))
    hub: Mapped[str] = mapped_column(String(HUB_MAX))
    kind: Mapped[str] = mapped_column(String(16))  # `workbook` or `prices`
    marketplace_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))  # prices only
    content_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(Integer)
    tracking_id: Mapped[str | None] = mapped_column(String(64))  # the PLM task, once answered
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    # how far the push got (migration 0014), each step written before it is taken: opened,
    # parsed, applying (just before applyConfig leaves), task (its PLM task known); None
    # for an intent from before 0014, read as `applying`
    step: Mapped[str | None] = mapped_column(String(16))
    step_at: Mapped[datetime | None]


class PushPlan(Base):
    """A push's change plan (`push --plan`): for which hub, asked how, and what became of it.

    `decision`: None while it waits, `approved` (applied by run `applied_by`) or `rejected`.
    """

    __tablename__ = "push_plans"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    hub: Mapped[str] = mapped_column(String(HUB_MAX))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None]
    applied_by: Mapped[int | None] = mapped_column(Integer)


class PlannedLine(Base):
    """A line a plan would change: the digests approval compares the catalog with."""

    __tablename__ = "planned_lines"
    __table_args__ = (UniqueConstraint("run_id", "connect_product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("push_plans.run_id", ondelete="CASCADE"), index=True
    )
    connect_product_id: Mapped[str] = mapped_column(String(limits.ID_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))  # the line's workbook digest
    workbook: Mapped[bool] = mapped_column(Boolean)  # PLM's plans would change
    # {marketplace: {"digest": …, "changes": n}}: the price files the plan would send
    prices: Mapped[dict[str, Any]] = mapped_column(JSON)


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class (for Core statements that skip ORM bookkeeping)."""
    return cast("Table", model.__table__)


CATALOG_TABLES: tuple[type[CatalogRow], ...] = (
    Resource,
    ServicePlan,
    PlanPeriod,
    ResourceRate,
    ResourceRatePeriod,
    UpgradePath,
    PlanSwitch,
    ResourceDependency,
)
