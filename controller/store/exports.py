"""The store's side of the export API: pages of rows by id, and readers' acknowledgements.

A reader (the central office, by its token name) pulls a table by id cursor and then
acknowledges the last id it has durably stored; retention deletes raw readings only up
to the lowest acknowledgement of any reader (:func:`acked_up_to`). Every reader that ever
acknowledged counts, so a second office that stops pulling holds retention back until
its acknowledgement row is removed — the safe side: a full card is an alarm, a purged
unpulled row is a silent loss.

Pages are plain tuples, not ORM objects: the export streams up to millions of rows and
ORM bookkeeping would cost more than the query. On SQLite (the box) a page is one plain
SQL read with times rewritten to ISO text by SQLite; other backends go through Core.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Connection, Float, Table, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from controller.store.errors import StoreError
from controller.store.tables import ExportAck
from controller.store.types import UTCDateTime

__all__ = [
    "AckBeyondEnd",
    "UnknownExportTable",
    "ack",
    "acked_up_to",
    "bounds",
    "ndjson_page",
    "page",
    "table_of",
]

Transaction = Callable[[], AbstractContextManager[Session]]


class UnknownExportTable(StoreError, ValueError):
    """The table name is not one of the export tables."""


class AckBeyondEnd(StoreError, ValueError):
    """A reader acknowledged an id the table has not reached: it cannot have pulled it."""


def table_of(tables: dict[str, type[SQLModel]], name: str) -> Table:
    """The Core table behind export table ``name``; :class:`UnknownExportTable` otherwise."""
    model = tables.get(name)
    if model is None:
        raise UnknownExportTable(f"unknown export table {name!r} (one of {', '.join(tables)})")
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def page(
    read: Transaction,
    table: Table,
    after_id: int,
    limit: int,
    ids: Sequence[int] | None = None,
    until_id: int | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and up to ``limit`` rows with ``id > after_id`` (and ``id <= until_id``,
    and ``id in ids`` when given), by id.

    Values are export-ready: times as ISO 8601 UTC text (``2026-05-14T06:30:00+00:00``,
    microseconds only when not zero, as :meth:`datetime.isoformat`), dates as
    ``YYYY-MM-DD``, JSON columns as dicts, booleans as bool, numbers and text as stored.
    """
    with read() as session:
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            return _sqlite_page(conn, table, after_id, limit, ids, until_id)
        return _core_page(conn, table, after_id, limit, ids, until_id)


