"""The clock's trust records read back as codes (controller.runtime.clock_events).

The reasons are the time-trust rules' own (controller.runtime.timetrust over a real store):
a clock before the release floor, before the newest record, unsynchronised and unconfirmed,
confirmed before a reboot, stepped since its confirmation; and the alarm raised around one.
Every one must be read as a code, or a page would show it in English.
"""

from __future__ import annotations

import datetime as dt

from controller.clock import VirtualClock
from controller.runtime.clock_events import CLOCK_EVENTS, CLOCK_REASONS, clock_event, clock_reason
from controller.runtime.timetrust import STEP_TOLERANCE_S, TimeTrust, TrustAlarm
from controller.store import Severity, Store
from tests.helpers.recorded import assert_templates_read_back
from tests.helpers.timetrust import GOOD, trust_store, trusted_clock  # noqa: F401 - fixtures


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(CLOCK_EVENTS, clock_event)
    assert_templates_read_back(CLOCK_REASONS, clock_reason)


def test_each_reason_the_rules_give_is_read_as_its_code(clock: VirtualClock, store: Store) -> None:
    unconfirmed = TimeTrust(clock, store, synchronised=lambda: False, boot="b1").verdict()
    source = clock_reason(unconfirmed.reason)
    assert source.code == "source" and clock_reason(source.values["why_not"]).code == (
        "not_confirmed"
    )
    TimeTrust(clock, store, synchronised=lambda: False, boot="b0").confirm("admin")
    rebooted = TimeTrust(clock, store, synchronised=lambda: False, boot="b1").verdict()
    assert clock_reason(clock_reason(rebooted.reason).values["why_not"]).values == {
        "at": "2027-06-01 10:00"
    }
    clock.step(STEP_TOLERANCE_S + 60)
    stepped = TimeTrust(clock, store, synchronised=lambda: False, boot="b0")
    stepped.confirm("admin")
    clock.step(-(STEP_TOLERANCE_S + 60))
    why_not = clock_reason(clock_reason(stepped.verdict().reason).values["why_not"])
    assert (why_not.code, why_not.values["step_s"]) == ("stepped", "-65")
    store.raise_event(Severity.INFO, "x", "site", "written a day ahead")
    clock.set(GOOD - dt.timedelta(days=1), allow_backwards=True)
    behind = TimeTrust(clock, store, synchronised=lambda: True, boot="b0").verdict()
    assert clock_reason(behind.reason).code == "records"
    floor = TimeTrust(
        VirtualClock(dt.datetime(1970, 1, 1, tzinfo=dt.UTC)), store, synchronised=lambda: True
    )
    assert clock_reason(floor.verdict().reason).values == {
        "now": "1970-01-01 00:00",
        "floor": f"{floor.floor:%Y-%m-%d}",
    }


def test_the_alarm_is_read_as_clock_untrusted_with_its_reason_whole(
    clock: VirtualClock, store: Store
) -> None:
    TrustAlarm(store).update(TimeTrust(clock, store, synchronised=lambda: False).verdict())
    (alarm,) = store.open_alarms()
    event = clock_event(alarm.message)
    assert event.code == "clock_untrusted" and event.values["now"] == "2027-06-01 10:00:00"
    assert clock_reason(event.values["reason"]).code == "source"
