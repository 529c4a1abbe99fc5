"""Export of the box's logs to the central office, by id cursor, streamed.

``GET /export/{table}?after=ID&limit=N`` answers the rows with ``id > ID`` in id order,
at most ``N``: NDJSON (default) or CSV (``format=csv``), gzip when the client accepts it.
When the page is full, ``Link: <...?after=LAST&limit=N>; rel="next"`` points to the
next one; ``X-Last-Id`` is always the cursor to keep (``after`` when nothing came) and
``X-Max-Id`` the table's highest id when the response began.
``?ids=3,9`` re-reads given rows (runs and latched events change after insert).
``POST /export/{table}/ack`` records that the caller (by token name) has stored the
table up to ``last_id``; retention on the box deletes only below every acknowledgement.
An acknowledgement never moves a cursor back (409; :mod:`controller.access.rights`).

The ``audit`` table comes whole to admin tokens only; other roles get it without the
security events (logins, refusals, account and token changes): the rows are left
out, the cursor (``X-Last-Id``) still covers them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from controller.access.rights import (
    AckRefused,
    check_ack,
    is_security_event,
    may_export,
    sees_security_events,
)
from controller.office.export import MAX_IDS, TABLES, iter_ndjson, iter_pages
from controller.store import ExportAck, Store, TokenInfo
from controller.store.exports import AckBeyondEnd
from web.api.export_format import Page, csv_chunks, gzip_chunks, ndjson_chunks
from web.deps import StoreDep, ViewerToken
from web.params import SQL_INT_MAX, Cursor, parse_ids

__all__ = ["ExportTable", "router"]

router = APIRouter(prefix="/export", tags=["export"])

ExportTable = enum.StrEnum("ExportTable", {name: name for name in TABLES})  # type: ignore[misc]

PAGE_ROWS = 5000  # rows per store read and per chunk sent
MAX_LIMIT = 1_000_000


class AckIn(BaseModel):
    last_id: int = Field(
        ge=0, le=SQL_INT_MAX, description="highest id of this table the reader has stored"
    )


class AckOut(BaseModel):
    table: str
    reader: str
    acked_id: int


def _next_link(request: Request, last_id: int, limit: int, fmt: str) -> str:
    query = {"after": last_id, "limit": limit} | ({"format": fmt} if fmt != "ndjson" else {})
    return f'<{request.url.path}?{urlencode(query)}>; rel="next"'


def _pages(
    store: Store,
    table: str,
    after: int,
    limit: int,
    ids: list[int] | None,
    until: int | None,
    security_events: bool = True,
) -> Iterator[Page]:
    pages = iter_pages(store, table, after, limit, PAGE_ROWS, ids, until)
    if security_events:
        return pages
    return ([row for row in page if not is_security_event(row["action"])] for page in pages)


def _exporter(token: TokenInfo) -> TokenInfo:
    if not may_export(token.role):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {token.role.value} may not export")
    return token


def _cursors(store: Store, table: str, reader: str) -> tuple[int | None, int | None]:
    """``(this reader's cursor, the lowest cursor of any reader)`` of ``table``."""
    with store.reading() as session:
        rows = session.exec(
            select(ExportAck.reader, ExportAck.acked_id).where(col(ExportAck.table_name) == table)
        ).all()
    own = next((acked for name, acked in rows if name == reader), None)
    return own, min((acked for _, acked in rows), default=None)


@router.get(
    "/{table}",
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
    response_class=StreamingResponse,
)
def export_rows(
    table: ExportTable,
    request: Request,
    store: StoreDep,
    token: ViewerToken,
    after: Cursor = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10_000,
    format: Literal["ndjson", "csv"] = "ndjson",
    ids: Annotated[
        str | None, Query(max_length=20 * MAX_IDS, description="comma-separated ids to re-read")
    ] = None,
    accept_encoding: Annotated[str, Header()] = "",
) -> StreamingResponse:
    """Rows in id order, streamed; the next cursor in ``Link`` and ``X-Last-Id``."""
    name = str(table.value)
    _exporter(token)
    whole = name != "audit" or sees_security_events(token.role)
    wanted = parse_ids(ids, MAX_IDS)
    headers = {"Vary": "Accept-Encoding"}
    until: int | None = None
    if wanted is None:
        count, until = store.export_bounds(name, after, limit)
        headers["X-Last-Id"] = str(until)
        # The table's end now: a reader stops there, not chasing rows written meanwhile.
        headers["X-Max-Id"] = str(store.max_ids()[name])
        if count == limit:
            headers["Link"] = _next_link(request, until, limit, format)
    chunks: Iterator[bytes] | None
    if format == "csv":
        columns, _rows = store.export_page(name, 0, 0)
        chunks = csv_chunks(columns, _pages(store, name, after, limit, wanted, until, whole))
        media = "text/csv; charset=utf-8"
    elif not whole:
        chunks = ndjson_chunks(_pages(store, name, after, limit, wanted, until, whole))
        media = "application/x-ndjson"
    else:
        # SQLite writes the JSON itself (several times faster); other backends, Python.
        chunks = iter_ndjson(store, name, after, limit, PAGE_ROWS, wanted, until)
        if chunks is None:
            chunks = ndjson_chunks(_pages(store, name, after, limit, wanted, until))
        media = "application/x-ndjson"
    if "gzip" in accept_encoding.lower():
        chunks = gzip_chunks(chunks)
        headers["Content-Encoding"] = "gzip"
    return StreamingResponse(chunks, media_type=media, headers=headers)


@router.post("/{table}/ack", response_model=AckOut)
def ack(
    table: ExportTable,
    body: AckIn,
    store: StoreDep,
    token: ViewerToken,
) -> AckOut:
    """Record that this reader has stored ``table`` up to ``last_id`` (retention keeps newer)."""
    name = str(table.value)
    _exporter(token)
    try:
        check_ack(name, body.last_id, *_cursors(store, name, token.name))
        acked = store.ack_export(name, token.name, body.last_id)
    except (AckBeyondEnd, AckRefused) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AckOut(table=name, reader=token.name, acked_id=acked)
