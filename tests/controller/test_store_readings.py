"""Telemetry in the store: batched writes that survive failures, queries, retention."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.store import ReadingBuffer, Store, StoreError, StoreWriteError
from drivers.reading import Quality, Reading

T0 = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


def reading(
    t: datetime,
    value: float,
    *,
    device: str = "probe1",
    point: str = "vwc_20cm",
    quality: Quality = Quality.OK,
) -> Reading:
    ok = quality is Quality.OK
    return Reading(
        device=device,
        point=point,
        value=value if ok else None,
        unit="%",
        quality=quality,
        time=t,
        decoded=value,
        detail="" if ok else "flagged",
    )


def series(
    start: datetime, n: int, *, device: str = "probe1", point: str = "vwc_20cm"
) -> list[Reading]:
    """``n`` good readings a minute apart, valued 0, 1, 2, ..."""
    return [
        reading(start + timedelta(minutes=i), float(i), device=device, point=point)
        for i in range(n)
    ]


def db_rows(path: Path, table: str = "readings") -> int:
    with sqlite3.connect(path) as con:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "qanat.db"


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store.open_dir(tmp_path / "data", clock=clock, batch_size=10, busy_timeout_s=0.05)
    yield s
    s.close()


class HeldLock:
    """Another process-like connection holding SQLite's write lock: a real "database is locked"."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path, isolation_level=None, timeout=0)

    def __enter__(self) -> HeldLock:
        self.con.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.execute("ROLLBACK")
        self.con.close()


# -- batching -------------------------------------------------------------------------


def test_readings_are_written_when_a_batch_is_full(store: Store, db: Path) -> None:
    store.add_readings(series(T0, 9))
    assert db_rows(db) == 0 and store.buffer_stats.pending == 9
    store.add_readings(series(T0 + timedelta(hours=1), 1))  # the tenth
    assert db_rows(db) == 10 and store.buffer_stats.pending == 0


def test_flush_writes_a_partial_batch(store: Store, db: Path) -> None:
    store.add_readings(series(T0, 3))
    assert store.flush() == 3
    assert db_rows(db) == 3
    assert store.flush() == 0
    assert store.buffer_stats.written == 3


def test_flush_writes_everything_in_batches(store: Store, db: Path) -> None:
    with HeldLock(db):
        store.add_readings(series(T0, 35))  # the automatic write fails under the lock
    assert store.buffer_stats.pending == 35
    assert store.flush() == 35
    assert db_rows(db) == 35


def test_a_failed_flush_keeps_the_readings_for_the_next(store: Store, db: Path) -> None:
    store.add_readings(series(T0, 4))
    with HeldLock(db), pytest.raises(StoreWriteError, match="locked"):
        store.flush()
    stats = store.buffer_stats
    assert (stats.pending, stats.failed_flushes) == (4, 1)
    assert "locked" in stats.last_error
    store.add_readings(series(T0 + timedelta(hours=1), 2))
    assert store.flush() == 6
    assert store.buffer_stats.last_error == ""
    values = [r.value for r in store.readings("probe1", "vwc_20cm", T0, T0 + timedelta(days=1))]
    assert values == [0.0, 1.0, 2.0, 3.0, 0.0, 1.0]  # order kept across the failure


def test_an_auto_flush_failure_does_not_reach_the_poller(store: Store, db: Path) -> None:
    with HeldLock(db):
        store.add_readings(series(T0, 12))  # reaches the batch size: a write is tried and fails
    assert store.buffer_stats.pending == 12 and store.buffer_stats.failed_flushes >= 1
    assert store.flush() == 12


def test_a_full_buffer_thins_the_older_half_per_point_and_counts(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'x.db'}", batch_size=5, max_pending=8, busy_timeout_s=0.05)
    a, b = series(T0, 5), series(T0, 5, point="vwc_40cm")
    with HeldLock(tmp_path / "x.db"):
        s.add_readings([r for pair in zip(a, b, strict=True) for r in pair])  # a0 b0 a1 b1 ...
    # 10 > 8: the older 5 (a0 b0 a1 b1 a2) keep every second reading of each point (a0 a2,
    # b0), so a1 and b1 go; the newer 5 stay whole
    assert s.buffer_stats.dropped == 2 and s.buffer_stats.pending == 8
    s.flush()
    end = T0 + timedelta(days=1)
    assert [r.value for r in s.readings("probe1", "vwc_20cm", T0, end)] == [0, 2, 3, 4]
    assert [r.value for r in s.readings("probe1", "vwc_40cm", T0, end)] == [0, 2, 3, 4]
    s.close()


def test_a_long_outage_keeps_its_start_at_a_coarser_step(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'x.db'}", batch_size=5, max_pending=8, busy_timeout_s=0.05)
    with HeldLock(tmp_path / "x.db"):
        for r in series(T0, 40):
            s.add_readings([r])
    stats = s.buffer_stats
    assert stats.pending <= 8 and stats.dropped == 40 - stats.pending
    s.flush()
    values = [r.value for r in s.readings("probe1", "vwc_20cm", T0, T0 + timedelta(days=1))]
    assert values[0] == 0.0 and values[-3:] == [37.0, 38.0, 39.0]  # the start and the present
    assert values == sorted(values)  # order kept
    s.close()


