"""The notification outbox: messages queued for their channels, and the events cursor.

Revision ID: 0002_notify_outbox
Revises: 0001_baseline
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from controller.store.types import UTCDateTime

revision: str = "0002_notify_outbox"
down_revision: str | None = "0001_baseline"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A store opened by a qanat that had these models but no revision for them (a
    # development build) already has the tables: leave them.
    existing = sa.inspect(op.get_bind()).get_table_names()
    if "notify_outbox" not in existing:
        _create_outbox()
    if "notify_cursor" not in existing:
        op.create_table(
            "notify_cursor",
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("last_id", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )


def _create_outbox() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=False),
        sa.Column("first_failure_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notify_outbox_channel_state", ["channel", "state", "id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("notify_cursor")
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_outbox_channel_state")
    op.drop_table("notify_outbox")
