"""Runs, their events, and named states (the Connect cursor, the last alert)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from plm_sync.domain import text as limits
from plm_sync.store.models.base import Base


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
