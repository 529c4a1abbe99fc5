"""The check a SQLite store passes before it is used: is the file whole?

A power cut in the middle of a write cannot tear a WAL database when the card
honours ``fsync``: a half-written WAL frame fails its checksum and SQLite
ignores it and everything after it (the last commits are lost, never mixed).
A card that lies about ``fsync``, or a file damaged by other means, can still
leave a broken page. ``PRAGMA quick_check`` reads every page and says so; a
damaged store is refused with :class:`StoreCorruptError` rather than written
over (which could spread the damage), so the technician can keep the file and
restore a backup (docs/operations.md, "store_corrupt").

``quick_check`` reads the whole file: on a Pi-class box about a second per few
hundred MB, once per start.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from controller.store.errors import StoreCorruptError, StoreError

__all__ = ["check_integrity"]

# sqlite3 result codes of a damaged file (the primary code, low byte)
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


def check_integrity(engine: Engine, where: str) -> None:
    """Raise :class:`StoreCorruptError` naming ``where`` if the SQLite file is damaged.

    Other backends are not checked (PostgreSQL keeps its own). A file that cannot be
    opened for another reason (missing directory, permissions) is a plain
    :class:`StoreError` saying why.
    """
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            problems = [str(row[0]) for row in conn.execute(text("PRAGMA quick_check(20)"))]
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlite_errorcode", None)
        damaged = isinstance(exc.orig, sqlite3.DatabaseError) and isinstance(code, int)
        if not damaged or int(code or 0) & 0xFF not in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            raise StoreError(f"cannot open {where}: {exc.orig}") from exc
        raise StoreCorruptError(_damaged(where, str(exc.orig)), path=where) from exc
    if problems != ["ok"]:
        raise StoreCorruptError(_damaged(where, "; ".join(problems[:5])), path=where)


def _damaged(where: str, detail: str) -> str:
    return (
        f"{where} is damaged ({detail}); qanat will not write over it. Stop the service, "
        "keep the file, and restore the last backup (docs/operations.md: store_corrupt)"
    )
