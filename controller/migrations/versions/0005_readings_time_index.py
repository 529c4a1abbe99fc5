"""Readings keep one index, (time, device, point), instead of two.

``ix_readings_device_point_time`` put each stored reading into the leaf of its point, so a
commit of a few hundred readings rewrote about as many index pages; with
``ix_readings_time`` beside it every insert maintained two B-trees. The one index left is
ordered by time, so inserts append to its end; a point's series is read as a time range of
it, filtered on device and point inside the index (docs/deploy.md, "Rows and writes").

Revision ID: 0005_readings_time_index
Revises: 0004_probe_samples
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_readings_time_index"
down_revision: str | None = "0004_probe_samples"
branch_labels: str | None = None
depends_on: str | None = None

NEW = "ix_readings_time_device_point"
OLD = {"ix_readings_device_point_time": ["device", "point", "time"], "ix_readings_time": ["time"]}


def _indexes() -> set[str]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("readings") if ix["name"]}


def upgrade() -> None:
    present = _indexes()
    if NEW not in present:  # built before the old ones go: no moment without an index
        op.create_index(NEW, "readings", ["time", "device", "point"], unique=False)
    for name in OLD:
        if name in present:
            op.drop_index(name, table_name="readings")


def downgrade() -> None:
    present = _indexes()
    for name, columns in OLD.items():
        if name not in present:
            op.create_index(name, "readings", columns, unique=False)
    if NEW in present:
        op.drop_index(NEW, table_name="readings")
