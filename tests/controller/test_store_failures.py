"""A store that cannot write: records kept in memory in order, back-off, recovery, torn files.

Real SQLite throughout: ``SQLITE_FULL`` from a file that cannot grow, a file system the
kernel remounts read-only under the open database (root), files cut short mid-write.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.store import (
    RunState,
    Store,
    StoreCorruptError,
    StoreWriteError,
)
from controller.store.pending import AUDIT, EVENT, RUN, PendingQueue, PendingRecord
from drivers.reading import Quality, Reading
from tests.helpers.site import ROOT
from tests.helpers.storefaults import can_mount, disk_full, loop_filesystem, remount_read_only

T0 = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
BIG = "x" * 6000  # more than a page: every such record needs new pages


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store.open_dir(tmp_path / "data", clock=clock, batch_size=50)
    yield s
    s.close()


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A tiny ext4 mounted on a loop device (root only: skipped otherwise)."""
    if not can_mount():
        pytest.skip("needs root and mkfs.ext4 to mount a loop file system")
    try:
        fs = loop_filesystem(tmp_path)
        mnt = fs.__enter__()
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a loop file system here: {exc}")
    try:
        yield mnt
    finally:
        fs.__exit__(None, None, None)


def readings(n: int, start: datetime = T0) -> list[Reading]:
    return [
        Reading(
            device="probe1",
            point="vwc_20cm",
            value=float(i),
            unit="%",
            quality=Quality.OK,
            time=start + timedelta(seconds=i),
            decoded=float(i),
            detail=BIG[:200],
        )
        for i in range(n)
    ]


