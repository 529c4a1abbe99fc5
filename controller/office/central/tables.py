"""The central office's tables: every box's exported rows, keyed by (site, id on the box).

Separate metadata from the box's store: the office database (PostgreSQL for a real
office, SQLite for a laptop) holds many sites, so every row carries ``site_id`` and its
id on the box as ``source_id``; ``UNIQUE (site_id, source_id)`` makes a pull an upsert,
so running it twice, or again after a crash, keeps each row exactly once. On PostgreSQL
``readings`` is made by :mod:`controller.office.central.pg` instead, without that key (its
rows are kept once by the site's highest stored id).

The data columns are copied from the box's tables (:data:`controller.store.EXPORT_TABLES`)
so the two never drift apart; their names and types are the export's.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from controller.store import EXPORT_TABLES

__all__ = ["CURSORS", "DATA_TABLES", "METADATA", "SITES", "ZONES", "data_columns"]

METADATA = MetaData()

# Indexes for the reports and the usual office queries, per table (after site_id).
_INDEXES: dict[str, list[tuple[str, ...]]] = {
    "readings": [("device", "point", "time")],
    "water_balance": [("zone", "date")],
    "decisions": [("zone", "time")],
    "runs": [("zone", "started_at"), ("state",)],
    "events": [("time",), ("latched", "acked_at")],
    "audit": [("time",)],
    "crop_observations": [("zone", "observed_on")],
}


def _data_table(name: str) -> Table:
    box: Table = EXPORT_TABLES[name].__table__  # type: ignore[attr-defined]
    columns = [Column(c.name, c.type, nullable=c.nullable) for c in box.columns if c.name != "id"]
    indexes = [
        Index(f"ix_c_{name}_site_{'_'.join(cols)}", "site_id", *cols)
        for cols in _INDEXES.get(name, [])
    ]
    return Table(
        name,
        METADATA,
        Column("pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("site_id", String(64), nullable=False),
        Column("source_id", BigInteger, nullable=False),
        *columns,
        UniqueConstraint("site_id", "source_id", name=f"uq_c_{name}_site_source"),
        *indexes,
    )


DATA_TABLES: dict[str, Table] = {name: _data_table(name) for name in EXPORT_TABLES}


def data_columns(table: Table) -> list[str]:
    """The box's columns of a central table (everything but ``pk`` and ``site_id``)."""
    return [c.name for c in table.columns if c.name not in ("pk", "site_id")]


# Where each (site, table) pull has reached: advanced in the same transaction as its rows.
CURSORS = Table(
    "pull_cursors",
    METADATA,
    Column("site_id", String(64), nullable=False),
    Column("table_name", String(32), nullable=False),
    Column("last_id", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("site_id", "table_name"),
)

# Each site's last pull: when, how it went.
SITES = Table(
    "sites",
    METADATA,
    Column("site_id", String(64), primary_key=True),
    Column("base_url", Text, nullable=False),
    Column("last_pull_at", DateTime(timezone=True)),
    Column("last_ok_at", DateTime(timezone=True)),
    Column("last_error", Text, nullable=False, default=""),
)

# Each site's zones (from the box's /api/v1/zones): the areas the reports divide by.
ZONES = Table(
    "site_zones",
    METADATA,
    Column("site_id", String(64), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("label", Text, nullable=False, default=""),
    Column("area_m2", Float, nullable=False),
    Column("crop", String(64), nullable=False, default=""),
    PrimaryKeyConstraint("site_id", "zone"),
)
