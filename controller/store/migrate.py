"""Schema migrations of the store (alembic), run when a store is opened.

The choice: opening a :class:`controller.store.Store` brings its database to
the revision this code knows (:data:`HEAD`), in the same transaction that
checks it, so an upgraded qanat starts on an upgraded schema with nothing for
the technician to run; the installer takes a backup first (``qanat backup``).
A database at a revision this code does not know — made by a newer qanat — is
refused with :class:`SchemaRevisionError` and left untouched: downgrading the
code must never damage the data.

States of a database when it is opened:

* fresh (no qanat tables): the tables are created from the models and stamped
  :data:`HEAD` directly (no alembic import: tests and first starts stay fast);
* stamped :data:`HEAD`: nothing to do (one ``SELECT``);
* stamped at an older known revision: ``alembic upgrade head``;
* made before migrations existed (``schema_version`` 1, no
  ``alembic_version``): stamped :data:`BASELINE`, then upgraded;
* stamped at an unknown revision: :class:`SchemaRevisionError`.

The revisions live in ``controller/migrations/versions`` (package data).
"""

from __future__ import annotations

import logging
from enum import Enum

from sqlalchemy import Connection, inspect, text

from controller.paths import bundled
from controller.store.errors import StoreVersionError

__all__ = [
    "BASELINE",
    "HEAD",
    "MIGRATIONS_DIR",
    "SchemaRevisionError",
    "SchemaState",
    "check",
    "current_revision",
    "known_revisions",
    "stamp",
    "upgrade",
]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = bundled("controller", "migrations")
BASELINE = "0001_baseline"  # the schema of the release before migrations (schema_version 1)
HEAD = "0006_crop_observations"  # the newest revision in MIGRATIONS_DIR (a test holds them equal)

VERSION_TABLE = "alembic_version"
_QANAT_TABLE = "readings"  # present in every qanat database since the first release


class SchemaState(Enum):
    FRESH = "fresh"
    CURRENT = "current"
    LEGACY = "legacy"  # made before migrations: stamp BASELINE, then upgrade
    PENDING = "pending"  # an older known revision


class SchemaRevisionError(StoreVersionError):
    """The database is at a revision this code does not know (made by a newer qanat).

    ``found``/``expected`` keep the integer meaning of :class:`StoreVersionError`
    (``found`` is -1: not a number this code can compare); ``revision`` and
    ``head`` name the alembic revisions.
    """

    def __init__(self, message: str, *, revision: str, head: str) -> None:
        super().__init__(message, found=-1, expected=1)
        self.revision = revision
        self.head = head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is stamped with, or None if it has no version table."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:  # branches are never used here; two heads means another tool wrote it
        raise SchemaRevisionError(
            f"database has several schema revisions {sorted(rows)}",
            revision=",".join(rows),
            head=HEAD,
        )
    return rows[0] if rows else None


def known_revisions() -> list[str]:
    """Every revision shipped with this code, oldest first (imports alembic)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def check(conn: Connection, where: str) -> SchemaState:
    """What opening needs to do; :class:`SchemaRevisionError` for an unknown revision."""
    revision = current_revision(conn)
    if revision == HEAD:
        return SchemaState.CURRENT
    if revision is None:
        has_tables = inspect(conn).has_table(_QANAT_TABLE)
        return SchemaState.LEGACY if has_tables else SchemaState.FRESH
    if revision not in known_revisions():
        raise SchemaRevisionError(
            f"{where} is at schema revision {revision!r}, which this qanat does not know "
            f"(it knows up to {HEAD!r}): the database was made by a newer qanat; "
            "upgrade qanat or restore a backup made by this version",
            revision=revision,
            head=HEAD,
        )
    return SchemaState.PENDING


def stamp(conn: Connection, revision: str) -> None:
    """Record ``revision`` as the database's (alembic's own table layout)."""
    conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
            "version_num VARCHAR(32) NOT NULL, "
            f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
        )
    )
    conn.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:r)"), {"r": revision})


def upgrade(conn: Connection, target: str = "head") -> None:
    """Run the pending revisions on ``conn`` inside its open transaction."""
    from alembic import command
    from alembic.config import Config

    before = current_revision(conn)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    command.upgrade(config, target)
    log.warning("store schema migrated from %s to %s", before, current_revision(conn))
