"""Paths that switch an output on, tried under the faults no other test gives them.

The demo site's devices as pymodbus servers on loopback with faults injected into them, and
the production daemon, sequencer, supervisor and store; fakes only at a seam (a store call
made to fail). Each test reads the relay module's own coils at the end: what is on in the
field, not what the box believes. The inventory of every path and its tests:
docs/reliability.md, "Every path that opens water, under faults".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.daemon.tickfailures import CONTROL_ERROR_SAFE_AFTER_S
from controller.runtime.end_reasons import end_parts
from controller.runtime.sequencer import OutputFailed, Recipe
from controller.simulation.harness import Simulation
from controller.store import RunSource, RunState, RunStateError
from drivers.sim import Fault, FaultKind
from tests.helpers.daemons import daemon_on, virtual_daemon_on
from tests.helpers.leases import assert_lease_closes
from tests.helpers.rig import RIG_START, Rig, rig_on
from tests.helpers.site import quick_site
from tests.helpers.switching import INJECTING_AFTER_S, queue_due, relay_on, step


@pytest.fixture
def daemon(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[Daemon]:
    yield from daemon_on(site, tmp_path)


def refuse_start_record(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store refuses to record a run's start (the seam: ``Store.start_run``), after the
    run's row was planned and its audit written, so after the start switched the water on.
    An unwritable disk does not do it (the store keeps the change in memory); a row that is
    no longer planned does: ``RunStateError`` is what ``start_run`` raises."""

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError("run 1 is aborted: cannot become running")

    monkeypatch.setattr(daemon.store, "start_run", refused)


