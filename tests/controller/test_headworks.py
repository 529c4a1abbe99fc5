"""Head works against the demo site's simulated devices on a virtual clock: backflush, pump hours.

Real pymodbus servers on free ports, the real bus owners, sequencer and
supervisor, a real store; the field is stepped by hand one virtual second at
a time. The simulated field publishes only the pressure after the filter
(``press1``, from its pump curve: ~200 kPa at 100 m3/h); the tests set the
pressure before the filter (``press0``) on its virtual device and freeze it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, load_site
from controller.runtime.fieldio import FieldIO
from controller.runtime.head_events import head_part, head_parts
from controller.runtime.headworks import HeadWorks, pump_hours
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import Supervisor
from controller.runtime.sequencer import ActiveRun, Recipe, Sequencer
from controller.simulation.harness import Simulation
from controller.store import Event, Run, RunPhase, RunState, Store
from drivers.bus import Bus
from drivers.reading import Quality, Reading
from drivers.sim import Fault, FaultKind
from tests.helpers.leases import assert_lease_closes
from tests.helpers.servedports import on_served_ports
from tests.helpers.site import DEMO_SITE, ROOT, on_free_ports

POLL = {
    "flow1": ("flow_rate", "total", "total_fraction"),
    "press0": ("line_pressure",),
    "press1": ("line_pressure",),
    "ec1": ("ec",),
    "ph1": ("ph",),
    "doser1": ("dosed_volume",),
}
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _site(tmp_path: Path, **extra: str) -> SiteConfig:
    """The demo site on free ports, with short leases, phases and backflush timing."""
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    replace = {
        "timeout_s = 0.3\nretries = 1\ngap_ms = 5": "timeout_s = 0.1\nretries = 0\ngap_ms = 0",
        "lease_s = 15 ": "lease_s = 9 ",
        "stale_after_s = 300": "stale_after_s = 10",
        "line_pressure_min_kpa = 80": "line_pressure_min_kpa = 0",
        "prewet_min = 15": "prewet_min = 0.5",
        "flush_min = 25": "flush_min = 0.5",
        "backflush_s = 60": "backflush_s = 20",
        "backflush_min_gap_min = 30": "backflush_min_gap_min = 1",
        "backflush_interval_h = 8 ": "backflush_interval_h = 500 ",
    } | extra
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    # Measure at the head meter (the field publishes the sum there).
    text = text.replace('flow_meter = "flow1"\nmax_run_min', "max_run_min")
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


class Rig:
    def __init__(self, site: SiteConfig, sim: Simulation, store: Store, clock: VirtualClock):
        self.site, self.sim, self.store, self.clock = site, sim, store, clock
        buses = {
            b.name: Bus(b.settings(), site.devices_on(b.name), now=clock.now) for b in site.buses
        }
        self.fieldio = FieldIO(site, buses)
        self.live = LiveState()
        self.outputs = Outputs(site, self.fieldio, clock)
        self.supervisor = Supervisor(site, self.outputs, self.live, store, self.fieldio, clock)
        self.sequencer = Sequencer(
            site, self.outputs, self.live, store, self.fieldio, clock, self.supervisor
        )
        self.supervisor.attach(self.sequencer)
        self.headworks = HeadWorks(site, self.outputs, self.live, store, clock, self.sequencer)
        self.poll()

    def poll(self) -> None:
        for device, names in POLL.items():
            readings, _ = self.fieldio.bus_of(device).read_points(device, names)
            self.live.update(readings)

    def step(self) -> None:
        """One second of the daemon's control loop: sequencer, head works, supervisor."""
        self.clock.advance(1)
        self.sim.field.step(1.0)
        self.poll()
        now = self.clock.now()
        self.sequencer.tick(now)
        self.headworks.tick(now)
        self.supervisor.check(now)

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.step()

    def before_filter(self, kpa: float) -> None:
        press0 = self.sim.devices["press0"]
        press0.clear()
        press0.set("line_pressure", kpa)
        # Frozen, so that a field that publishes press0 cannot overwrite it.
        press0.inject(Fault(FaultKind.STUCK, point="line_pressure"))

    def backflush_on(self) -> bool:
        return bool(self.sim.devices["relay1"].get("ch6"))

    def injecting(self) -> bool:
        return bool(self.sim.devices["relay1"].get("ch5")) or bool(
            self.sim.devices["doser1"].get("run")
        )

    def events(self, code: str) -> list[Event]:
        return [e for e in self.store.events() if e.code == code]


