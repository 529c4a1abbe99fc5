"""Faults a real field throws at the box, each with its safe outcome and nothing committed lost.

The season harness (``controller.simulation.season.Season``): the production daemon's jobs on
a virtual clock, real Modbus servers on loopback, the field's true soil and weather. Faults go in
through the simulated devices (``drivers.sim.Fault``) or the field's pipe (burst, no water)
and mixing (EC spike). The conventional strategy keeps the daemon from planning runs of its own, so
each test starts exactly the run it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.runtime.frozenmeter import FROZEN_MIN_POLLS
from controller.runtime.sequencer import OutputFailed, Recipe
from controller.simulation.season import Season, load_scenario
from controller.store import Event, RunState, Store
from drivers.sim import Fault, FaultKind
from hil_tests.helpers import (
    MID_SEASON,
    advance_until,
    assert_nothing_lost,
    coils,
    event_codes,
    open_codes,
    snapshot,
)
from tests.helpers.figures import Figures

OFF = [0.0] * 8
DAY_S = 86400 + 15 * 60  # a day, and past the close of the day (00:10)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Season]:
    """Mid-June, zones in manual (conventional strategy): only the runs a test starts."""
    with Season(
        load_scenario("zhangye-seed-corn"),
        "conventional",
        seed=2,
        workdir=tmp_path,
        start=MID_SEASON,
    ) as s:
        s.advance(30)
        yield s


def _store(rig: Season):  # type: ignore[no-untyped-def]
    assert rig.store is not None and rig.daemon is not None and rig.sim is not None
    return rig.store


def _start(rig: Season, minutes: float = 20, recipe: Recipe | None = None) -> int:
    assert rig.daemon is not None
    run_id = rig.daemon.sequencer.start("z1", minutes, "manual", recipe=recipe, actor="hil")
    rig.advance(60)
    assert coils(rig)[0] == 1.0 and coils(rig)[7] == 1.0, "z1 valve and pump on"
    return run_id


def _sensor_faults(rig: Season) -> list[Event]:
    return [e for e in _store(rig).events() if e.code == "sensor_fault"]


def _balance_note(rig: Season, zone: str, day: dt.date) -> str:
    rows = _store(rig).water_balance(zone, day, day)
    assert rows, f"no balance of {zone} on {day}"
    return rows[-1].notes


def test_probe_dropout_zone_falls_back_to_the_model_with_an_alarm(
    rig: Season, figures: Figures
) -> None:
    store = _store(rig)
    rig.advance(DAY_S)  # a day with both probes: the balance is probe-corrected
    before = snapshot(store)
    assert "probes 0.2 m" in _balance_note(rig, "z1", MID_SEASON)
    for probe in ("probe1a", "probe1b"):
        rig.sim.devices[probe].inject(Fault(FaultKind.NO_ANSWER))  # type: ignore[union-attr]
    figures.fault(detect_s=None)
    silent = {"probe1a", "probe1b"}
    detect_s = advance_until(rig, lambda: silent <= _offline(store), 2 * DAY_S, 30)
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    rig.advance(2 * DAY_S - detect_s)  # the day they fell silent still had a few good readings
    day = MID_SEASON + dt.timedelta(days=2)
    assert "no good probe reading" in _balance_note(rig, "z1", day)  # the model alone
    assert store.water_balance("z1", day, day)[-1].probe_correction_mm == 0.0
    assert "probes 0.2 m" in _balance_note(rig, "z2", day)  # the other zone keeps its probes
    assert_nothing_lost(before, store)


def test_probe_drift_out_of_range_is_not_used_and_raises_an_alarm(
    rig: Season, figures: Figures
) -> None:
    """The drifting moisture is flagged and left out (the zone's balance runs on the model and
    its sound probe), and a ``sensor_fault`` alarm names the point; irrigation goes on."""
    store = _store(rig)
    before = snapshot(store)
    # The whole probe drifts (moisture and temperature) until nothing it says is plausible.
    rig.sim.devices["probe1a"].inject(  # type: ignore[union-attr]
        Fault(FaultKind.DRIFT, rate_per_s=0.1)
    )
    figures.fault(detect_s=None)
    detect_s = advance_until(rig, lambda: "sensor_fault" in event_codes(rig), 2 * DAY_S, 60)
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    rig.advance(2 * DAY_S - detect_s)
    day = MID_SEASON + dt.timedelta(days=1)
    latest = [r for r in store.latest_readings("probe1a") if r.point == "moisture"]
    assert latest and latest[0].quality == "out_of_range"
    note = _balance_note(rig, "z1", day)
    assert "0.4 m" in note and "0.2 m" not in note  # only the sound probe corrects the model
    faults = [e for e in store.events() if e.code == "sensor_fault"]
    assert {e.source for e in faults} >= {"probe1a.moisture"} and all(e.latched for e in faults)
    assert "device_offline" not in event_codes(rig)  # the probe answers; its values are wrong
    ok, why = rig.daemon.supervisor.may_start("z1")  # type: ignore[union-attr]
    assert ok, why  # a sensor alarm never blocks water
    assert_nothing_lost(before, store)


def test_weather_station_garbage_falls_back_to_recent_et0(rig: Season, figures: Figures) -> None:
    store = _store(rig)
    rig.advance(DAY_S)
    before = snapshot(store)
    rig.sim.devices["wx1"].inject(  # type: ignore[union-attr]
        Fault(FaultKind.GARBAGE, values=(0x7FFF, 0xFFFF))
    )
    figures.fault(detect_s=None)
    # the technician is told by the point's sensor_fault, long before the day's ET0 is due
    within_s = rig.site.safety.stale_after_s + 300
    detect_s = advance_until(
        rig, lambda: any(e.source.startswith("wx1.") for e in _sensor_faults(rig)), within_s, 30
    )
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    rig.advance(DAY_S - detect_s)
    day = MID_SEASON + dt.timedelta(days=1)
    row = store.water_balance("z1", day, day)[-1]
    assert "estimated" in row.method and row.et0_mm > 0  # ET0 of the recent days, said so
    assert "agronomy_weather_missing" in event_codes(rig)
    assert all(e.latched for e in _sensor_faults(rig))
    assert_nothing_lost(before, store)


def test_bus_timeout_of_the_flow_meter_stops_the_water(rig: Season, figures: Figures) -> None:
    store = _store(rig)
    run_id = _start(rig)
    before = snapshot(store)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.NO_ANSWER))  # type: ignore[union-attr]
    figures.fault(detect_s=None)
    within_s = rig.site.safety.stale_after_s + 60
    detect_s = advance_until(rig, lambda: "flow_meter_stale" in open_codes(rig), within_s, 1)
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    rig.advance(within_s - detect_s)
    figures.add("unsafe_water_events", int(coils(rig) != OFF))
    assert coils(rig) == OFF
    assert store.get_run(run_id).state == RunState.ABORTED
    assert "flow_meter_stale" in open_codes(rig)
    assert_nothing_lost(before, store)


def test_a_flow_meter_frozen_mid_run_stops_the_water(rig: Season, figures: Figures) -> None:
    """The meter answers every poll with the registers it had: its totalizer stands still
    while the rate it reports says the zone's water passes."""
    store = _store(rig)
    run_id = _start(rig)
    before = snapshot(store)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK))  # type: ignore[union-attr]
    figures.fault(detect_s=None)
    poll_s = next(d.poll_interval_s for d in rig.site.devices if d.name == "flow1")
    within_s = (FROZEN_MIN_POLLS + 2) * poll_s
    detect_s = advance_until(rig, lambda: "flow_meter_frozen" in open_codes(rig), within_s, 1)
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    rig.advance(10)
    figures.add("unsafe_water_events", int(coils(rig) != OFF))
    assert coils(rig) == OFF
    run = store.get_run(run_id)
    assert run.state == RunState.ABORTED and "flow_meter_frozen" in run.end_reason
    assert_nothing_lost(before, store)


