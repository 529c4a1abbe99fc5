"""Bounded parameter types of the API and the pages: every integer, date and name a client sends.

SQLite keeps integers in 64 bits and Python's ``datetime.date`` ends at year 9999:
a number or date past either is refused here as a 422 naming the parameter,
before it reaches the store (where it would be an ``OverflowError``, a 500).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import HTTPException, Path, Query, status

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_LABEL_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_NAME_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_TOKEN_CHARS",
    "SQL_INT_MAX",
    "Cursor",
    "NameInPath",
    "NameInQuery",
    "RowId",
    "check_day",
    "parse_ids",
]

SQL_INT_MAX = 2**63 - 1  # SQLite INTEGER: anything larger names no row
FIRST_DAY = dt.date(2000, 1, 1)  # dates the box has data for, with room on both sides
LAST_DAY = dt.date(2099, 12, 31)
MAX_NAME_CHARS = 64  # zone, table, device and user names are short identifiers
MAX_LABEL_CHARS = 64  # labels and display names people type
MAX_TEXT_CHARS = 2048  # any other form text (a return path, a choice, a number)
MAX_TOKEN_CHARS = 128  # CSRF and form tokens, plan versions
MAX_LIST_ITEMS = 100  # choices ticked on one form (zones of a fertigation event)

RowId = Annotated[int, Path(ge=1, le=SQL_INT_MAX, description="a row id")]
Cursor = Annotated[int, Query(ge=0, le=SQL_INT_MAX, description="rows with id > after")]
NameInPath = Annotated[str, Path(min_length=1, max_length=MAX_NAME_CHARS)]
NameInQuery = Annotated[str | None, Query(min_length=1, max_length=MAX_NAME_CHARS)]


def _invalid(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def check_day(name: str, day: dt.date | None) -> dt.date | None:
    """``day`` if it lies in [:data:`FIRST_DAY`, :data:`LAST_DAY`]; a 422 naming ``name`` else."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise _invalid(f"{name}: {day.isoformat()} is outside {FIRST_DAY} .. {LAST_DAY}")
    return day


def parse_ids(text: str | None, max_count: int) -> list[int] | None:
    """``?ids=3,9``: distinct row ids in order, each 1 .. :data:`SQL_INT_MAX`, at most
    ``max_count``; a 422 naming ``ids`` otherwise."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > max_count:
        raise _invalid(f"ids: at most {max_count} per request, got {len(parts)}")
    if not all(part.isascii() and part.isdigit() and len(part) <= 19 for part in parts):
        raise _invalid(f"ids: comma-separated integers 1 .. {SQL_INT_MAX} expected")
    ids = sorted({int(part) for part in parts})
    if ids and not 1 <= ids[0] <= ids[-1] <= SQL_INT_MAX:
        raise _invalid(f"ids: comma-separated integers 1 .. {SQL_INT_MAX} expected")
    return ids
