"""The store refusing a record of the head works or the dosing after an output switched on.

The production daemon on the quick site's field as pymodbus servers on loopback; the store is
made to refuse one record at a seam (the store call raising what it raises for a row it will
not change: ``RunStateError``). An unwritable disk does not do it: the store keeps records
in memory then (docs/reliability.md). Whatever the refused record, the output it followed
goes off again in the field, and the control loop's ``control_error`` alarm says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.dosing import ChannelRecipe
from controller.runtime.end_reasons import end_parts
from controller.runtime.sequencer import OutputFailed, Recipe, RecordRefused
from controller.runtime.trip_messages import trip_parts
from controller.simulation.harness import Simulation
from controller.store import RunPhase, RunSource, RunState, RunStateError
from drivers.sim import Fault, FaultKind
from tests.helpers.daemons import virtual_daemon_on
from tests.helpers.dosing import quick_channel_site
from tests.helpers.rig import RIG_START, Rig, rig_on
from tests.helpers.site import quick_site
from tests.helpers.switching import FERTIGATION_POLL, INJECTING_AFTER_S, relay_on, step

Field = tuple[Daemon, Simulation, VirtualClock]
REFUSED = "run 1 is aborted: cannot be changed"


@pytest.fixture
def field(tmp_path: Path) -> Iterator[Field]:
    clock = VirtualClock(RIG_START)
    for daemon, sim in virtual_daemon_on(quick_site(tmp_path), tmp_path, clock, step_s=3600):
        yield daemon, sim, clock


def refuse_progress(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch, refused: Callable[[RunPhase], bool]
) -> None:
    """The store refuses a run's progress (``Store.update_run_progress``) in the phases
    ``refused`` says, and records the others."""
    record = daemon.store.update_run_progress

    def update(run_id: int, applied_m3: float, phase: RunPhase, **kw: Any) -> object:
        if refused(phase):
            raise RunStateError(REFUSED)
        return record(run_id, applied_m3, phase, **kw)

    monkeypatch.setattr(daemon.store, "update_run_progress", update)


def fertigate(daemon: Daemon) -> int:
    return daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))


def assert_closed_and_said(daemon: Daemon, sim: Simulation, run_id: int) -> None:
    """Nothing on in the field, the dosing pump's run 0, the run ended saying why, and the
    control loop's alarm naming the refusal."""
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    assert not sim.devices["doser1"].get("run")
    assert daemon.sequencer.active() == []
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.ABORTED and REFUSED in run.end_reason
    assert end_parts(run.end_reason)[0].code == "record_refused"  # said in zh
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "control_error" and REFUSED in alarm.message


