"""The time-trust rules at their bounds (:mod:`controller.runtime.timetrust`): the release floor
and the records' tolerance to the second, a confirmation's step tolerance, the wall clock's
steps, a confirmation read back from the audit, a store unreadable at start, the kernel's
NTP state (a stand-in C library), the boot id, the always-trusted virtual clock, and the
alarm: raised per condition, swept once, cleared without reading the store every tick."""

from __future__ import annotations

import ctypes
import datetime as dt
import logging
from pathlib import Path

import pytest

from controller.clock import RELEASE_FLOOR, VirtualClock
from controller.runtime import timetrust
from controller.runtime.timetrust import (
    ALARM_CODE,
    CONFIRM_ACTION,
    RECORD_TOLERANCE_S,
    STEP_TOLERANCE_S,
    AlwaysTrusted,
    Confirmation,
    TimeTrust,
    TimeVerdict,
    TrustAlarm,
    boot_id,
    kernel_synchronised,
    system_synchronised,
)
from controller.store import Severity, Store, StoreError
from tests.helpers.timetrust import GOOD, trust, trust_store, trusted_clock  # noqa: F401 - fixtures

UTC = dt.UTC
SECOND = dt.timedelta(seconds=1)


# ------------------------------------------------------------------ the verdict's bounds


def test_the_release_floor_itself_is_trusted_a_second_before_it_is_not(store: Store) -> None:
    at_floor = VirtualClock(RELEASE_FLOOR)
    assert trust(at_floor, store, synced=True).verdict() == TimeVerdict(
        True, "synchronised", "", RELEASE_FLOOR, None
    )
    before = VirtualClock(RELEASE_FLOOR - SECOND)
    v = trust(before, store, synced=True).verdict()
    assert (v.trusted, v.condition) == (False, "floor")
    assert v.reason == f"the clock says 2026-11-30 23:59 UTC, before {RELEASE_FLOOR:%Y-%m-%d}"


def test_a_clock_the_tolerance_behind_the_newest_record_is_trusted_a_second_more_not(
    clock: VirtualClock, store: Store
) -> None:
    store.raise_event(Severity.INFO, "x", "site", "stamped at GOOD")
    tolerance = dt.timedelta(seconds=RECORD_TOLERANCE_S)
    behind = VirtualClock(GOOD - tolerance)
    assert trust(behind, store, synced=True).verdict() == TimeVerdict(
        True, "synchronised", "", GOOD - tolerance, GOOD
    )
    further = VirtualClock(GOOD - tolerance - SECOND)
    v = trust(further, store, synced=True).verdict()
    assert (v.trusted, v.condition, v.newest_record) == (False, "records", GOOD)
    ahead = VirtualClock(GOOD + SECOND)  # just after the newest record: believed
    assert trust(ahead, store, synced=True).verdict().trusted


def test_a_confirmation_holds_to_a_step_of_its_tolerance_either_way(
    clock: VirtualClock, store: Store
) -> None:
    clock.advance(100)  # confirmed at a monotonic time other than 0
    t = trust(clock, store, synced=False)
    confirmed = t.confirm("admin")
    assert confirmed.actor == "admin" and confirmed.mono_s == 100.0
    clock.advance(3600)
    assert t.verdict() == TimeVerdict(True, "confirmed", "", clock.now(), None)
    clock.step(STEP_TOLERANCE_S)
    assert t.verdict().trusted
    clock.step(-2 * STEP_TOLERANCE_S)
    assert t.verdict().trusted
    clock.step(-1)
    v = t.verdict()
    assert v.trusted is False and v.condition == "source"
    assert v.reason == (
        "not synchronised (no NTP) and the clock stepped -6 s since the admin confirmation "
        "of 2027-06-01 10:01"
    )


def test_the_reasons_of_a_clock_neither_synchronised_nor_confirmed(
    clock: VirtualClock, store: Store
) -> None:
    store.raise_event(Severity.INFO, "x", "site", "stamped at GOOD")
    v = trust(clock, store, synced=False).verdict()
    assert v == TimeVerdict(
        False, "source", "not synchronised (no NTP) and not confirmed by an admin", GOOD, GOOD
    )
    t = trust(clock, store, synced=False)
    t.confirm("admin")
    assert t.verdict() == TimeVerdict(True, "confirmed", "", GOOD, GOOD)