MakeRig = Callable[..., "Rig"]


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[MakeRig]:
    made: list[tuple[Rig, Simulation, Store]] = []

    def make(**extra: str) -> Rig:
        planned = _site(tmp_path, **extra)
        sim = Simulation(planned, control_port=0, step_s=3600, any_port=True).start()
        site = on_served_ports(planned, sim, planned.path)
        clock = VirtualClock(T0)
        store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        rig = Rig(site, sim, store, clock)
        made.append((rig, sim, store))
        return rig

    yield make
    for rig, sim, store in made:
        rig.outputs.all_off()
        rig.fieldio.close()
        store.close()
        sim.stop()


@pytest.fixture
def rig(make_rig: MakeRig) -> Rig:
    return make_rig()


def _read_back(event: Event, codes: list[str], **nested: str) -> None:
    """``event``'s message read back part by part as ``codes`` (a page says it from them),
    the value naming why (``reason``, ``blocked``, ``why``) as its code in ``nested``."""
    parts = head_parts(event.message)
    assert [p.code for p in parts] == codes, event.message
    values = {k: v for p in parts for k, v in p.values.items()}
    assert {k: head_part(values[k]).code for k in nested} == nested, event.message


def _first_on(rig: Rig, seconds: int) -> int | None:
    """Seconds until the backflush valve opens (``None`` if it stays closed)."""
    for i in range(1, seconds + 1):
        rig.step()
        if rig.backflush_on():
            return i
    return None


# ------------------------------------------------------------------ backflush


def test_high_dp_backflushes_once_settled_for_backflush_s_and_records_the_dp(rig: Rig) -> None:
    rig.before_filter(270.0)  # ~70 kPa over the ~200 kPa after the filter
    rig.sequencer.start("z1", 10, "manual")
    opened = _first_on(rig, 40)
    # the pump settles 15 s, then dp must stay high 10 s
    assert opened is not None and 25 <= opened <= 28
    (event,) = rig.events("backflush")
    assert event.severity == "info" and event.source == "headworks"
    assert "filter backflush for 20 s: filter dp" in event.message
    assert "> 50 kPa; dp " in event.message
    dp = rig.headworks.filter_dp_kpa()
    assert dp is not None and 55 < dp < 85
    assert rig.headworks.backflushing()
    rig.run(19)
    assert rig.backflush_on()
    rig.run(2)
    assert not rig.backflush_on() and not rig.headworks.backflushing()
    assert rig.sim.devices["relay1"].get("ch8")  # the water ran on
    assert rig.store.open_alarms() == []


def test_min_gap_between_backflushes_is_respected(rig: Rig) -> None:
    rig.before_filter(270.0)
    rig.sequencer.start("z1", 10, "manual")
    assert _first_on(rig, 40) is not None
    rig.run(25)  # the 20 s backflush is over; dp stays high
    assert not rig.backflush_on() and len(rig.events("backflush")) == 1
    second = _first_on(rig, 40)
    starts = [e.time for e in rig.events("backflush")]
    assert second is not None and len(starts) == 2
    assert starts[1] - starts[0] == timedelta(seconds=60)  # backflush_min_gap_min = 1


def test_low_dp_does_not_backflush(rig: Rig) -> None:
    rig.before_filter(220.0)  # ~20 kPa
    rig.sequencer.start("z1", 10, "manual")
    assert _first_on(rig, 60) is None
    assert rig.events("backflush") == []


def test_no_backflush_without_the_pump(rig: Rig) -> None:
    rig.before_filter(270.0)
    assert _first_on(rig, 40) is None


def test_interval_backflushes_after_hours_of_pumping(make_rig: MakeRig) -> None:
    rig = make_rig(**{"backflush_interval_h = 500 ": "backflush_interval_h = 0.01 "})
    rig.before_filter(210.0)  # dp ~10 kPa: only the interval applies
    rig.sequencer.start("z1", 10, "manual")
    opened = _first_on(rig, 60)
    assert opened is not None and 36 <= opened <= 39  # 0.01 h = 36 s of pumping
    (event,) = rig.events("backflush")
    assert "0.0 h of pumping since the last backflush; dp " in event.message
    _read_back(event, ["started", "dp"], reason="pumped")


