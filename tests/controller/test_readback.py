"""Outputs watched while they run: the daemon's read-back job against the simulated relay
module on loopback (real pymodbus server), faults injected into the module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.runtime.readback import IDLE_READBACK_EVERY_S, READBACK_EVERY_S
from controller.simulation.harness import Simulation
from controller.store import RunState, Severity, Store
from drivers.sim import Fault, FaultKind

START = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def daemon(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[Daemon]:
    """The production daemon, started fail-safe, its jobs called by the test on a virtual clock."""
    clock = VirtualClock(START)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        d = Daemon(site, store, clock)
        d.start(schedule=False)
        try:
            yield d
        finally:
            d.stop()


def coils_on(sim: Simulation) -> list[str]:
    relay = sim.devices["relay1"]
    return [f"ch{i}" for i in range(1, 9) if relay.get(f"ch{i}")]


def mismatch_alarms(daemon: Daemon) -> list[str]:
    return [e.message for e in daemon.store.open_alarms() if e.code == "output_mismatch"]


def start_run(daemon: Daemon, sim: Simulation) -> int:
    run_id = daemon.sequencer.start("z1", 20, "manual", actor="test")
    assert coils_on(sim) == ["ch1", "ch7", "ch8"]  # valve, master, pump
    assert daemon.readback.poll() == []  # everything reads as commanded
    return run_id


def assert_stopped(daemon: Daemon, sim: Simulation, run_id: int) -> None:
    assert daemon.store.get_run(run_id).state == RunState.ABORTED
    assert "output_mismatch" in daemon.store.get_run(run_id).end_reason
    assert daemon.outputs.on_roles() == []
    assert coils_on(sim) == []


def test_the_daemon_schedules_the_read_back_every_second(daemon: Daemon) -> None:
    jobs = {j.name: j for j in daemon.jobs()}
    assert jobs["readback"].every_s == READBACK_EVERY_S == 1.0
    assert jobs["readback"].func == daemon.readback.poll


def test_every_coil_reading_1_during_a_run_stops_it_within_one_poll(
    daemon: Daemon, sim: Simulation
) -> None:
    run_id = start_run(daemon, sim)
    sim.devices["relay1"].inject(Fault(FaultKind.GARBAGE, values=(1,)))  # firmware gone mad
    found = daemon.readback.poll()  # the first poll after the fault
    assert {m.point for m in found} == {"ch2", "ch3", "ch4", "ch5", "ch6"}
    assert all(m.read and not m.commanded for m in found)
    [message] = mismatch_alarms(daemon)
    [event] = [e for e in daemon.store.open_alarms() if e.code == "output_mismatch"]
    assert event.severity == Severity.CRITICAL and event.latched
    assert "relay1 (unit 1 on bus 'head')" in message
    assert "ch2 [valve:z2] commanded off, read on" in message
    assert "coils read 1,1,1,1,1,1,1,1" in message
    assert "could not switch off" in message  # the module still answers 1: not verified off
    assert_stopped(daemon, sim, run_id)  # the writes went through: the coils are off
    ok, why = daemon.supervisor.may_start("z2")
    assert not ok and "output_mismatch" in why  # no new run until someone acknowledges
    daemon.readback.poll()  # still garbage: switched off again, no second alarm
    assert len(mismatch_alarms(daemon)) == 1


def test_a_commanded_on_valve_reading_off_stops_the_run_within_one_poll(
    daemon: Daemon, sim: Simulation
) -> None:
    run_id = start_run(daemon, sim)
    sim.devices["relay1"].inject(Fault(FaultKind.GARBAGE, point="ch1", values=(0,)))
    [m] = daemon.readback.poll()
    assert (m.point, m.role, m.commanded, m.read) == ("ch1", "valve:z1", True, False)
    [message] = mismatch_alarms(daemon)
    assert "ch1 [valve:z1] commanded on, read off" in message
    assert "coils read 0,0,0,0,0,0,1,1" in message
    assert_stopped(daemon, sim, run_id)


def test_a_relay_switching_on_by_itself_while_idle_is_caught_and_switched_off(
    daemon: Daemon, sim: Simulation
) -> None:
    clock = daemon.clock
    assert isinstance(clock, VirtualClock)
    assert daemon.readback.poll() == []  # the first idle read
    polls = daemon.readback.polls
    sim.devices["relay1"].set("ch3", 1)  # nothing commanded it
    assert daemon.readback.poll() == []  # idle: not due yet
    assert daemon.readback.polls == polls
    clock.advance(IDLE_READBACK_EVERY_S)
    [m] = daemon.readback.poll()
    assert (m.point, m.role, m.commanded, m.read) == ("ch3", "valve:z3", False, True)
    [message] = mismatch_alarms(daemon)
    assert "ch3 [valve:z3] commanded off, read on" in message
    assert coils_on(sim) == []
    assert daemon.readback.poll() == []  # reads off now: the episode is over
    assert not daemon.readback.busy()


def test_one_unreadable_poll_is_tolerated(daemon: Daemon, sim: Simulation) -> None:
    run_id = start_run(daemon, sim)
    relay = sim.devices["relay1"]
    relay.inject(Fault(FaultKind.NO_ANSWER))
    assert daemon.readback.poll() == []  # one lost poll: the next decides
    relay.clear()
    assert daemon.readback.poll() == []
    assert mismatch_alarms(daemon) == []
    assert daemon.store.get_run(run_id).state == RunState.RUNNING


def test_a_module_silent_for_two_polls_during_a_run_stops_everything(
    daemon: Daemon, sim: Simulation
) -> None:
    run_id = start_run(daemon, sim)
    sim.devices["relay1"].inject(Fault(FaultKind.NO_ANSWER))
    assert daemon.readback.poll() == []
    found = daemon.readback.poll()
    assert {(m.role, m.read) for m in found} == {
        ("valve:z1", None),
        ("master_valve", None),
        ("pump", None),
    }
    [message] = mismatch_alarms(daemon)
    assert "ch8 [pump] commanded on, unreadable: " in message and "2 polls in a row" in message
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.ABORTED
    assert daemon.outputs.on_roles() == []  # commanded off; the module's lease does the rest


def test_a_coil_switched_during_the_read_is_not_judged(daemon: Daemon, sim: Simulation) -> None:
    """A coil whose command changed around the read is left to the next poll (here it was
    switched on between the poll's snapshot of the commands and the read: it reads on while
    the snapshot says off)."""
    outputs = daemon.outputs
    real = daemon.fieldio.bus_of("relay1").read_points

    def read_while_switching(device: str, names: object = None) -> object:
        outputs.on("valve:z4")  # the control tick switches it on meanwhile
        return real(device, names)  # type: ignore[arg-type]

    daemon.fieldio.bus_of("relay1").read_points = read_while_switching  # type: ignore[method-assign]
    try:
        assert daemon.readback.poll() == []
    finally:
        del daemon.fieldio.bus_of("relay1").read_points
    assert mismatch_alarms(daemon) == []
    assert daemon.readback.poll() == []  # the next poll sees it on, as commanded


def test_a_trip_that_fails_still_switches_everything_off(daemon: Daemon, sim: Simulation) -> None:
    start_run(daemon, sim)

    def broken_trip(code: str, message: str) -> None:
        raise RuntimeError("store on fire")

    daemon.readback.supervisor = type("Broken", (), {"trip": staticmethod(broken_trip)})()
    sim.devices["relay1"].inject(Fault(FaultKind.GARBAGE, point="ch1", values=(0,)))
    with pytest.raises(RuntimeError, match="store on fire"):  # the job's guard logs it
        daemon.readback.poll()
    assert daemon.outputs.on_roles() == []
    assert coils_on(sim) == []


def test_a_second_coil_of_a_module_going_wrong_while_its_alarm_is_open_is_alarmed_too(
    daemon: Daemon, sim: Simulation
) -> None:
    clock = daemon.clock
    assert isinstance(clock, VirtualClock)
    relay = sim.devices["relay1"]
    relay.inject(Fault(FaultKind.GARBAGE, point="ch4", values=(1,)))  # reads on, stays so
    [m] = daemon.readback.poll()
    assert m.fault == ("relay1", "ch4", "reads on")
    assert len(mismatch_alarms(daemon)) == 1
    relay.set("ch3", 1)  # valve:z3 on by itself, the first alarm still open
    clock.advance(READBACK_EVERY_S)
    assert [m.point for m in daemon.readback.poll()] == ["ch3", "ch4"]
    first, second = mismatch_alarms(daemon)
    assert first.startswith("output read-back mismatch: relay1 ")
    assert second.startswith("output read-back mismatch (new: relay1.ch3 reads on): ")
    assert "ch3 [valve:z3] commanded off, read on" in second
    assert relay.get("ch3") == 0  # switched off
    for _ in range(3):  # ch4 the same every second: no more alarms
        clock.advance(READBACK_EVERY_S)
        daemon.readback.poll()
    assert len(mismatch_alarms(daemon)) == 2