# ------------------------------------------------------------------ the wall clock's steps


def test_a_step_is_the_wall_clocks_move_apart_from_the_monotonic_one(
    clock: VirtualClock, store: Store
) -> None:
    t = trust(clock, store, synced=True)
    assert t.take_step() is None
    clock.advance(100)  # time passing is no step
    assert t.take_step() is None
    clock.step(STEP_TOLERANCE_S)  # within the tolerance: none (and counted from here)
    assert t.take_step() is None
    clock.step(STEP_TOLERANCE_S + 1)
    assert t.take_step() == STEP_TOLERANCE_S + 1
    assert t.take_step() is None  # said once
    clock.step(-10)
    assert t.take_step() == -10.0


# ------------------------------------------------------------------ confirmations


def test_a_confirmation_reads_back_from_the_audit_as_it_was_made(
    clock: VirtualClock, store: Store
) -> None:
    made = trust(clock, store, synced=False).confirm("cli:li", over_records=True)
    entry = store.last_audit(CONFIRM_ACTION)
    assert entry is not None
    assert Confirmation.from_audit(entry) == made
    assert made == Confirmation(GOOD, 0.0, "boot-1", "cli:li", over_records=True)


def test_a_confirmation_recorded_without_over_records_does_not_outweigh_them(
    clock: VirtualClock, store: Store
) -> None:
    older = {"wall": GOOD.isoformat(), "mono_s": 0.0, "boot_id": "boot-1"}  # no over_records
    store.record_audit("cli:old", CONFIRM_ACTION, older)
    entry = store.last_audit(CONFIRM_ACTION)
    assert entry is not None
    assert Confirmation.from_audit(entry) == Confirmation(GOOD, 0.0, "boot-1", "cli:old", False)


def test_a_store_unreadable_at_start_is_no_confirmation(
    clock: VirtualClock,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unreadable(action: str) -> None:
        raise StoreError("disk I/O error")

    monkeypatch.setattr(store, "last_audit", unreadable)
    with caplog.at_level(logging.WARNING, logger="controller.runtime.timetrust"):
        v = trust(clock, store, synced=False).verdict()
    assert (v.trusted, v.condition) == (False, "source")
    assert "not confirmed by an admin" in v.reason
    assert caplog.messages == [
        "time trust: cannot read the confirmations; keeping the last one known"
    ]


def test_the_boot_is_this_machines_unless_given(clock: VirtualClock, store: Store) -> None:
    t = TimeTrust(clock, store, synchronised=lambda: False)
    assert t.boot == boot_id()
    t.confirm("admin")
    assert t.verdict().trusted


def test_the_boot_id_is_read_stripped_and_empty_where_unknown(tmp_path: Path) -> None:
    path = tmp_path / "boot_id"
    path.write_text("0f1e2d3c-4b5a\n", encoding="ascii")
    assert boot_id(path) == "0f1e2d3c-4b5a"
    assert boot_id(tmp_path / "missing") == ""


# ------------------------------------------------------------------ the kernel's NTP state


class FakeLibc:
    """adjtimex(2) answering ``state``, checking it was handed a buffer for a struct timex."""

    def __init__(self, state: int) -> None:
        self.state = state

    def adjtimex(self, buf: object) -> int:
        assert isinstance(buf, ctypes.Array) and len(buf) >= 208, buf
        return self.state


@pytest.mark.parametrize(
    ("state", "synced"), [(-1, False), (0, True), (1, True), (4, True), (5, False)]
)
def test_the_kernels_ntp_state_is_synchronised_from_0_to_below_time_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state: int, synced: bool
) -> None:
    monkeypatch.setattr(timetrust, "_libc", lambda: FakeLibc(state))
    assert kernel_synchronised() is synced
    assert system_synchronised(tmp_path / "no-flag") is synced


def test_no_c_library_or_no_adjtimex_is_unsynchronised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timetrust, "_libc", lambda: None)
    assert kernel_synchronised() is False
    monkeypatch.setattr(timetrust, "_libc", lambda: object())  # no adjtimex: not Linux
    assert kernel_synchronised() is False