def test_never_while_injecting_deferred_until_the_flush(rig: Rig) -> None:
    rig.before_filter(270.0)
    rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    seen_inject = False
    flushed_at_phase: list[RunPhase] = []
    for _ in range(150):
        rig.step()
        seen_inject |= rig.injecting()
        assert not (rig.backflush_on() and rig.injecting())
        active = rig.sequencer.active()
        if rig.backflush_on() and active:
            flushed_at_phase.append(active[0].phase)
    assert seen_inject
    assert flushed_at_phase and set(flushed_at_phase) == {RunPhase.FLUSH}
    (deferred,) = rig.events("backflush_deferred")
    assert "filter dp" in deferred.message and "zone z1 is fertigating (prewet)" in (
        deferred.message
    )
    _read_back(deferred, ["dp_high", "deferred"], blocked="fertigating")
    (done,) = rig.events("backflush")
    assert done.time > deferred.time
    _read_back(done, ["started", "dp"], reason="dp_high")
    run = rig.store.runs()[0]
    assert run.state == RunState.DONE and run.fertilizer["N"] == pytest.approx(2.0, rel=0.05)
    assert rig.store.open_alarms() == []


def test_a_backflush_ends_when_the_pump_stops(rig: Rig) -> None:
    rig.before_filter(270.0)
    rig.sequencer.start("z1", 10, "manual")
    assert _first_on(rig, 40) is not None
    rig.run(3)
    rig.sequencer.stop("z1", "manual stop")
    rig.step()
    assert not rig.backflush_on() and not rig.headworks.backflushing()
    (ended,) = rig.events("backflush_ended")
    assert "ended after 4 s: the pump stopped" in ended.message
    _read_back(ended, ["ended"], why="pump_stopped")


def test_a_safety_trip_closes_it_and_a_restart_remembers_the_last_one(rig: Rig) -> None:
    rig.before_filter(270.0)
    rig.sequencer.start("z1", 10, "manual")
    assert _first_on(rig, 40) is not None
    rig.supervisor.trip("output_fault", "test trip")
    rig.step()
    assert not rig.backflush_on()
    assert "switched off elsewhere" in rig.events("backflush_ended")[0].message
    # A new daemon on the same store: the gap counts from the stored backflush.
    again = HeadWorks(rig.site, rig.outputs, rig.live, rig.store, rig.clock, rig.sequencer)
    assert again.status().last_backflush == rig.events("backflush")[0].time


# ------------------------------------------------------------------ pump hours


def _run(start_min: float, end_min: float | None, state: RunState, planned: float = 60) -> Run:
    return Run(
        created_at=T0,
        zone="z1",
        source="plan",
        state=state.value,
        planned_min=planned,
        started_at=T0 + timedelta(minutes=start_min),
        ended_at=None if end_min is None else T0 + timedelta(minutes=end_min),
    )


def test_pump_hours_merge_overlapping_runs_and_count_the_running_one() -> None:
    now = T0 + timedelta(hours=10)
    runs = [
        _run(0, 60, RunState.DONE),
        _run(30, 90, RunState.DONE),  # overlaps: 0..90 is 1.5 h
        _run(120, 150, RunState.ABORTED),  # 0.5 h
        _run(180, 600, RunState.INTERRUPTED, planned=30),  # noticed at restart: at most 0.5 h
        Run(created_at=T0, zone="z2", source="plan", state="planned", planned_min=30),
        _run(570, None, RunState.RUNNING),  # running 30 min until now
    ]
    assert pump_hours(runs, now) == pytest.approx(1.5 + 0.5 + 0.5 + 0.5)
    since = T0 + timedelta(minutes=60)
    assert pump_hours(runs, now, since=since) == pytest.approx(0.5 + 0.5 + 0.5 + 0.5)
    assert pump_hours([], now) == 0


