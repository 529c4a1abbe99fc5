"""The store on a real SQLite file: durability settings, ids, times, commit-per-row records."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.store import (
    SCHEMA_VERSION,
    InvalidToken,
    NotFound,
    Role,
    RunState,
    RunStateError,
    Store,
    StoreVersionError,
    WaterBalanceDay,
)
from tests.helpers.site import ROOT

T0 = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store.open_dir(tmp_path / "data", clock=clock)
    yield s
    s.close()


def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "qanat.db"


def run_child(tmp_path: Path, body: str) -> None:
    """Run ``body`` in a fresh interpreter that opens the store as ``store`` and crashes."""
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from controller.store import Store
        store = Store.open_dir(Path({str(tmp_path / "data")!r}))
        """
    ) + textwrap.dedent(body)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr


# -- opening --------------------------------------------------------------------


def test_open_dir_creates_the_directory_and_the_schema(tmp_path: Path, store: Store) -> None:
    assert db_path(tmp_path).is_file()
    assert store.url == f"sqlite:///{db_path(tmp_path).resolve()}"
    assert store.schema_version() == SCHEMA_VERSION
    names = {
        r[0]
        for r in sqlite3.connect(db_path(tmp_path)).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {
        "schema_version",
        "readings",
        "readings_downsampled",
        "water_balance",
        "decisions",
        "runs",
        "events",
        "audit",
        "tokens",
    } <= names


def test_every_connection_is_wal_synchronous_full_with_foreign_keys(store: Store) -> None:
    seen: list[dict[str, object]] = []

    def look() -> None:
        seen.append(store.sqlite_pragmas())

    # several threads hold several pooled connections at once
    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen.append(store.sqlite_pragmas())
    for pragmas in seen:
        assert pragmas["journal_mode"] == "wal"
        assert pragmas["synchronous"] == 2  # FULL
        assert pragmas["foreign_keys"] == 1
        assert int(str(pragmas["busy_timeout"])) > 0


def test_a_newer_schema_is_refused(tmp_path: Path, clock: VirtualClock) -> None:
    Store.open_dir(tmp_path / "data", clock=clock).close()
    with sqlite3.connect(db_path(tmp_path)) as con:
        con.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
            (SCHEMA_VERSION + 1, "2030-01-01 00:00:00.000000"),
        )
    with pytest.raises(StoreVersionError, match="upgrade qanat") as info:
        Store.open_dir(tmp_path / "data", clock=clock)
    assert info.value.found == SCHEMA_VERSION + 1
    assert info.value.expected == SCHEMA_VERSION


def test_reopening_keeps_data_and_version(tmp_path: Path, clock: VirtualClock) -> None:
    with Store.open_dir(tmp_path / "data", clock=clock) as s:
        s.raise_event("info", "started", "site", "daemon started")
    with Store.open_dir(tmp_path / "data", clock=clock) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert [e.code for e in s.events()] == ["started"]


# -- ids and times --------------------------------------------------------------


