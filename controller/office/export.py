"""Rows of the box's log tables for the export API, streamed in id order.

:func:`iter_rows` reads the store in pages (``page`` rows per query, each its own short
read transaction), so memory stays flat however many rows are asked for and the writer
is never held behind a long read. Rows are plain dicts ready for JSON or CSV: times as
ISO 8601 UTC (``2026-05-14T06:30:00+00:00``), dates as ``YYYY-MM-DD``, JSON columns as
dicts.

At least once, without loss: ids are AUTOINCREMENT and SQLite serialises writers, so ids
become visible in increasing order; a reader that keeps the last id it stored and asks
again from there never misses a row, also while the box writes. Retention deletes only
rows at or below every reader's acknowledgement (:meth:`Store.ack_export`).

Rows that change after insertion — runs (state, water applied) and latched events (until
acknowledged) — are re-read by id (``ids``): :func:`still_open` says which a reader must
ask again for; the office does so on every pull (:mod:`controller.office.pull`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from controller.store import EXPORT_TABLES, Store

__all__ = [
    "FINAL_RUN_STATES",
    "MAX_IDS",
    "TABLES",
    "csv_columns",
    "iter_ndjson",
    "iter_pages",
    "iter_rows",
    "still_open",
]

TABLES: tuple[str, ...] = tuple(EXPORT_TABLES)
MAX_IDS = 1000  # ids per ``ids`` request: bounds the query's parameter list
FINAL_RUN_STATES = frozenset({"done", "aborted", "interrupted"})


def iter_rows(
    store: Store,
    table: str,
    after_id: int = 0,
    limit: int | None = None,
    page: int = 5000,
    ids: Sequence[int] | None = None,
    until_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows of export ``table`` with ``id > after_id`` in id order, at most ``limit``.

    ``until_id`` bounds the ids (an HTTP response is cut where its ``next`` link points).

    ``ids`` restricts to those ids (re-reading rows that change, at most :data:`MAX_IDS`).
    Raises :class:`~controller.store.exports.UnknownExportTable` for an unknown table —
    before the first row, so a web layer can still answer 404.
    """
    return (
        row
        for chunk in iter_pages(store, table, after_id, limit, page, ids, until_id)
        for row in chunk
    )


def _next_size(page: int, remaining: int | None) -> int:
    return page if remaining is None else max(0, min(page, remaining))


def _pages(
    store: Store,
    table: str,
    names: list[str],
    rows: list[tuple[Any, ...]],
    limit: int | None,
    page: int,
    ids: Sequence[int] | None,
    until_id: int | None,
) -> Iterator[list[dict[str, Any]]]:
    remaining = limit
    id_at = names.index("id")
    while rows:
        yield [dict(zip(names, row, strict=True)) for row in rows]
        last = rows[-1][id_at]
        if remaining is not None:
            remaining -= len(rows)
        size = _next_size(page, remaining)
        if len(rows) < page or size == 0:
            return
        _, rows = store.export_page(table, last, size, ids, until_id)


def iter_pages(
    store: Store,
    table: str,
    after_id: int = 0,
    limit: int | None = None,
    page: int = 5000,
    ids: Sequence[int] | None = None,
    until_id: int | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """The rows of :func:`iter_rows` a page at a time (a serialiser encodes a page at once).

    The first page is read before returning, so an unknown table fails here, not mid-stream.
    """
    _check(page, ids)
    names, rows = store.export_page(table, after_id, _next_size(page, limit), ids, until_id)
    return _pages(store, table, names, rows, limit, page, ids, until_id)


def iter_ndjson(
    store: Store,
    table: str,
    after_id: int = 0,
    limit: int | None = None,
    page: int = 5000,
    ids: Sequence[int] | None = None,
    until_id: int | None = None,
) -> Iterator[bytes] | None:
    """The rows of :func:`iter_rows` as NDJSON chunks (one per page) made by the database;
    ``None`` when the store's backend cannot (then encode :func:`iter_pages` instead).

    The first page is read before returning, as in :func:`iter_pages`.
    """
    _check(page, ids)
    first = store.export_ndjson(table, after_id, _next_size(page, limit), ids, until_id)
    if first is None:
        return None
    return _ndjson_pages(store, table, first, limit, page, ids, until_id)


def _ndjson_pages(
    store: Store,
    table: str,
    first: tuple[bytes, int, int],
    limit: int | None,
    page: int,
    ids: Sequence[int] | None,
    until_id: int | None,
) -> Iterator[bytes]:
    body, count, last = first
    remaining = limit
    while count:
        yield body
        if remaining is not None:
            remaining -= count
        size = _next_size(page, remaining)
        if count < page or size == 0:
            return
        nxt = store.export_ndjson(table, last, size, ids, until_id)
        assert nxt is not None  # the backend does not change between pages
        body, count, last = nxt


def _check(page: int, ids: Sequence[int] | None) -> None:
    if page < 1:
        raise ValueError(f"page must be >= 1, got {page}")
    if ids is not None and len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids per request, got {len(ids)}")


def still_open(table: str, row: Mapping[str, Any]) -> bool:
    """Whether an exported row may still change on the box (and must be pulled again).

    Runs until they reach a final state; latched events until acknowledged. Other tables
    are append-only.
    """
    if table == "runs":
        return row.get("state") not in FINAL_RUN_STATES
    if table == "events":
        return bool(row.get("latched")) and row.get("acked_at") is None
    return False


def csv_columns(store: Store, table: str) -> list[str]:
    """Column names of export ``table`` in export order (the CSV header)."""
    names, _ = store.export_page(table, 0, 0)
    return names