def _core_page(
    conn: Connection,
    table: Table,
    after_id: int,
    limit: int,
    ids: Sequence[int] | None,
    until_id: int | None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Any backend: typed values through SQLAlchemy, then to export form in Python."""
    id_col: Column[Any] = table.c.id
    query = sa_select(table).where(id_col > after_id)
    if ids is not None:
        query = query.where(id_col.in_(list(ids)))
    if until_id is not None:
        query = query.where(id_col <= until_id)
    result = conn.execute(query.order_by(id_col).limit(limit))
    names = list(result.keys())
    rows = [tuple(_export_value(v) for v in r) for r in result]
    return names, rows


def _export_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# SQLite keeps UTCDateTime as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff"; rewriting it to
# ISO in SQL saves parsing and formatting a datetime per value (a third of export time).
_SQLITE_ISO = (
    "CASE WHEN {c} IS NULL THEN NULL"
    " WHEN substr({c}, 21) IN ('', '000000') THEN substr({c}, 1, 10) || 'T' || substr({c}, 12, 8)"
    " || '+00:00' ELSE substr({c}, 1, 10) || 'T' || substr({c}, 12) || '+00:00' END"
)


def _sqlite_page(
    conn: Connection,
    table: Table,
    after_id: int,
    limit: int,
    ids: Sequence[int] | None,
    until_id: int | None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """SQLite fast path: one plain SQL read, times made ISO by SQLite itself."""
    quote = conn.dialect.identifier_preparer.quote
    exprs: list[str] = []
    fixes: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(table.columns):
        name = quote(column.name)
        if isinstance(column.type, UTCDateTime):
            exprs.append(_SQLITE_ISO.format(c=name))
        else:
            exprs.append(name)
        if isinstance(column.type, JSON):
            fixes.append((i, _json_value))
        elif isinstance(column.type, Boolean):
            fixes.append((i, _bool_value))
    sql = f"SELECT {', '.join(exprs)} FROM {quote(table.name)} WHERE id > ?"
    params: list[Any] = [after_id]
    if ids is not None:
        sql += f" AND id IN ({', '.join('?' * len(ids))})"
        params.extend(int(i) for i in ids)
    if until_id is not None:
        sql += " AND id <= ?"
        params.append(until_id)
    sql += " ORDER BY id LIMIT ?"
    params.append(limit)
    # The DBAPI cursor itself: SQLAlchemy's result wrapper would cost a third of the read.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        rows: list[tuple[Any, ...]] = cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()
    if fixes:
        rows = [_fix(r, fixes) for r in rows]
    return [c.name for c in table.columns], rows


# Floats as 17 significant digits: SQLite's own JSON rendering keeps 15 and loses the last
# bits. SQLite's printf scales by powers of ten in long double, which stays exact for the
# magnitudes sensors give but not at the extremes (seen wrong beyond 1e100), so a row holding
# a float outside [1e-15, 1e15) is encoded by Python instead (_OUTSIDE). NaN is NULL in
# SQLite; infinities, which JSON cannot carry, become null as well.
_SQLITE_JSON_REAL = (
    "CASE WHEN {c} IS NULL OR abs({c}) > 1.7976931348623157e308 THEN NULL"
    " ELSE json(printf('%!.17g', {c})) END"
)
_OUTSIDE = "(abs({c}) >= 1e15 OR ({c} != 0 AND abs({c}) < 1e-15))"
_SQLITE_JSON_BOOL = (
    "CASE WHEN {c} IS NULL THEN NULL WHEN {c} THEN json('true') ELSE json('false') END"
)


def ndjson_page(
    read: Transaction,
    table: Table,
    after_id: int,
    limit: int,
    ids: Sequence[int] | None = None,
    until_id: int | None = None,
) -> tuple[bytes, int, int] | None:
    """SQLite only (else ``None``): the rows of :func:`page` as NDJSON made by SQLite itself,
    with the count and the last id: ``(body, count, last_id)``.

    Same objects as the Python encoder gives (floats may carry more digits, same value);
    several times faster, since no Python object is made per value.
    """
    with read() as session:
        conn = session.connection()
        if conn.dialect.name != "sqlite":
            return None
        quote = conn.dialect.identifier_preparer.quote
        pairs: list[str] = []
        outside: list[str] = []
        for column in table.columns:
            name = quote(column.name)
            if isinstance(column.type, UTCDateTime):
                expr = _SQLITE_ISO.format(c=name)
            elif isinstance(column.type, Float):
                expr = _SQLITE_JSON_REAL.format(c=name)
                outside.append(_OUTSIDE.format(c=name))
            elif isinstance(column.type, Boolean):
                expr = _SQLITE_JSON_BOOL.format(c=name)
            elif isinstance(column.type, JSON):
                expr = f"json({name})"
            else:
                expr = name
            pairs.append(f"'{column.name}', {expr}")
        flag = " OR ".join(outside) or "0"
        sql = (
            f"SELECT id, json_object({', '.join(pairs)}), {flag} "
            f"FROM {quote(table.name)} WHERE id > ?"
        )
        params: list[Any] = [after_id]
        if ids is not None:
            sql += f" AND id IN ({', '.join('?' * len(ids))})"
            params.extend(int(i) for i in ids)
        if until_id is not None:
            sql += " AND id <= ?"
            params.append(until_id)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            rows = cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()
        lines = [line if not far else _python_line(conn, table, i) for i, line, far in rows]
    if not rows:
        return b"", 0, after_id
    return ("\n".join(lines) + "\n").encode("utf-8"), len(rows), int(rows[-1][0])


def _python_line(conn: Connection, table: Table, row_id: int) -> str:
    """One row encoded by Python (floats SQLite cannot print exactly)."""
    names, [row] = _sqlite_page(conn, table, row_id - 1, 1, None, row_id)
    values = {
        n: None if isinstance(v, float) and not math.isfinite(v) else v
        for n, v in zip(names, row, strict=True)
    }
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _fix(row: tuple[Any, ...], fixes: list[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    values = list(row)
    for i, fn in fixes:
        values[i] = fn(values[i])
    return tuple(values)


def _json_value(text: Any) -> Any:
    return None if text is None else json.loads(text)


def _bool_value(value: Any) -> bool | None:
    return None if value is None else bool(value)


def bounds(read: Transaction, table: Table, after_id: int, limit: int) -> tuple[int, int]:
    """``(count, last_id)`` of the first ``limit`` rows with ``id > after_id``.

    ``last_id`` is ``after_id`` when there are none. An export response is bounded by it,
    so its ``next`` cursor can be sent before the rows are (ids only grow).
    """
    id_col: Column[Any] = table.c.id
    first = sa_select(id_col).where(id_col > after_id).order_by(id_col).limit(limit).subquery()
    query = sa_select(func.count(), func.max(first.c.id))
    with read() as session:
        count, last = session.connection().execute(query).one()
    return int(count), int(last) if last is not None else after_id


def ack(
    write: Transaction, table_name: str, top_id: int, reader: str, last_id: int, now: datetime
) -> int:
    """Record that ``reader`` holds every row of ``table_name`` up to ``last_id``; return it.

    ``top_id`` is the table's highest stored id: acknowledging beyond it — and beyond
    every acknowledgement already recorded, since retention may have deleted the newest
    rows once all readers had them — is refused (:class:`AckBeyondEnd`): it would let
    retention delete rows nobody has pulled. The latest acknowledgement replaces the
    previous one, also when lower (a reader that starts over holds retention back again).
    """
    if last_id < 0:
        raise AckBeyondEnd(f"{table_name}: last_id must be >= 0, got {last_id}")
    with write() as session:
        acked = session.exec(
            select(func.max(ExportAck.acked_id)).where(col(ExportAck.table_name) == table_name)
        ).one()
        end = max(top_id, acked or 0)
        if last_id > end:
            raise AckBeyondEnd(
                f"{table_name}: {reader} acknowledged id {last_id} but the highest id is {end}"
            )
        row = session.exec(
            select(ExportAck).where(
                col(ExportAck.table_name) == table_name, col(ExportAck.reader) == reader
            )
        ).one_or_none()
        if row is None:
            row = ExportAck(table_name=table_name, reader=reader, acked_id=last_id, acked_at=now)
        row.acked_id = last_id
        row.acked_at = now
        session.add(row)
    return last_id


def acked_up_to(read: Transaction) -> dict[str, int]:
    """``{table: lowest acknowledged id over every reader}`` for tables anyone acknowledged."""
    query = sa_select(col(ExportAck.table_name), func.min(col(ExportAck.acked_id))).group_by(
        col(ExportAck.table_name)
    )
    with read() as session:
        return {str(name): int(low) for name, low in session.connection().execute(query)}
