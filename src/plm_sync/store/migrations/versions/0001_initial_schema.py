"""Initial schema: Connect snapshot, PLM catalog, runs, run events, overrides.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:49:20.164459
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "connect_items",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("mpn", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("commitment_count", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_items")),
    )
    with op.batch_alter_table("connect_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connect_items_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "connect_products",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("vendor", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_products")),
    )
    op.create_table(
        "product_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connect_product_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("vendor", sa.String(length=1000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_lines")),
        sa.UniqueConstraint("connect_product_id", name=op.f("uq_product_lines_connect_product_id")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("products", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deactivated", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("failed_products", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("cursor_before", sa.String(length=64), nullable=True),
        sa.Column("cursor_after", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_runs_one_running",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )

    op.create_table(
        "operator_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=1000), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_operator_overrides_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_overrides")),
        sa.UniqueConstraint(
            "product_line_id",
            "table_name",
            "row_key",
            "field",
            name=op.f("uq_operator_overrides_product_line_id"),
        ),
    )
    with op.batch_alter_table("operator_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_overrides_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "plan_periods",
        sa.Column("plan_key", sa.String(length=1000), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("trial", sa.Boolean(), nullable=False),
        sa.Column("mpn", sa.String(length=255), nullable=False),
        sa.Column("connect_item_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_plan_periods_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_periods")),
        sa.UniqueConstraint("product_line_id", "key", name=op.f("uq_plan_periods_product_line_id")),
    )
    with op.batch_alter_table("plan_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_periods_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "resource_rate_periods",
        sa.Column("rate_key", sa.String(length=1000), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("mpn", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_resource_rate_periods_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_rate_periods")),
        sa.UniqueConstraint(
            "product_line_id", "key", name=op.f("uq_resource_rate_periods_product_line_id")
        ),
    )
    with op.batch_alter_table("resource_rate_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_rate_periods_product_line_id"),
            ["product_line_id"],
            unique=False,
        )

    op.create_table(
        "resource_rates",
        sa.Column("plan_key", sa.String(length=1000), nullable=False),
        sa.Column("resource_mpn", sa.String(length=255), nullable=False),
        sa.Column("min_units", sa.Integer(), nullable=False),
        sa.Column("max_units", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_resource_rates_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_rates")),
        sa.UniqueConstraint(
            "product_line_id", "key", name=op.f("uq_resource_rates_product_line_id")
        ),
    )
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_rates_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "resources",
        sa.Column("mpn", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("uom", sa.String(length=255), nullable=False),
        sa.Column("measurable", sa.Boolean(), nullable=False),
        sa.Column("as_is", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_resources_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("product_line_id", "key", name=op.f("uq_resources_product_line_id")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resources_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "run_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("connect_product_id", sa.String(length=64), nullable=True),
        sa.Column("connect_item_id", sa.String(length=64), nullable=True),
        sa.Column("mpn", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_events_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_events")),
    )
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_events_run_id"), ["run_id"], unique=False)

    op.create_table(
        "service_plans",
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("resource_mpn", sa.String(length=255), nullable=False),
        sa.Column("billing_duration", sa.Integer(), nullable=True),
        sa.Column("billing_unit", sa.String(length=8), nullable=True),
        sa.Column("trial", sa.Boolean(), nullable=False),
        sa.Column("sharing", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_service_plans_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_plans")),
        sa.UniqueConstraint(
            "product_line_id", "key", name=op.f("uq_service_plans_product_line_id")
        ),
    )
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_plans_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_sync_state_run_id_runs")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "upgrade_paths",
        sa.Column("plan_key", sa.String(length=1000), nullable=False),
        sa.Column("target_plan_key", sa.String(length=1000), nullable=False),
        sa.Column("target_name", sa.String(length=1000), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_upgrade_paths_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upgrade_paths")),
        sa.UniqueConstraint(
            "product_line_id", "key", name=op.f("uq_upgrade_paths_product_line_id")
        ),
    )
    with op.batch_alter_table("upgrade_paths", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upgrade_paths_product_line_id"), ["product_line_id"], unique=False
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("upgrade_paths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upgrade_paths_product_line_id"))

    op.drop_table("upgrade_paths")
    op.drop_table("sync_state")
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_plans_product_line_id"))

    op.drop_table("service_plans")
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_events_run_id"))

    op.drop_table("run_events")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_product_line_id"))

    op.drop_table("resources")
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_rates_product_line_id"))

    op.drop_table("resource_rates")
    with op.batch_alter_table("resource_rate_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_rate_periods_product_line_id"))

    op.drop_table("resource_rate_periods")
    with op.batch_alter_table("plan_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_periods_product_line_id"))

    op.drop_table("plan_periods")
    with op.batch_alter_table("operator_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_overrides_product_line_id"))

    op.drop_table("operator_overrides")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_runs_one_running",
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )
        batch_op.drop_index(batch_op.f("ix_runs_status"))

    op.drop_table("runs")
    op.drop_table("product_lines")
    op.drop_table("connect_products")
    with op.batch_alter_table("connect_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connect_items_product_id"))

    op.drop_table("connect_items")