def test_pump_hours_from_the_store_include_the_active_run(rig: Rig) -> None:
    rig.sequencer.start("z1", 1, "manual")
    rig.run(61)
    rig.sequencer.start("z3", 5, "manual")
    rig.run(30)
    assert rig.headworks.pump_hours() == pytest.approx((60 + 30) / 3600, abs=3 / 3600)
    status = rig.headworks.status()
    assert status.pump_hours == pytest.approx(rig.headworks.pump_hours())
    assert status.pumping_since_backflush_h == pytest.approx(88 / 3600, abs=3 / 3600)


# ------------------------------------------------------------------ a filter_dp device


def test_a_device_with_a_filter_dp_point(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    pressure = (ROOT / "drivers" / "profiles").joinpath("generic-rs485-pressure-transmitter.toml")
    text = pressure.read_text(encoding="utf-8")
    text += (
        '\n[[points]]\nname = "filter_dp"\ntable = "holding"\naddress = 7\ntype = "int16"\n'
        'scale = 0.1\nunit = "kPa"\n'
    )
    text = text.replace("max_read_registers = 7", "max_read_registers = 8")
    (profiles / "dp-transmitter.toml").write_text(text, encoding="utf-8")
    site_text = DEMO_SITE.read_text(encoding="utf-8")
    site_text = site_text.replace(
        'pressure_before_filter = "press0"', 'filter_dp = "press0"'
    ).replace(
        'name = "press0"\nbus = "head"\nunit = 9\nprofile = "generic-rs485-pressure-transmitter"',
        'name = "press0"\nbus = "head"\nunit = 9\nprofile = "dp-transmitter"',
    )
    site_text = 'profile_dirs = ["profiles"]\n' + site_text
    path = tmp_path / "site.toml"
    path.write_text(site_text, encoding="utf-8")
    site = load_site(path)
    clock = VirtualClock(T0)
    live = LiveState()
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock) as store:
        outputs = Outputs(site, FieldIO(site, {}), clock)
        head = HeadWorks(site, outputs, live, store, clock, _NoRuns())
        assert head.filter_dp_kpa() is None
        live.update([Reading("press0", "filter_dp", 42.5, "kPa", Quality.OK, clock.now())])
        assert head.filter_dp_kpa() == 42.5
        clock.advance(301)  # older than safety.stale_after_s
        assert head.filter_dp_kpa() is None


class _NoRuns:
    def active(self) -> list[ActiveRun]:
        return []


# ------------------------------------------------------------------ config checks


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'pressure_before_filter = "press0"',
            'pressure_before_filter = "flow1"',
            "head.pressure_before_filter: device 'flow1' is a flow_meter, expected pressure",
        ),
        (
            'pressure_before_filter = "press0"',
            'pressure_before_filter = "press1"',
            "head.pressure_before_filter: 'press1' is also head.pressure",
        ),
        (
            'pressure = "press1"                 # after the filter\n',
            "",
            "head.pressure_before_filter: needs head.pressure (after the filter)",
        ),
        (
            'pressure_before_filter = "press0"',
            'pressure_before_filter = "press0"\nfilter_dp = "press9"',
            "head.filter_dp: unknown device 'press9' (site.toml)",
        ),
        (
            'pressure_before_filter = "press0"',
            'filter_dp = "press0"',
            "head.filter_dp: device 'press0' (pressure) has no point 'filter_dp'",
        ),
        (
            'pressure_before_filter = "press0"',
            'pressure_before_filter = "press0"\nfilter_dp = "press0"',
            "head.filter_dp: give pressure_before_filter or filter_dp, not both",
        ),
        (
            'backflush_valve = "relay1.ch6"\n',
            "",
            "head.backflush_interval_h: needs head.backflush_valve (site.toml)",
        ),
        (
            "backflush_s = 60",
            "backflush_s = 1800",
            "head.backflush_s: 1800 s is not shorter than backflush_min_gap_min 30 min",
        ),
        ("backflush_s = 60", "backflush_s = 0", "head.backflush_s: Input should be greater"),
        ("backflush_s = 60", "backflush_secs = 60", "head.backflush_secs: unknown key"),
        (
            "backflush_interval_h = 8 ",
            "backflush_interval_h = -8 ",
            "head.backflush_interval_h: Input should be greater than 0",
        ),
    ],
)
def test_broken_head_is_refused_with_key_path(
    tmp_path: Path, demo_site_text: str, old: str, new: str, expected: str
) -> None:
    assert old in demo_site_text, f"test precondition: {old!r} not in the example"
    path = tmp_path / "site.toml"
    path.write_text(demo_site_text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_site(path)
    assert any(expected in p for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault(FaultKind.EXCEPTION, point="ch6", code=4), "exception 4"),  # the write refused
        (Fault(FaultKind.GARBAGE, point="ch6", values=(0,)), "read back"),  # on, read back off
    ],
)
def test_a_backflush_valve_the_module_refuses_stops_the_water_and_says_so(
    rig: Rig, fault: Fault, said: str
) -> None:
    rig.before_filter(270.0)
    rig.sim.devices["relay1"].inject(fault)
    run_id = rig.sequencer.start("z1", 10, "manual")
    for _ in range(40):  # settled, dp high: the backflush is tried and refused
        rig.step()
        if rig.events("backflush_failed"):
            break
    (failed,) = rig.events("backflush_failed")
    assert "backflush not started" in failed.message and said in failed.message
    rig.step()  # the supervisor's check sees the output's error
    relay = rig.sim.devices["relay1"]
    assert [ch for ch in range(1, 9) if relay.get(f"ch{ch}")] == []
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "output_fault" in run.end_reason
    # the refused lease, then the refused switch-off of the same coil: each its own alarm
    assert {a.code for a in rig.store.open_alarms()} == {"output_fault"}
    assert not rig.headworks.backflushing()


