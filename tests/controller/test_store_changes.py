"""Answers kept until the database changes (controller/store/changes.py): never stale,
whoever writes — this store, another store on the same file, or another process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.store import CropObservation, Severity, Store
from controller.store.changes import ChangeWatch
from tests.helpers.site import ROOT

T0 = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path, clock=VirtualClock(T0)) as s:
        yield s


def test_an_answer_is_kept_until_another_connection_commits(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with sqlite3.connect(db) as setup:
        setup.execute("CREATE TABLE t (v INTEGER)")
    watch = ChangeWatch(db)
    loads: list[int] = []

    def load() -> int:
        with sqlite3.connect(db) as c:
            n = int(c.execute("SELECT count(*) FROM t").fetchone()[0])
        loads.append(n)
        return n

    try:
        assert watch.read("n", load) == 0
        assert watch.read("n", load) == 0
        assert loads == [0]  # the second answer was the kept one
        with sqlite3.connect(db) as writer:
            writer.execute("INSERT INTO t VALUES (1)")
        assert watch.read("n", load) == 1
        assert loads == [0, 1]
        watch.forget()
        assert watch.read("n", load) == 1
        assert loads == [0, 1, 1]
    finally:
        watch.close()


def test_open_alarms_follow_this_store_and_another_on_the_same_file(
    store: Store, tmp_path: Path
) -> None:
    assert store.open_alarms() == []
    raised = store.raise_event(Severity.ALARM, "probe_flatline", "probe1a", "flat", latched=True)
    assert [e.id for e in store.open_alarms()] == [raised.id]
    with Store.open_dir(tmp_path, clock=VirtualClock(T0)) as other:
        assert raised.id is not None
        other.ack_event(raised.id, "tech")
        second = other.raise_event(Severity.ALARM, "pump_dry", "pump", "dry", latched=True)
    assert [e.id for e in store.open_alarms()] == [second.id]


def test_an_acknowledgement_from_another_process_is_seen_at_once(
    store: Store, tmp_path: Path
) -> None:
    raised = store.raise_event(Severity.ALARM, "probe_flatline", "probe1a", "flat", latched=True)
    assert len(store.open_alarms()) == 1  # kept now
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from controller.store import Store
        with Store.open_dir(Path({str(tmp_path)!r})) as s:
            s.ack_event({raised.id}, "cli")
        """
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
    assert store.open_alarms() == []


def test_an_in_memory_store_reads_every_time() -> None:
    with Store("sqlite://", clock=VirtualClock(T0)) as s:
        s.raise_event(Severity.ALARM, "a", "x", "m", latched=True)
        assert len(s.open_alarms()) == 1


def test_crop_observations_follow_a_record_through_another_store(
    store: Store, tmp_path: Path
) -> None:
    planted = date(2025, 4, 20)
    assert store.crop_observations("z1", since=planted) == []
    with Store.open_dir(tmp_path, clock=VirtualClock(T0)) as other:
        other.add_crop_observation(
            CropObservation(zone="z1", stage="VE", observed_on=date(2025, 5, 2), entered_by="t")
        )
    assert [o.stage for o in store.crop_observations("z1", since=planted)] == ["VE"]
    assert store.crop_observations("z2", since=planted) == []
    assert store.crop_observations("z1", since=date(2025, 5, 3)) == []


def test_the_last_decision_and_a_decision_by_id_follow_another_store(
    store: Store, tmp_path: Path
) -> None:
    """The overview asks both of every zone at each 3 s refresh: kept, never stale."""
    first = store.record_decision("z1", "et", "defer", "first", {})
    assert first.id is not None
    assert store.last_decision("z1") is not None and store.last_decision("z1").reason == "first"
    assert store.decision(first.id) is not None and store.decision(first.id).reason == "first"
    with Store.open_dir(tmp_path, clock=VirtualClock(T0)) as other:
        second = other.record_decision("z1", "et", "irrigate", "second", {})
    assert second.id is not None
    newest = store.last_decision("z1")
    assert newest is not None and newest.reason == "second"
    assert store.decision(second.id) is not None
    assert store.decision(10_000) is None
    assert store.last_decision("z9") is None
