"""Column types shared by the store's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "as_utc", "from_sqlite_text", "to_sqlite_text"]


def as_utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is refused (its zone would be a guess)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when.isoformat()}: the store keeps aware UTC times")
    return when.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no time zones, so the
    value is stored as naive UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``, which
    sorts like the times it holds) and UTC is put back on reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_sqlite_text(when: datetime) -> str:
    """``when`` as :class:`UTCDateTime` keeps it in SQLite: naive UTC text
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite storage format), for statements run on
    the driver's own cursor."""
    return as_utc(when).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def from_sqlite_text(text: str) -> datetime:
    """The aware UTC datetime of a :class:`UTCDateTime` read from SQLite as text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
