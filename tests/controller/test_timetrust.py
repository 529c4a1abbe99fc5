"""The time-trust rules over a real store (no daemon): floor, newest record, source, steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from controller.clock import RELEASE_FLOOR, VirtualClock
from controller.runtime.timetrust import (
    CONFIRM_ACTION,
    STEP_TOLERANCE_S,
    TimeTrust,
    TrustAlarm,
    system_synchronised,
)
from controller.store import Severity, Store
from tests.helpers.timetrust import GOOD, trust, trust_store, trusted_clock  # noqa: F401 - fixtures

UTC = dt.UTC


def test_a_synchronised_clock_after_the_floor_is_trusted(clock: VirtualClock, store: Store) -> None:
    v = trust(clock, store, synced=True).verdict()
    assert v.trusted and v.condition == "synchronised" and v.reason == ""


def test_an_unsynchronised_unconfirmed_clock_is_not(clock: VirtualClock, store: Store) -> None:
    v = trust(clock, store, synced=False).verdict()
    assert not v.trusted and v.condition == "source"
    assert "not synchronised" in v.reason and "not confirmed" in v.reason


def test_1970_is_never_trusted_even_synchronised(store: Store) -> None:
    clock = VirtualClock(dt.datetime(1970, 1, 1, 0, 0, 12, tzinfo=UTC))
    t = TimeTrust(clock, store, synchronised=lambda: True, boot="b")
    t.confirm("admin")
    v = t.verdict()
    assert not v.trusted and v.condition == "floor"
    assert "1970-01-01" in v.reason and f"{RELEASE_FLOOR:%Y-%m-%d}" in v.reason


def test_a_stale_saved_time_before_the_newest_record_is_not_trusted(
    clock: VirtualClock, store: Store
) -> None:
    clock.set(GOOD + dt.timedelta(days=30))
    store.raise_event(Severity.INFO, "x", "site", "written before the reboot")
    stale = VirtualClock(GOOD)  # the box came back at the time saved a month ago
    t = TimeTrust(stale, store, synchronised=lambda: True, boot="b")
    v = t.verdict()
    assert not v.trusted and v.condition == "records"
    assert v.newest_record == GOOD + dt.timedelta(days=30)
    assert "newest stored record (2027-07-01 10:00 UTC)" in v.reason
    t.confirm("admin")  # an ordinary confirmation does not outweigh the records
    assert not t.verdict().trusted
    t.confirm("admin", over_records=True)  # the admin knows they were stamped wrong
    assert t.verdict().trusted


def test_a_confirmation_holds_until_the_clock_steps(clock: VirtualClock, store: Store) -> None:
    t = trust(clock, store, synced=False)
    t.confirm("admin")
    assert t.verdict().condition == "confirmed"
    clock.advance(3600)  # time passing is no step
    assert t.verdict().trusted
    clock.step(STEP_TOLERANCE_S + 60)
    v = t.verdict()
    assert not v.trusted and "stepped +65 s since the admin confirmation" in v.reason


def test_a_confirmation_from_another_boot_or_process_is_read_from_the_audit(
    clock: VirtualClock, store: Store
) -> None:
    trust(clock, store, synced=False).confirm("cli:li")  # e.g. `qanat confirm-time`
    entry = store.last_audit(CONFIRM_ACTION)
    assert entry is not None and entry.actor == "cli:li" and entry.detail["boot_id"] == "boot-1"
    assert trust(clock, store, synced=False).verdict().trusted  # the daemon reads it
    other = TimeTrust(clock, store, synchronised=lambda: False, boot="boot-2")
    v = other.verdict()
    assert not v.trusted and "before a reboot" in v.reason


def test_the_alarm_is_raised_once_per_condition_and_clears_itself(
    clock: VirtualClock, store: Store
) -> None:
    t, alarm = trust(clock, store, synced=False), TrustAlarm(store)
    alarm.update(t.verdict())
    alarm.update(t.verdict())
    (open_,) = store.open_alarms()
    assert open_.code == "clock_untrusted" and open_.severity == "warning"
    assert "not synchronised" in open_.message and "2027-06-01 10:00:00 UTC" in open_.message
    assert "newest record" in open_.message and "qanat confirm-time" in open_.message
    t.confirm("admin")
    alarm.update(t.verdict())
    assert store.open_alarms() == []
    cleared = [e for e in store.events() if e.code == "clock_untrusted"]
    assert len(cleared) == 1 and cleared[0].acked_by == "clock"


def test_the_system_probe_reads_the_timesyncd_flag(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    flag.touch()
    assert system_synchronised(flag) is True


def test_the_virtual_clock_steps_wall_time_only() -> None:
    clock = VirtualClock(GOOD)
    clock.step(-3600)
    assert clock.now() == GOOD - dt.timedelta(hours=1) and clock.monotonic() == 0.0
