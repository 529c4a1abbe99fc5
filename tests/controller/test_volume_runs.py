"""Runs by volume on a pulse meter, and the pulse meter's faults, against the simulated demo
devices on a virtual clock (real Modbus on loopback; the counter polled every 5 s).

The simulated meter registers the water with its own gain; "metered" below is what it
registered, the volume a run by volume is asked to deliver."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.runtime.sequencer import Recipe, VolumeError, check_volume, volume_due
from controller.store import RunState
from drivers.sim import Fault, FaultKind
from tests.helpers.pulses import COUNTER_DEVICE, PULSE_METER, PulseRig, pulse_site
from tests.helpers.rig import rig_on


def _rig(tmp_path: Path, **settings: float) -> Iterator[PulseRig]:
    yield from rig_on(pulse_site(tmp_path, **settings), tmp_path, PulseRig)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[PulseRig]:
    yield from _rig(tmp_path)


@pytest.mark.parametrize("target_m3", [2.0, 3.33])
def test_a_run_by_volume_ends_within_1_percent_of_its_target(
    rig: PulseRig, target_m3: float
) -> None:
    before = rig.meter_m3
    run_id = rig.sequencer.start("z1", 10, "manual", volume_m3=target_m3)
    assert rig.sequencer.active()[0].target_m3 == target_m3
    rig.run_until_idle(within_s=600)
    metered = rig.meter_m3 - before
    assert abs(metered - target_m3) / target_m3 < 0.01, metered
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE
    assert run.end_reason.startswith(f"target volume {target_m3:g} m3 reached")
    assert f"water by {PULSE_METER} totalizer" in run.end_reason
    # the run's record counts up to the counter's last poll: at most a poll's water short
    assert 0 <= target_m3 - run.applied_m3 <= 100 * 5 / 3600 + 0.02
    assert rig.all_coils_off() and rig.alarm_codes() == []


def test_a_run_that_cannot_reach_its_volume_ends_at_its_cap_named(rig: PulseRig) -> None:
    rig.sim.field.set_line_fault("z1", "clog", 0.5)  # half the water: 2 m3 needs 2.4 min
    run_id = rig.sequencer.start("z1", 1.5, "manual", volume_m3=2.0)
    assert rig.run_until_idle(within_s=120) == 90  # at the cap, not a second over
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE
    assert run.end_reason.startswith("time cap reached before the target volume: ")
    assert "of 2 m3 metered in 1.5 min" in run.end_reason
    assert run.applied_m3 == pytest.approx(1.25, abs=0.1)
    assert [e.code for e in rig.store.events() if e.code == "volume_cap"] == ["volume_cap"]
    assert rig.all_coils_off()


def test_a_dead_counter_stops_the_water_with_pulse_missing(tmp_path: Path) -> None:
    rig = next(r := _rig(tmp_path, no_pulse_s=15))
    try:
        run_id = rig.sequencer.start("z1", 10, "manual", volume_m3=10.0)
        rig.run(30)
        assert rig.sequencer.active() and rig.alarm_codes() == []
        rig.sim.devices[COUNTER_DEVICE].inject(Fault(FaultKind.STUCK, point="count1"))
        waited = rig.run_until_idle(within_s=60)
        # the last pulse was seen at most one counter poll before the fault
        assert waited <= 15 + PulseRig.COUNTER_POLL_S + 1
        assert rig.all_coils_off()
        assert rig.alarm_codes() == ["pulse_missing"]
        run = rig.store.get_run(run_id)
        assert run.state == RunState.ABORTED and "safety pulse_missing" in run.end_reason
        (alarm,) = rig.store.open_alarms()
        assert "pulse meter pm1 (dio1.count1): no pulse for over 15 s" in alarm.message
        ok, why = rig.supervisor.may_start("z1")
        assert not ok and "pulse_missing" in why
    finally:
        next(r, None)


def test_a_counter_reset_mid_run_is_named_and_adds_no_phantom_water(rig: PulseRig) -> None:
    run_id = rig.sequencer.start("z1", 2, "manual")
    rig.run(60)
    rig.sim.field.pulse_meters[PULSE_METER].power_loss()
    rig.run_until_idle(within_s=120)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE
    assert run.applied_m3 == pytest.approx(100 * 2 / 60, rel=0.03)  # not 2^32 pulses
    assert [n.code for n in rig.notes] == ["counter_reset"]
    assert rig.alarm_codes() == []


def test_a_run_by_volume_refused_names_the_zone_and_starts_nothing(rig: PulseRig) -> None:
    for volume, match in [
        (0.0, "target volume 0 m3 must be positive"),
        (-1.0, "must be positive"),
        (math.nan, "must be positive"),
        (10.01, r"10.01 m3 at its nominal 100 m3/h takes 6.0 min, more than the time cap"),
    ]:
        with pytest.raises(VolumeError, match=match):
            rig.sequencer.start("z1", 6, "manual", volume_m3=volume)
    assert rig.sequencer.active() == [] and rig.store.open_runs() == []
    rig.sequencer.start("z1", 6, "manual", volume_m3=10.0)  # exactly what the cap allows


def test_check_volume_at_under_and_over_the_cap() -> None:
    from controller.config.site import load_site
    from tests.helpers.site import DEMO_SITE

    zone = load_site(DEMO_SITE).zones[0]  # 100 m3/h
    check_volume(zone, 10.0, 6.0)  # at: 6 min
    check_volume(zone, 9.99, 6.0)  # under
    with pytest.raises(VolumeError, match="zone z1"):
        check_volume(zone, 10.01, 6.0)  # over
    with pytest.raises(VolumeError, match="ends by its phases"):
        check_volume(zone, 1.0, 6.0, Recipe(kg={"N": 1.0}))


def test_volume_due_predicts_from_the_flow_since_the_last_reading() -> None:
    # 36 m3/h = 0.01 m3/s; 0.95 m3 metered 4 s ago: 0.99 now, 0.995 half a tick on
    assert not volume_due(0.95, 1.0, 36.0, 4.0, 1.0)
    assert volume_due(0.95, 1.0, 36.0, 4.5, 1.0)  # 0.995 + 0.005: the nearer tick
    assert volume_due(1.0, 1.0, 0.0, 0.0, 1.0)  # reached, whatever the flow
    assert not volume_due(0.5, 1.0, 0.0, 100.0, 1.0)  # no flow: nothing predicted
    # a tick of 4 s: half of it at 36 m3/h is 0.02 m3, nearer than the next tick
    assert volume_due(0.985, 1.0, 36.0, 0.0, 4.0)
    assert not volume_due(0.975, 1.0, 36.0, 0.0, 4.0)


def test_pulse_missing_trips_just_over_no_pulse_s_not_at_it(tmp_path: Path) -> None:
    rig = next(r := _rig(tmp_path, no_pulse_s=15))
    try:
        rig.sequencer.start("z1", 10, "manual")
        rig.run(30)
        while int(rig.clock.monotonic()) % PulseRig.COUNTER_POLL_S:
            rig.run(1)  # to just after a counter poll: the last pulse is seen now
        rig.sim.devices[COUNTER_DEVICE].inject(Fault(FaultKind.STUCK, point="count1"))
        rig.run(15)  # at the limit: 15 s since the last pulse
        assert rig.sequencer.active() and rig.alarm_codes() == []
        rig.run(1)  # just over it
        assert rig.alarm_codes() == ["pulse_missing"] and rig.all_coils_off()
    finally:
        next(r, None)


def test_no_pulse_is_expected_before_the_pump_ran_no_pulse_s(tmp_path: Path) -> None:
    # a dead counter reads no flow: the dry-run rule held off, so the pulse rule is seen
    rig = next(r := _rig(tmp_path, no_pulse_s=15, dry_run_delay_s=60))
    try:
        rig.sim.devices[COUNTER_DEVICE].inject(Fault(FaultKind.STUCK, point="count1"))
        rig.sequencer.start("z1", 10, "manual")
        rig.run(15)  # a dead counter from the start: the pump has run only the limit
        assert rig.sequencer.active() and rig.alarm_codes() == []
        rig.run(2)
        assert rig.alarm_codes() == ["pulse_missing"] and rig.all_coils_off()
        (alarm,) = rig.store.open_alarms()
        assert "(never read)" in alarm.message  # no pulse since the daemon started
    finally:
        next(r, None)


def test_a_planned_depth_becomes_a_volume_with_a_cap_within_the_zones_limit() -> None:
    from controller.config.site import load_site
    from controller.runtime.sequencer import PLANNED_CAP_FACTOR, planned_volume
    from tests.helpers.site import DEMO_SITE

    zone = load_site(DEMO_SITE).zones[0]  # 100 m3/h
    area_m2 = zone.area_m2_value
    volume, cap = planned_volume(zone, 3.0, 20.0, 240.0)
    assert volume == pytest.approx(3.0 / 1000 * area_m2)
    need_min = volume / 100 * 60
    assert cap == pytest.approx(PLANNED_CAP_FACTOR * max(20.0, need_min))
    check_volume(zone, volume, cap)  # a planned run is never refused for its own cap
    _, held = planned_volume(zone, 3.0, 20.0, 1.0)
    assert held == 1.0  # the zone's limit holds: check_volume refuses it then
    with pytest.raises(VolumeError):
        check_volume(zone, volume, held)


def test_run_by_is_time_or_volume(tmp_path: Path) -> None:
    from controller.config.errors import ConfigError
    from controller.config.site import load_site
    from tests.helpers.site import DEMO_SITE

    text = DEMO_SITE.read_text(encoding="utf-8")
    path = tmp_path / "site.toml"
    path.write_text(text.replace('name = "z1"\n', 'name = "z1"\nrun_by = "volume"\n', 1))
    assert load_site(path).zones[0].run_by == "volume"
    path.write_text(text.replace('name = "z1"\n', 'name = "z1"\nrun_by = "litres"\n', 1))
    with pytest.raises(ConfigError, match=r"zones\[0\]\.run_by"):
        load_site(path)
