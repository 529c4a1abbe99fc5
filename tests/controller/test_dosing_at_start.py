"""The daemon's start writes every dosing pump's ``run`` 0 and reads it back.

A box killed mid-injection leaves the dosing pump's ``run`` at 1 (its supply relay is
dropped by the relay module's lease, the pump keeps its registers): powered again by hand
or by a relay that fails on, it would dose at the old rate. The quick site's field as
pymodbus servers on loopback; the kill is a daemon whose process is gone: no tick, no stop,
its connections closed, then a new daemon on the same store and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.tickfailures import CONTROL_ERROR_SAFE_AFTER_S
from controller.runtime.dosers import UNCONFIRMED, dosing_pumps, run_off_at_start
from controller.runtime.fieldio import FieldIO
from controller.runtime.sequencer import Recipe, RunRefused
from controller.simulation.harness import Simulation
from controller.store import RunSource, RunState, Severity, Store
from drivers.bus import Bus
from drivers.errors import DeviceException, DeviceTimeout, DriverError
from drivers.sim import Fault, FaultKind
from tests.helpers.dosing import channel_site_text
from tests.helpers.powered import powered_by
from tests.helpers.rig import RIG_START
from tests.helpers.servedports import served_field
from tests.helpers.site import quick_site
from tests.helpers.sitefile import load_text
from tests.helpers.storefaults import read_only
from tests.helpers.switching import INJECTING_AFTER_S, relay_on, step


def daemon_of(site: SiteConfig, store: Store, clock: VirtualClock) -> Daemon:
    """A daemon of its own buses (a process of its own), not started."""
    buses = {b.name: Bus(b.settings(), site.devices_on(b.name), now=clock.now) for b in site.buses}
    return Daemon(site, store, clock, fieldio=FieldIO(site, buses))


@pytest.fixture
def field(tmp_path: Path) -> Iterator[tuple[SiteConfig, Simulation, Store, VirtualClock]]:
    clock = VirtualClock(RIG_START)
    with (
        served_field(quick_site(tmp_path), step_s=3600) as (site, sim),
        Store.open_dir(tmp_path / "data", clock=clock) as store,
    ):
        yield site, sim, store, clock


def killed_mid_injection(
    site: SiteConfig, sim: Simulation, store: Store, clock: VirtualClock
) -> int:
    """A daemon fertigating z1, killed in the inject phase; the run's id."""
    first = daemon_of(site, store, clock)
    first.start(schedule=False)
    run_id = first.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
    step(first, sim, clock, INJECTING_AFTER_S)
    doser = sim.devices["doser1"]
    assert "ch5" in relay_on(sim) and doser.get("run") == 1 and doser.get("rate_setpoint") > 0
    first.fieldio.close()  # kill -9: its connections go, nothing is switched or written
    return run_id


