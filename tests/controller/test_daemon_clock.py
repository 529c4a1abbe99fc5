"""A clock that may lie: the daemon on the simulated demo site, on a virtual clock that boots
at 1970, is set, confirmed, and stepped forward and back (devices on loopback, real store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.config.site import SiteConfig
from controller.daemon.protocol import ControlRefused
from controller.simulation.harness import Simulation
from controller.store import RunState
from hil_tests.clock_faults import ClockBox as Box
from hil_tests.clock_faults import box_site, local


@pytest.fixture
def base_site(tmp_path: Path) -> SiteConfig:
    """The demo site sown in 2027 (after the release floor); ``site`` is it on the field's
    ports."""
    return box_site(tmp_path)


@pytest.fixture
def box(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[Box]:
    b = Box(site, sim, tmp_path, local(2027, 6, 1, 1, 0))
    b.synced = True
    b.daemon.start(schedule=False)
    try:
        yield b
    finally:
        b.daemon.stop()
        b.daemon.fieldio.close()
        b.store.close()


def test_boot_at_1970_plans_nothing_until_the_date_is_set_and_confirmed(
    site: SiteConfig, sim: Simulation, tmp_path: Path
) -> None:
    b = Box(site, sim, tmp_path, dt.datetime(1970, 6, 1, 10, 0, tzinfo=dt.UTC))
    b.daemon.start(schedule=False)
    try:
        (alarm,) = b.alarms()
        assert "before 2026-12-01" in alarm and "the clock says 1970-06-01 10:00" in alarm
        assert b.daemon.plan() == [] and b.daemon.planned() == []
        assert b.store.decisions() == []  # not even a decision recorded at 1970
        with pytest.raises(ControlRefused) as refused:
            b.service.start_zone("z1", 5, actor="li")
        assert refused.value.code == "clock_untrusted" and "not trusted" in refused.value.reason
        status = b.service.status()
        assert not status.clock_trusted and "1970-06-01" in status.clock_note
        assert b.store.runs() == []
        with pytest.raises(ControlRefused) as refused:  # the date must be set first
            b.service.confirm_time(actor="admin")
        assert refused.value.code == "clock_not_confirmable"

        b.clock.set(local(2027, 6, 1, 18, 0))  # the technician sets the date; no NTP here
        b.daemon.check_time()
        (alarm,) = b.alarms()  # the reason changed: now only the source is missing
        assert "not synchronised" in alarm and "not confirmed" in alarm
        assert b.daemon.plan() == []

        b.service.confirm_time(actor="admin")  # the pages' button; `qanat confirm-time` alike
        assert b.daemon.check_time().trusted
        confirmed = b.store.last_audit("time.confirm")
        assert confirmed is not None and confirmed.actor == "admin"
        assert b.alarms() == []  # cleared by itself
        z4 = [r for r in b.daemon.plan() if r.zone == "z4"]
        assert [r.duration_min for r in z4] == [240, 240, 240]  # the calendar's June 1 flood
        assert b.service.status().clock_trusted
    finally:
        b.daemon.stop()
        b.daemon.fieldio.close()
        b.store.close()


def test_a_step_back_in_the_night_window_does_not_water_twice(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 58))
    box.queue(box.planned("z1", local(2027, 6, 2, 2, 0), 2))
    box.run(300)  # 02:03: the run is done
    (done,) = box.store.runs("z1")
    assert done.state == RunState.DONE
    box.clock.step(-3600)  # NTP: it was an hour earlier
    # A replanning that cannot see the run (stamped "in the future") plans the slot again.
    box.queue(box.planned("z1", box.clock.now() + dt.timedelta(seconds=30), 2))
    box.run(200)
    assert len(box.store.runs("z1")) == 1
    (skip,) = box.skips()
    assert "already ran" in skip and "stepped back" in skip


def test_a_step_forward_over_a_start_starts_it_once_within_its_slot(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 0))
    chunk1 = box.planned("z1", local(2027, 6, 2, 2, 0), 240)
    chunk2 = box.planned("z1", local(2027, 6, 2, 3, 30), 60)  # due too once the clock jumps
    box.queue(chunk1, chunk2)
    box.clock.step(3 * 3600)  # 04:00: chunk 1 is two hours late but inside its slot
    box.run(5)
    (run,) = box.store.runs("z1")
    assert run.state == RunState.RUNNING and run.decision_id == chunk1.decision_id
    (skip,) = box.skips()
    assert "already watering" in skip
    box.run(5)
    assert len(box.store.runs("z1")) == 1  # never two


def test_a_step_forward_past_a_whole_slot_records_the_skip(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 0))
    box.queue(box.planned("z2", local(2027, 6, 2, 2, 0), 30))
    box.clock.step(3 * 3600)
    box.run(3)
    assert box.store.runs("z2") == []
    (skip,) = box.skips()
    assert "past its slot" in skip and "120 min late" in skip
    assert box.daemon.planned() == []  # not left to start later


def test_a_run_lasts_its_monotonic_length_whatever_the_wall_clock_does(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 59))
    box.queue(box.planned("z3", box.clock.now() + dt.timedelta(seconds=1), 2))
    box.run(2)
    (run,) = box.store.runs("z3")
    assert run.state == RunState.RUNNING
    box.run(30)
    box.clock.step(3600)
    box.run(60)
    assert box.daemon.sequencer.active(), "a forward step must not end the run early"
    box.clock.step(-7200)
    box.run(25)
    assert box.daemon.sequencer.active(), "a backward step must not end it either"
    box.run(10)  # 2 + 30 + 60 + 25 + 10 = 127 s: past its 120 s
    ended = box.store.get_run(run.id or 0)
    assert ended.state == RunState.DONE and ended.end_reason.startswith("planned time reached")


def test_untrusted_mid_season_holds_the_queue_and_judges_it_when_trusted(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 50))
    box.queue(box.planned("z1", local(2027, 6, 2, 2, 0), 60))
    box.synced = False  # NTP lost, no confirmation: the clock is no longer believed
    box.clock.set(local(2027, 6, 2, 2, 5))
    box.run(2)
    assert box.store.runs("z1") == [] and len(box.daemon.planned()) == 1
    box.synced = True
    box.run(2)
    (run,) = box.store.runs("z1")  # started once, inside its slot
    assert run.state == RunState.RUNNING


def test_a_clock_untrusted_mid_run_ends_the_run_on_time_and_starts_nothing_more(
    box: Box,
) -> None:
    """NTP lost while z3 waters: the run keeps its monotonic length and closes its water;
    the next due run waits in the queue and a start by hand is refused naming the clock."""
    box.clock.set(local(2027, 6, 2, 1, 59))
    now = box.clock.now()
    box.queue(
        box.planned("z3", now + dt.timedelta(seconds=1), 1),
        box.planned("z1", now + dt.timedelta(seconds=40), 1),
    )
    box.run(2)
    (run,) = box.store.runs("z3")
    assert run.state == RunState.RUNNING
    box.synced = False  # and no confirmation: the wall clock is no longer believed
    box.run(20)
    assert len(box.alarms()) == 1  # clock_untrusted
    with pytest.raises(ControlRefused) as refused:
        box.service.start_zone("z2", 5, actor="li")
    assert refused.value.code == "clock_untrusted"
    box.run(40)  # 2 + 20 + 40 s: past the run's 60 s, and past z1's start
    ended = box.store.get_run(run.id or 0)
    assert ended.state == RunState.DONE and ended.end_reason.startswith("planned time reached")
    assert box.store.runs("z1") == [] and box.store.runs("z2") == []
    assert [r.zone for r in box.daemon.planned()] == ["z1"]
    relay = box.sim.devices["relay1"]
    assert [p.name for p in relay.profile.points if relay.get(p.name)] == []


def _tick_without_polls(box: Box, seconds: int) -> None:
    for _ in range(seconds):
        box.clock.advance(1)
        box.sim.field.step(1.0)
        box.daemon.control_tick()


def test_a_step_between_a_poll_and_the_tick_trips_nothing(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 59))
    box.queue(box.planned("z3", box.clock.now() + dt.timedelta(seconds=1), 10))
    box.run(20)
    assert box.daemon.sequencer.active()
    box.clock.step(3 * 3600)  # the flow reading just taken now looks three hours old by wall
    box.daemon.control_tick()
    assert box.store.open_alarms() == []
    assert box.daemon.sequencer.active(), "a clock step is no stale flow meter"


def test_after_a_backward_step_a_dead_flow_meter_still_goes_stale(box: Box) -> None:
    box.clock.set(local(2027, 6, 2, 1, 59))
    box.queue(box.planned("z3", box.clock.now() + dt.timedelta(seconds=1), 30))
    box.run(20)
    box.clock.step(-3600)  # the last flow reading now carries a time an hour ahead
    stale_after_s = int(box.daemon.site.safety.stale_after_s)
    _tick_without_polls(box, stale_after_s + 5)  # the meter answers no more
    codes = [e.code for e in box.store.open_alarms()]
    assert "flow_meter_stale" in codes, "a step back must not keep a dead meter fresh"
    assert not box.daemon.sequencer.active()
