"""A relay module that acknowledges one coil's write and leaves the coil as it was.

A welded or open relay contact behind a module that reports its coil register, or firmware
that drops the write: the simulated module's ``stuck`` fault on one coil (the frame is
answered, the coil keeps its state, its lease timer too). Every path that switches a valve
or the pump is tried, on the production daemon over the quick site's field as pymodbus
servers on loopback; each test reads the relay module's own coils at the end. An "on" that
does not take ends in ``output_fault`` with the water closed and the run ended with its
reason; an "off" that does not take trips the safe state (everything else off) and the
alarm names the output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.daemon.tickfailures import CONTROL_ERROR_SAFE_AFTER_S
from controller.simulation.harness import Simulation
from controller.store import RunSource, RunState, RunStateError
from drivers.sim import Fault, FaultKind
from tests.helpers.daemons import virtual_daemon_on
from tests.helpers.rig import RIG_START
from tests.helpers.site import quick_site
from tests.helpers.switching import queue_due, relay_on, step

Field = tuple[Daemon, Simulation, VirtualClock]
WATERING = ("flow1", "press0", "press1")  # the head's meter and the filter's pressures


@pytest.fixture
def field(tmp_path: Path) -> Iterator[Field]:
    clock = VirtualClock(RIG_START)
    for daemon, sim in virtual_daemon_on(quick_site(tmp_path), tmp_path, clock, step_s=3600):
        yield daemon, sim, clock
        sim.devices["relay1"].clear()  # the teardown's switch-off takes


def ignore_writes(sim: Simulation, coil: str) -> None:
    """The module answers every write of ``coil`` and leaves it as it is."""
    sim.devices["relay1"].inject(Fault(FaultKind.STUCK, point=coil))


def alarm_codes(daemon: Daemon) -> list[str]:
    return [a.code for a in daemon.store.open_alarms()]


@pytest.mark.parametrize(
    ("coil", "role"), [("ch1", "valve:z1"), ("ch7", "master_valve"), ("ch8", "pump")]
)
def test_a_manual_start_whose_on_does_not_take_ends_in_output_fault_with_the_water_closed(
    field: Field, coil: str, role: str
) -> None:
    daemon, sim, clock = field
    ignore_writes(sim, coil)
    with pytest.raises(ControlRefused, match=f"could not switch {role} on"):
        DaemonService(daemon).start_zone("z1", 10, "tech")
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    (run,) = daemon.store.runs("z1")
    assert run.state == RunState.ABORTED and f"could not switch {role} on" in run.end_reason
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and role in alarm.message
    step(daemon, sim, clock, 3, WATERING)
    assert relay_on(sim) == [] and alarm_codes(daemon) == ["output_fault"]


def test_a_planned_start_whose_pump_does_not_take_is_refused_with_the_valves_closed(
    field: Field,
) -> None:
    daemon, sim, clock = field
    ignore_writes(sim, "ch8")
    queue_due(daemon, "z1", 10)
    step(daemon, sim, clock, 1, WATERING)
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    (refusal,) = [e for e in daemon.store.events() if e.code == "planned_run_refused"]
    assert "could not switch pump on" in refusal.message
    (run,) = daemon.store.runs("z1")
    assert run.state == RunState.ABORTED and "could not switch pump on" in run.end_reason
    assert alarm_codes(daemon) == ["output_fault"]


def filter_clogged(sim: Simulation) -> None:
    """The pressure before the filter far above the one after: a backflush falls due."""
    press0 = sim.devices["press0"]
    press0.set("line_pressure", 400.0)
    press0.inject(Fault(FaultKind.STUCK, point="line_pressure"))  # the field cannot move it


BACKFLUSH_DUE_S = 30  # the pump settles 15 s, dp high 10 s


def test_a_backflush_valve_whose_on_does_not_take_stops_the_water(field: Field) -> None:
    daemon, sim, clock = field
    filter_clogged(sim)
    ignore_writes(sim, "ch6")
    run_id = daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, BACKFLUSH_DUE_S, WATERING)
    (failed,) = [e for e in daemon.store.events() if e.code == "backflush_failed"]
    assert "backflush not started" in failed.message
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "backflush_valve" in run.end_reason
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and "backflush_valve" in alarm.message


def test_a_backflush_valve_whose_off_does_not_take_trips_the_safe_state(field: Field) -> None:
    daemon, sim, clock = field
    filter_clogged(sim)
    run_id = daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, BACKFLUSH_DUE_S, WATERING)
    assert daemon.headworks.backflushing() and "ch6" in relay_on(sim)
    ignore_writes(sim, "ch6")  # welded on
    backflush_s = int(daemon.site.head.backflush_s)
    step(daemon, sim, clock, backflush_s, WATERING)
    assert relay_on(sim) == ["ch6"]  # the pump, master and zone valve off; the valve welded
    (failed,) = [e for e in daemon.store.events() if e.code == "backflush_failed"]
    assert "backflush valve not switched off" in failed.message
    assert daemon.store.get_run(run_id).state == RunState.ABORTED
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and "backflush_valve" in alarm.message


@pytest.mark.parametrize(("coil", "role"), [("ch1", "valve:z1"), ("ch8", "pump")])
def test_a_stop_whose_off_does_not_take_trips_the_safe_state_naming_the_output(
    field: Field, coil: str, role: str
) -> None:
    daemon, sim, clock = field
    run_id = daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, 2, WATERING)
    ignore_writes(sim, coil)  # welded on
    DaemonService(daemon).stop_zone("z1", "tech")
    assert relay_on(sim) == [coil] and daemon.outputs.on_roles() == []
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "could not switch off" in run.end_reason
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and alarm.severity == "critical"
    assert f"could not switch off: {role}" in alarm.message
    sim.devices["relay1"].clear(coil)  # the contact comes free: off at the next check
    step(daemon, sim, clock, 1, WATERING)
    assert relay_on(sim) == []


def test_a_safety_trip_whose_valve_does_not_go_off_switches_the_rest_off_and_says_so(
    field: Field,
) -> None:
    """The flow meter falls silent mid-run (``flow_meter_stale``) while the zone valve's
    contact is welded: the pump and master go off, the alarm names the valve left on."""
    daemon, sim, clock = field
    run_id = daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, 2, WATERING)
    ignore_writes(sim, "ch1")
    sim.devices["flow1"].inject(Fault(FaultKind.NO_ANSWER))
    step(daemon, sim, clock, int(daemon.site.safety.stale_after_s) + 2, WATERING)
    assert relay_on(sim) == ["ch1"] and daemon.outputs.on_roles() == []
    assert daemon.store.get_run(run_id).state == RunState.ABORTED
    (alarm,) = [a for a in daemon.store.open_alarms() if a.code == "flow_meter_stale"]
    assert alarm.severity == "critical" and "could not switch off: valve:z1" in alarm.message


def test_the_control_loops_safe_state_with_a_welded_pump_says_it_is_not_off(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon, sim, clock = field
    daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, 2, WATERING)
    ignore_writes(sim, "ch8")

    def broken(now: object) -> None:
        raise RuntimeError("a bug in the head works")

    monkeypatch.setattr(daemon.headworks, "tick", broken)
    step(daemon, sim, clock, int(CONTROL_ERROR_SAFE_AFTER_S) + 1, WATERING)
    assert relay_on(sim) == ["ch8"] and daemon.outputs.on_roles() == []
    messages = [a.message for a in daemon.store.open_alarms() if a.code == "control_error"]
    assert any("not verified off: pump" in m for m in messages), messages


def test_a_stop_whose_pump_off_does_not_take_and_whose_end_is_refused_trips_the_safe_state(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pump's contact welded and the store refusing the run's end (seam: a row it will
    not change): the trip still switches the master and the zone valve off and alarms."""
    daemon, sim, clock = field
    daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, 2, WATERING)
    ignore_writes(sim, "ch8")

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError("run 1 is aborted: cannot be changed")

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    with pytest.raises(RunStateError):
        daemon.sequencer.stop("z1", "tech")
    assert relay_on(sim) == ["ch8"] and daemon.outputs.on_roles() == []
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and "could not switch off: pump" in alarm.message
    step(daemon, sim, clock, 3, WATERING)  # past the leases: nothing renewed
    assert relay_on(sim) == ["ch8"] and daemon.sequencer.active() == []
