"""Sequencer and supervisor against the demo site's simulated devices, on a virtual clock.

Real pymodbus servers on free ports (``controller.simulation.harness``), the real bus
owners, a real store; the field is stepped by hand one virtual second at a
time, so every scenario runs in well under a second of simulated minutes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.runtime.sequencer import (
    CapacityExceeded,
    DurationError,
    OutputFailed,
    Recipe,
    RunRefused,
)
from controller.store import RunPhase, RunState
from drivers.sim import Fault, FaultKind
from tests.helpers.rig import Rig, rig_on
from tests.helpers.site import quick_site


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_on(quick_site(tmp_path), tmp_path)


def test_normal_run_switches_in_order_and_records_the_water(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 2, "manual")
    assert rig.outputs.log == [("on", "valve:z1"), ("on", "master_valve"), ("on", "pump")]
    assert rig.coil("ch1") and rig.coil("ch7") and rig.coil("ch8")
    rig.run(60)
    (active,) = rig.sequencer.active()
    assert active.run_id == run_id and 50 <= active.remaining_s <= 60
    assert rig.store.get_run(run_id).applied_m3 > 0  # progress recorded on the way
    rig.run(61)
    assert rig.sequencer.active() == []
    assert rig.outputs.log[3:] == [("off", "pump"), ("off", "master_valve"), ("off", "valve:z1")]
    assert rig.all_coils_off()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE
    assert "water by flow1 totalizer" in run.end_reason
    # 100 m3/h for 2 min; the simulated meter's totalizer counts whole m3
    assert run.applied_m3 == pytest.approx(100 * 2 / 60, abs=1.05)
    assert rig.alarm_codes() == []


def test_refusals_are_typed(rig: Rig) -> None:
    """Typed, and each with the code a page says it by."""
    with pytest.raises(DurationError) as duration:
        rig.sequencer.start("z1", 241, "manual")
    assert duration.value.code == "duration_out_of_bounds"
    rig.sequencer.start("z1", 5, "manual")
    with pytest.raises(CapacityExceeded) as capacity:
        rig.sequencer.start("z3", 5, "manual")  # 200 m3/h > pump capacity 120
    assert capacity.value.code == "capacity_exceeded"
    rig.sequencer.pause(rig.clock.now().replace(hour=13))
    assert rig.sequencer.active() == [] and rig.all_coils_off()
    with pytest.raises(RunRefused, match="paused") as paused:
        rig.sequencer.start("z1", 5, "manual")
    assert paused.value.code == "paused"
    rig.sequencer.resume()
    rig.sequencer.start("z1", 5, "manual")


def test_manual_stop_aborts_with_the_reason(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.run(30)
    rig.sequencer.stop("z1", "manual stop by tech1", actor="tech1")
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and run.end_reason.startswith("manual stop by tech1")
    assert run.applied_m3 > 0.5
    assert rig.all_coils_off()


def test_max_run_time_closes_everything(rig: Rig) -> None:
    # z2 may run 1 min; its valve is opened behind the sequencer's back.
    for role in ("valve:z2", "master_valve", "pump"):
        rig.outputs.on(role)
    rig.run(59)
    assert rig.coil("ch2")
    rig.run(3)
    assert rig.all_coils_off()
    (alarm,) = rig.store.open_alarms()
    assert alarm.code == "max_run" and "zone z2" in alarm.message and "> 1 min" in alarm.message
    ok, why = rig.supervisor.may_start("z1")
    assert not ok and "max_run" in why
    with pytest.raises(RunRefused):
        rig.sequencer.start("z1", 5, "manual")
    assert alarm.id is not None
    rig.store.ack_event(alarm.id, "tech1")
    assert rig.supervisor.may_start("z1") == (True, "")


def test_back_to_back_runs_are_timed_from_their_own_start(rig: Rig) -> None:
    """A long irrigation split into runs: the valve goes off and on within one check."""
    for role in ("valve:z2", "master_valve", "pump"):
        rig.outputs.on(role)
    rig.run(50)
    rig.outputs.off("valve:z2")
    rig.outputs.on("valve:z2")  # no supervisor check in between
    rig.run(40)  # 90 s since the first opening, 40 s since the second: within z2's 1 min
    assert rig.coil("ch2") and rig.alarm_codes() == []
    rig.run(25)
    assert rig.alarm_codes() == ["max_run"] and rig.all_coils_off()


def test_dry_run_stops_the_run(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.sim.devices["flow1"].set("flow_rate", 0.0)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rig.run(8)
    assert rig.all_coils_off()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "dry run: pump on" in run.end_reason
    assert "flow 0.0 m3/h < 2" in run.end_reason
    assert rig.alarm_codes() == ["dry_run"]


def test_burst_stops_the_run(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.run(3)
    rig.sim.devices["flow1"].set("flow_rate", 400.0)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rig.run(8)
    assert rig.all_coils_off()
    assert rig.store.get_run(run_id).state == RunState.ABORTED
    assert rig.alarm_codes() == ["burst"]
    assert "flow 400.0 m3/h > 150.0" in rig.store.open_alarms()[0].message


def test_backflush_flow_is_not_a_burst(rig: Rig) -> None:
    """Water leaving through the filter's flush valve raises the head flow for a minute."""
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.run(3)
    rig.outputs.on("backflush_valve")
    rig.sim.devices["flow1"].set("flow_rate", 400.0)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rig.run(8)
    assert rig.store.get_run(run_id).state == RunState.RUNNING
    assert "burst" not in rig.alarm_codes()
    rig.outputs.off("backflush_valve")
    rig.run(8)  # the same flow without the flush valve open is a burst
    assert rig.alarm_codes() == ["burst"] and rig.all_coils_off()