SHORT_LEASE_S = 3  # the shortest the site file allows: a lease watched in real time
SHORT_LEASE = {"lease_s = 15 ": f"lease_s = {SHORT_LEASE_S} "}


def test_a_backflush_valve_write_left_unanswered_ends_with_the_leases_closing_the_water(
    make_rig: MakeRig,
) -> None:
    """The module does not answer the backflush valve's write, nor then the switch-off of
    the module: nothing renews the valve, master and pump again; the module's own leases
    close them."""
    rig = make_rig(**SHORT_LEASE)
    rig.before_filter(270.0)
    relay = rig.sim.devices["relay1"]
    relay.inject(Fault(FaultKind.NO_ANSWER, point="ch6"))
    run_id = rig.sequencer.start("z1", 10, "manual")
    for _ in range(40):  # settled, dp high: the backflush is tried, unanswered
        rig.step()
        if rig.events("backflush_failed"):
            break
    (failed,) = rig.events("backflush_failed")
    assert "backflush not started" in failed.message and "no answer" in failed.message
    rig.step()  # the supervisor's check sees the output's error: everything off, unanswered
    assert rig.outputs.on_roles() == [] and rig.store.get_run(run_id).state == RunState.ABORTED
    assert_lease_closes(relay, ["ch1", "ch7", "ch8"], SHORT_LEASE_S)
    rig.step()
    assert [ch for ch in range(1, 9) if relay.get(f"ch{ch}")] == []
    assert {a.code for a in rig.store.open_alarms()} == {"output_fault"}


def test_the_box_dying_mid_backflush_leaves_the_leases_to_close_the_valve_and_the_water(
    make_rig: MakeRig,
) -> None:
    """kill -9 while the filter backflushes: no tick again. The relay module drops the
    backflush valve with the zone valve, master and pump when their leases end; the restart
    ends the run ``interrupted``."""
    rig = make_rig(**SHORT_LEASE)
    rig.before_filter(270.0)
    run_id = rig.sequencer.start("z1", 10, "manual")
    assert _first_on(rig, 40) is not None and rig.headworks.backflushing()
    rig.step()  # then the process is gone
    relay = rig.sim.devices["relay1"]
    assert_lease_closes(relay, ["ch1", "ch6", "ch7", "ch8"], SHORT_LEASE_S)
    restarted = Rig(rig.site, rig.sim, rig.store, rig.clock)
    try:
        assert restarted.sequencer.recover() == [run_id]
    finally:
        restarted.fieldio.close()
    assert rig.store.get_run(run_id).state == RunState.INTERRUPTED
    (event,) = rig.events("run_interrupted")
    assert f"run {run_id} of zone z1 interrupted" in event.message
    assert [ch for ch in range(1, 9) if relay.get(f"ch{ch}")] == []
