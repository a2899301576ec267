"""The hierarchical PLM catalog: product lines and the rows of each catalog table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from plm_sync.store.models.base import Base


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