def audit_actions(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as con:
        return list(con.execute("SELECT id, action FROM audit ORDER BY id"))


def test_a_full_disk_keeps_records_in_order_and_writes_them_when_space_returns(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    run = store.plan_run("z1", "manual", 10)
    assert run.id is not None
    store.start_run(run.id)
    with disk_full(store):
        for i in range(3):
            clock.advance(1)
            assert store.record_audit("tech", f"a{i}", {"pad": BIG}).id is None  # kept
        store.raise_event("critical", "dry_run", "z1", "no flow " + BIG, latched=True)
        store.update_run_progress(run.id, 1.5)
        ended = store.finish_run(run.id, RunState.DONE, "planned time reached", applied_m3=2.5)
        assert ended.state == "done" and ended.applied_m3 == 2.5  # the caller's view
        store.add_readings(readings(120))
        with pytest.raises(StoreWriteError):
            store.flush()
        h = store.health
        assert not h.writable and h.failing_since is not None and "full" in h.last_error
        assert h.pending_records == 6 and h.pending_readings == 120
        with pytest.raises(StoreWriteError):  # a new run cannot be recorded: not started
            store.plan_run("z2", "manual", 10)
        assert store.get_run(run.id).state == "running"  # nothing written yet
    clock.advance(120)
    assert store.flush() == 120
    h = store.health
    assert h.writable and h.pending_records == 0 and h.pending_readings == 0
    db = tmp_path / "data" / "qanat.db"
    actions = audit_actions(db)
    assert [a for _, a in actions] == ["a0", "a1", "a2"]  # each once, in order
    stored = store.get_run(run.id)
    assert (stored.state, stored.applied_m3) == ("done", 2.5)
    codes = [e.code for e in store.events()]
    assert codes == ["dry_run", "store_unwritable"]  # the outage recorded after its records
    outage = store.open_alarms()[-1]
    assert outage.code == "store_unwritable" and outage.latched
    assert "120 readings" in outage.message


def test_writes_back_off_while_the_store_fails_and_retry_when_due(
    store: Store, clock: VirtualClock
) -> None:
    with disk_full(store):
        store.record_audit("tech", "first", {"pad": BIG})
        assert store.health.retry_in_s == pytest.approx(1.0)
        clock.advance(0.5)  # within the back-off: kept without touching the file
        store.record_audit("tech", "second", {"pad": BIG})
        assert store.health.retry_in_s == pytest.approx(0.5)
        clock.advance(0.6)  # due: tried, fails again, the back-off doubles
        store.record_audit("tech", "third", {"pad": BIG})
        assert store.health.retry_in_s == pytest.approx(2.0)
        assert store.flush_when_due() == 0  # not due: no attempt, no error
    clock.advance(2.0)
    store.flush_when_due()
    assert store.health.writable and store.health.pending_records == 0


def test_a_record_made_after_the_outage_is_written_after_those_kept(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    with disk_full(store):
        store.record_audit("tech", "kept1", {"pad": BIG})
        store.record_audit("tech", "kept2", {"pad": BIG})
    clock.advance(1.0)  # the back-off ran out; the next record is tried, behind the kept
    assert store.record_audit("tech", "new", {}).id is not None
    assert [a for _, a in audit_actions(tmp_path / "data" / "qanat.db")] == [
        "kept1",
        "kept2",
        "new",
    ]


def test_a_new_run_is_refused_at_once_during_the_back_off(
    store: Store, clock: VirtualClock
) -> None:
    with disk_full(store):
        store.record_audit("tech", "x", {"pad": BIG})
    # the file can grow again, but the back-off has not run out: refused without trying
    with pytest.raises(StoreWriteError, match="next try in"):
        store.plan_run("z1", "manual", 5)
    clock.advance(1.0)
    run = store.plan_run("z1", "manual", 5)  # tried: the kept audit and the outage first
    assert run.id is not None
    assert store.health.writable and store.health.pending_records == 0
    assert [e.code for e in store.events()] == ["store_unwritable"]


def test_a_full_pending_queue_drops_other_records_before_audit_and_counts() -> None:
    box = PendingQueue(max_records=3)

    def record(kind: str, what: str) -> PendingRecord:
        return PendingRecord(kind, what, lambda _s: None)

    for kind, what in [(AUDIT, "a1"), (EVENT, "e1"), (RUN, "r1"), (AUDIT, "a2"), (AUDIT, "a3")]:
        box.push(record(kind, what))
    assert [r.what for r in box.peek(10)] == ["a1", "a2", "a3"]
    assert box.stats.dropped == {EVENT: 1, RUN: 1}
    box.push(record(AUDIT, "a4"))  # nothing but audit left: the oldest audit goes
    assert [r.what for r in box.peek(10)] == ["a2", "a3", "a4"]
    assert box.stats.dropped == {EVENT: 1, RUN: 1, AUDIT: 1}


def test_a_record_refused_on_replay_is_counted_and_the_rest_written(
    store: Store, clock: VirtualClock
) -> None:
    run = store.plan_run("z1", "manual", 10)
    assert run.id is not None
    with disk_full(store):
        store.record_audit("tech", "before", {"pad": BIG})
        store.finish_run(run.id, RunState.DONE, "done")  # planned, not running: refused later
        store.record_audit("tech", "after", {"pad": BIG})
    clock.advance(1)
    store.flush()
    h = store.health
    assert h.rejected_records == 1 and h.pending_records == 0
    assert store.get_run(run.id).state == "planned"


def test_a_read_only_remount_keeps_control_records_in_memory(
    mounted: Path, clock: VirtualClock
) -> None:
    mnt = mounted
    store = Store.open_dir(mnt / "data", clock=clock)
    run = store.plan_run("z1", "manual", 10)
    assert run.id is not None
    store.start_run(run.id)
    remount_read_only(mnt)
    store.update_run_progress(run.id, 0.7)
    store.finish_run(run.id, RunState.ABORTED, "stopped", applied_m3=0.8)
    store.record_audit("tech", "run.stop", {"zone": "z1"})
    store.add_readings(readings(10))
    with pytest.raises(StoreWriteError):
        store.flush()
    h = store.health
    assert not h.writable and h.pending_records == 3 and h.pending_readings == 10
    assert "I/O" in h.last_error or "readonly" in h.last_error.lower()
    assert store.get_run(run.id).state == "running"  # reads still answer
    with pytest.raises(StoreWriteError):
        store.close()


def test_a_real_full_file_system_keeps_records_and_recovers_when_space_is_freed(
    mounted: Path, clock: VirtualClock
) -> None:
    mnt = mounted
    store = Store.open_dir(mnt / "data", clock=clock)
    filler = mnt / "filler"
    with filler.open("wb") as f:  # the card fills up with something else
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    kept: list[str] = []
    for i in range(2000):  # until the database's own files need a block more
        clock.advance(1)
        store.record_audit("tech", f"a{i}", {"pad": BIG})
        kept.append(f"a{i}")
        if not store.health.writable:
            break
    h = store.health
    assert not h.writable and "full" in h.last_error and h.pending_records >= 1
    for i in range(3):  # more while it is full: kept behind, in order
        clock.advance(1)
        store.record_audit("tech", f"b{i}", {"pad": "x"})
    filler.unlink()  # space freed
    clock.advance(120)
    store.flush()
    assert store.health.writable and store.health.pending_records == 0
    actions = [a for _, a in audit_actions(mnt / "data" / "qanat.db")]
    assert actions == [*kept, "b0", "b1", "b2"]  # each once, in order
    store.close()


# -- torn files -------------------------------------------------------------------------


def _child_commits_then_dies(data: Path, n: int) -> None:
    """A process commits ``n`` audit rows (WAL not checkpointed) and is killed with -9."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from controller.store import Store
        store = Store.open_dir(Path({str(data)!r}))
        store._engine.dispose()
        import sqlite3
        con = sqlite3.connect({str(data / "qanat.db")!r})
        con.execute("PRAGMA wal_autocheckpoint = 0")
        for i in range({n}):
            with con:
                con.execute(
                    "INSERT INTO audit (time, actor, action, detail) VALUES "
                    "('2025-05-01 06:00:00.000000', 't', ?, '{{}}')", (f"a{{i}}",)
                )
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert proc.returncode == -signal.SIGKILL


def test_a_wal_cut_short_loses_only_the_last_commits_and_opens(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _child_commits_then_dies(data, 50)
    wal = data / "qanat.db-wal"
    size = wal.stat().st_size
    assert size > 0
    with wal.open("r+b") as f:
        f.truncate(size - 3000)  # a power cut in the middle of the last frames
    with Store.open_dir(data) as store:  # the integrity check passes: torn frames are ignored
        actions = [a for _, a in audit_actions(data / "qanat.db")]
    assert actions == [f"a{i}" for i in range(len(actions))]  # a prefix: none mixed or doubled
    assert 40 <= len(actions) < 50
    assert store.health.writable


@pytest.mark.parametrize("damage", ["page_overwritten", "file_cut_short"])
def test_a_damaged_database_file_is_refused_naming_the_file(tmp_path: Path, damage: str) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        for i in range(300):
            store.record_audit("tech", f"a{i}", {"pad": BIG[:500]})
    db = data / "qanat.db"
    size = db.stat().st_size
    with db.open("r+b") as f:  # a torn write in the middle of the file, or its end lost
        if damage == "page_overwritten":
            f.seek(size // 2)
            f.write(os.urandom(4096))
        else:
            f.truncate(size // 2 + 100)
    with pytest.raises(StoreCorruptError, match=r"qanat\.db is damaged") as caught:
        Store.open_dir(data)
    assert "restore the last backup" in str(caught.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "qanat.db").write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StoreCorruptError, match="damaged"):
        Store.open_dir(data)
