"""Crop stages seen on the zones: the observations the phenology re-anchors the Kc curve on.

Revision ID: 0006_crop_observations
Revises: 0005_readings_time_index
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from controller.store.types import UTCDateTime

revision: str = "0006_crop_observations"
down_revision: str | None = "0005_readings_time_index"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A store opened by a development build that had the model but not this revision
    # already has the table: leave it.
    if "crop_observations" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "crop_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("photo", sa.String(), nullable=False),
        sa.Column("entered_by", sa.String(), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_crop_observations_zone", "crop_observations", ["zone", "observed_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_crop_observations_zone", table_name="crop_observations")
    op.drop_table("crop_observations")