def test_stuck_valve_read_back_mismatch_switches_everything_off(
    rig: Season, figures: Figures
) -> None:
    store = _store(rig)
    before = snapshot(store)
    rig.sim.devices["relay1"].inject(Fault(FaultKind.STUCK, point="ch1"))  # type: ignore[union-attr]
    assert rig.daemon is not None
    figures.fault(detect_s=None)
    with pytest.raises(OutputFailed):
        rig.daemon.sequencer.start("z1", 20, "manual", actor="hil")
    assert "output_fault" in open_codes(rig)  # at the write that failed its read-back
    figures.fault(detect_s=0.0, output=True, tried=False)
    rig.advance(30)
    figures.add("unsafe_water_events", int(coils(rig) != OFF))
    assert coils(rig) == OFF
    assert not rig.daemon.sequencer.active()
    assert_nothing_lost(before, store)


def test_burst_pipe_trips_on_flow_above_nominal(rig: Season, figures: Figures) -> None:
    store = _store(rig)
    run_id = _start(rig)
    before = snapshot(store)
    rig.sim.field.pipe_flow_factor = 2.5  # a lateral torn open  # type: ignore[union-attr]
    # The burst flow also raises the filter's pressure drop, so the head works backflush the
    # filter, and the supervisor does not call flow through the flush valve a burst: the trip
    # comes after the backflush at the latest.
    figures.fault(detect_s=None)
    within_s = rig.site.safety.burst_delay_s + rig.site.head.backflush_s + 40
    detect_s = advance_until(rig, lambda: "burst" in open_codes(rig), within_s, 1)
    figures.fault(detect_s=detect_s, tried=False)
    rig.advance(within_s - detect_s)
    figures.add("unsafe_water_events", int(coils(rig) != OFF))
    assert coils(rig) == OFF
    assert store.get_run(run_id).state == RunState.ABORTED
    assert "burst" in open_codes(rig)
    assert_nothing_lost(before, store)


