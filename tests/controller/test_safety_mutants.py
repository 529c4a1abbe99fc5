"""The safety supervisor's rules one at a time, each at, just under and just over its limit
(scripts/mutation.sh controller/runtime/safety.py).

The real :class:`Supervisor` and :class:`Outputs` over a bus that records every write, a
real :class:`LiveState` fed by hand and a SQLite store; the runs it aborts are a recorder
(the sequencer is judged by its own tests). Time moves only by :class:`VirtualClock`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.dosers import UNCONFIRMED
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import (
    INJECT_NO_FLOW_GRACE_S,
    LEARN_ALPHA,
    LEARN_MIN_SAMPLES,
    PUMP_NO_VALVE_GRACE_S,
    SEED_LOOKBACK_DAYS,
    SEED_MIN_RUN_MIN,
    SETTLE_S,
    UNSCHEDULED_FLOW_DELAY_S,
    Supervisor,
    Trip,
    learned_from_runs,
    stop_injector,
)
from controller.store import RunPhase, RunSource, RunState, RunStateError, Severity, Store
from drivers.errors import DeviceError
from drivers.reading import Quality, Reading
from tests.helpers.dosing import channel_only, channel_site_text
from tests.helpers.fakebus import FakeBus, SimpleFieldIO
from tests.helpers.site import DEMO_SITE
from tests.helpers.storefaults import read_only

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
NOMINAL = 100.0  # every demo zone's nominal flow, m3/h
# The demo site's safety limits, restated so a test fails if they move under it.
NO_FLOW = 2.0
BURST = NOMINAL * 1.5
DRY_DELAY_S = 30.0
BURST_DELAY_S = 20.0
P_MIN, P_MAX = 80.0, 350.0
EC_MAX = 3.5
PH_MIN, PH_MAX = 5.5, 8.0
TANK_LOW_M = 0.15
MAX_RUN_S = 240 * 60.0
STALE_S = 300.0  # min(zone z1 240, safety 360) minutes


class Runs:
    """The sequencer's side of the supervisor: what it was told."""

    def __init__(self) -> None:
        self.aborted: list[str] = []
        self.injection: list[str] = []

    def abort_all(self, reason: str) -> None:
        self.aborted.append(reason)

    def injection_stopped(self, reason: str) -> None:
        self.injection.append(reason)


NORMAL: dict[tuple[str, str], float | None] = {
    ("flow1", "flow_rate"): NOMINAL,
    ("press1", "line_pressure"): 200.0,
    ("ec1", "ec"): 1.5,
    ("ph1", "ph"): 7.0,
    ("tank_n", "level"): 1.0,
    ("tank_k", "level"): 1.0,
}


class Rig:
    def __init__(self, site: SiteConfig, store: Store, clock: VirtualClock) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        self.bus = FakeBus()
        fio = cast(FieldIO, SimpleFieldIO(self.bus))
        self.live = LiveState()
        self.outputs = Outputs(site, fio, clock)
        self.sup = Supervisor(site, self.outputs, self.live, store, fio, clock)
        self.runs = Runs()
        self.sup.attach(self.runs)
        self.values = dict(NORMAL)

    def on(self, *roles: str) -> None:
        for role in roles:
            self.outputs.on(role)

    def set(self, device: str, point: str, value: float | None) -> None:
        self.values[(device, point)] = value

    def check(self, after_s: float = 0.0) -> list[Trip]:
        """Let ``after_s`` pass, publish the values (fresh), run one check."""
        self.clock.advance(after_s)
        now = self.clock.now()
        self.live.update(
            Reading(d, p, v, "", Quality.OK, now, decoded=v)
            for (d, p), v in self.values.items()
            if v is not None
        )
        return self.sup.check()

    def codes(self, after_s: float = 0.0) -> list[str]:
        return [t.code for t in self.check(after_s)]

    def events(self) -> list[Any]:
        return [e for e in self.store.events() if e.source == "safety"]


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


def with_safety(site: SiteConfig, **limits: float) -> SiteConfig:
    safety = site.safety.model_copy(update=limits)
    return dataclasses.replace(site, model=site.model.model_copy(update={"safety": safety}))


def without_fertigation(site: SiteConfig) -> SiteConfig:
    return dataclasses.replace(site, model=site.model.model_copy(update={"fertigation": None}))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(T0)) as s:
        yield s


@pytest.fixture
def make(store: Store) -> Any:
    def _make(site: SiteConfig) -> Rig:
        clock = store.clock
        assert isinstance(clock, VirtualClock)
        clock.advance(100.0)  # a monotonic clock away from zero
        return Rig(site, store, clock)

    return _make


@pytest.fixture
def rig(make: Any, demo: SiteConfig) -> Rig:
    r: Rig = make(demo)
    return r


def test_the_demo_limits_are_the_ones_these_tests_assume(demo: SiteConfig) -> None:
    s = demo.safety
    assert (s.no_flow_m3_h, s.burst_factor * NOMINAL) == (NO_FLOW, BURST)
    assert (s.dry_run_delay_s, s.burst_delay_s) == (DRY_DELAY_S, BURST_DELAY_S)
    assert (s.line_pressure_min_kpa, s.line_pressure_max_kpa) == (P_MIN, P_MAX)
    assert (s.ec_max_ms_cm, s.ph_min, s.ph_max) == (EC_MAX, PH_MIN, PH_MAX)
    assert s.stale_after_s == STALE_S
    assert all(t.low_level_m == TANK_LOW_M for t in demo.fertigation.tanks)  # type: ignore[union-attr]
    assert min(demo.zones[0].max_run_min, s.max_run_min) * 60 == MAX_RUN_S
    assert all(z.nominal_flow_m3_h == NOMINAL for z in demo.zones)


# ------------------------------------------------------------------ water rules


def test_max_run_trips_just_after_the_limit_and_closes_everything(rig: Rig) -> None:
    rig.set("flow1", "flow_rate", 0.0)
    rig.on("valve:z1")
    assert rig.codes() == []
    assert rig.codes(MAX_RUN_S) == []  # exactly at the limit
    trips = rig.check(1.0)
    assert [t.code for t in trips] == ["max_run"]
    assert trips[0].action == "all_off"
    assert trips[0].message == "max run time: zone z1 valve on 240.0 min > 240 min"
    assert rig.outputs.on_roles() == []
    assert rig.runs.aborted == [f"safety max_run: {trips[0].message}"]


def test_max_run_uses_the_smaller_of_the_zone_and_site_limits(make: Any, demo: SiteConfig) -> None:
    rig = make(with_safety(demo, max_run_min=10))
    rig.set("flow1", "flow_rate", 0.0)
    rig.on("valve:z2")
    assert rig.codes(600.0) == []
    trips = rig.check(1.0)
    assert [t.code for t in trips] == ["max_run"]
    assert "zone z2 valve on 10.0 min > 10 min" in trips[0].message


def test_max_run_counts_from_the_last_switch_on_not_the_first(rig: Rig) -> None:
    rig.set("flow1", "flow_rate", 0.0)
    rig.on("valve:z1")
    assert rig.codes(MAX_RUN_S - 10) == []
    rig.outputs.off("valve:z1")
    rig.clock.advance(1.0)
    rig.on("valve:z1")  # off and on again between two checks
    assert rig.codes(20.0) == []