def test_ids_increase_and_are_never_reused_after_delete(tmp_path: Path, store: Store) -> None:
    ids = [store.raise_event("info", f"e{i}", "site", "x").id or 0 for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3 and min(ids) > 0
    with sqlite3.connect(db_path(tmp_path)) as con:
        con.execute("DELETE FROM events")
    again = store.raise_event("info", "e3", "site", "x").id
    assert again is not None and again > max(ids)
    run_ids = [store.plan_run("z1", "manual", 10).id for _ in range(2)]
    with sqlite3.connect(db_path(tmp_path)) as con:
        con.execute("DELETE FROM runs WHERE id = ?", (run_ids[-1],))
    new_run = store.plan_run("z1", "manual", 10).id
    assert new_run is not None and new_run > max(r for r in run_ids if r is not None)


def test_times_round_trip_aware_in_utc(store: Store, clock: VirtualClock) -> None:
    clock.set(datetime(2025, 5, 1, 20, 30, 15, 123456, tzinfo=BEIJING))
    event = store.raise_event("warning", "stale", "probe1", "no answer")
    (stored,) = store.events()
    assert stored.id == event.id
    assert stored.time == datetime(2025, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert stored.time.tzinfo is UTC
    decision = store.record_decision(
        "z1",
        "et",
        "irrigate",
        "because",
        {},
        planned_start=datetime(2025, 5, 2, 4, 0, tzinfo=BEIJING),
    )
    (back,) = store.decisions()
    assert back.id == decision.id
    assert back.planned_start == datetime(2025, 5, 1, 20, 0, tzinfo=UTC)
    assert back.planned_start is not None and back.planned_start.tzinfo is UTC


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.record_decision("z1", "et", "skip", "x", {}, planned_start=datetime(2025, 5, 1))
    assert store.decisions() == []


# -- events -----------------------------------------------------------------------


def test_a_committed_event_survives_a_crash(tmp_path: Path, clock: VirtualClock) -> None:
    Store.open_dir(tmp_path / "data", clock=clock).close()
    run_child(
        tmp_path,
        """
        e = store.raise_event("critical", "dry_run", "zone3", "pump on, no flow", latched=True)
        print(e.id)
        os._exit(1)
        """,
    )
    with Store.open_dir(tmp_path / "data", clock=clock) as s:
        (alarm,) = s.open_alarms()
        assert (alarm.code, alarm.severity, alarm.source) == ("dry_run", "critical", "zone3")


def test_latched_events_stay_open_until_acknowledged(store: Store, clock: VirtualClock) -> None:
    store.raise_event("info", "run_started", "z1", "zone 1 started")  # not latched
    burst = store.raise_event("alarm", "burst", "z2", "flow 2.1x nominal", latched=True)
    dry = store.raise_event("critical", "dry_run", "head", "no flow", latched=True)
    assert [e.code for e in store.open_alarms()] == ["burst", "dry_run"]
    assert burst.id is not None and dry.id is not None
    clock.advance(60)
    acked = store.ack_event(burst.id, "li.wei")
    assert acked.acked_by == "li.wei" and acked.acked_at == T0 + timedelta(seconds=60)
    clock.advance(60)
    again = store.ack_event(burst.id, "someone.else")  # the first acknowledgement stands
    assert again.acked_by == "li.wei" and again.acked_at == acked.acked_at
    assert [e.code for e in store.open_alarms()] == ["dry_run"]
    with pytest.raises(NotFound):
        store.ack_event(9999, "x")
    with pytest.raises(ValueError):
        store.raise_event("catastrophic", "x", "site", "no such severity")


# -- runs ---------------------------------------------------------------------------


def test_run_lifecycle(store: Store, clock: VirtualClock) -> None:
    decision = store.record_decision(
        "z1", "et", "irrigate", "depletion 51 mm > RAW 48 mm", {"dr_mm": 51}
    )
    run = store.plan_run("z1", "plan", 38, decision_id=decision.id)
    assert run.id is not None and run.state == "planned" and run.started_at is None
    clock.advance(60)
    started = store.start_run(run.id, "prewet")
    assert (started.state, started.phase, started.started_at) == ("running", "prewet", clock.now())
    store.update_run_progress(run.id, 1.5, "inject")
    progress = store.get_run(run.id)
    assert (progress.applied_m3, progress.phase) == (1.5, "inject")
    clock.advance(38 * 60)
    done = store.finish_run(run.id, "done", "planned depth applied", 12.4, {"N": 3.2, "K2O": 1.1})
    assert done.state == "done" and done.ended_at == clock.now()
    back = store.get_run(run.id)
    assert back.fertilizer == {"N": 3.2, "K2O": 1.1}
    assert (back.applied_m3, back.end_reason, back.decision_id) == (
        12.4,
        "planned depth applied",
        decision.id,
    )
    assert [r.id for r in store.runs("z1")] == [run.id]
    assert store.runs("z2") == []


def test_run_state_machine_refuses_wrong_moves(store: Store) -> None:
    run = store.plan_run("z1", "manual", 10)
    assert run.id is not None
    with pytest.raises(RunStateError):
        store.update_run_progress(run.id, 1.0)  # not running yet
    with pytest.raises(RunStateError):
        store.finish_run(run.id, "done", "never started")
    with pytest.raises(RunStateError):
        store.finish_run(run.id, "running", "not a final state")
    store.start_run(run.id)
    with pytest.raises(RunStateError):
        store.start_run(run.id)
    store.finish_run(run.id, RunState.ABORTED, "operator stop")
    with pytest.raises(RunStateError):
        store.finish_run(run.id, "done", "already ended")
    with pytest.raises(NotFound):
        store.start_run(12345)
    cancelled = store.plan_run("z1", "calendar", 10)
    assert cancelled.id is not None
    assert store.finish_run(cancelled.id, "aborted", "rain").state == "aborted"


def test_running_runs_are_found_and_interrupted_after_a_crash(
    tmp_path: Path, clock: VirtualClock
) -> None:
    Store.open_dir(tmp_path / "data", clock=clock).close()
    run_child(
        tmp_path,
        """
        a = store.plan_run("z1", "plan", 30)
        store.start_run(a.id, "water")
        store.update_run_progress(a.id, 2.25, "water")
        b = store.plan_run("z2", "plan", 30)
        os._exit(1)
        """,
    )
    with Store.open_dir(tmp_path / "data", clock=clock) as s:
        (lost,) = s.open_runs()
        assert (lost.zone, lost.applied_m3) == ("z1", 2.25)
        (marked,) = s.interrupt_open_runs("daemon restarted")
        assert marked.state == "interrupted" and marked.end_reason == "daemon restarted"
        assert marked.applied_m3 == 2.25  # kept: the water did go out
        assert s.open_runs() == []
        assert [r.state for r in s.runs()] == ["interrupted", "planned"]


# -- decisions, water balance, audit ---------------------------------------------------


def test_decisions_keep_their_inputs_and_filter_by_zone_and_time(
    store: Store, clock: VirtualClock
) -> None:
    inputs = {"et0_mm": 6.1, "kc": 1.15, "dr_mm": 51.0, "raw_mm": 48.0, "forecast_used": False}
    store.record_decision("z1", "et", "irrigate", "zone 1: 38 min", inputs, duration_min=38)
    clock.advance(3600)
    store.record_decision("z2", "et", "skip", "rain 12 mm", {"rain_mm": 12.0})
    clock.advance(3600)
    store.record_decision("z1", "et", "defer", "wind 8 m/s", {})
    (first, third) = store.decisions("z1")
    assert first.inputs == inputs and first.duration_min == 38
    assert third.action == "defer"
    in_hour_two = store.decisions(start=T0 + timedelta(minutes=30), end=T0 + timedelta(hours=2))
    assert [d.zone for d in in_hour_two] == ["z2"]
    with pytest.raises(ValueError):
        store.record_decision("z1", "et", "flood", "no such action", {})


def wb_day(zone: str, day: date, dr_end_mm: float) -> WaterBalanceDay:
    return WaterBalanceDay(
        zone=zone,
        date=day,
        et0_mm=6.0,
        kc=1.1,
        etc_mm=6.6,
        eta_mm=6.6,
        rain_mm=0.0,
        effective_rain_mm=0.0,
        irrigation_mm=0.0,
        dr_start_mm=dr_end_mm - 6.6,
        dr_end_mm=dr_end_mm,
        taw_mm=120.0,
        raw_mm=66.0,
        ks=1.0,
        method="fao56-single",
    )


def test_water_balance_is_appended_with_revisions(store: Store) -> None:
    d1, d2 = date(2025, 5, 1), date(2025, 5, 2)
    store.add_water_balance(wb_day("z1", d1, 20.0))
    store.add_water_balance(wb_day("z1", d2, 26.6))
    store.add_water_balance(wb_day("z2", d1, 5.0))
    recomputed = store.add_water_balance(wb_day("z1", d1, 18.0))  # probe correction, say
    assert recomputed.revision == 2
    history = store.water_balance("z1")
    assert [(h.date, h.revision, h.dr_end_mm) for h in history] == [(d1, 2, 18.0), (d2, 1, 26.6)]
    assert [h.dr_end_mm for h in store.water_balance_revisions("z1", d1)] == [20.0, 18.0]
    assert [h.date for h in store.water_balance("z1", start=d2)] == [d2]
    assert [h.date for h in store.water_balance("z1", end=d1)] == [d1]
    assert history[0].computed_at is not None and history[0].computed_at.tzinfo is UTC


def test_last_water_balance_is_the_last_row_of_the_listing(store: Store) -> None:
    d1, d2, d3 = date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3)
    assert store.last_water_balance("z1") is None
    for zone, day, dr in [("z1", d1, 20.0), ("z1", d2, 26.6), ("z2", d3, 5.0), ("z1", d2, 24.0)]:
        store.add_water_balance(wb_day(zone, day, dr))
    for start, end in [(None, None), (d1, d1), (d1, d3), (d2, None), (None, d1), (d3, None)]:
        listed = store.water_balance("z1", start, end)
        last = store.last_water_balance("z1", start, end)
        assert (last.id if last else None) == (listed[-1].id if listed else None)
    last = store.last_water_balance("z1")
    assert last is not None and (last.date, last.revision, last.dr_end_mm) == (d2, 2, 24.0)


def test_audit_entries(store: Store) -> None:
    entry = store.record_audit("li.wei", "manual_run", {"zone": "z1", "minutes": 20})
    (row,) = store.rows_after("audit", 0)
    assert row.model_dump()["id"] == entry.id
    assert row.model_dump()["detail"] == {"zone": "z1", "minutes": 20}


# -- tokens -----------------------------------------------------------------------------


def test_tokens_create_verify_revoke(store: Store, clock: VirtualClock) -> None:
    token_id, plaintext = store.create_token("field laptop", "technician")
    assert len(plaintext) >= 43
    info = store.verify_token(plaintext)
    assert (info.id, info.name, info.role) == (token_id, "field laptop", Role.TECHNICIAN)
    assert info.last_used_at == clock.now()
    with pytest.raises(InvalidToken):
        store.verify_token(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"))
    with pytest.raises(InvalidToken):
        store.verify_token("")
    clock.advance(3600)
    revoked = store.revoke_token(token_id)
    assert revoked.revoked_at == clock.now()
    with pytest.raises(InvalidToken):
        store.verify_token(plaintext)
    with pytest.raises(NotFound):
        store.revoke_token(9999)
    with pytest.raises(ValueError):
        store.create_token("x", "root")


def test_tokens_are_stored_only_as_hashes(tmp_path: Path, store: Store) -> None:
    _, plaintext = store.create_token("central office", "viewer")
    store.verify_token(plaintext)
    files = [p for p in (tmp_path / "data").iterdir() if p.name.startswith("qanat.db")]
    on_disk = b"".join(p.read_bytes() for p in files)
    assert on_disk  # the row is somewhere in the database or its WAL ...
    assert plaintext.encode() not in on_disk  # ... but the token is not
    (stored,) = sqlite3.connect(db_path(tmp_path)).execute("SELECT token_hash FROM tokens")
    assert stored[0] != plaintext and stored[0].encode() in on_disk
    with pytest.raises(ValueError, match="unknown export table"):
        store.rows_after("tokens", 0)


# -- export cursor and threads ------------------------------------------------------------


def test_rows_after_pages_in_id_order(store: Store) -> None:
    for i in range(5):
        store.raise_event("info", f"e{i}", "site", "x")
    page1 = store.rows_after("events", 0, limit=2)
    last = page1[-1].model_dump()["id"]
    page2 = store.rows_after("events", last, limit=10)
    codes = [r.model_dump()["code"] for r in page1 + page2]
    assert codes == [f"e{i}" for i in range(5)]
    assert store.max_ids()["events"] == page2[-1].model_dump()["id"]
    assert store.max_ids()["runs"] == 0


def test_concurrent_writers_all_commit(store: Store) -> None:
    n_threads, per_thread = 6, 25
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(per_thread):
                store.raise_event("info", f"t{k}", "site", str(i))
                run = store.plan_run(f"z{k}", "plan", 1)
                assert run.id is not None
                store.start_run(run.id)
                store.finish_run(run.id, "done", "ok")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [r.model_dump()["id"] for r in store.rows_after("events", 0, limit=10_000)]
    assert len(ids) == n_threads * per_thread == len(set(ids))
    assert ids == sorted(ids)
    assert all(r.state == "done" for r in store.runs())