def test_stuck_valve_is_an_output_fault(rig: Rig) -> None:
    rig.sim.devices["relay1"].inject(Fault(FaultKind.STUCK, point="ch1"))
    with pytest.raises(OutputFailed):
        rig.sequencer.start("z1", 10, "manual")
    assert rig.all_coils_off() and rig.outputs.on_roles() == []
    assert rig.alarm_codes() == ["output_fault"]
    (run,) = rig.store.runs()
    assert run.state == RunState.ABORTED
    rig.run(3)  # the same failure is not reported again
    assert rig.alarm_codes() == ["output_fault"]


def test_flow_meter_bus_loss_stops_water(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.run(3)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.NO_ANSWER))
    rig.run(9)
    assert rig.coil("ch8")  # within stale_after_s the last good flow stands
    rig.run(4)
    assert rig.all_coils_off()
    assert rig.store.get_run(run_id).state == RunState.ABORTED
    assert rig.alarm_codes() == ["flow_meter_stale"]


def _injecting(rig: Rig) -> bool:
    return rig.coil("ch5") or bool(rig.sim.devices["doser1"].get("run"))


def test_fertigation_run_prewets_injects_flushes_and_records_kg(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    rig.run(29)
    assert not _injecting(rig)
    rig.run(2)
    assert _injecting(rig) and rig.sequencer.active()[0].phase is RunPhase.INJECT
    setpoint = rig.sim.devices["doser1"].get("rate_setpoint")
    assert setpoint == pytest.approx(600, rel=0.05)  # 2 kg / 200 kg/m3 over 1 min, nominal flow
    assert not rig.coil("ch6")  # no backflush while injecting
    rig.run(60)
    assert not _injecting(rig) and rig.sequencer.active()[0].phase is RunPhase.FLUSH
    rig.run(80)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE, run.end_reason
    assert run.fertilizer["N"] == pytest.approx(2.0, rel=0.05)
    assert "fertilizer by doser1 setpoint × time" in run.end_reason
    assert rig.all_coils_off() and rig.alarm_codes() == []


def test_injector_rate_is_written_on_change_and_refreshed_not_every_tick(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = rig.fieldio.bus_of("doser1")
    writes: list[tuple[float, float]] = []
    real = bus.write_point

    def spy(device: str, point: str, value: float) -> None:
        if point == "rate_setpoint":
            writes.append((rig.clock.monotonic(), value))
        real(device, point, value)

    monkeypatch.setattr(bus, "write_point", spy)
    rig.sequencer.start("z1", 4, "manual", recipe=Recipe(kg={"N": 4.0}))
    rig.run(31)
    assert _injecting(rig) and len(writes) == 1
    rig.run(120)  # steady flow: only the refreshes
    assert _injecting(rig)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(writes)]
    assert 4 <= len(writes) <= 6 and all(g <= 31 for g in gaps), writes
    flow = rig.sim.devices["flow1"].get("flow_rate")
    rig.sim.devices["flow1"].set("flow_rate", flow / 2)  # half the water: the dose follows at once
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rig.run(3)
    assert writes[-1][1] == pytest.approx(writes[0][1] / 2, rel=0.1)
    assert rig.sim.devices["doser1"].get("rate_setpoint") == pytest.approx(writes[-1][1])


def test_ec_spike_stops_injection_not_water(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    rig.run(35)
    assert _injecting(rig)
    rig.sim.devices["ec1"].set("ec", 6.0)
    rig.sim.devices["ec1"].inject(Fault(FaultKind.STUCK, point="ec"))
    rig.run(2)
    assert not _injecting(rig) and rig.coil("ch8")  # water keeps flowing to flush
    assert rig.alarm_codes() == ["ec_high"]
    assert "EC 6.00 mS/cm > 3.5" in rig.store.open_alarms()[0].message
    rig.sim.devices["ec1"].clear()
    rig.run(150)
    assert not _injecting(rig)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE and "injection stopped: safety ec_high" in run.end_reason
    assert 0 < run.fertilizer["N"] < 0.5
    ok, _ = rig.supervisor.may_start("z1", fertigation=True)
    assert not ok and rig.supervisor.may_start("z1") == (True, "")


def test_injection_never_starts_without_flow(rig: Rig) -> None:
    rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    rig.run(27)
    rig.sim.devices["flow1"].set("flow_rate", 0.0)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    for _ in range(12):
        rig.run(1)
        assert not _injecting(rig)
    assert rig.all_coils_off() and rig.alarm_codes() == ["dry_run"]


def test_low_tank_stops_injection_and_refuses_fertigation(rig: Rig) -> None:
    rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    rig.run(35)
    assert _injecting(rig)
    rig.sim.devices["tank_n"].set("level", 0.05)
    rig.sim.devices["tank_n"].inject(Fault(FaultKind.STUCK, point="level"))
    rig.run(6)
    assert not _injecting(rig) and rig.coil("ch8")
    assert rig.alarm_codes() == ["tank_low"]
    rig.sequencer.stop_all("test over")
    (alarm,) = rig.store.open_alarms()
    assert alarm.id is not None
    rig.store.ack_event(alarm.id, "tech1")
    with pytest.raises(RunRefused, match="tank urea"):
        rig.sequencer.start("z1", 4, "manual", recipe=Recipe(kg={"N": 2.0}))


def _metered_m3(rig: Rig) -> float:
    meter = rig.sim.devices["flow1"]
    return float(meter.get("total") or 0.0) + float(meter.get("total_fraction") or 0.0)


def _killed(rig: Rig, seconds: int) -> None:
    """The daemon is dead: the field goes on, the valves stay open (within their lease)."""
    for _ in range(seconds):
        rig.clock.advance(1)
        rig.sim.field.step(1.0)


def test_restart_credits_the_interrupted_run_the_meter_rise_since_its_progress(
    rig: Rig,
) -> None:
    before_m3 = _metered_m3(rig)
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.run(45)
    recorded = rig.store.get_run(run_id).applied_m3
    mark = rig.store.run_meter(run_id)
    assert recorded > 0.5 and mark is not None and mark.device == "flow1"
    _killed(rig, 8)  # the daemon dies with the valve open
    # A new one starts on the same store: all off, the meters read, then recover.
    after = Rig(rig.site, rig.sim, rig.store, rig.clock)
    try:
        assert after.outputs.all_off() == {}
        now_m3 = _metered_m3(rig)
        assert now_m3 - mark.total_m3 > 0.1  # the 8 s (and more) no progress recorded
        assert after.sequencer.recover("daemon restart") == [run_id]
        run = rig.store.get_run(run_id)
        assert run.state == RunState.INTERRUPTED
        assert run.applied_m3 == pytest.approx(recorded + now_m3 - mark.total_m3)
        assert run.applied_m3 == pytest.approx(now_m3 - before_m3, abs=0.01)  # the meter's
        assert rig.store.run_meter(run_id) is None  # ended: the mark is gone
        (event,) = [e for e in rig.store.events() if e.code == "run_interrupted"]
        credited = f"{now_m3 - mark.total_m3:.3f} m3 credited to run {run_id}"
        for said in (credited, f"{mark.total_m3:.3f} m3", f"{now_m3:.3f} m3"):
            assert said in event.message and said in run.end_reason
        assert rig.store.open_runs() == [] and after.sequencer.active() == []
        after.run(5)
        assert rig.all_coils_off()
    finally:
        after.fieldio.close()


def test_restart_with_the_meter_unreadable_keeps_the_recorded_water(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 10, "manual")
    rig.run(45)
    recorded = rig.store.get_run(run_id).applied_m3
    assert recorded > 0.5
    _killed(rig, 8)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.NO_ANSWER))
    after = Rig(rig.site, rig.sim, rig.store, rig.clock)
    try:
        assert after.outputs.all_off() == {}
        assert after.sequencer.recover("daemon restart") == [run_id]
        run = rig.store.get_run(run_id)
        assert run.state == RunState.INTERRUPTED and run.applied_m3 == recorded
        assert "flow1 totalizer unreadable at start" in run.end_reason
        (event,) = [e for e in rig.store.events() if e.code == "run_interrupted"]
        assert f"run {run_id} " in event.message and "unreadable" in event.message
    finally:
        after.fieldio.close()
