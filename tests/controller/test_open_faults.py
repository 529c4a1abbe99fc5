"""Paths that switch water or a dosing pump on, tried under the faults they meet on a real bus.

The demo site's relay module, flow meter and dosing pump as pymodbus servers on loopback
(``controller.simulation.harness``) with faults injected into them, the real bus owners,
sequencer, supervisor and SQLite store, on a virtual clock stepped one second at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from controller.agronomy.fertplan import FertRun
from controller.agronomy.types import PlannedRun
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.daemon.tickfailures import CONTROL_ERROR_SAFE_AFTER_S
from controller.runtime.frozenmeter import FROZEN_MIN_POLLS
from controller.runtime.ratecheck import DISAGREE_WINDOW_S
from controller.runtime.safety import SETTLE_S
from controller.runtime.sequencer import OutputFailed, Recipe, RunRefused
from controller.simulation.harness import Simulation
from controller.store import RunSource, RunState
from drivers.sim import Fault, FaultKind
from tests.helpers.daemons import daemon_on
from tests.helpers.rig import Rig, rig_on
from tests.helpers.site import quick_site

# float32 0x7FC07FC0 is a quiet NaN whichever word comes first
NAN_WORDS = (0x7FC0, 0x7FC0)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_on(quick_site(tmp_path), tmp_path)


@pytest.fixture
def daemon(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[Daemon]:
    yield from daemon_on(site, tmp_path)


def test_a_modbus_exception_at_the_pump_closes_what_the_start_opened(rig: Rig) -> None:
    rig.sim.devices["relay1"].inject(Fault(FaultKind.EXCEPTION, point="ch8", code=4))
    with pytest.raises(OutputFailed, match="could not switch pump on"):
        rig.sequencer.start("z1", 10, RunSource.MANUAL)
    # the zone and master valves went on before the pump failed; the trip closed them
    assert rig.outputs.log[:2] == [("on", "valve:z1"), ("on", "master_valve")]
    assert rig.all_coils_off() and rig.outputs.on_roles() == []
    assert rig.sequencer.active() == []
    (run,) = rig.store.runs("z1")
    assert run.state == RunState.ABORTED and "could not switch pump on" in run.end_reason
    assert rig.alarm_codes() == ["output_fault"]
    rig.sim.devices["relay1"].clear()
    rig.run(20)  # nothing is renewed or switched on again by itself
    assert rig.all_coils_off()


def test_a_flow_meter_answering_nan_mid_run_stops_the_water(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 10, RunSource.MANUAL)
    rig.run(5)
    assert rig.coil("ch1") and rig.coil("ch8")
    rig.sim.devices["flow1"].inject(Fault(FaultKind.GARBAGE, point="flow_rate", values=NAN_WORDS))
    stale_after_s = int(rig.site.safety.stale_after_s)
    rig.run(stale_after_s - 1)  # NaN is no reading: the last good one still counts
    assert rig.coil("ch1")
    rig.run(2)
    assert rig.all_coils_off()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "flow_meter_stale" in run.end_reason
    assert rig.alarm_codes() == ["flow_meter_stale"]


def test_a_flow_meter_whose_registers_freeze_mid_run_stops_the_water(rig: Rig) -> None:
    """The meter answers every poll, in range, with the registers it had (a hung firmware,
    a gateway serving a register it no longer refreshes): the totalizer stands still while
    the rate it reports says 100 m3/h passes."""
    run_id = rig.sequencer.start("z1", 10, RunSource.MANUAL)
    rig.run(int(SETTLE_S) + 5)  # past the pipe's fill: the rule is watching
    assert rig.coil("ch1") and rig.coil("ch8")
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK))  # every register of the meter
    rig.run(FROZEN_MIN_POLLS + 2)  # the repeats it takes, and the check after them
    assert rig.all_coils_off()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "flow_meter_frozen" in run.end_reason
    assert rig.alarm_codes() == ["flow_meter_frozen"]
    ok, why = rig.supervisor.may_start("z1")
    assert not ok and "flow_meter_frozen" in why  # until a technician acknowledges it


def test_a_healthy_meter_at_a_constant_rate_is_not_taken_for_frozen(rig: Rig) -> None:
    """The rate register holds one value to the last bit; the totalizer goes on counting."""
    rig.sequencer.start("z1", 2, RunSource.MANUAL)
    rig.run(3)  # the rate read at the zone's flow, then held there
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rates = set()
    for _ in range(90):
        rig.run(1)
        rates.add(rig.live.value("flow1", "flow_rate", rig.clock.now(), 10.0))
    assert len(rates) == 1 and rates != {None}  # the same rate, every poll
    assert rig.coil("ch1") and rig.alarm_codes() == []


def test_a_rate_register_frozen_mid_run_then_a_burst_stops_the_water(rig: Rig) -> None:
    """The meter's rate register holds its value (a gateway serving a register it no longer
    refreshes) while its totalizer goes on counting; then a lateral tears open (2.5 × the
    flow): the rate the burst rule reads never moves, the totalizer shows it."""
    run_id = rig.sequencer.start("z1", 10, RunSource.MANUAL)
    rig.run(int(SETTLE_S) + 5)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rig.run(int(DISAGREE_WINDOW_S) + 20)  # a whole window of a held but true rate: no fault
    assert rig.coil("ch1") and rig.alarm_codes() == []
    rig.sim.field.pipe_flow_factor = 2.5  # a lateral torn open
    for _ in range(int(DISAGREE_WINDOW_S)):
        rig.run(1)
        if rig.all_coils_off():
            break
    assert rig.all_coils_off()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "flow_meter_disagrees" in run.end_reason
    assert rig.alarm_codes() == ["flow_meter_disagrees"]  # burst never saw it
    ok, why = rig.supervisor.may_start("z1")
    assert not ok and "flow_meter_disagrees" in why


def test_a_healthy_meter_never_disagrees_over_a_whole_run(rig: Rig) -> None:
    """The simulated meter's rate has noise and its totalizer integrates it: a run of
    z1 from start to its planned end, every second judged."""
    run_id = rig.sequencer.start("z1", 5, RunSource.MANUAL)
    rig.run(5 * 60 + 10)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE and rig.alarm_codes() == []


def test_a_stop_sent_while_the_start_is_switching_is_not_lost(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start holds on the pump's write (a slow module); a stop comes in meanwhile."""
    switching, stop_waits, release = threading.Event(), threading.Event(), threading.Event()
    real_on = rig.outputs.on

    def slow_pump(role: str) -> None:
        if role == "pump":
            switching.set()
            release.wait(30)
        real_on(role)

    monkeypatch.setattr(rig.outputs, "on", slow_pump)
    lock = rig.sequencer._lock  # the seam: see the stop reach the sequencer's lock

    class Watched:
        def __enter__(self) -> None:
            if threading.current_thread().name == "stop":
                stop_waits.set()
            lock.acquire()

        def __exit__(
            self,
            kind: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> None:
            lock.release()

    monkeypatch.setattr(rig.sequencer, "_lock", Watched())
    start = threading.Thread(target=rig.sequencer.start, args=("z1", 10, RunSource.MANUAL))
    stop = threading.Thread(target=rig.sequencer.stop, args=("z1", "stopped by tech"), name="stop")
    start.start()
    try:
        assert switching.wait(30)
        stop.start()
        assert stop_waits.wait(30)
    finally:
        release.set()
        start.join(30)
        stop.join(30)
    assert rig.sequencer.active() == []
    assert rig.all_coils_off() and rig.outputs.on_roles() == []
    (run,) = rig.store.runs("z1")
    assert run.state == RunState.ABORTED and "stopped by tech" in run.end_reason


def test_a_pump_switched_on_with_no_valve_open_is_stopped_by_the_interlock(rig: Rig) -> None:
    rig.outputs.on("pump")  # behind the sequencer's back: a bug, a technician
    assert rig.coil("ch8")
    rig.run(5)  # the grace: a valve may be on its way
    assert rig.coil("ch8")
    rig.run(2)
    assert rig.all_coils_off()
    assert "pump_no_valve" in rig.alarm_codes()  # with dry_run: no flow either


def test_a_dosing_pump_refusing_its_rate_stops_everything(rig: Rig) -> None:
    rig.sim.devices["doser1"].inject(Fault(FaultKind.EXCEPTION, point="rate_setpoint", code=4))
    run_id = rig.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
    rig.run(32)  # prewet, then the injection starts: power on, the rate refused
    assert rig.all_coils_off()  # the injector's supply (ch5) with the water
    assert not rig.sim.devices["doser1"].get("run")
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "output_fault" in run.end_reason
    assert rig.alarm_codes() == ["output_fault"]


class CountingWatchdog:
    """The daemon's systemd watchdog pinger, counting the ticks that fed it."""

    def __init__(self) -> None:
        self.fed = 0

    def tick(self) -> bool:
        self.fed += 1
        return True


def test_a_control_loop_failing_every_tick_raises_one_alarm_goes_safe_and_recovers(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    watchdog = CountingWatchdog()
    monkeypatch.setattr(daemon, "_watchdog", watchdog)
    run_id = daemon.sequencer.start("z1", 10, RunSource.MANUAL, actor="tech")
    daemon.control_tick()
    relay = sim.devices["relay1"]
    assert relay.get("ch1") and relay.get("ch8") and watchdog.fed == 1
    working = daemon.headworks.tick

    def broken(now: object) -> None:
        raise RuntimeError("a bug in the head works")

    monkeypatch.setattr(daemon.headworks, "tick", broken)
    daemon.control_tick()  # the loop survives it; one second not judged is not yet the bound
    assert relay.get("ch1") and relay.get("ch8")
    with pytest.raises(RunRefused, match="control_error"):  # no start while it cannot judge
        daemon.sequencer.start("z2", 10, RunSource.MANUAL, actor="tech")
    failing = int(CONTROL_ERROR_SAFE_AFTER_S) + 20
    for _ in range(failing):
        daemon.control_tick()
    assert [p.name for p in relay.profile.points if relay.get(p.name)] == []
    assert daemon.sequencer.active() == [] and daemon.outputs.on_roles() == []
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "a bug in the head works" in run.end_reason
    (alarm,) = [e for e in daemon.store.events() if e.code == "control_error"]  # one, not 21
    assert alarm.severity == "critical" and alarm.latched
    assert "a bug in the head works" in alarm.message
    assert watchdog.fed == 1  # a failing loop does not tell systemd it is healthy

    monkeypatch.setattr(daemon.headworks, "tick", working)  # the error stops
    daemon.control_tick()
    assert watchdog.fed == 2
    alarm, recovered = [e for e in daemon.store.events() if e.code == "control_error"]
    assert recovered.severity == "info" and f"after {failing + 1} failing ticks" in (
        recovered.message
    )
    daemon.sequencer.start("z1", 10, RunSource.MANUAL, actor="tech")  # starts allowed again
    daemon.control_tick()
    assert relay.get("ch1") and relay.get("ch8")


def test_a_planned_run_due_while_the_loop_fails_waits_and_starts_after_it_recovers(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starts are held while ticks fail: a run that falls due meanwhile stays queued (as it
    does while the clock is not trusted), not refused and lost."""
    working = daemon.headworks.tick

    def broken(now: object) -> None:
        raise RuntimeError("a passing bug")

    monkeypatch.setattr(daemon.headworks, "tick", broken)
    daemon.control_tick()  # the episode opens: starts held
    decision = daemon.store.record_decision("z1", "et", "irrigate", "test", {}, duration_min=2)
    assert decision.id is not None
    due = PlannedRun("z1", daemon.clock.now(), 2, 4.0, decision.id, RunSource.PLAN)
    with daemon._queue_lock:  # one due run without the planner
        daemon._queue = [FertRun(due)]
    daemon.control_tick()  # due now, but the loop still fails
    assert [r.zone for r in daemon.planned()] == ["z1"]
    monkeypatch.setattr(daemon.headworks, "tick", working)
    daemon.control_tick()  # the first good tick ends the episode
    daemon.control_tick()
    assert daemon.planned() == [] and [a.zone for a in daemon.sequencer.active()] == ["z1"]
    assert "planned_run_refused" not in {e.code for e in daemon.store.events()}
    assert sim.devices["relay1"].get("ch1")


def test_a_failing_loop_whose_runs_cannot_be_aborted_still_switches_everything_off(
    daemon: Daemon, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon.sequencer.start("z1", 10, RunSource.MANUAL, actor="tech")
    daemon.control_tick()
    relay = sim.devices["relay1"]
    assert relay.get("ch1") and relay.get("ch8")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the sequencer")

    monkeypatch.setattr(daemon.sequencer, "tick", broken)
    monkeypatch.setattr(daemon.sequencer, "abort_all", broken)
    for _ in range(int(CONTROL_ERROR_SAFE_AFTER_S) + 2):
        daemon.control_tick()  # never raises out of the loop
    assert [p.name for p in relay.profile.points if relay.get(p.name)] == []
    assert daemon.outputs.on_roles() == []
