"""Soil samples taken next to the probes: the evidence each probe's calibration is fitted on.

Revision ID: 0004_probe_samples
Revises: 0003_run_meter
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from controller.store.types import UTCDateTime

revision: str = "0004_probe_samples"
down_revision: str | None = "0003_run_meter"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A store opened by a development build that had the model but not this revision
    # already has the table: leave it.
    if "probe_samples" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "probe_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("point", sa.String(), nullable=False),
        sa.Column("sampled_at", UTCDateTime(), nullable=False),
        sa.Column("theta_pct", sa.Float(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("raw_pct", sa.Float(), nullable=False),
        sa.Column("raw_source", sa.String(), nullable=False),
        sa.Column("entered_by", sa.String(), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_probe_samples_probe", "probe_samples", ["device", "point", "sampled_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_probe_samples_probe", table_name="probe_samples")
    op.drop_table("probe_samples")
