"""The meter reading a running run's recorded water counts up to (credit after a crash).

Revision ID: 0003_run_meter
Revises: 0002_notify_outbox
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from controller.store.types import UTCDateTime

revision: str = "0003_run_meter"
down_revision: str | None = "0002_notify_outbox"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A store opened by a qanat that had this model but no revision for it (a development
    # build) already has the table: leave it.
    if "run_meter" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "run_meter",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("total_m3", sa.Float(), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    op.drop_table("run_meter")
