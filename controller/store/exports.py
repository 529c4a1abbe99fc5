"""The store's side of the export API: pages of rows by id, and readers' acknowledgements.

A reader (the central office, by its token name) pulls a table by id cursor and then
acknowledges the last id it has durably stored; retention deletes raw readings only up
to the lowest acknowledgement of any reader (:func:`acked_up_to`). Every reader that ever
acknowledged counts, so a second office that stops pulling holds retention back until
its acknowledgement row is removed — the safe side: a full card is an alarm, a purged
unpulled row is a silent loss.

Pages are read with SQLAlchemy Core (tuples, not ORM objects): the export streams up to
millions of rows and ORM identity bookkeeping would cost more than the query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from controller.store.errors import StoreError
from controller.store.tables import ExportAck

__all__ = ["AckBeyondEnd", "UnknownExportTable", "ack", "acked_up_to", "page", "table_of"]

Transaction = Callable[[], AbstractContextManager[Session]]


class UnknownExportTable(StoreError, ValueError):
    """The table name is not one of the export tables."""


class AckBeyondEnd(StoreError, ValueError):
    """A reader acknowledged an id the table has not reached: it cannot have pulled it."""


def table_of(tables: dict[str, type[SQLModel]], name: str) -> Table:
    """The Core table behind export table ``name``; :class:`UnknownExportTable` otherwise."""
    model = tables.get(name)
    if model is None:
        raise UnknownExportTable(
            f"unknown export table {name!r} (one of {', '.join(tables)})"
        )
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def page(
    read: Transaction,
    table: Table,
    after_id: int,
    limit: int,
    ids: Sequence[int] | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and up to ``limit`` rows with ``id > after_id`` (or ``id in ids``), by id.

    Values come typed as the columns declare them (aware UTC datetimes, dates, dicts).
    """
    id_col: Column[Any] = table.c.id
    query = sa_select(table).where(id_col > after_id)
    if ids is not None:
        query = query.where(id_col.in_(list(ids)))
    query = query.order_by(id_col).limit(limit)
    with read() as session:
        result = session.connection().execute(query)
        names = list(result.keys())
        rows = [tuple(r) for r in result]
    return names, rows


def ack(
    write: Transaction, table_name: str, top_id: int, reader: str, last_id: int, now: datetime
) -> int:
    """Record that ``reader`` holds every row of ``table_name`` up to ``last_id``; return it.

    ``top_id`` is the table's highest id: acknowledging beyond it is refused
    (:class:`AckBeyondEnd`), since it would let retention delete rows nobody has pulled.
    The latest acknowledgement replaces the previous one, also when lower (a reader that
    starts over holds retention back again).
    """
    if last_id < 0:
        raise AckBeyondEnd(f"{table_name}: last_id must be >= 0, got {last_id}")
    if last_id > top_id:
        raise AckBeyondEnd(
            f"{table_name}: {reader} acknowledged id {last_id} but the highest id is {top_id}"
        )
    with write() as session:
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