def test_no_flow_with_the_pump_on_trips_dry_run(rig: Season, figures: Figures) -> None:
    store = _store(rig)
    run_id = _start(rig)
    before = snapshot(store)
    rig.sim.field.pipe_flow_factor = 0.0  # type: ignore[union-attr]
    figures.fault(detect_s=None)
    within_s = rig.site.safety.dry_run_delay_s + 15
    detect_s = advance_until(rig, lambda: "dry_run" in open_codes(rig), within_s, 1)
    figures.fault(detect_s=detect_s, tried=False)
    rig.advance(within_s - detect_s)
    figures.add("unsafe_water_events", int(coils(rig) != OFF))
    assert coils(rig) == OFF
    assert store.get_run(run_id).state == RunState.ABORTED
    assert "dry_run" in open_codes(rig)
    assert_nothing_lost(before, store)


def test_ec_spike_during_injection_cuts_the_injection(rig: Season, figures: Figures) -> None:
    store = _store(rig)
    assert rig.site.fertigation is not None
    minutes = rig.site.fertigation.prewet_min + rig.site.fertigation.flush_min + 40
    run_id = _start(rig, minutes, Recipe(kg={"N": 5.0}))
    rig.advance(rig.site.fertigation.prewet_min * 60 + 120)  # into the injection
    assert coils(rig)[4] == 1.0, "dosing pump powered"
    before = snapshot(store)
    rig.sim.field.ec_offset_ms_cm = 5.0  # type: ignore[union-attr]
    figures.fault(detect_s=None)
    detect_s = advance_until(rig, lambda: "ec_high" in open_codes(rig), 30, 1)
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    rig.advance(30 - detect_s)
    assert coils(rig)[4] == 0.0  # injector power cut
    assert rig.sim.devices["doser1"].get("run") == 0.0  # type: ignore[union-attr]
    assert "ec_high" in open_codes(rig)
    rig.sim.field.ec_offset_ms_cm = 0.0  # type: ignore[union-attr]
    rig.advance(minutes * 60)
    assert coils(rig) == OFF
    assert store.get_run(run_id).state in (RunState.DONE, RunState.ABORTED)
    assert_nothing_lost(before, store)


def test_relay_module_power_cycle_leaves_everything_off(rig: Season, figures: Figures) -> None:
    store = _store(rig)
    run_id = _start(rig)
    before = snapshot(store)
    relay = rig.sim.devices["relay1"]  # type: ignore[union-attr]
    for ch in range(1, 9):  # power lost: every coil drops
        relay.set(f"ch{ch}", 0)
    relay.inject(Fault(FaultKind.NO_ANSWER, for_s=20))  # and the module is silent a while
    figures.fault(detect_s=None)
    codes = {"output_fault", "lease_renewal", "dry_run"}
    detect_s = advance_until(rig, lambda: bool(open_codes(rig) & codes), 120, 1)
    figures.fault(detect_s=detect_s, output=True, tried=False)
    rig.advance(120 - detect_s)
    figures.add("unsafe_water_events", int(coils(rig) != OFF))
    assert coils(rig) == OFF  # nothing switched back on once it answers again
    assert store.get_run(run_id).state == RunState.ABORTED
    assert_nothing_lost(before, store)


def test_daemon_restart_mid_run_records_interrupted_and_does_not_water_twice(
    rig: Season,
) -> None:
    store = _store(rig)
    run_id = _start(rig)
    rig.advance(120)
    before = snapshot(store)
    rig.restart_daemon()  # the old one dropped as if it had crashed
    assert coils(rig) == OFF  # the new one starts fail-safe
    run = store.get_run(run_id)
    assert run.state == RunState.INTERRUPTED and run.applied_m3 > 0
    rig.advance(600)
    assert coils(rig) == OFF and rig.daemon is not None and not rig.daemon.sequencer.active()
    assert_nothing_lost(before, store)


@pytest.mark.parametrize("jump_h", [3.0, -3.0])
def test_clock_jump_with_a_run_active(rig: Season, jump_h: float) -> None:
    store = _store(rig)
    run_id = _start(rig, minutes=10)
    before = snapshot(store)
    rig.clock.set(rig.clock.now() + dt.timedelta(hours=jump_h), allow_backwards=jump_h < 0)
    rig.advance(15 * 60)
    assert coils(rig) == OFF
    run = store.get_run(run_id)
    assert run.state in (RunState.DONE, RunState.ABORTED)
    assert run.applied_m3 <= 100 * 10 / 60 + 2  # never more water than asked (m³)
    assert "max_run" not in open_codes(rig)
    assert_nothing_lost(before, store)


def _offline(store: Store) -> set[str]:
    return {e.source for e in store.events() if e.code == "device_offline"}