def test_buffer_refuses_naive_times_without_queueing_anything() -> None:
    written: list[Reading] = []
    buf = ReadingBuffer(written.extend, batch_size=10)
    good = reading(T0, 1.0)
    with pytest.raises(ValueError, match="naive"):
        buf.add([good, reading(datetime(2025, 5, 1), 2.0)])
    assert buf.stats.pending == 0
    with pytest.raises(ValueError):
        ReadingBuffer(written.extend, batch_size=10, max_pending=5)


def test_close_flushes(tmp_path: Path, clock: VirtualClock, db: Path) -> None:
    s = Store.open_dir(tmp_path / "data", clock=clock, batch_size=100)
    s.add_readings(series(T0, 7))
    s.close()
    assert db_rows(db) == 7


# -- stored form and queries --------------------------------------------------------------


def test_stored_readings_keep_quality_and_aware_utc_time(store: Store) -> None:
    beijing = timezone(timedelta(hours=8))
    t = datetime(2025, 5, 1, 14, 0, 0, 250000, tzinfo=beijing)
    store.add_readings(
        [
            reading(t, 23.5),
            reading(t + timedelta(minutes=1), 999.0, quality=Quality.OUT_OF_RANGE),
        ]
    )
    store.flush()
    good, flagged = store.readings("probe1", "vwc_20cm", T0 - timedelta(hours=1), T0 + timedelta(1))
    assert good.time == T0 + timedelta(microseconds=250000) and good.time.tzinfo is UTC
    assert (good.value, good.decoded, good.quality, good.unit) == (23.5, 23.5, "ok", "%")
    assert (flagged.value, flagged.decoded, flagged.quality) == (None, 999.0, "out_of_range")
    assert flagged.detail == "flagged"


def test_good_values_are_the_ok_readings_in_time_order(store: Store) -> None:
    beijing = timezone(timedelta(hours=8))
    t = datetime(2025, 5, 1, 14, 0, 0, 250000, tzinfo=beijing)  # = T0 + 0.25 s
    store.add_readings(
        [
            reading(t + timedelta(minutes=2), 25.0),
            reading(t, 23.5),
            reading(t + timedelta(minutes=1), 999.0, quality=Quality.OUT_OF_RANGE),
            reading(t, 24.0, point="vwc_40cm"),
            reading(t + timedelta(minutes=3), 26.0),  # the end is excluded
        ]
    )
    store.flush()
    got = store.good_values("probe1", "vwc_20cm", T0, T0 + timedelta(minutes=3))
    assert got == [(T0 + timedelta(microseconds=250000), 23.5), (t + timedelta(minutes=2), 25.0)]
    assert all(time.tzinfo is UTC for time, _ in got)
    window = store.readings("probe1", "vwc_20cm", T0, T0 + timedelta(minutes=3))
    assert got == [(r.time, r.value) for r in window if r.quality == "ok"]


def test_latest_reading_per_point_and_time_ranges(store: Store) -> None:
    store.add_readings(series(T0, 5, device="probe1", point="vwc_20cm"))
    store.add_readings(series(T0, 3, device="probe1", point="vwc_40cm"))
    store.add_readings(series(T0, 2, device="flow1", point="rate"))
    store.flush()
    latest = {(r.device, r.point): r.value for r in store.latest_readings()}
    assert latest == {
        ("probe1", "vwc_20cm"): 4.0,
        ("probe1", "vwc_40cm"): 2.0,
        ("flow1", "rate"): 1.0,
    }
    assert {r.point for r in store.latest_readings("probe1")} == {"vwc_20cm", "vwc_40cm"}
    window = store.readings(
        "probe1", "vwc_20cm", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)
    )
    assert [r.value for r in window] == [1.0, 2.0]  # start included, end excluded
    assert len(store.readings("probe1", "vwc_20cm", T0, T0 + timedelta(1), limit=2)) == 2


def test_export_cursor_over_readings(store: Store) -> None:
    store.add_readings(series(T0, 25))
    store.flush()
    seen: list[int] = []
    cursor = 0
    while page := store.rows_after("readings", cursor, limit=10):
        seen += [r.model_dump()["id"] for r in page]
        cursor = seen[-1]
    assert len(seen) == 25 and seen == sorted(seen)
    assert store.max_ids()["readings"] == cursor


# -- retention ------------------------------------------------------------------------------


def old_and_new(store: Store) -> tuple[datetime, list[int]]:
    """Two old hours (10 days back, with a flagged reading) and one recent hour; their ids."""
    old = T0 - timedelta(days=10)
    store.add_readings(series(old, 60))  # hour 1: 0..59
    store.add_readings([reading(old + timedelta(minutes=30, seconds=1), 0, quality=Quality.STALE)])
    store.add_readings(series(old + timedelta(hours=1), 30))  # hour 2: 0..29
    store.add_readings(series(T0 - timedelta(hours=1), 60))  # recent
    store.flush()
    ids = [r.model_dump()["id"] for r in store.rows_after("readings", 0, limit=1000)]
    return old, ids