def test_a_restart_after_a_kill_mid_injection_writes_the_dosing_pumps_run_0(
    field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    site, sim, store, clock = field
    run_id = killed_mid_injection(site, sim, store, clock)
    doser = sim.devices["doser1"]
    assert doser.get("run") == 1  # the pump keeps its command through the box's death
    restarted = daemon_of(site, store, clock)
    restarted.start(schedule=False)
    try:
        assert doser.get("run") == 0 and relay_on(sim) == []
        assert store.get_run(run_id).state == RunState.INTERRUPTED
        assert UNCONFIRMED not in {e.code for e in store.events()}
        assert restarted.supervisor.may_start("z1", fertigation=True) == (True, "")
    finally:
        restarted.stop()


def test_a_dosing_pump_that_does_not_answer_at_start_refuses_fertigation_not_the_start(
    field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    """Its supply relay is verified off and held so by the lease: the site waters, the
    alarm names the pump and its supply, and fertigation waits for an acknowledgement."""
    site, sim, store, clock = field
    killed_mid_injection(site, sim, store, clock)
    doser = sim.devices["doser1"]
    doser.inject(Fault(FaultKind.NO_ANSWER))
    restarted = daemon_of(site, store, clock)
    restarted.start(schedule=False)
    try:
        assert relay_on(sim) == [] and doser.get("run") == 1  # unpowered, not confirmed
        (alarm,) = store.open_alarms()
        assert alarm.code == UNCONFIRMED and alarm.source == "safety"
        assert "doser1" in alarm.message and "injector_power" in alarm.message
        assert alarm.message.endswith(
            "its supply injector_power is verified off; fertigation refused until acknowledged"
        )
        with pytest.raises(RunRefused, match=UNCONFIRMED):
            restarted.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        assert relay_on(sim) == []
        run_id = restarted.sequencer.start("z1", 2, RunSource.MANUAL)  # water: allowed
        step(restarted, sim, clock, 2)
        assert relay_on(sim) == ["ch1", "ch7", "ch8"]
        restarted.sequencer.stop("z1", "test over")
        assert store.get_run(run_id).state == RunState.ABORTED
        doser.clear()
        assert alarm.id is not None
        store.ack_event(alarm.id, "tech")  # the technician checked the pump
        assert restarted.supervisor.may_start("z1", fertigation=True) == (True, "")
    finally:
        restarted.stop()


def test_an_unconfirmed_dosing_pump_refuses_fertigation_while_its_alarm_waits_in_memory(
    field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    """The store cannot write at start (a card remounted read-only): the alarm waits in
    memory, the store's open alarms do not show it, and fertigation is refused all the
    same, from the alarm kept by the supervisor, then from the stored one until
    acknowledged."""
    site, sim, store, clock = field
    killed_mid_injection(site, sim, store, clock)
    doser = sim.devices["doser1"]
    doser.inject(Fault(FaultKind.NO_ANSWER))
    restarted = daemon_of(site, store, clock)
    try:
        with read_only(store):
            restarted.make_safe()
            assert store.open_alarms() == [] and store.health.pending_records >= 1
            ok, why = restarted.supervisor.may_start("z1", fertigation=True)
            assert not ok and UNCONFIRMED in why and "doser1" in why
            assert restarted.supervisor.may_start("z1") == (True, "")  # water: allowed
        clock.advance(2)  # the store's back-off has run out; nothing has written since
        ok, why = restarted.supervisor.may_start("z1", fertigation=True)
        assert not ok and UNCONFIRMED in why
        store.flush()  # the store's own store_unwritable alarm comes with it
        (alarm,) = [a for a in store.open_alarms() if a.code == UNCONFIRMED]
        assert alarm.id is not None and "doser1" in alarm.message
        ok, why = restarted.supervisor.may_start("z1", fertigation=True)
        assert not ok and f"open alarm #{alarm.id}" in why
        store.ack_event(alarm.id, "tech")
        assert restarted.supervisor.may_start("z1", fertigation=True) == (True, "")
    finally:
        restarted.outputs.all_off()
        restarted.fieldio.close()


VIA_SUPPLY = 'injector_power = "relay1.ch5"'


@pytest.fixture
def fed_field(tmp_path: Path) -> Iterator[tuple[SiteConfig, Simulation, Store, VirtualClock]]:
    """The quick site whose dosing pump's Modbus side is fed by its supply relay (ch5)."""
    site = quick_site(tmp_path)
    text = site.path.read_text(encoding="utf-8")
    assert VIA_SUPPLY in text
    text = text.replace(VIA_SUPPLY, VIA_SUPPLY + "\ninjector_modbus_via_supply = true", 1)
    site.path.write_text(text, encoding="utf-8")
    clock = VirtualClock(RIG_START)
    with (
        served_field(load_site(site.path), step_s=3600) as (site, sim),
        Store.open_dir(tmp_path / "data", clock=clock) as store,
    ):
        yield site, sim, store, clock


def test_a_pump_fed_by_its_supply_is_not_alarmed_at_start_and_stopped_before_it_doses(
    fed_field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    """Unpowered at start it answers nothing: no alarm, fertigation allowed. Powered for the
    injection, its ``run`` is written 0 and read back before its rate and ``run`` 1."""
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    written = powered_by(doser, sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        assert UNCONFIRMED not in {e.code for e in store.events()}
        assert daemon.supervisor.may_start("z1", fertigation=True) == (True, "")
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        assert "ch5" in relay_on(sim) and doser.get("run") == 1
        assert [name for name, _ in written[:3]] == ["run", "rate_setpoint", "run"]
        assert written[0][1] == 0 and written[1][1] > 0 and written[2][1] == 1
        assert store.open_alarms() == []
        # unpowered, it was not polled: no outage said at start, nor bus time spent on it
        assert [e.code for e in store.events() if e.source == "doser1"] == []
    finally:
        daemon.stop()


def test_a_pump_fed_by_its_supply_silent_once_powered_stops_the_injection_with_its_alarm(
    fed_field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    doser.inject(Fault(FaultKind.NO_ANSWER))  # powered or not
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        assert daemon.supervisor.may_start("z1", fertigation=True) == (True, "")
        run_id = daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        assert relay_on(sim) == [] and doser.get("run") == 0  # supply off, never run 1
        (alarm,) = [a for a in store.open_alarms() if a.source == "safety"]
        assert alarm.code == "output_fault" and "doser1" in alarm.message
        assert store.get_run(run_id).state == RunState.ABORTED
    finally:
        daemon.stop()


def test_a_pump_fed_by_its_supply_without_the_flag_is_alarmed_at_start(
    field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    """Without ``injector_modbus_via_supply`` a pump silent at start is alarmed as before."""
    site, sim, store, clock = field
    powered_by(sim.devices["doser1"], sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        (alarm,) = store.open_alarms()
        assert alarm.code == UNCONFIRMED and "doser1" in alarm.message
        ok, why = daemon.supervisor.may_start("z1", fertigation=True)
        assert not ok and UNCONFIRMED in why
    finally:
        daemon.stop()


def test_a_pump_fed_by_its_supply_is_stopped_before_its_supply_goes_off_and_the_run_ends_done(
    fed_field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    """At the injection's end its ``run`` 0 is written (and read back) while it is still
    powered, then its supply goes off: the run ends ``done``, nothing alarmed."""
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    written = powered_by(doser, sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        run_id = daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        assert "ch5" in relay_on(sim) and doser.get("run") == 1
        step(daemon, sim, clock, 200)
        assert store.get_run(run_id).state == RunState.DONE
        assert "ch5" not in relay_on(sim)
        # its last write, seen by the pump (powered): run 0, after its run 1
        runs = [value for name, value in written if name == "run"]
        assert runs[-2:] == [1, 0] and written[-1] == ("run", 0)
        assert store.open_alarms() == []
        # not polled once its supply is off: no outage said after the injection
        assert [e.code for e in store.events() if e.source == "doser1"] == []
    finally:
        daemon.stop()


@pytest.mark.parametrize("injecting", [False, True], ids=["idle", "injecting"])
def test_a_trip_on_a_site_whose_pump_is_fed_by_its_supply_gives_its_own_alarm(
    fed_field: tuple[SiteConfig, Simulation, Store, VirtualClock], injecting: bool
) -> None:
    """The unpowered pump that does not answer ``run`` 0 is not "could not switch off"."""
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    powered_by(doser, sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        recipe = Recipe(kg={"N": 2.0}) if injecting else None
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=recipe)
        step(daemon, sim, clock, INJECTING_AFTER_S if injecting else 3)
        assert ("ch5" in relay_on(sim)) is injecting
        daemon.supervisor.trip("lease_renewal", "test trip")
        (alarm,) = store.open_alarms()
        assert alarm.code == "lease_renewal" and alarm.severity == Severity.ALARM
        assert "could not switch off" not in alarm.message
        assert relay_on(sim) == [] and doser.get("run") == 0
    finally:
        daemon.stop()


def test_a_pump_fed_by_a_supply_that_stays_on_is_still_a_failure_to_stop(
    fed_field: tuple[SiteConfig, Simulation, Store, VirtualClock],
) -> None:
    """A supply relay that reads back on powers the pump: its silence is no excuse."""
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    doser.inject(Fault(FaultKind.NO_ANSWER))
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        sim.devices["relay1"].set("ch5", 1)
        sim.devices["relay1"].inject(Fault(FaultKind.STUCK, point="ch5"))  # writes ignored
        daemon.supervisor.trip("lease_renewal", "test trip")
        (alarm,) = store.open_alarms()
        assert alarm.severity == Severity.CRITICAL
        assert "injector_power" in alarm.message and "doser1.run" in alarm.message
    finally:
        daemon.stop()


def test_the_control_loops_safe_state_on_a_fed_site_says_nothing_failed_for_the_pump(
    fed_field: tuple[SiteConfig, Simulation, Store, VirtualClock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failing ticks take the safe state mid-injection: the pump is stopped while powered,
    its supply then goes off, and the alarm does not say "not verified off"."""
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    powered_by(doser, sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        assert "ch5" in relay_on(sim) and doser.get("run") == 1

        def broken(now: object) -> None:
            raise RuntimeError("a bug in the head works")

        monkeypatch.setattr(daemon.headworks, "tick", broken)
        step(daemon, sim, clock, int(CONTROL_ERROR_SAFE_AFTER_S) + 1)
        assert relay_on(sim) == [] and doser.get("run") == 0
        messages = [a.message for a in store.open_alarms() if a.code == "control_error"]
        assert messages and not any("not verified off" in m for m in messages), messages
    finally:
        daemon.stop()


# -- every pump tried, past a rest (controller.runtime.dosers) ------------------------

Field = tuple[SiteConfig, Simulation, Store, VirtualClock]


def resting(fieldio: Any, device: str) -> None:
    """The bus rests from ``device`` for an hour, as after a run of failures."""
    bus = fieldio.bus_of(device)
    bus.health[device].consecutive_failures = 9
    bus.health[device].backoff_until = bus._monotonic() + 3600.0


def test_the_start_writes_run_0_to_a_pump_its_bus_rests_from(field: Field) -> None:
    site, sim, store, clock = field
    killed_mid_injection(site, sim, store, clock)
    doser = sim.devices["doser1"]
    assert doser.get("run") == 1
    restarted = daemon_of(site, store, clock)
    resting(restarted.fieldio, "doser1")
    restarted.start(schedule=False)
    try:
        assert doser.get("run") == 0
        assert UNCONFIRMED not in {e.code for e in store.events()}
    finally:
        restarted.stop()


def test_a_stop_writes_run_0_to_a_pump_its_bus_rests_from(field: Field) -> None:
    site, sim, store, clock = field
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        doser = sim.devices["doser1"]
        assert doser.get("run") == 1
        resting(daemon.fieldio, "doser1")
        daemon.sequencer.stop("z1", "test over")
        assert doser.get("run") == 0 and relay_on(sim) == []
        assert [a.code for a in store.open_alarms()] == []
    finally:
        daemon.stop()


def test_a_fed_pump_just_powered_is_written_run_0_past_the_rest_its_silence_earned(
    fed_field: Field,
) -> None:
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    written = powered_by(doser, sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        resting(daemon.fieldio, "doser1")  # silent while unpowered
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        assert "ch5" in relay_on(sim) and doser.get("run") == 1
        assert [name for name, _ in written[:3]] == ["run", "rate_setpoint", "run"]
    finally:
        daemon.stop()


def test_a_fed_pump_stopped_while_powered_is_not_written_again_unpowered(
    fed_field: Field,
) -> None:
    """Its ``run`` 0 confirmed before its supply went off, the stop asks nothing more of it:
    a write to the unpowered pump would hold the control tick for the bus's timeouts."""
    site, sim, store, clock = fed_field
    powered_by(sim.devices["doser1"], sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        health = daemon.fieldio.bus_of("doser1").health["doser1"]
        timeouts = health.timeout
        daemon.sequencer.stop("z1", "test over")
        assert "ch5" not in relay_on(sim) and sim.devices["doser1"].get("run") == 0
        assert health.timeout == timeouts
    finally:
        daemon.stop()


class _Buses:
    """The field at a seam: each pump's ``run`` write answered by ``answers`` (an error to
    raise, or None to take it), every write kept."""

    def __init__(self, answers: dict[str, DriverError | None]) -> None:
        self.answers = answers
        self.written: list[tuple[str, str, float, bool]] = []

    def bus_of(self, device: str) -> _Buses:
        return self

    def write_point(self, device: str, point: str, value: float, *, force: bool = False) -> None:
        self.written.append((device, point, value, force))
        error = self.answers.get(device)
        if error is not None:
            raise error


@pytest.mark.parametrize(
    "error",
    [DeviceTimeout("doser1", "no answer"), DeviceException("doser1", 4, "device failure")],
    ids=["silent", "refusing"],
)
def test_every_pump_is_written_run_0_when_the_first_fails(
    tmp_path: Path, error: DriverError
) -> None:
    site = load_text(tmp_path, channel_site_text())
    pumps = [device for _, device in dosing_pumps(site)]
    assert pumps == ["doser1", "dose_n", "dose_p", "dose_k", "dose_acid"]
    buses = _Buses({"doser1": error})
    failures = run_off_at_start(site, buses)  # type: ignore[arg-type]
    assert buses.written == [(p, "run", 0, True) for p in pumps]
    assert failures == {"doser1": error}


def test_a_fed_pump_its_bus_rests_from_is_written_run_0_while_still_powered(
    fed_field: Field,
) -> None:
    """A rest earned by a few lost answers mid-injection does not skip the stop's ``run`` 0
    before the supply goes off: the pump, powered, takes it (after, unpowered, it cannot)."""
    site, sim, store, clock = fed_field
    doser = sim.devices["doser1"]
    written = powered_by(doser, sim.devices["relay1"], "ch5")
    daemon = daemon_of(site, store, clock)
    daemon.start(schedule=False)
    try:
        daemon.sequencer.start("z1", 2, RunSource.MANUAL, recipe=Recipe(kg={"N": 2.0}))
        step(daemon, sim, clock, INJECTING_AFTER_S)
        assert written[-1] == ("run", 1)
        resting(daemon.fieldio, "doser1")
        daemon.sequencer.stop("z1", "test over")
        assert written[-1] == ("run", 0) and doser.get("run") == 0
        assert "ch5" not in relay_on(sim)
    finally:
        daemon.stop()