def test_the_injections_start_refused_never_powers_the_dosing_pump(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inject phase is recorded before the pump is switched on: refused, it never is."""
    daemon, sim, clock = field
    refuse_progress(daemon, monkeypatch, lambda phase: phase is RunPhase.INJECT)
    run_id = fertigate(daemon)
    powered = []
    for _ in range(INJECTING_AFTER_S + 3):
        step(daemon, sim, clock, 1)
        powered.append(bool(sim.devices["relay1"].get("ch5")))
    assert not any(powered)
    assert_closed_and_said(daemon, sim, run_id)


def test_a_progress_refused_while_injecting_stops_the_dosing_pump_and_the_water(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon, sim, clock = field
    run_id = fertigate(daemon)
    step(daemon, sim, clock, INJECTING_AFTER_S)
    assert "ch5" in relay_on(sim) and sim.devices["doser1"].get("run")
    refuse_progress(daemon, monkeypatch, lambda phase: True)
    step(daemon, sim, clock, 10)  # the next progress falls due
    assert_closed_and_said(daemon, sim, run_id)


def test_the_injections_end_refused_closes_the_water(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flush phase recorded after the pump stopped: refused, the water closes too."""
    daemon, sim, clock = field
    refuse_progress(daemon, monkeypatch, lambda phase: phase is RunPhase.FLUSH)
    run_id = fertigate(daemon)
    step(daemon, sim, clock, 100)  # prewet 30 s, inject 60 s
    assert_closed_and_said(daemon, sim, run_id)


def test_the_doser_volumes_refused_at_the_runs_end_leave_everything_off(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fertilizer injected is recorded with the run's end, after the water closed."""
    daemon, sim, clock = field
    run_id = fertigate(daemon)
    step(daemon, sim, clock, INJECTING_AFTER_S)

    def finish(*args: object, **kwargs: object) -> None:
        raise RunStateError(REFUSED)

    monkeypatch.setattr(daemon.store, "finish_run", finish)
    with pytest.raises(RunStateError, match=REFUSED):  # after the switch-off
        daemon.sequencer.stop("z1", "tech")
    assert relay_on(sim) == [] and not sim.devices["doser1"].get("run")
    monkeypatch.undo()
    run = daemon.store.get_run(run_id)
    assert run.state == RunState.RUNNING  # the store kept its refusal
    step(daemon, sim, clock, 3)
    assert relay_on(sim) == [] and daemon.sequencer.active() == []


def filter_clogged(sim: Simulation) -> None:
    """The pressure before the filter far above the one after: a backflush falls due."""
    press0 = sim.devices["press0"]
    press0.set("line_pressure", 400.0)
    press0.inject(Fault(FaultKind.STUCK, point="line_pressure"))


def test_a_backflush_the_store_refuses_to_record_closes_its_valve_again(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon, sim, clock = field
    record = daemon.store.raise_event

    def raise_event(severity: object, code: str, *args: Any, **kwargs: Any) -> object:
        if code == "backflush":
            raise RunStateError("event refused")
        return record(severity, code, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(daemon.store, "raise_event", raise_event)
    filter_clogged(sim)
    daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    opened = []
    for _ in range(40):  # the pump settles 15 s, dp high 10 s
        step(daemon, sim, clock, 1, (*FERTIGATION_POLL, "press0"))
        opened.append(daemon.outputs.is_on("backflush_valve"))
    assert not any(opened) and not daemon.headworks.backflushing()
    assert relay_on(sim) == ["ch1", "ch7", "ch8"]  # the run waters on
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "control_error" and "event refused" in alarm.message
    assert "backflush valve closed again" in alarm.message


CHANNEL_PUMPS = {"N": "dose_n", "P": "dose_p", "K": "dose_k", "acid": "dose_acid"}


@pytest.fixture
def channel_rig(tmp_path: Path) -> Iterator[Rig]:
    """The sequencer and supervisor on the quick site with four dosing channels."""
    for rig in rig_on(quick_channel_site(tmp_path), tmp_path, Rig):
        rig.extra_poll = {d: ("dosed_volume",) for d in CHANNEL_PUMPS.values()}
        yield rig


def test_a_progress_refused_while_the_channels_dose_stops_every_channel_and_the_water(
    channel_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = channel_rig
    run_id = rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(INJECTING_AFTER_S)
    pumps = [rig.sim.devices[d] for d in CHANNEL_PUMPS.values()]
    assert sum(bool(p.get("run")) for p in pumps) == 3  # N, P and K dose
    record = rig.store.update_run_progress

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError(REFUSED)

    monkeypatch.setattr(rig.store, "update_run_progress", refused)
    with pytest.raises(RecordRefused, match=REFUSED):
        rig.run(10)  # the next progress falls due
    monkeypatch.setattr(rig.store, "update_run_progress", record)
    assert rig.outputs.on_roles() == [] and rig.sequencer.active() == []
    for relay in ("relay1", "relay2"):
        module = rig.sim.devices[relay]
        assert [p.name for p in module.profile.points if module.get(p.name)] == [], relay
    assert not any(p.get("run") for p in pumps)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and REFUSED in run.end_reason


def test_a_daemon_stopping_while_the_store_refuses_the_runs_end_still_stops_cleanly(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``systemctl stop`` while z1 waters and the store refuses the run's end: the stop goes
    on to switch everything off, record itself and flush the store, rather than raise."""
    daemon, sim, clock = field
    daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    assert relay_on(sim) == ["ch1", "ch7", "ch8"]
    finish = daemon.store.finish_run

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError(REFUSED)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    daemon.stop()
    monkeypatch.setattr(daemon.store, "finish_run", finish)
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    stop = daemon.store.last_audit("stop")
    assert stop is not None and stop.detail == {"outputs_not_off": []}


@pytest.fixture
def two_zone_field(tmp_path: Path) -> Iterator[Field]:
    """The quick site with a pump that can water z1 and z2 together."""
    path = quick_site(tmp_path).path
    text = path.read_text(encoding="utf-8")
    assert "pump_capacity_m3_h = 120" in text
    path.write_text(text.replace("pump_capacity_m3_h = 120", "pump_capacity_m3_h = 250"))
    clock = VirtualClock(RIG_START)
    for daemon, sim in virtual_daemon_on(load_site(path), tmp_path, clock, step_s=3600):
        yield daemon, sim, clock


def test_a_stop_whose_first_runs_end_is_refused_closes_the_other_zones_water_too(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1's end refused first: z2's valve, the master and the pump go off all the same,
    not when their leases run out."""
    daemon, sim, clock = two_zone_field
    for zone in ("z1", "z2"):
        daemon.sequencer.start(zone, 1, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    assert relay_on(sim) == ["ch1", "ch2", "ch7", "ch8"]

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError(REFUSED)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    daemon.stop()
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []


def test_a_stop_all_whose_first_runs_end_is_refused_stops_every_run(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stop all from the pages while z1 and z2 water: z1's end refused must not leave z2's
    run held and its leases renewed by the control loop."""
    daemon, sim, clock = two_zone_field
    for zone in ("z1", "z2"):
        daemon.sequencer.start(zone, 1, RunSource.MANUAL)
    step(daemon, sim, clock, 2)

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError(REFUSED)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    switched_off = []
    all_off = daemon.outputs.all_off
    monkeypatch.setattr(daemon.outputs, "all_off", lambda: switched_off.append(all_off()))
    with pytest.raises(RunStateError, match=REFUSED):
        DaemonService(daemon).stop_all("tech")
    assert len(switched_off) == 1  # the service's everything-off ran before the refusal rose
    assert daemon.sequencer.active() == []
    step(daemon, sim, clock, 3)
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []


def test_another_runs_progress_refused_at_a_runs_end_closes_that_run_not_the_one_ended(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1 and z2 share the head's meter: z1's end records z2's progress, which the store
    refuses. z2 is the run closed, in that tick; z1 stays ``done`` and the alarm names z2."""
    daemon, sim, clock = two_zone_field
    z2 = daemon.sequencer.start("z2", 1, RunSource.MANUAL)
    step(daemon, sim, clock, 12)
    z1 = daemon.sequencer.start("z1", 0.5, RunSource.MANUAL)
    record = daemon.store.update_run_progress

    def update(run_id: int, *args: Any, **kwargs: Any) -> object:
        if run_id == z2 and daemon.store.get_run(z1).state != RunState.RUNNING:
            raise RunStateError(REFUSED)  # from z1's end on
        return record(run_id, *args, **kwargs)

    monkeypatch.setattr(daemon.store, "update_run_progress", update)
    for _ in range(40):  # z1 ends 30 s after its start
        step(daemon, sim, clock, 1)
        if daemon.store.get_run(z1).state != RunState.RUNNING:
            break
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []  # in z1's last tick
    assert daemon.sequencer.active() == []
    ended = daemon.store.get_run(z1)
    assert ended.state == RunState.DONE and "planned time reached" in ended.end_reason
    closed = daemon.store.get_run(z2)
    assert closed.state == RunState.ABORTED and REFUSED in closed.end_reason
    step(daemon, sim, clock, 12)  # z2's next progress would have fallen due
    assert relay_on(sim) == []
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "control_error" and REFUSED in alarm.message
    assert f"zone z2: run {z2}" in alarm.message and "zone z1" not in alarm.message


def test_a_runs_end_whose_valve_stays_on_and_whose_trip_finds_another_end_refused(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1 ends with its valve stuck on; the ``output_fault`` trip ends z2, whose end the
    store refuses. One ``output_fault`` alarm, z1 ended ``aborted`` saying why, and the
    control loop's alarm names the trip's refusal, not z1's record."""
    daemon, sim, clock = two_zone_field
    z2 = daemon.sequencer.start("z2", 1, RunSource.MANUAL)
    z1 = daemon.sequencer.start("z1", 0.5, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    sim.devices["relay1"].inject(Fault(FaultKind.STUCK, point="ch1"))
    finish = daemon.store.finish_run

    def refused(run_id: int, *args: Any, **kwargs: Any) -> object:
        if run_id == z2:
            raise RunStateError(REFUSED)
        return finish(run_id, *args, **kwargs)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    for _ in range(40):  # z1 ends 30 s after its start
        step(daemon, sim, clock, 1)
        if daemon.store.get_run(z1).state != RunState.RUNNING:
            break
    step(daemon, sim, clock, 1)  # the tick that says the trip's refusal
    ended = daemon.store.get_run(z1)
    assert ended.state == RunState.ABORTED and "could not switch off" in ended.end_reason
    assert "record refused" not in ended.end_reason
    alarms = daemon.store.open_alarms()
    assert sorted(a.code for a in alarms) == ["control_error", "output_fault"]  # not two
    (said,) = [a.message for a in alarms if a.code == "control_error"]
    assert REFUSED in said and f"zone z1: run {z1}" not in said
    assert daemon.sequencer.active() == [] and relay_on(sim) == ["ch1"]  # the stuck coil


def test_a_trip_while_the_store_refuses_the_runs_ends_switches_everything_off_and_alarms(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-off trip (a fault found outside the rules) while z1 and z2 water and the store
    refuses every run's end: each run is ended, everything goes off and the trip's alarm is
    raised, then the refusal rises; nothing is held or renewed after."""
    daemon, sim, clock = two_zone_field
    for zone in ("z1", "z2"):
        daemon.sequencer.start(zone, 1, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    assert relay_on(sim) == ["ch1", "ch2", "ch7", "ch8"]
    tried: list[object] = []

    def refused(run_id: int, *args: object, **kwargs: object) -> None:
        tried.append(run_id)
        raise RunStateError(REFUSED)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    with pytest.raises(RunStateError, match=REFUSED):
        daemon.supervisor.trip("output_fault", "zone z1: relay1 read back wrong")
    assert len(tried) == 2  # both runs' ends, not the first alone
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    assert daemon.sequencer.active() == []
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and "relay1 read back wrong" in alarm.message
    ok, why = daemon.supervisor.may_start("z1")
    assert not ok and "output_fault" in why
    step(daemon, sim, clock, 3)  # past the leases: nothing renewed, nothing on again
    assert relay_on(sim) == [] and daemon.sequencer.active() == []


def test_the_trips_alarm_names_the_runs_whose_ends_the_store_refused(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trip while the store refuses z2's end (z1's it records): the trip's alarm, what a
    technician reads on the page or the phone, says the run history is incomplete and names
    z2's run, not z1's; the pages read that part as its code (said in zh)."""
    daemon, sim, clock = two_zone_field
    z1 = daemon.sequencer.start("z1", 1, RunSource.MANUAL)
    z2 = daemon.sequencer.start("z2", 1, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    finish = daemon.store.finish_run

    def refused(run_id: int, *args: Any, **kwargs: Any) -> object:
        if run_id == z2:
            raise RunStateError(REFUSED)
        return finish(run_id, *args, **kwargs)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    with pytest.raises(RunStateError, match=REFUSED):
        daemon.supervisor.trip("output_fault", "zone z1: relay1 read back wrong")
    assert relay_on(sim) == [] and daemon.store.get_run(z1).state == RunState.ABORTED
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "output_fault" and "relay1 read back wrong" in alarm.message
    parts = trip_parts(alarm.message)
    assert [p.code for p in parts] == ["zone_output_fault", "runs_not_recorded"]
    assert parts[1].values == {"runs": f"{z2} (z2)"}


def test_a_start_whose_valve_is_refused_while_the_trip_finds_another_end_refused_is_an_output_fault(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z2 waters; z1's start finds its valve refused by the module, and the ``output_fault``
    trip ends z2, whose end the store refuses: the start fails as the output fault it is
    (``OutputFailed`` naming the valve), not as the store's error, with everything off; the
    next control tick says the refusal (``control_error``)."""
    daemon, sim, clock = two_zone_field
    z2 = daemon.sequencer.start("z2", 1, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    finish = daemon.store.finish_run

    def refused(run_id: int, *args: Any, **kwargs: Any) -> object:
        if run_id == z2:
            raise RunStateError(REFUSED)
        return finish(run_id, *args, **kwargs)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    sim.devices["relay1"].inject(Fault(FaultKind.EXCEPTION, point="ch1", code=4))
    with pytest.raises(OutputFailed, match="could not switch valve:z1 on"):
        daemon.sequencer.start("z1", 1, RunSource.MANUAL)
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []
    assert daemon.sequencer.active() == []
    assert [a.code for a in daemon.store.open_alarms()] == ["output_fault"]
    step(daemon, sim, clock, 1)  # the tick that says the trip's refusal
    alarms = daemon.store.open_alarms()
    assert sorted(a.code for a in alarms) == ["control_error", "output_fault"]
    (said,) = [a.message for a in alarms if a.code == "control_error"]
    assert REFUSED in said
    assert relay_on(sim) == []


def test_a_rule_tripping_while_the_store_refuses_the_runs_end_stops_the_water_at_that_check(
    field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flow meter falls silent while the store refuses z1's end: the water goes off at
    the check that trips ``flow_meter_stale``, not at a later one."""
    daemon, sim, clock = field
    daemon.sequencer.start("z1", 10, RunSource.MANUAL)
    step(daemon, sim, clock, 2)

    def refused(*args: object, **kwargs: object) -> None:
        raise RunStateError(REFUSED)

    monkeypatch.setattr(daemon.store, "finish_run", refused)
    aborted = []
    abort_all = daemon.sequencer.abort_all

    def abort_all_seen(reason: str) -> None:
        aborted.append(reason)
        abort_all(reason)

    monkeypatch.setattr(daemon.sequencer, "abort_all", abort_all_seen)
    sim.devices["flow1"].inject(Fault(FaultKind.NO_ANSWER))
    for _ in range(30):  # stale after the site's stale_after_s
        step(daemon, sim, clock, 1)
        if aborted:
            break
    assert aborted and "flow_meter_stale" in aborted[0]
    assert relay_on(sim) == [] and daemon.outputs.on_roles() == []  # at that check
    assert "flow_meter_stale" in {a.code for a in daemon.store.open_alarms()}


def test_another_runs_progress_refused_at_a_stop_closes_it_and_the_next_tick_says_so(
    two_zone_field: Field, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1 stopped by hand records z2's progress, which the store refuses: z2 is closed at
    once, the stop itself succeeds, and the next control tick's alarm names z2."""
    daemon, sim, clock = two_zone_field
    z2 = daemon.sequencer.start("z2", 1, RunSource.MANUAL)
    z1 = daemon.sequencer.start("z1", 1, RunSource.MANUAL)
    step(daemon, sim, clock, 2)
    record = daemon.store.update_run_progress

    def update(run_id: int, *args: Any, **kwargs: Any) -> object:
        if run_id == z2:
            raise RunStateError(REFUSED)
        return record(run_id, *args, **kwargs)

    monkeypatch.setattr(daemon.store, "update_run_progress", update)
    daemon.sequencer.stop("z1", "tech")
    assert relay_on(sim) == [] and daemon.sequencer.active() == []
    assert daemon.store.get_run(z1).state == RunState.ABORTED
    closed = daemon.store.get_run(z2)
    assert closed.state == RunState.ABORTED and REFUSED in closed.end_reason
    assert daemon.store.open_alarms() == []
    checks: list[object] = []
    check = daemon.supervisor.check
    monkeypatch.setattr(daemon.supervisor, "check", lambda now: checks.append(check(now)))
    step(daemon, sim, clock, 1)
    assert len(checks) == 1  # the tick that says the refusal still lets safety act
    (alarm,) = daemon.store.open_alarms()
    assert alarm.code == "control_error" and f"zone z2: run {z2}" in alarm.message
