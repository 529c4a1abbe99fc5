"""Engines for the store: SQLite set up for durability, any other URL as given.

SQLite (the embedded default) gets, on every new connection:

* ``journal_mode=WAL`` — readers do not block the writer, nor the writer readers;
* ``synchronous=FULL`` — a commit is on disk when it returns (principle 6:
  nothing committed is lost, power cut included);
* ``foreign_keys=ON`` and a ``busy_timeout`` — a writer waits for the lock
  instead of failing at once.

A new SQLite file is created owner-only (0600) before SQLite opens it: it holds the
password and token hashes, and SQLite gives its ``-wal`` and ``-shm`` files the
database file's mode. (Under systemd ``UMask=0077`` does as much; a hand-started
``qanat`` has the login's umask, often 022.)

pysqlite's own transaction handling is switched off and SQLAlchemy emits
``BEGIN`` itself: ``BEGIN IMMEDIATE`` on the writer engine, so a write
transaction takes the write lock up front and waits (busy timeout) instead
of failing on a read-to-write upgrade when another thread committed first.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url

__all__ = ["IMMEDIATE", "make_engine", "sqlite_pragmas"]

# Execution option marking the writer engine (BEGIN IMMEDIATE on SQLite).
IMMEDIATE = "qanat_begin_immediate"


def make_engine(url: str, *, busy_timeout_s: float = 10.0) -> Engine:
    """An engine for ``url``; SQLite connections configured as in the module docstring."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    _create_private(make_url(url).database)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    busy_ms = round(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def sqlite_pragmas(engine: Engine) -> dict[str, Any]:
    """The durability settings a pooled SQLite connection runs with ({} for other backends)."""
    if engine.dialect.name != "sqlite":
        return {}
    names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    with engine.connect() as conn:
        return {n: conn.execute(text(f"PRAGMA {n}")).scalar_one() for n in names}


def _create_private(database: str | None) -> None:
    """Create the SQLite file ``database`` empty with mode 0600 if it does not exist yet
    (an empty file is an empty database to SQLite); in-memory databases are left alone."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # a missing directory and the like: SQLite's own error says it better
    os.close(fd)
