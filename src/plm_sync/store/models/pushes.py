"""Deliveries into Commerce: what each hub received, the intents, the change plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plm_sync.domain import text as limits
from plm_sync.store.models.base import Base

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