def test_pump_without_a_valve_trips_after_its_grace(rig: Rig) -> None:
    rig.on("pump")
    assert rig.codes() == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["pump_no_valve"]
    assert trips[0].message == "pump on 6 s with no zone valve open (grace 5 s)"
    assert rig.outputs.on_roles() == []


def test_pump_with_a_valve_open_is_not_pump_no_valve(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    assert rig.codes() == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 5) == []


def test_a_valve_closing_restarts_the_pump_no_valve_grace(rig: Rig) -> None:
    rig.on("pump")
    assert rig.codes(4.0) == []
    rig.on("valve:z1")
    assert rig.codes(1.0) == []
    rig.outputs.off("valve:z1")
    assert rig.codes(0.0) == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S) == []  # counted from the valve closing


def test_no_flow_reading_while_pumping_is_a_stale_meter(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", None)
    trips = rig.check()
    assert [t.code for t in trips] == ["flow_meter_stale"]
    assert trips[0].action == "all_off"
    assert trips[0].message == "flow meter flow1: no good reading within 300 s while pumping"


def test_no_flow_reading_without_pumping_is_no_trip(rig: Rig) -> None:
    rig.on("valve:z1")
    rig.set("flow1", "flow_rate", None)
    assert rig.codes() == []


def test_a_negative_flow_beyond_the_no_flow_band_is_a_broken_meter(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", -NO_FLOW)
    assert "flow_meter_stale" not in rig.codes()
    rig.set("flow1", "flow_rate", -NO_FLOW - 0.01)
    trips = rig.check()
    assert [t.code for t in trips] == ["flow_meter_stale"]
    assert trips[0].message == "flow meter flow1: flow -2.0 m3/h is negative while pumping"


def test_the_negative_flow_band_is_at_least_a_tenth(make: Any, demo: SiteConfig) -> None:
    rig = make(with_safety(demo, no_flow_m3_h=0.0))
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", -0.1)
    assert rig.codes() == []
    rig.set("flow1", "flow_rate", -0.11)
    assert rig.codes() == ["flow_meter_stale"]


def test_dry_run_trips_when_the_flow_stays_low_beyond_the_delay(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", NO_FLOW - 0.1)
    assert rig.codes() == []
    assert rig.codes(DRY_DELAY_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["dry_run"]
    assert trips[0].message == "dry run: pump on 30 s with flow 1.9 m3/h < 2"
    assert rig.outputs.on_roles() == []


def test_a_flow_at_the_no_flow_limit_is_not_dry(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", NO_FLOW)
    assert rig.codes() == []
    assert rig.codes(DRY_DELAY_S + 5) == []


def test_the_dry_run_delay_restarts_when_the_flow_comes_back(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", 0.0)
    assert rig.codes(0.0) == []
    assert rig.codes(DRY_DELAY_S - 1) == []
    rig.set("flow1", "flow_rate", NOMINAL)
    assert rig.codes(1.0) == []
    rig.set("flow1", "flow_rate", 0.0)
    assert rig.codes(1.0) == []
    assert rig.codes(DRY_DELAY_S - 1) == []


def test_burst_trips_above_the_nominal_times_the_factor_after_the_delay(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", BURST + 0.1)
    assert rig.codes() == []
    assert rig.codes(BURST_DELAY_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["burst"]
    assert trips[0].message == "burst: flow 150.1 m3/h > 150.0 (nominal of z1 × 1.5) for 20 s"


def test_a_flow_at_the_burst_limit_is_no_burst(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", BURST)
    assert rig.codes() == []
    assert rig.codes(BURST_DELAY_S + 5) == []


def test_the_burst_limit_sums_the_open_zones(rig: Rig) -> None:
    rig.on("valve:z1", "valve:z2", "pump")
    rig.set("flow1", "flow_rate", 2 * BURST)
    assert rig.codes() == []
    assert rig.codes(BURST_DELAY_S + 5) == []
    rig.set("flow1", "flow_rate", 2 * BURST + 0.1)
    assert rig.codes(1.0) == []
    trips = rig.check(BURST_DELAY_S + 0.5)
    assert [t.code for t in trips] == ["burst"]
    assert "nominal of z1,z2 × 1.5" in trips[0].message


def test_no_burst_while_backflushing_or_without_a_zone_or_the_pump(rig: Rig) -> None:
    rig.set("flow1", "flow_rate", 10 * BURST)
    rig.on("valve:z1", "master_valve")  # no pump: unscheduled flow's rule, not burst's
    assert "burst" not in rig.codes()
    assert "burst" not in rig.codes(BURST_DELAY_S + 1)
    rig.on("pump", "backflush_valve")
    assert rig.codes() == []
    assert rig.codes(BURST_DELAY_S + 1) == []


def test_burst_uses_the_learned_nominal_once_learned(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    seed_run(store, "z1", 0, 60, 80.0)  # z1 ran alone at 80 m3/h
    rig = make(demo)
    assert rig.sup.learned_nominal_m3_h("z1") == pytest.approx(80.0)
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", 80.0 * 1.5 + 0.1)
    assert rig.codes() == []
    trips = rig.check(BURST_DELAY_S + 1)
    assert [t.code for t in trips] == ["burst"]
    assert "> 120.0 (nominal of z1" in trips[0].message


def test_high_pressure_trips_after_settling_just_above_the_limit(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("press1", "line_pressure", P_MAX + 100)
    assert rig.codes() == []  # the pump just started: pressure settles
    assert rig.codes(SETTLE_S - 0.5) == []
    rig.set("press1", "line_pressure", P_MAX)
    assert rig.codes(0.5) == []  # settled, at the limit
    rig.set("press1", "line_pressure", P_MAX + 0.5)
    trips = rig.check()
    assert [t.code for t in trips] == ["pressure_high"]
    assert trips[0].action == "all_off"
    assert trips[0].message == "line pressure 350 kPa > 350 kPa"


def test_no_pressure_reading_is_no_pressure_trip(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("press1", "line_pressure", None)
    assert rig.codes(SETTLE_S + 1) == []


def test_low_pressure_is_an_alarm_raised_once_per_episode(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("press1", "line_pressure", P_MIN - 0.5)
    assert rig.codes(SETTLE_S - 0.5) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["pressure_low"]
    assert trips[0].action == "alarm"
    assert trips[0].message == "line pressure 80 kPa < 80 kPa while pumping"
    assert rig.outputs.on_roles() == ["valve:z1", "pump"]  # water keeps running
    assert rig.codes(1.0) == []  # once
    rig.set("press1", "line_pressure", P_MIN)
    assert rig.codes(1.0) == []  # at the limit: recovered
    rig.set("press1", "line_pressure", P_MIN - 0.5)
    assert rig.codes(1.0) == ["pressure_low"]  # a new episode
    [*_, event] = rig.events()
    assert (event.code, event.severity, event.latched) == ("pressure_low", "warning", False)
    assert rig.store.open_alarms() == []


def test_low_pressure_is_expected_while_backflushing(rig: Rig) -> None:
    rig.on("valve:z1", "pump", "backflush_valve")
    rig.set("press1", "line_pressure", 0.0)
    assert rig.codes(SETTLE_S + 1) == []


def test_a_pump_stop_ends_the_low_pressure_episode(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("press1", "line_pressure", P_MIN - 10)
    assert rig.codes(SETTLE_S) == ["pressure_low"]
    rig.outputs.off("pump")
    assert rig.codes(1.0) == []
    rig.on("pump")
    assert rig.codes(SETTLE_S) == ["pressure_low"]


def test_unscheduled_flow_is_a_latched_alarm_after_its_delay(rig: Rig) -> None:
    rig.set("flow1", "flow_rate", NO_FLOW + 0.1)
    assert rig.codes() == []
    assert rig.codes(UNSCHEDULED_FLOW_DELAY_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["unscheduled_flow"]
    assert trips[0].message == (
        "unscheduled flow: 2.1 m3/h > 2 for 30 s with pump and master valve off"
    )
    assert rig.codes(1.0) == []  # once per episode
    [event] = rig.events()
    assert (event.severity, event.latched) == ("alarm", True)
    assert [e.code for e in rig.store.open_alarms()] == ["unscheduled_flow"]
    assert rig.sup.may_start("z1") == (True, "")  # an alarm, not a block
    assert rig.runs.aborted == []
    rig.set("flow1", "flow_rate", NO_FLOW)
    assert rig.codes(1.0) == []  # at the limit: stopped
    rig.set("flow1", "flow_rate", NO_FLOW + 0.1)
    assert rig.codes(1.0) == []
    assert rig.codes(UNSCHEDULED_FLOW_DELAY_S) == []
    assert rig.codes(0.5) == ["unscheduled_flow"]  # a new episode


def test_flow_with_the_master_valve_or_pump_on_is_not_unscheduled(rig: Rig) -> None:
    rig.set("flow1", "flow_rate", NOMINAL)
    rig.on("master_valve")
    assert rig.codes() == []
    assert rig.codes(UNSCHEDULED_FLOW_DELAY_S + 1) == []
    rig.outputs.off("master_valve")
    rig.on("valve:z1", "pump")
    assert rig.codes() == []
    assert rig.codes(UNSCHEDULED_FLOW_DELAY_S + 1) == []


def test_a_failed_output_trips_once_per_error(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.bus.failing = {"relay1.ch2"}
    with pytest.raises(DeviceError):
        rig.outputs.on("valve:z2")
    trips = rig.check()
    assert [t.code for t in trips] == ["output_fault"]
    assert trips[0].message == "output valve:z2 (relay1.ch2) failed: relay1: stuck"
    assert rig.outputs.on_roles() == []
    assert rig.codes(1.0) == []  # the same error is not tripped on again
    rig.bus.failing = set()
    rig.on("valve:z2")  # cleared
    rig.outputs.off("valve:z2")
    assert rig.codes(1.0) == []
    rig.bus.failing = {"relay1.ch2"}
    with pytest.raises(DeviceError):
        rig.outputs.on("valve:z2")
    assert rig.codes(1.0) == ["output_fault"]


def test_a_welded_pump_is_one_alarm_and_freed_and_switched_on_again_no_fresh_grace(
    rig: Rig,
) -> None:
    rig.on("pump")
    rig.bus.welded = {"relay1.ch8"}
    assert rig.codes() == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 0.5) == ["pump_no_valve"]
    assert rig.outputs.reads_on_roles() == ["pump"]
    assert rig.codes(1.0) == ["output_fault"]  # the failed off, as before
    for _ in range(29):  # welded, nothing commanded on: the alarms stand, not raised again
        assert rig.codes(1.0) == []
    events = rig.events()
    assert [(e.code, e.severity) for e in events] == [
        ("pump_no_valve", "critical"),
        ("output_fault", "critical"),
    ]
    rig.bus.welded = set()
    rig.on("pump")  # freed and switched on before the retry wrote it off
    trips = rig.check(1.0)
    assert [t.code for t in trips] == ["pump_no_valve"]
    assert trips[0].message == "pump on 36 s with no zone valve open (grace 5 s)"
    assert rig.outputs.on_roles() == [] and rig.outputs.reads_on_roles() == []


def test_a_welded_pump_that_reads_off_again_ends_the_condition(rig: Rig) -> None:
    rig.on("pump")
    rig.bus.welded = {"relay1.ch8"}
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 0.5) == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 0.5) == ["pump_no_valve"]
    assert rig.codes(1.0) == ["output_fault"]
    rig.bus.welded = set()
    assert rig.codes(1.0) == []  # the retry wrote it off
    rig.on("pump")
    assert rig.codes() == []  # a new episode, a new grace
    assert rig.codes(PUMP_NO_VALVE_GRACE_S) == []
    assert rig.codes(0.5) == ["pump_no_valve"]


def test_a_rule_already_raised_for_a_welded_relay_acts_again_on_a_new_switch_on(
    rig: Rig,
) -> None:
    rig.on("pump")
    rig.bus.welded = {"relay1.ch8"}
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 0.5) == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 0.5) == ["pump_no_valve"]
    assert rig.codes(1.0) == ["output_fault"]
    assert rig.codes(1.0) == []
    rig.on("master_valve")  # the welded pump would now push water: stop it again
    assert rig.codes(1.0) == ["pump_no_valve"]
    assert rig.outputs.on_roles() == []
    codes = [e.code for e in rig.events()]
    assert codes == ["pump_no_valve", "output_fault", "pump_no_valve"]


def test_unscheduled_flow_judges_the_master_valve_by_its_command(rig: Rig) -> None:
    rig.on("master_valve")
    rig.bus.welded = {"relay1.ch7"}
    rig.sup.trip("lease_renewal", "x")
    assert rig.outputs.reads_on_roles() == ["master_valve"]
    rig.set("flow1", "flow_rate", NO_FLOW + 0.1)  # water through the welded master
    assert rig.codes() == ["output_fault"]
    assert rig.codes(UNSCHEDULED_FLOW_DELAY_S) == []
    assert rig.codes(0.5) == ["unscheduled_flow"]


# ------------------------------------------------------------------ injection rules


def injecting(rig: Rig) -> None:
    rig.on("valve:z1", "master_valve", "pump", "injector_power")


def test_a_welded_injector_is_one_alarm_while_water_runs_again(rig: Rig) -> None:
    injecting(rig)
    rig.bus.welded = {"relay1.ch5"}
    rig.set("ec1", "ec", None)
    assert rig.codes() == ["ec_meter_stale"]
    assert sorted(rig.outputs.on_roles()) == ["master_valve", "pump", "valve:z1"]
    assert rig.codes(1.0) == ["output_fault"]  # the failed off stops the water, as before
    rig.on("valve:z1", "master_valve", "pump")
    for _ in range(10):  # powered in the field, but nothing of the injection commanded on
        assert rig.codes(1.0) == []
    assert [e.code for e in rig.events()] == ["ec_meter_stale", "output_fault"]
    rig.on("injector_power")
    assert rig.codes(1.0) == ["ec_meter_stale"]


def test_a_normal_injection_trips_nothing(rig: Rig) -> None:
    injecting(rig)
    assert rig.codes() == []
    assert rig.codes(SETTLE_S + 60) == []


def test_injection_without_the_pump_stops_after_its_grace(rig: Rig) -> None:
    rig.on("injector_power")
    assert rig.codes() == []
    assert rig.codes(INJECT_NO_FLOW_GRACE_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["inject_no_flow"]
    assert trips[0].action == "injection"
    assert trips[0].message == (
        "injection without water flow: injector powered 4 s, pump off, flow 100.0 m3/h < 2"
    )


def test_injection_with_low_or_unknown_flow_stops(rig: Rig) -> None:
    injecting(rig)
    rig.set("flow1", "flow_rate", NO_FLOW)
    assert rig.codes(INJECT_NO_FLOW_GRACE_S + 1) == []  # at the limit: flowing
    rig.set("flow1", "flow_rate", NO_FLOW - 0.1)
    assert rig.codes(1.0) == []
    assert rig.codes(INJECT_NO_FLOW_GRACE_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["inject_no_flow"]
    assert "pump on, flow 1.9 m3/h < 2" in trips[0].message


def test_injection_stops_the_injector_not_the_water(rig: Rig) -> None:
    injecting(rig)
    rig.set("ec1", "ec", EC_MAX + 0.01)
    trips = rig.check()
    assert [t.code for t in trips] == ["ec_high"]
    assert trips[0].message == "EC 3.51 mS/cm > 3.5 while injecting"
    assert set(rig.outputs.on_roles()) == {"valve:z1", "master_valve", "pump"}
    assert rig.bus.writes[-1] == ("doser1", "run", 0)
    assert rig.runs.injection == [f"safety ec_high: {trips[0].message}"]
    assert rig.runs.aborted == []
    [event] = rig.events()
    assert (event.code, event.severity, event.latched) == ("ec_high", "alarm", True)
    assert rig.sup.may_start("z1") == (True, "")
    ok, why = rig.sup.may_start("z1", fertigation=True)
    assert not ok
    assert why == f"open alarm #{event.id} ec_high: {trips[0].message}"


def test_ec_at_its_limit_is_fine_and_a_missing_ec_is_stale(rig: Rig) -> None:
    injecting(rig)
    rig.set("ec1", "ec", EC_MAX)
    assert rig.codes() == []
    rig.set("ec1", "ec", None)
    assert rig.codes(STALE_S) == []  # the last reading is still good
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["ec_meter_stale"]
    assert trips[0].action == "injection"
    assert trips[0].message == "EC meter ec1: no good reading within 300 s while injecting"


def test_ec_and_ph_are_not_judged_without_injection(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("ec1", "ec", None)
    rig.set("ph1", "ph", None)
    assert rig.codes() == []
    rig.set("ec1", "ec", 10.0)
    rig.set("ph1", "ph", 1.0)
    rig.set("tank_n", "level", 0.0)
    assert rig.codes(1.0) == []


@pytest.mark.parametrize(
    ("ph", "trips"), [(PH_MIN, False), (PH_MAX, False), (5.49, True), (8.01, True)]
)
def test_ph_outside_its_band_stops_injection(rig: Rig, ph: float, trips: bool) -> None:
    injecting(rig)
    rig.set("ph1", "ph", ph)
    found = rig.check()
    if not trips:
        assert found == []
        return
    assert [t.code for t in found] == ["ph_out_of_band"]
    assert found[0].action == "injection"
    assert found[0].message == f"pH {ph:.2f} outside [5.5, 8] while injecting"


def test_a_missing_ph_while_injecting_is_a_stale_meter(rig: Rig) -> None:
    injecting(rig)
    rig.set("ph1", "ph", None)
    trips = rig.check()
    assert [t.code for t in trips] == ["ec_meter_stale"]
    assert trips[0].action == "injection"
    assert trips[0].message == "pH meter ph1: no good reading within 300 s while injecting"


def test_a_site_without_a_ph_meter_is_not_judged_on_ph(make: Any, demo: SiteConfig) -> None:
    assert demo.fertigation is not None
    fert = demo.fertigation.model_copy(update={"ph_meter": None})
    rig = make(dataclasses.replace(demo, model=demo.model.model_copy(update={"fertigation": fert})))
    injecting(rig)
    rig.set("ph1", "ph", None)
    assert rig.codes() == []


@pytest.mark.parametrize(("level", "trips"), [(TANK_LOW_M, False), (TANK_LOW_M - 0.001, True)])
def test_a_low_tank_stops_injection(rig: Rig, level: float, trips: bool) -> None:
    injecting(rig)
    rig.set("tank_k", "level", level)
    found = rig.check()
    if not trips:
        assert found == []
        return
    assert [t.code for t in found] == ["tank_low"]
    assert found[0].action == "injection"
    assert found[0].message == "tank potash level 0.15 m < 0.15 m while injecting"


def test_an_unread_tank_is_not_low(rig: Rig) -> None:
    injecting(rig)
    rig.set("tank_n", "level", None)
    assert rig.codes() == []


def test_a_site_without_fertigation_has_no_injection_rules(make: Any, demo: SiteConfig) -> None:
    rig = make(without_fertigation(demo))
    rig.on("valve:z1", "pump")
    rig.set("ec1", "ec", None)
    rig.set("tank_n", "level", 0.0)
    assert rig.codes(SETTLE_S + 1) == []
    assert stop_injector(rig.site, rig.outputs, cast(FieldIO, SimpleFieldIO(rig.bus))) == []


# ------------------------------------------------------------------ acting


def test_an_all_off_trip_stops_the_injector_and_every_output(rig: Rig) -> None:
    injecting(rig)
    rig.set("flow1", "flow_rate", None)
    rig.bus.writes.clear()
    trips = rig.check()
    assert "flow_meter_stale" in [t.code for t in trips]
    assert rig.outputs.on_roles() == []
    assert ("doser1", "run", 0) in rig.bus.writes
    assert ("relay1", "ch8", 0) in rig.bus.writes  # the pump
    stale = next(e for e in rig.events() if e.code == "flow_meter_stale")
    assert (stale.severity, stale.latched) == ("alarm", True)
    ok, why = rig.sup.may_start("z2")
    assert not ok and why.startswith(f"open alarm #{stale.id} flow_meter_stale: flow meter")


def test_a_switch_off_that_fails_makes_the_trip_critical_and_names_it(rig: Rig) -> None:
    injecting(rig)
    rig.bus.failing = {"doser1.run", "relay1.ch8"}
    rig.sup.trip("lease_renewal", "lease renewal failed: valve:z1: gone")
    [event] = rig.events()
    assert (event.code, event.severity, event.latched) == ("lease_renewal", "critical", True)
    assert event.message == (
        "lease renewal failed: valve:z1: gone; could not switch off: "
        "doser1.run: doser1: stuck; pump: relay1: stuck"
    )
    assert rig.runs.aborted == ["safety lease_renewal: lease renewal failed: valve:z1: gone"]


def test_an_injection_trip_whose_injector_stop_fails_is_critical(rig: Rig) -> None:
    injecting(rig)
    rig.bus.failing = {"relay1.ch5"}
    rig.sup.trip("tank_low", "tank urea low", action="injection")
    [event] = rig.events()
    assert event.severity == "critical"
    assert event.message.startswith("tank urea low; could not switch off: injector_power: ")
    assert rig.runs.injection == ["safety tank_low: tank urea low"]
    assert rig.runs.aborted == []


def test_an_output_mismatch_is_critical_even_when_everything_went_off(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.sup.trip("output_mismatch", "relay1.ch1 reads on, commanded off")
    [event] = rig.events()
    assert (event.severity, event.latched) == ("critical", True)
    assert event.message == "relay1.ch1 reads on, commanded off"
    assert rig.outputs.on_roles() == []


def test_a_trip_is_logged_with_its_code_and_message(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="controller.runtime.safety"):
        rig.sup.trip("dry_run", "dry run: pump on 31 s")
    assert caplog.messages == ["safety trip dry_run: dry run: pump on 31 s"]


def test_the_injector_is_stopped_even_on_a_backed_off_bus(rig: Rig) -> None:
    injecting(rig)
    rig.bus.forced.clear()
    assert stop_injector(rig.site, rig.outputs, cast(FieldIO, SimpleFieldIO(rig.bus))) == []
    assert rig.bus.forced == [("doser1", "run", 0)]
    assert not rig.outputs.is_on("injector_power")


def test_an_alarm_trip_switches_nothing(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.sup.trip("pressure_low", "low", action="alarm")
    assert rig.outputs.on_roles() == ["valve:z1", "pump"]
    assert rig.runs.aborted == [] and rig.runs.injection == []
    [event] = rig.events()
    assert (event.severity, event.latched) == ("warning", False)


def test_an_all_off_trip_restarts_every_pending_delay(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", 0.0)
    assert rig.codes() == []  # dry from here
    assert rig.codes(DRY_DELAY_S - 1) == []
    rig.sup.trip("lease_renewal", "x")
    rig.on("valve:z1", "pump")
    assert rig.codes(1.0) == []
    assert rig.codes(DRY_DELAY_S - 1) == []  # counted from the new start


def test_an_injection_trip_restarts_the_no_flow_grace(rig: Rig) -> None:
    rig.on("injector_power")
    assert rig.codes() == []  # without water from here
    assert rig.codes(INJECT_NO_FLOW_GRACE_S - 0.5) == []
    rig.sup.trip("ec_high", "x", action="injection")
    rig.on("injector_power")
    assert rig.codes(0.5) == []
    assert rig.codes(INJECT_NO_FLOW_GRACE_S - 0.5) == []  # counted from the new start
    assert rig.codes(1.0) == ["inject_no_flow"]


def test_a_trip_without_an_attached_sequencer_still_switches_off(
    store: Store, demo: SiteConfig
) -> None:
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    bus = FakeBus()
    fio = cast(FieldIO, SimpleFieldIO(bus))
    outputs = Outputs(demo, fio, clock)
    sup = Supervisor(demo, outputs, LiveState(), store, fio, clock)
    outputs.on("pump")
    sup.trip("lease_renewal", "x")
    sup.trip("ec_high", "y", action="injection")
    assert outputs.on_roles() == []


# ------------------------------------------------------------------ the gate


def test_may_start_refuses_on_open_water_alarms_and_unknown_zones(rig: Rig) -> None:
    assert rig.sup.may_start("z1") == (True, "")
    assert rig.sup.may_start("z1", fertigation=True) == (True, "")
    assert rig.sup.may_start("z9") == (False, "unknown zone 'z9'")
    rig.store.raise_event(Severity.ALARM, "dry_run", "flow1", "not ours", latched=True)
    assert rig.sup.may_start("z1") == (True, "")  # another source's alarm
    rig.sup.trip("dry_run", "dry")
    ok, why = rig.sup.may_start("z1")
    assert not ok and why.endswith("dry_run: dry")
    for event in rig.store.open_alarms():
        assert event.id is not None
        rig.store.ack_event(event.id, "tech")
    assert rig.sup.may_start("z1") == (True, "")


# ------------------------------------------------------------------ learning


def learning(rig: Rig, flow: float, samples: int) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", flow)
    assert rig.codes(SETTLE_S) == []  # the first learned sample
    for _ in range(samples - 1):
        assert rig.codes(1.0) == []


def test_the_flow_of_one_zone_is_learned_after_enough_samples(rig: Rig) -> None:
    learning(rig, 90.0, LEARN_MIN_SAMPLES - 1)
    assert rig.sup.learned_nominal_m3_h("z1") is None
    assert rig.codes(1.0) == []
    expected = 90.0 + (NOMINAL - 90.0) * (1 - LEARN_ALPHA) ** LEARN_MIN_SAMPLES
    assert rig.sup.learned_nominal_m3_h("z1") == pytest.approx(expected)
    assert rig.sup.learned_nominal_m3_h("z2") is None


@pytest.mark.parametrize(
    ("flow", "clamped"), [(NO_FLOW, 0.5 * NOMINAL), (10.0, 0.5 * NOMINAL), (149.0, 1.25 * NOMINAL)]
)
def test_the_learned_flow_is_clamped_to_the_nominal_band(
    rig: Rig, flow: float, clamped: float
) -> None:
    learning(rig, flow, LEARN_MIN_SAMPLES)
    assert rig.sup.learned_nominal_m3_h("z1") == pytest.approx(clamped)


def test_nothing_is_learned_before_the_pump_settles(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", 90.0)
    assert rig.codes(SETTLE_S - 1) == []
    learning(rig, 90.0, LEARN_MIN_SAMPLES - 1)  # the first was taken at SETTLE_S - 1: none
    assert rig.sup.learned_nominal_m3_h("z1") is None
    assert rig.codes(1.0) == []
    assert rig.sup.learned_nominal_m3_h("z1") is not None


@pytest.mark.parametrize("case", ["two zones", "backflush", "dry", "no reading", "no pump"])
def test_nothing_is_learned_but_one_zone_running_normally(rig: Rig, case: str) -> None:
    roles = {"two zones": ("valve:z2",), "backflush": ("backflush_valve",)}.get(case, ())
    if case == "no pump":
        rig.on("valve:z1", "master_valve")
    else:
        rig.on("valve:z1", "pump", *roles)
    flow = {"dry": NO_FLOW - 0.5, "no reading": None}.get(case, 90.0)
    rig.set("flow1", "flow_rate", flow)
    rig.check(SETTLE_S)
    for _ in range(LEARN_MIN_SAMPLES + 5):
        rig.check(0.2)  # below every delay
    assert rig.sup.learned_nominal_m3_h("z1") is None


def test_nothing_is_learned_while_a_rule_is_pending(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", BURST + 1)
    rig.check(SETTLE_S)
    for _ in range(LEARN_MIN_SAMPLES + 5):
        assert rig.codes(0.2) == []
    assert rig.sup.learned_nominal_m3_h("z1") is None


def test_nothing_is_learned_in_a_check_that_tripped(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    rig.set("flow1", "flow_rate", 90.0)
    rig.check(SETTLE_S)
    for _ in range(LEARN_MIN_SAMPLES - 2):
        rig.check(1.0)
    rig.set("press1", "line_pressure", P_MAX + 1)
    assert rig.codes(1.0) == ["pressure_high"]
    assert rig.sup.learned_nominal_m3_h("z1") is None


# ------------------------------------------------------------------ seeded from the store


def seed_run(
    store: Store, zone: str, start_h: float, minutes: float, m3: float, *, end: bool = True
) -> None:
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    clock.set(T0 + dt.timedelta(hours=start_h), allow_backwards=True)
    r = store.plan_run(zone, RunSource.PLAN, minutes)
    assert r.id is not None
    store.start_run(r.id, RunPhase.WATER)
    clock.advance(minutes * 60)
    if end:
        store.finish_run(r.id, RunState.DONE, "test", applied_m3=m3)


def test_seeding_takes_runs_of_at_least_the_minimum_length(demo: SiteConfig, store: Store) -> None:
    seed_run(store, "z1", 0, SEED_MIN_RUN_MIN, 30.0)  # exactly the minimum: 90 m3/h
    seed_run(store, "z2", 1, SEED_MIN_RUN_MIN - 0.2, 30.0)  # just under
    seed_run(store, "z3", 2, 60, 0.0)  # no water measured
    seed_run(store, "z4", 3, 60, 90.0, end=False)  # still open
    learned = learned_from_runs(demo, store, T0 + dt.timedelta(days=1))
    assert learned == {"z1": (pytest.approx(90.0), LEARN_MIN_SAMPLES)}


def test_seeding_takes_the_last_five_runs(demo: SiteConfig, store: Store) -> None:
    seed_run(store, "z1", 0, 60, 60.0)  # the oldest of six: left out
    for h in range(1, 6):
        seed_run(store, "z1", h * 2, 60, 90.0)
    learned = learned_from_runs(demo, store, T0 + dt.timedelta(days=1))
    assert learned["z1"][0] == pytest.approx(90.0)


def test_seeding_looks_back_a_limited_number_of_days(demo: SiteConfig, store: Store) -> None:
    seed_run(store, "z1", 0, 60, 90.0)
    inside = T0 + dt.timedelta(days=SEED_LOOKBACK_DAYS) - dt.timedelta(hours=1)
    assert "z1" in learned_from_runs(demo, store, inside)
    beyond = T0 + dt.timedelta(days=SEED_LOOKBACK_DAYS, hours=1)
    assert learned_from_runs(demo, store, beyond) == {}


def test_runs_of_other_zones_that_touch_but_do_not_overlap_are_alone(
    demo: SiteConfig, store: Store
) -> None:
    seed_run(store, "z1", 0, 60, 90.0)
    seed_run(store, "z2", 1, 60, 96.0)  # starts when z1 ended
    learned = learned_from_runs(demo, store, T0 + dt.timedelta(days=1))
    assert learned["z1"][0] == pytest.approx(90.0)
    assert learned["z2"][0] == pytest.approx(96.0)


def test_a_store_that_fails_at_start_leaves_the_configured_nominal(
    demo: SiteConfig, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        clock = store.clock

        def runs(self, **_: object) -> list[object]:
            raise RuntimeError("disk gone")

    with caplog.at_level(logging.ERROR, logger="controller.runtime.safety"):
        sup = Supervisor(demo, None, LiveState(), Broken(), None, store.clock)  # type: ignore[arg-type]
    assert sup.learned_nominal_m3_h("z1") is None
    assert caplog.messages == ["supervisor: cannot seed the learned flows from stored runs"]


def test_a_run_with_under_a_cubic_metre_still_teaches_its_flow(
    demo: SiteConfig, store: Store
) -> None:
    seed_run(store, "z1", 0, 60, 0.9)  # 0.9 m3/h: clamped to half the nominal
    learned = learned_from_runs(demo, store, T0 + dt.timedelta(days=1))
    assert learned == {"z1": (pytest.approx(0.5 * NOMINAL), LEARN_MIN_SAMPLES)}


def test_injection_with_no_flow_reading_and_no_pump_says_unknown(rig: Rig) -> None:
    rig.set("flow1", "flow_rate", None)
    rig.on("injector_power")
    assert rig.codes() == []
    trips = rig.check(INJECT_NO_FLOW_GRACE_S + 0.5)
    assert [t.code for t in trips] == ["inject_no_flow"]
    assert trips[0].message.endswith("pump off, flow unknown < 2")


def test_the_check_judges_freshness_at_the_time_it_is_given(rig: Rig) -> None:
    rig.on("valve:z1", "pump")
    assert rig.codes() == []
    later = rig.clock.now() + dt.timedelta(seconds=STALE_S + 1)
    assert [t.code for t in rig.sup.check(later)] == ["flow_meter_stale"]


# ------------------------------------------------------------------ pulse meters

HEAD_PULSE_S = 30.0  # pm1's no_pulse_s
ZONE_PULSE_S = 20.0  # pm2's no_pulse_s
PULSE_METERS = f"""

[[devices]]
name = "dio1"
bus = "head"
unit = 40
profile = "isma-sfar-1m-4di"
poll_interval_s = 5

[[pulse_meters]]
name = "pm1"
counter = "dio1.count1"
litres_per_pulse = 10
no_pulse_s = {HEAD_PULSE_S:g}
max_flow_m3_h = 250

[[pulse_meters]]
name = "pm2"
counter = "dio1.count2"
litres_per_pulse = 10
no_pulse_s = {ZONE_PULSE_S:g}
max_flow_m3_h = 250
"""


def pulse_demo(tmp_path: Path, head: str) -> SiteConfig:
    """The demo site with zone z1 metered by pulse meter ``pm2`` and the head by ``head``
    (pulse meter ``pm1`` or the ultrasonic ``flow1``); z2 to z4 keep ``flow1``."""
    meter = 'flow_meter = "flow1"'
    text = DEMO_SITE.read_text(encoding="utf-8").replace(meter, 'flow_meter = "pm2"', 1)
    before, after = text.rsplit(meter, 1)  # the head's, the last
    path = tmp_path / "pulse-demo.toml"
    path.write_text(before + f'flow_meter = "{head}"' + after + PULSE_METERS, encoding="utf-8")
    site = load_site(path)
    assert site.head.flow_meter == head and site.zones[0].flow_meter == "pm2"
    return site


def test_the_head_pulse_meter_stops_the_water_just_after_its_no_pulse_time(
    make: Any, tmp_path: Path
) -> None:
    rig = make(pulse_demo(tmp_path, "pm1"))
    rig.set("pm1", "flow_rate", NOMINAL)
    rig.on("valve:z2", "pump")  # z2's meter is flow1, no pulse meter
    assert rig.codes() == []
    assert rig.codes(HEAD_PULSE_S) == []  # exactly no_pulse_s: not yet
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["pulse_missing"]
    assert trips[0].action == "all_off"
    assert trips[0].message == (
        "pulse meter pm1 (dio1.count1): no pulse for over 30 s while pumping (never read): "
        "water is not let run unmetered"
    )
    assert rig.outputs.on_roles() == []
    assert rig.runs.aborted == [f"safety pulse_missing: {trips[0].message}"]
    ok, why = rig.sup.may_start("z2")
    assert not ok and "pulse_missing" in why


def test_a_pulse_within_no_pulse_s_keeps_the_water_running(make: Any, tmp_path: Path) -> None:
    rig = make(pulse_demo(tmp_path, "pm1"))
    rig.set("pm1", "flow_rate", NOMINAL)
    rig.set("pm1", "pulse", 1.0)
    rig.on("valve:z2", "pump")
    for _ in range(3):
        assert rig.codes(HEAD_PULSE_S) == []  # a pulse at every check
    rig.set("pm1", "pulse", None)  # the pulses stop
    assert rig.codes(HEAD_PULSE_S) == []  # the last is exactly no_pulse_s old
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["pulse_missing"]
    assert "(stale): water is not let run unmetered" in trips[0].message


def test_a_silent_pulse_meter_without_the_pump_is_no_trip(make: Any, tmp_path: Path) -> None:
    rig = make(pulse_demo(tmp_path, "pm1"))
    rig.set("pm1", "flow_rate", 0.0)
    rig.on("valve:z1", "master_valve")  # gravity: no pump
    assert rig.codes() == []
    assert rig.codes(10 * HEAD_PULSE_S) == []


def test_a_zone_pulse_meter_is_judged_from_the_later_of_pump_and_valve(
    make: Any, tmp_path: Path
) -> None:
    rig = make(pulse_demo(tmp_path, "flow1"))  # the head's meter is no pulse meter
    rig.on("valve:z2", "pump")
    assert rig.codes(0.0) == []
    rig.clock.advance(10.0)
    rig.on("valve:z1")  # just opened while pumping for 10 s: not judged yet
    assert rig.codes() == []
    assert rig.codes(ZONE_PULSE_S) == []  # valve exactly no_pulse_s, pump 10 s more
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["pulse_missing"]
    assert trips[0].message.startswith(
        "pulse meter pm2 (dio1.count2): no pulse for over 20 s while pumping (never read)"
    )


def test_a_zone_pulse_meter_is_judged_from_the_pump_when_it_starts_last(
    make: Any, tmp_path: Path
) -> None:
    rig = make(pulse_demo(tmp_path, "flow1"))
    rig.on("valve:z1")
    assert rig.codes(10 * ZONE_PULSE_S) == []  # no pump: no water expected
    rig.on("pump")
    assert rig.codes(ZONE_PULSE_S) == []
    assert rig.codes(0.5) == ["pulse_missing"]


def test_a_closed_zone_pulse_meter_is_not_judged(make: Any, tmp_path: Path) -> None:
    rig = make(pulse_demo(tmp_path, "flow1"))
    rig.on("valve:z2", "pump")
    assert rig.codes() == []
    assert rig.codes(10 * ZONE_PULSE_S) == []  # pm2 silent, but z1 is closed


# ------------------------------------------------------------------ dosing channels


def channel_demo(tmp_path: Path, *, single: bool) -> SiteConfig:
    """The demo site with the N, P, K and acid channels; ``single``: the single injector kept."""
    text = channel_site_text() if single else channel_only(channel_site_text())
    path = tmp_path / "channels.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


CHANNEL_INJECTORS = ["dose_n", "dose_p", "dose_k", "dose_acid"]


def test_stop_injector_stops_every_channel_and_the_single_injector(
    make: Any, tmp_path: Path
) -> None:
    rig = make(channel_demo(tmp_path, single=True))
    rig.on("injector_power", "dosing:N", "dosing:acid")
    rig.bus.forced.clear()
    assert stop_injector(rig.site, rig.outputs, cast(FieldIO, SimpleFieldIO(rig.bus))) == []
    assert rig.bus.forced == [(d, "run", 0) for d in ["doser1", *CHANNEL_INJECTORS]]
    assert rig.outputs.on_roles() == []


def test_stop_injector_on_a_channel_only_site_names_each_failure(make: Any, tmp_path: Path) -> None:
    rig = make(channel_demo(tmp_path, single=False))
    rig.on("dosing:N", "dosing:K")
    rig.bus.forced.clear()
    rig.bus.failing = {"relay2.ch1", "dose_k.run"}
    failures = stop_injector(rig.site, rig.outputs, cast(FieldIO, SimpleFieldIO(rig.bus)))
    assert failures == ["dosing:N: relay2: stuck", "dose_k.run: dose_k: stuck"]
    assert rig.bus.forced == [(d, "run", 0) for d in CHANNEL_INJECTORS if d != "dose_k"]
    assert ("relay2", "ch3", 0) in rig.bus.writes  # K's power, after N's failed


def test_a_dosing_channel_powered_without_water_stops_after_the_grace(
    make: Any, tmp_path: Path
) -> None:
    rig = make(channel_demo(tmp_path, single=False))
    rig.on("dosing:acid")
    assert rig.codes() == []
    assert rig.codes(INJECT_NO_FLOW_GRACE_S) == []
    trips = rig.check(0.5)
    assert [t.code for t in trips] == ["inject_no_flow"]
    assert not rig.outputs.is_on("dosing:acid")
    assert rig.runs.injection == [f"safety inject_no_flow: {trips[0].message}"]


def test_a_dosing_channel_is_injecting_for_the_ec_rule(make: Any, tmp_path: Path) -> None:
    rig = make(channel_demo(tmp_path, single=False))
    rig.on("valve:z1", "pump", "dosing:N")
    rig.set("ec1", "ec", EC_MAX + 0.01)
    assert rig.codes() == ["ec_high"]


@pytest.mark.parametrize(
    "code",
    [
        "inject_no_flow",
        "ec_high",
        "ph_out_of_band",
        "ec_meter_stale",
        "tank_low",
        "dosing_max_time",
        "ec_off_setpoint",
        "ph_off_setpoint",
        "ph_probe_stuck",
        "injector_delivery_low",
    ],
)
def test_an_open_injection_stop_refuses_fertigation_not_water(rig: Rig, code: str) -> None:
    rig.sup.trip(code, "stopped", action="injection")
    assert rig.sup.may_start("z1") == (True, "")
    ok, why = rig.sup.may_start("z1", fertigation=True)
    assert not ok and why.endswith(f"{code}: stopped")


@pytest.mark.parametrize(
    "code",
    [
        "max_run",
        "pump_no_valve",
        "dry_run",
        "burst",
        "flow_meter_stale",
        "flow_meter_frozen",
        "flow_meter_disagrees",
        "pulse_missing",
        "output_fault",
        "lease_renewal",
        "pressure_high",
        "output_mismatch",
    ],
)
def test_an_open_water_stop_refuses_every_run(rig: Rig, code: str) -> None:
    rig.sup.trip(code, "stopped")
    for fertigation in (False, True):
        ok, why = rig.sup.may_start("z1", fertigation=fertigation)
        assert not ok and why.endswith(f"{code}: stopped")


# ------------------------------------------------------------------ the gate while acting


def test_a_stopping_trip_refuses_a_start_while_it_acts_an_alarm_does_not(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate: list[tuple[bool, str]] = []
    record = rig.store.raise_event

    def asking_first(*args: Any, **kwargs: Any) -> Any:
        gate.append(rig.sup.may_start("z1"))  # a start racing the trip, before its commit
        return record(*args, **kwargs)

    monkeypatch.setattr(rig.store, "raise_event", asking_first)
    rig.sup.trip("pressure_low", "line pressure 60 kPa < 80 kPa", action="alarm")
    rig.sup.trip("burst", "flow 300 m3/h > 150 for 21 s")
    assert gate == [(True, ""), (False, "burst (not yet recorded): flow 300 m3/h > 150 for 21 s")]
    allowed, why = rig.sup.may_start("z1")  # from the stored alarm once committed
    assert (
        not allowed
        and why.startswith("open alarm #")
        and why.endswith(" burst: flow 300 m3/h > 150 for 21 s")
    )


def test_a_stopping_trip_whose_event_waits_in_memory_refuses_starts(rig: Rig) -> None:
    with read_only(rig.store):
        rig.sup.trip("dry_run", "flow 0.0 m3/h < 2 for 31 s")
        assert rig.store.open_alarms() == []  # not written
        assert rig.sup.may_start("z1") == (
            False,
            "dry_run (not yet recorded): flow 0.0 m3/h < 2 for 31 s",
        )


def test_a_new_trip_acts_while_a_welded_relays_rule_stands(rig: Rig) -> None:
    rig.on("pump")
    rig.bus.welded = {"relay1.ch8"}
    assert rig.codes() == []
    assert rig.codes(PUMP_NO_VALVE_GRACE_S + 0.5) == ["pump_no_valve"]
    assert rig.codes(1.0) == ["output_fault"]
    assert rig.codes(1.0) == []  # pump_no_valve stands, not acted on again
    rig.set("flow1", "flow_rate", None)  # the welded pump's meter goes silent: a new trip
    assert rig.codes(STALE_S + 1.0) == ["flow_meter_stale"]


def test_a_welded_dosing_channel_is_one_alarm_until_a_channel_is_switched_on_again(
    make: Any, tmp_path: Path
) -> None:
    rig = make(channel_demo(tmp_path, single=False))
    rig.on("valve:z1", "master_valve", "pump", "dosing:N")
    rig.bus.welded = {"relay2.ch1"}  # dosing:N
    rig.set("ec1", "ec", EC_MAX + 0.01)
    assert rig.codes() == ["ec_high"]
    assert rig.codes(1.0) == ["output_fault"]
    rig.on("valve:z1", "master_valve", "pump")
    for _ in range(3):  # powered in the field, no channel commanded on: the alarm stands
        assert rig.codes(1.0) == []
    rig.on("dosing:K")
    assert rig.codes(1.0) == ["ec_high"]


def test_a_hold_refuses_every_start_until_it_is_released(rig: Rig) -> None:
    rig.sup.hold_starts("control_error", "the control loop failed 3 ticks in a row")
    assert rig.sup.may_start("z1") == (
        False,
        "control_error (starts held): the control loop failed 3 ticks in a row",
    )
    rig.sup.release_starts("control_error")
    assert rig.sup.may_start("z1") == (True, "")


# ------------------------------------------------------------------ run ends the store refuses


class RefusingRuns(Runs):
    """Runs whose every abort ends them, then raises what the store refused (numbered)."""

    def abort_all(self, reason: str) -> None:
        super().abort_all(reason)
        raise RunStateError(f"refusal {len(self.aborted)}")


def test_a_trip_whose_run_ends_are_refused_still_stops_everything_alarms_then_raises(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    runs = RefusingRuns()
    rig.sup.attach(runs)
    rig.on("valve:z1", "master_valve", "pump", "injector_power")
    with (
        caplog.at_level(logging.ERROR, logger="controller.runtime.safety"),
        pytest.raises(RunStateError, match=r"^refusal 1$"),
    ):
        rig.sup.trip("burst", "flow 300 m3/h > 150 for 21 s")
    assert runs.aborted == ["safety burst: flow 300 m3/h > 150 for 21 s"]
    assert rig.outputs.on_roles() == [] and ("doser1", "run", 0) in rig.bus.writes
    [event] = rig.events()
    assert (event.code, event.severity, event.latched) == ("burst", "alarm", True)
    # a refusal without the sequencer's note on its runs is said as it is, last
    assert event.message == (
        "flow 300 m3/h > 150 for 21 s; runs aborted, not all recorded: refusal 1"
    )
    assert caplog.messages == [
        "safety trip burst: flow 300 m3/h > 150 for 21 s",
        "safety trip burst: runs aborted, not all recorded: refusal 1",
    ]
    allowed, why = rig.sup.may_start("z1")
    assert not allowed and why.endswith(
        " burst: flow 300 m3/h > 150 for 21 s; runs aborted, not all recorded: refusal 1"
    )


def test_a_check_acts_on_every_trip_then_raises_the_first_refused_run_end(rig: Rig) -> None:
    runs = RefusingRuns()
    rig.sup.attach(runs)
    rig.set("flow1", "flow_rate", 0.0)
    rig.on("pump")  # no zone valve, no flow: pump_no_valve and dry_run in one check
    assert rig.codes() == []
    with pytest.raises(RunStateError, match=r"^refusal 1$"):
        rig.check(DRY_DELAY_S + 1.0)
    assert [e.code for e in rig.events()] == ["pump_no_valve", "dry_run"]
    assert len(runs.aborted) == 2 and rig.outputs.on_roles() == []


def test_an_unconfirmed_dosing_pump_is_a_latched_alarm_refusing_fertigation_only(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    message = "doser1: its run 0 could not be read back"
    with caplog.at_level(logging.ERROR, logger="controller.runtime.safety"):
        rig.sup.raise_latched(UNCONFIRMED, message)
    assert caplog.messages == [f"safety alarm {UNCONFIRMED}: {message}"]
    [event] = rig.events()
    assert (event.code, event.severity, event.latched) == (UNCONFIRMED, "alarm", True)
    assert event.message == message
    assert rig.sup.may_start("z1") == (True, "")
    allowed, why = rig.sup.may_start("z1", fertigation=True)
    assert not allowed and why == f"open alarm #{event.id} {UNCONFIRMED}: {message}"
    assert rig.outputs.on_roles() == [] and rig.bus.writes == []  # the stop was done elsewhere


def test_an_unconfirmed_dosing_pump_refuses_fertigation_while_its_alarm_waits_in_memory(
    rig: Rig,
) -> None:
    message = "doser1: its run 0 could not be read back"
    with read_only(rig.store):
        rig.sup.raise_latched(UNCONFIRMED, message)
        assert rig.store.open_alarms() == []  # not written
        assert rig.sup.may_start("z1") == (True, "")
        assert rig.sup.may_start("z1", fertigation=True) == (
            False,
            f"{UNCONFIRMED} (not yet recorded): {message}",
        )