def test_a_planned_start_the_store_cannot_record_after_the_valves_opened_closes_them(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Left alone the leases would be renewed for a run the box no longer holds, until
    max_run stopped them."""
    refuse_start_record(daemon, monkeypatch)
    queue_due(daemon, "z1", 10)
    daemon.control_tick()
    assert relay_on(sim) == []
    assert daemon.outputs.on_roles() == [] and daemon.sequencer.active() == []
    monkeypatch.undo()
    (refusal,) = [e for e in daemon.store.events() if e.code == "planned_run_refused"]
    assert "cannot become running" in refusal.message
    (run,) = daemon.store.runs("z1")
    assert run.state == RunState.ABORTED and "cannot become running" in run.end_reason
    assert end_parts(run.end_reason)[0].code == "start_not_recorded"  # said in zh
    for _ in range(3):
        daemon.control_tick()  # nothing renewed or switched on again
    assert relay_on(sim) == []


def test_a_manual_start_the_store_cannot_record_is_refused_with_the_water_closed(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages, the API and MQTT start a zone through the service."""
    refuse_start_record(daemon, monkeypatch)
    with pytest.raises(ControlRefused, match="cannot become running") as refused:
        DaemonService(daemon).start_zone("z2", 10, "tech")
    assert refused.value.code == "start_not_recorded"
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    monkeypatch.undo()
    (run,) = daemon.store.runs("z2")
    assert run.state == RunState.ABORTED and "cannot become running" in run.end_reason
    daemon.control_tick()
    assert relay_on(sim) == [] and daemon.store.open_alarms() == []


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_on(quick_site(tmp_path), tmp_path)


SHORT_LEASE_S = 3  # the shortest the site file allows: a lease watched in real time


@pytest.fixture
def short_lease_rig(tmp_path: Path) -> Iterator[Rig]:
    path = quick_site(tmp_path).path
    text = path.read_text(encoding="utf-8")
    assert "lease_s = 9 " in text
    path.write_text(text.replace("lease_s = 9 ", f"lease_s = {SHORT_LEASE_S} "), encoding="utf-8")
    yield from rig_on(load_site(path), tmp_path)


def test_a_valve_that_switched_but_reads_back_off_at_the_start_is_closed_and_alarmed(
    rig: Rig,
) -> None:
    """The relay went on; the read-back of the write answers 0 (a garbled coil read): the
    box cannot show it on, so the run is refused and the coil written off, in the field."""
    relay = rig.sim.devices["relay1"]
    relay.inject(Fault(FaultKind.GARBAGE, point="ch1", values=(0,)))
    with pytest.raises(OutputFailed, match="could not switch valve:z1 on"):
        rig.sequencer.start("z1", 10, RunSource.MANUAL)
    assert rig.all_coils_off() and rig.outputs.on_roles() == []
    (run,) = rig.store.runs("z1")
    assert run.state == RunState.ABORTED and "valve:z1" in run.end_reason
    (alarm,) = rig.store.open_alarms()
    assert alarm.code == "output_fault" and "valve:z1" in alarm.message
    relay.clear()
    rig.run(3)
    assert rig.all_coils_off()


def test_a_pump_write_left_unanswered_after_the_valves_opened_is_closed_by_their_lease(
    short_lease_rig: Rig,
) -> None:
    """The module does not answer the pump's write (a timeout, not an exception), nor then
    the switch-off: the valves it already opened are never renewed, and the module's own
    lease closes them."""
    rig = short_lease_rig
    relay = rig.sim.devices["relay1"]
    relay.inject(Fault(FaultKind.NO_ANSWER, point="ch8"))
    with pytest.raises(OutputFailed, match="could not switch pump on"):
        rig.sequencer.start("z1", 10, RunSource.MANUAL)
    assert rig.outputs.on_roles() == [] and rig.sequencer.active() == []
    assert_lease_closes(relay, ["ch1", "ch7"], SHORT_LEASE_S)
    rig.run(2)  # the box goes on; nothing switches them on again
    assert rig.all_coils_off() and not relay.get("ch8")
    (run,) = rig.store.runs("z1")
    assert run.state == RunState.ABORTED and "could not switch pump on" in run.end_reason
    (alarm,) = rig.store.open_alarms()
    assert alarm.code == "output_fault" and "no answer" in alarm.message


def start_injecting(rig: Rig) -> int:
    """A fertigation run of z1, run until the dosing pump injects; its run id."""
    run_id = rig.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
    rig.run(INJECTING_AFTER_S)
    doser = rig.sim.devices["doser1"]
    assert rig.coil("ch5") and doser.get("run") and rig.coil("ch1") and rig.coil("ch8")
    return run_id


def test_an_injector_supply_relay_the_module_refuses_stops_everything(rig: Rig) -> None:
    """The dosing pump's power (a leased relay, ch5) refused at the injection's start."""
    rig.sim.devices["relay1"].inject(Fault(FaultKind.EXCEPTION, point="ch5", code=4))
    run_id = rig.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
    rig.run(INJECTING_AFTER_S)
    assert rig.all_coils_off() and rig.outputs.on_roles() == []
    assert not rig.sim.devices["doser1"].get("run")
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "lease ch5" in run.end_reason
    (alarm,) = rig.store.open_alarms()
    assert alarm.code == "output_fault" and "lease ch5" in alarm.message
    assert not rig.supervisor.may_start("z1")[0]  # latched until acknowledged


def test_the_box_dying_mid_injection_leaves_the_dosing_pump_unpowered_by_the_lease(
    short_lease_rig: Rig,
) -> None:
    """kill -9 in the inject phase: nothing renews a lease again. The relay module drops
    the valve, master, pump and the dosing pump's supply by itself; the restart finds the
    run open and ends it ``interrupted``."""
    rig = short_lease_rig
    run_id = start_injecting(rig)  # then no tick again: the process is gone
    assert_lease_closes(rig.sim.devices["relay1"], ["ch1", "ch5", "ch7", "ch8"], SHORT_LEASE_S)
    restarted = Rig(rig.site, rig.sim, rig.store, rig.clock)
    try:
        assert restarted.sequencer.recover() == [run_id]
    finally:
        restarted.fieldio.close()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.INTERRUPTED and "daemon restart" in run.end_reason
    (event,) = [e for e in rig.store.events() if e.code == "run_interrupted"]
    assert f"run {run_id} of zone z1 interrupted" in event.message
    assert rig.all_coils_off()


@pytest.fixture
def quick_daemon(tmp_path: Path) -> Iterator[tuple[Daemon, Simulation, VirtualClock]]:
    """The daemon on the quick site's simulated field, on a virtual clock a test steps."""
    clock = VirtualClock(RIG_START)
    for daemon, sim in virtual_daemon_on(quick_site(tmp_path), tmp_path, clock, step_s=3600):
        yield daemon, sim, clock


def test_a_control_loop_failing_mid_injection_stops_the_dosing_pump_as_a_trip_does(
    quick_daemon: tuple[Daemon, Simulation, VirtualClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safe state of failing ticks: every run aborted, every output off, and the dosing
    pump's own run command 0 (what a safety trip leaves), not only its supply cut: a pump
    that keeps its registers would start dosing the moment its supply came back."""
    daemon, sim, clock = quick_daemon
    run_id = daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
    step(daemon, sim, clock, INJECTING_AFTER_S)
    doser = sim.devices["doser1"]
    assert relay_on(sim) == ["ch1", "ch5", "ch7", "ch8"] and doser.get("run")

    def broken(now: object) -> None:
        raise RuntimeError("a bug in the head works")

    monkeypatch.setattr(daemon.headworks, "tick", broken)
    step(daemon, sim, clock, int(CONTROL_ERROR_SAFE_AFTER_S) + 1)
    assert relay_on(sim) == [] and not doser.get("run")
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "a bug in the head works" in run.end_reason
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "control_error" and "a bug in the head works" in alarm.message


def test_a_planned_start_whose_valve_the_module_refuses_is_refused_and_the_loop_goes_on(
    daemon: Daemon, sim: Simulation
) -> None:
    """The planner's start meets a Modbus exception at the zone valve: the planned run is
    refused naming the output, the trip latches, and the control loop is not broken by it."""
    relay = sim.devices["relay1"]
    relay.inject(Fault(FaultKind.EXCEPTION, point="ch1", code=4))
    queue_due(daemon, "z1", 10)
    daemon.control_tick()
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    (refusal,) = [e for e in daemon.store.events() if e.code == "planned_run_refused"]
    assert "could not switch valve:z1 on" in refusal.message and "exception 4" in refusal.message
    assert [a.code for a in daemon.store.open_alarms()] == ["output_fault"]
    relay.clear()
    queue_due(daemon, "z1", 10)  # the next due run: held by the latched trip, not started
    daemon.control_tick()
    assert relay_on(sim) == []
    assert len([e for e in daemon.store.events() if e.code == "planned_run_refused"]) == 2
    assert "control_error" not in {e.code for e in daemon.store.events()}


def test_a_flow_meter_falling_silent_mid_injection_stops_the_dosing_pump_and_the_water(
    rig: Rig,
) -> None:
    """The meter stops answering in the inject phase: once its last reading is older than
    ``stale_after_s`` the supervisor stops everything, the dosing pump's run command too."""
    run_id = start_injecting(rig)
    doser = rig.sim.devices["doser1"]
    rig.sim.devices["flow1"].inject(Fault(FaultKind.NO_ANSWER))
    stale_after_s = int(rig.site.safety.stale_after_s)
    rig.run(stale_after_s + 2)
    assert rig.all_coils_off() and not doser.get("run")
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "flow_meter_stale" in run.end_reason
    assert [a.code for a in rig.store.open_alarms()] == ["flow_meter_stale"]


def test_a_refused_pump_and_a_store_refusing_the_runs_end_still_close_the_valves(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two faults at once: the module refuses the pump after the valves opened, and the
    store refuses to end the run (the seam: ``Store.finish_run``, raising what it raises
    for a row it will not change)."""

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError("run 1 is done: cannot become aborted")

    monkeypatch.setattr(rig.store, "finish_run", refused)
    rig.sim.devices["relay1"].inject(Fault(FaultKind.EXCEPTION, point="ch8", code=4))
    with pytest.raises(OutputFailed, match="could not switch pump on"):
        rig.sequencer.start("z1", 10, RunSource.MANUAL)
    assert rig.all_coils_off() and rig.outputs.on_roles() == []
    rig.run(3)
    assert rig.all_coils_off()
    (alarm,) = rig.store.open_alarms()
    assert alarm.code == "output_fault" and "could not switch pump on" in alarm.message