# ------------------------------------------------------------------ the virtual clock


def test_a_virtual_clock_is_always_trusted_for_its_reason(clock: VirtualClock) -> None:
    clock.advance(5)
    always = AlwaysTrusted(clock, "virtual clock")
    expected = TimeVerdict(True, "virtual clock", "", GOOD + 5 * SECOND, None)
    assert always.verdict() == expected and always.refresh() == expected
    assert always.take_step() is None
    assert always.confirm("admin") == Confirmation(GOOD + 5 * SECOND, 5.0, "", "admin", False)
    assert always.confirm("admin", over_records=True).over_records is True


# ------------------------------------------------------------------ the alarm


def clock_alarms(store: Store) -> list[str]:
    return [e.message for e in store.open_alarms() if e.code == ALARM_CODE]


def test_an_alarm_left_by_an_earlier_process_is_swept_once_then_the_store_is_not_read(
    clock: VirtualClock, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.raise_event(Severity.WARNING, ALARM_CODE, "site", "from before", latched=True)
    store.raise_event(Severity.WARNING, "other", "site", "not the clock's", latched=True)
    alarm = TrustAlarm(store)
    trusted = trust(clock, store, synced=True).verdict()
    alarm.update(trusted)
    assert clock_alarms(store) == []
    assert [e.code for e in store.open_alarms()] == ["other"]
    reads: list[int] = []
    open_alarms = store.open_alarms
    monkeypatch.setattr(store, "open_alarms", lambda: reads.append(1) or open_alarms())
    for _ in range(3):  # a control tick each: nothing to clear, nothing read
        alarm.update(trusted)
    assert reads == []


def test_the_alarm_is_raised_again_after_a_trusted_spell_and_cleared_again(
    clock: VirtualClock, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    alarm = TrustAlarm(store)
    synced = [True]
    t = TimeTrust(clock, store, synchronised=lambda: synced[0], boot="boot-1")
    alarm.update(t.verdict())  # trusted: swept
    synced[0] = False
    alarm.update(t.verdict())
    (message,) = clock_alarms(store)
    assert message == (
        "wall clock not trusted: not synchronised (no NTP) and not confirmed by an admin; the "
        "clock says 2027-06-01 10:00:00 UTC, newest record none; nothing waters automatically "
        "until it is trusted (check NTP, or run `qanat confirm-time`)"
    )
    (event,) = [e for e in store.open_alarms() if e.code == ALARM_CODE]
    assert event.source == "site"
    synced[0] = True
    alarm.update(t.verdict())
    assert clock_alarms(store) == []
    reads: list[int] = []
    open_alarms = store.open_alarms
    monkeypatch.setattr(store, "open_alarms", lambda: reads.append(1) or open_alarms())
    alarm.update(t.verdict())
    assert reads == []


def test_a_new_condition_replaces_the_alarm_and_an_acknowledged_one_is_raised_again(
    store: Store,
) -> None:
    clock = VirtualClock(RELEASE_FLOOR - SECOND)
    t = trust(clock, store, synced=False)
    alarm = TrustAlarm(store)
    alarm.update(t.verdict())
    (floor,) = clock_alarms(store)
    assert "before 2026-12-01" in floor
    clock.set(GOOD)  # past the floor, still no source: another condition
    alarm.update(t.verdict())
    (source,) = clock_alarms(store)
    assert "not synchronised" in source
    (event,) = [e for e in store.open_alarms() if e.code == ALARM_CODE]
    assert event.id is not None
    store.ack_event(event.id, "admin")  # acknowledged while the clock is still untrusted
    alarm.update(t.verdict())
    assert clock_alarms(store) == [source]


def test_the_alarm_names_the_newest_record_a_clock_is_behind(store: Store) -> None:
    store.raise_event(Severity.INFO, "x", "site", "stamped at GOOD")
    stale = VirtualClock(GOOD - dt.timedelta(days=30))
    TrustAlarm(store).update(trust(stale, store, synced=True).verdict())
    (message,) = clock_alarms(store)
    assert "newest record 2027-06-01 10:00 UTC;" in message