def test_retention_needs_an_export_cursor_or_force(store: Store, db: Path) -> None:
    old_and_new(store)
    report = store.apply_retention(T0, 7, None)
    assert report.deleted == 0 and db_rows(db) == 151
    report = store.apply_retention(T0, 7, {"decisions": 10**9})  # no cursor for readings
    assert report.deleted == 0 and report.kept_unexported == 91
    report = store.apply_retention(T0, 7, None, force_without_export=True)
    assert report.deleted == 91 and db_rows(db) == 60


def test_retention_downsamples_and_never_deletes_past_the_cursor(store: Store, db: Path) -> None:
    old, ids = old_and_new(store)
    cursor = ids[70]  # exported: hour 1 (61 rows incl. the flagged one) and 10 of hour 2
    report = store.apply_retention(T0, 7, {"readings": cursor})
    assert report.cutoff == T0 - timedelta(days=7)
    assert (report.deleted, report.kept_unexported) == (71, 20)
    remaining = [r.model_dump()["id"] for r in store.rows_after("readings", 0, limit=1000)]
    assert min(remaining) > cursor and len(remaining) == 80  # 20 old unexported + 60 recent
    h1, h2 = store.hourly_readings("probe1", "vwc_20cm", old, old + timedelta(hours=2))
    assert (h1.hour, h1.count, h1.count_bad, h1.min, h1.max) == (old, 60, 1, 0.0, 59.0)
    assert h1.mean == pytest.approx(29.5)
    assert (h2.count, h2.min, h2.max, h2.mean) == (10, 0.0, 9.0, pytest.approx(4.5))
    assert h1.hour.tzinfo is UTC

    # the rest of hour 2 is exported later: merged into the same hourly row
    report = store.apply_retention(T0, 7, {"readings": ids[-1]})
    assert (report.deleted, report.kept_unexported) == (20, 0)
    (h2,) = store.hourly_readings("probe1", "vwc_20cm", old + timedelta(hours=1), T0)
    assert (h2.count, h2.min, h2.max, h2.mean) == (30, 0.0, 29.0, pytest.approx(14.5))
    assert db_rows(db) == 60  # the recent hour is untouched
    assert db_rows(db, "readings_downsampled") == 2


def test_hourly_table_is_read_only_once_retention_has_folded_hours(store: Store) -> None:
    old, ids = old_and_new(store)
    assert store.hourly_readings("probe1", "vwc_20cm", old, T0) == []  # nothing folded yet
    store.apply_retention(T0, 7, {"readings": ids[70]})  # folds hour 1 and part of hour 2
    assert len(store.hourly_readings("probe1", "vwc_20cm", old, T0)) == 2
    assert store.hourly_readings("probe1", "vwc_20cm", old + timedelta(hours=2), T0) == []
    store.apply_retention(T0, 7, {"readings": ids[-1]})  # the rest of hour 2 merges in
    (h2,) = store.hourly_readings("probe1", "vwc_20cm", old + timedelta(hours=1), T0)
    assert h2.count == 30


def test_retention_works_in_chunks(store: Store, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import controller.store.retention as retention

    monkeypatch.setattr(retention, "CHUNK_ROWS", 7)  # hours split across transactions
    old, ids = old_and_new(store)
    report = store.apply_retention(T0, 7, {"readings": ids[-1]})
    assert report.deleted == 91
    h1, h2 = store.hourly_readings("probe1", "vwc_20cm", old, T0)
    assert (h1.count, h1.count_bad, h1.mean) == (60, 1, pytest.approx(29.5))
    assert (h2.count, h2.mean) == (30, pytest.approx(14.5))


def test_ids_are_not_reused_after_retention(store: Store) -> None:
    _, ids = old_and_new(store)
    assert store.apply_retention(T0, 0, {"readings": ids[-1]}).deleted == len(ids)
    store.add_readings(series(T0, 1))
    store.flush()
    (new,) = store.rows_after("readings", 0)
    assert new.model_dump()["id"] == ids[-1] + 1


def test_good_values_on_a_damaged_database_is_a_store_error(tmp_path: Path) -> None:
    """The driver-cursor read path wraps SQLite's own errors like every other read."""
    store = Store.open_dir(tmp_path)
    try:
        store.add_readings([reading(T0, 23.5)])
        store.flush()
        assert store.good_values("probe1", "vwc_20cm", T0, T0 + timedelta(minutes=1)) == [
            (T0, 23.5)
        ]
        with sqlite3.connect(tmp_path / "qanat.db") as db:
            db.execute("ALTER TABLE readings RENAME TO readings_moved")
        with pytest.raises(StoreError, match=r"read from sqlite.*readings"):
            store.good_values("probe1", "vwc_20cm", T0, T0 + timedelta(minutes=1))
    finally:
        store.close()
