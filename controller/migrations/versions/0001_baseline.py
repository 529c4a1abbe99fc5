"""Baseline: the schema of qanat's first release (store schema_version 1).

Every table of ``controller/store/tables.py`` as released before migrations
existed: readings, readings_downsampled, water_balance, decisions, runs,
events, audit, tokens, users, sessions, export_acks and schema_version.
Types are spelled out here (not imported from the live models) so that later
changes to the models cannot change what this revision creates; only the
UTC datetime column type is shared, as it is a storage format, not a model.
A database made by ``Store`` before migrations existed is stamped at this
revision, not re-created.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from controller.store.types import UTCDateTime

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("planned_start", UTCDateTime(), nullable=True),
        sa.Column("duration_min", sa.Float(), nullable=False),
        sa.Column("depth_mm", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_zone_time", ["zone", "time"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("latched", sa.Boolean(), nullable=False),
        sa.Column("acked_at", UTCDateTime(), nullable=True),
        sa.Column("acked_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_time", ["time"], unique=False)

    op.create_table(
        "export_acks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("reader", sa.String(), nullable=False),
        sa.Column("acked_id", sa.Integer(), nullable=False),
        sa.Column("acked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("table_name", "reader", name="uq_export_ack_reader"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("point", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("decoded", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("quality", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_readings_device_point_time", ["device", "point", "time"], unique=False
        )
        batch_op.create_index("ix_readings_time", ["time"], unique=False)

    op.create_table(
        "readings_downsampled",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("point", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("count_bad", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device", "point", "hour", name="uq_readings_downsampled_hour"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("locale", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_username"), ["username"], unique=True)

    op.create_table(
        "water_balance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=True),
        sa.Column("et0_mm", sa.Float(), nullable=False),
        sa.Column("kc", sa.Float(), nullable=False),
        sa.Column("etc_mm", sa.Float(), nullable=False),
        sa.Column("eta_mm", sa.Float(), nullable=False),
        sa.Column("rain_mm", sa.Float(), nullable=False),
        sa.Column("effective_rain_mm", sa.Float(), nullable=False),
        sa.Column("irrigation_mm", sa.Float(), nullable=False),
        sa.Column("runoff_mm", sa.Float(), nullable=False),
        sa.Column("deep_percolation_mm", sa.Float(), nullable=False),
        sa.Column("dr_start_mm", sa.Float(), nullable=False),
        sa.Column("dr_end_mm", sa.Float(), nullable=False),
        sa.Column("taw_mm", sa.Float(), nullable=False),
        sa.Column("raw_mm", sa.Float(), nullable=False),
        sa.Column("ks", sa.Float(), nullable=False),
        sa.Column("probe_correction_mm", sa.Float(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("zone", "date", "revision", name="uq_water_balance_revision"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("planned_min", sa.Float(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(), nullable=False),
        sa.Column("applied_m3", sa.Float(), nullable=False),
        sa.Column("fertilizer", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_state", ["state"], unique=False)
        batch_op.create_index("ix_runs_zone_created", ["zone", "created_at"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_user", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_user")

    op.drop_table("sessions")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_zone_created")
        batch_op.drop_index("ix_runs_state")

    op.drop_table("runs")
    op.drop_table("water_balance")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username"))

    op.drop_table("users")
    op.drop_table("tokens")
    op.drop_table("schema_version")
    op.drop_table("readings_downsampled")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_time")
        batch_op.drop_index("ix_readings_device_point_time")

    op.drop_table("readings")
    op.drop_table("export_acks")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_time")

    op.drop_table("events")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_zone_time")

    op.drop_table("decisions")
    op.drop_table("audit")
