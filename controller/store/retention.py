"""Retention: old raw readings become hourly aggregates, but only once exported.

:func:`apply_retention` takes raw readings older than ``raw_keep_days`` and
folds them into :class:`~controller.store.tables.HourlyReading` (min, mean,
max and count of ``ok`` values, count of flagged ones, per device, point and
UTC hour), then deletes the raw rows — except rows the central office has not
pulled yet: a row is deleted only if its id is at most the export cursor
``exported_up_to["readings"]``. With no cursor at all (``None``) nothing is
assumed exported and nothing is deleted, unless ``force_without_export`` (a
site that is never pulled and must not fill its card).

The work is done in chunks, each its own short transaction, so the poller's
flushes are never held behind one long delete. A chunk is aggregated and
deleted in the same transaction: a crash leaves each raw row either in the
raw table or in the aggregates, never both, never neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from controller.store.tables import HourlyReading, ReadingRow
from controller.store.types import as_utc

__all__ = ["RetentionReport", "apply_retention"]

CHUNK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class RetentionReport:
    cutoff: datetime  # raw rows older than this were candidates
    deleted: int  # raw rows folded into hourly aggregates and deleted
    kept_unexported: int  # old raw rows kept because not yet exported
    hours_touched: int  # hourly aggregate rows written or merged


@dataclass(slots=True)
class _Agg:
    unit: str = ""
    count: int = 0
    total: float = 0.0
    lo: float | None = None
    hi: float | None = None
    bad: int = 0

    def add(self, row: ReadingRow) -> None:
        self.unit = row.unit or self.unit
        if row.quality != "ok" or row.value is None:
            self.bad += 1
            return
        v = row.value
        self.count += 1
        self.total += v
        self.lo = v if self.lo is None else min(self.lo, v)
        self.hi = v if self.hi is None else max(self.hi, v)


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _merge(session: Session, key: tuple[str, str, datetime], agg: _Agg) -> None:
    device, point, hour = key
    row = session.exec(
        select(HourlyReading).where(
            col(HourlyReading.device) == device,
            col(HourlyReading.point) == point,
            col(HourlyReading.hour) == hour,
        )
    ).one_or_none()
    if row is None:
        row = HourlyReading(device=device, point=point, hour=hour, unit=agg.unit)
    n = row.count + agg.count
    if agg.count:
        old_total = (row.mean or 0.0) * row.count
        row.mean = (old_total + agg.total) / n
        assert agg.lo is not None and agg.hi is not None
        row.min = agg.lo if row.min is None else min(row.min, agg.lo)
        row.max = agg.hi if row.max is None else max(row.max, agg.hi)
    row.count = n
    row.count_bad += agg.bad
    row.unit = agg.unit or row.unit
    session.add(row)


def _fold(session: Session, rows: Iterable[ReadingRow]) -> int:
    aggs: dict[tuple[str, str, datetime], _Agg] = {}
    for r in rows:
        aggs.setdefault((r.device, r.point, _hour(r.time)), _Agg()).add(r)
    for key, agg in aggs.items():
        _merge(session, key, agg)
    return len(aggs)


def apply_retention(
    transaction: Callable[[], AbstractContextManager[Session]],
    now: datetime,
    raw_keep_days: float,
    exported_up_to: dict[str, int] | None,
    *,
    force_without_export: bool = False,
) -> RetentionReport:
    """Downsample and delete old raw readings (module docstring); ``transaction`` commits."""
    if raw_keep_days < 0:
        raise ValueError(f"raw_keep_days must be >= 0, got {raw_keep_days}")
    cutoff = as_utc(now) - timedelta(days=raw_keep_days)
    max_id: int | None  # highest deletable id; None = no limit
    if exported_up_to is not None:
        max_id = exported_up_to.get("readings", 0)
    else:
        max_id = None if force_without_export else 0
    old = col(ReadingRow.time) < cutoff
    deleted = hours = 0
    while max_id is None or max_id > 0:
        with transaction() as session:
            query = select(ReadingRow).where(old)
            if max_id is not None:
                query = query.where(col(ReadingRow.id) <= max_id)
            rows = list(session.exec(query.order_by(col(ReadingRow.time)).limit(CHUNK_ROWS)))
            if not rows:
                break
            hours += _fold(session, rows)
            ids = [r.id for r in rows]
            session.execute(delete(ReadingRow).where(col(ReadingRow.id).in_(ids)))
        deleted += len(rows)
        if len(rows) < CHUNK_ROWS:
            break
    with transaction() as session:
        kept = 0
        if max_id is not None:
            kept_q = select(func.count()).select_from(ReadingRow).where(old)
            kept = session.exec(kept_q.where(col(ReadingRow.id) > max_id)).one()
    return RetentionReport(
        cutoff=cutoff, deleted=deleted, kept_unexported=kept, hours_touched=hours
    )
