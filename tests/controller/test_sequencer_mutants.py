"""The sequencer's rules one at a time, each at, just under and just over its limit
(scripts/mutation.sh controller/runtime/sequencer.py).

The real :class:`Sequencer`, :class:`Supervisor` and :class:`Outputs` over a bus that records
every write (tests/helpers/fakebus.py), a real :class:`LiveState` fed by a one-line field
(the head meter reads the nominal flow of the open zones while pump and master valve are on)
and a SQLite store. Time moves only by :class:`VirtualClock`.
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
from controller.runtime.credit import most_m3
from controller.runtime.dosing import ChannelRecipe
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import Supervisor
from controller.runtime.sequencer import (
    FLUSH_EC_BAND_MS_CM,
    LIMIT_MARGIN_S,
    PROGRESS_EVERY_S,
    CapacityExceeded,
    DurationError,
    OutputFailed,
    Recipe,
    RecordRefused,
    RunRefused,
    Sequencer,
    VolumeError,
)
from controller.store import (
    MeterMark,
    RunPhase,
    RunSource,
    RunState,
    RunStateError,
    Severity,
    Store,
)
from drivers.reading import Quality, Reading
from tests.helpers.dosing import quick_channel_site
from tests.helpers.fakebus import FakeBus, SimpleFieldIO
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
SOURCE_EC = 0.25  # mS/cm: + FLUSH_EC_BAND_MS_CM is exactly 0.45 in binary floating point
NOMINAL = 100.0
# relay1 channels of the demo site
CH = {
    "valve:z1": "ch1",
    "valve:z2": "ch2",
    "valve:z3": "ch3",
    "injector_power": "ch5",
    "master_valve": "ch7",
    "pump": "ch8",
}


def edit(site: SiteConfig, section: str, **values: Any) -> SiteConfig:
    part = getattr(site.model, section).model_copy(update=values)
    return dataclasses.replace(site, model=site.model.model_copy(update={section: part}))


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    site = load_site(DEMO_SITE)
    return edit(site, "fertigation", prewet_min=1.0, flush_min=1.0, source_ec_ms_cm=SOURCE_EC)


class Rig:
    def __init__(
        self, site: SiteConfig, store: Store, clock: VirtualClock, ec: float | None = SOURCE_EC
    ) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        self.bus = FakeBus()
        fio = cast(FieldIO, SimpleFieldIO(self.bus))
        self.live = LiveState()
        self.outputs = Outputs(site, fio, clock)
        self.sup = Supervisor(site, self.outputs, self.live, store, fio, clock)
        self.seq = Sequencer(site, self.outputs, self.live, store, fio, clock, self.sup)
        self.sup.attach(self.seq)
        self.ec = ec
        self.total: float | None = None
        self.rate_read = True  # False: the head meter's flow rate is no longer read
        self.publish()

    def flow(self) -> float:
        if not (self.outputs.is_on("pump") and self.outputs.is_on("master_valve")):
            return 0.0
        return sum(
            z.nominal_flow_m3_h for z in self.site.zones if self.outputs.is_on(f"valve:{z.name}")
        )

    def publish(self) -> None:
        values: dict[tuple[str, str], float | None] = {
            ("flow1", "flow_rate"): self.flow() if self.rate_read else None,
            ("flow1", "total"): self.total,
            ("press1", "line_pressure"): 200.0,
            ("ec1", "ec"): self.ec,
            ("ph1", "ph"): 7.0,
            ("tank_n", "level"): 1.0,
            ("tank_k", "level"): 1.0,
        }
        now = self.clock.now()
        self.live.update(
            Reading(d, p, v, "", Quality.OK, now, decoded=v)
            for (d, p), v in values.items()
            if v is not None
        )

    def tick(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        self.publish()
        self.seq.tick()
        self.sup.check()
        self.publish()

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.tick()

    def zones(self) -> list[str]:
        return [r.zone for r in self.seq.active()]

    def switched(self) -> list[tuple[str, float]]:
        """(channel, value) of every relay1 write since the last call."""
        out = [(p, v) for d, p, v in self.bus.writes if d == "relay1"]
        self.bus.writes.clear()
        return out


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    clock = VirtualClock(T0)
    clock.advance(100.0)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as s:
        yield s


@pytest.fixture
def make(store: Store) -> Any:
    def _make(site: SiteConfig, ec: float | None = SOURCE_EC) -> Rig:
        assert isinstance(store.clock, VirtualClock)
        return Rig(site, store, store.clock, ec)

    return _make


@pytest.fixture
def rig(make: Any, demo: SiteConfig) -> Rig:
    r: Rig = make(demo)
    return r


def roomy(site: SiteConfig, capacity: float = 250.0) -> SiteConfig:
    return edit(site, "head", pump_capacity_m3_h=capacity)


# ------------------------------------------------------------------ starting


def test_a_run_lasts_up_to_the_smaller_max_run_and_no_less_than_a_moment(
    make: Any, demo: SiteConfig
) -> None:
    rig = make(edit(demo, "safety", max_run_min=10))
    for minutes in (0, -1, 10.01):
        with pytest.raises(DurationError) as err:
            rig.seq.start("z1", minutes, "manual")
        assert str(err.value) == f"zone z1: {minutes:g} min outside (0, 10] (max_run_min)"
    assert rig.zones() == []
    rig.seq.start("z1", 10, "manual")
    assert rig.zones() == ["z1"]
    rig = make(demo)  # the zone's 240 min below the site's 360
    with pytest.raises(DurationError, match=r"outside \(0, 240\]"):
        rig.seq.start("z2", 240.01, "manual")
    rig.seq.start("z2", 240, "manual")


def test_a_run_opens_valve_master_pump_in_that_order_and_records_its_start(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 5, "manual", decision_id=None, actor="ana")
    assert rig.switched() == [("ch1", 1), ("ch7", 1), ("ch8", 1)]
    run = rig.store.get_run(run_id)
    assert (run.zone, run.state, run.phase, run.planned_min) == ("z1", "running", "water", 5)
    assert (run.source, run.started_at) == ("manual", rig.clock.now())
    audit = rig.store.last_audit("run.start")
    assert audit is not None and audit.actor == "ana"
    assert audit.detail == {"zone": "z1", "minutes": 5, "run_id": run_id, "recipe": None}
    [active] = rig.seq.active()
    assert (active.zone, active.run_id, active.phase) == ("z1", run_id, RunPhase.WATER)
    assert (active.started, active.remaining_s, active.applied_m3) == (rig.clock.now(), 300, 0)


def test_a_run_keeps_its_decision_and_the_default_actor_is_the_system(rig: Rig) -> None:
    decision = rig.store.record_decision("z1", "et", "irrigate", "dry", {}, duration_min=5)
    run_id = rig.seq.start("z1", 5, "plan", decision_id=decision.id)
    assert rig.store.get_run(run_id).decision_id == decision.id
    audit = rig.store.last_audit("run.start")
    assert audit is not None and audit.actor == "system"
    rig.seq.stop("z1", "x", actor="ana")
    for stop in (
        lambda: rig.seq.stop("z1", "x"),
        lambda: rig.seq.stop_all("x"),
        lambda: rig.seq.pause(rig.clock.now() + dt.timedelta(minutes=1)),
    ):
        rig.store.record_audit("someone", "run.stop", {})
        rig.seq.start("z1", 5, "manual", actor="ana")
        stop()
        audit = rig.store.last_audit("run.stop")
        assert audit is not None and audit.actor == "system"
        rig.seq.resume()


def test_a_second_zone_opens_only_its_valve(make: Any, demo: SiteConfig) -> None:
    rig = make(roomy(demo))
    rig.seq.start("z1", 5, "manual")
    rig.switched()
    rig.seq.start("z2", 5, "manual")
    assert rig.switched() == [("ch2", 1)]


def test_zones_run_together_up_to_exactly_the_pump_capacity(make: Any, demo: SiteConfig) -> None:
    rig = make(roomy(demo, 200.0))
    rig.seq.start("z1", 5, "manual")
    rig.seq.start("z2", 5, "manual")  # 200 m3/h: exactly the capacity
    rig = make(roomy(demo, 199.9))
    rig.seq.start("z1", 5, "manual")
    with pytest.raises(CapacityExceeded) as err:
        rig.seq.start("z2", 5, "manual")
    assert str(err.value) == (
        "zone z2: 200 m3/h nominal with the running zones > pump capacity 199.9 m3/h"
    )
    assert rig.zones() == ["z1"]


def test_a_zone_larger_than_the_pump_alone_is_refused(make: Any, demo: SiteConfig) -> None:
    rig = make(roomy(demo, 99.0))
    with pytest.raises(CapacityExceeded, match="zone z1: 100 m3/h"):
        rig.seq.start("z1", 5, "manual")
    assert rig.bus.writes == []


def test_refusals_name_their_reason_and_switch_nothing(make: Any, demo: SiteConfig) -> None:
    rig = make(roomy(demo))
    with pytest.raises(RunRefused, match=r"^unknown zone 'z9'$"):
        rig.seq.start("z9", 5, "manual")
    rig.seq.start("z1", 5, "manual")
    rig.switched()
    with pytest.raises(RunRefused, match=r"^zone z1 is already running$"):
        rig.seq.start("z1", 5, "manual")
    with pytest.raises(RunRefused, match=r"^a fertigation run runs alone: other zones are running"):
        rig.seq.start("z2", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    rig.seq.stop("z1", "x")
    rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    rig.switched()
    with pytest.raises(RunRefused, match=r"^a fertigation run is active: it runs alone$"):
        rig.seq.start("z2", 5, "manual")
    assert rig.switched() == []
    assert rig.zones() == ["z1"]


def test_an_open_safety_alarm_refuses_a_run(rig: Rig) -> None:
    rig.sup.trip("dry_run", "dry")
    [alarm] = rig.store.open_alarms()
    with pytest.raises(RunRefused) as err:
        rig.seq.start("z1", 5, "manual")
    assert str(err.value) == f"zone z1: open alarm #{alarm.id} dry_run: dry"


def test_an_injection_alarm_refuses_fertigation_only(rig: Rig) -> None:
    rig.sup.trip("ec_high", "ec", action="injection")
    with pytest.raises(RunRefused, match="ec_high"):
        rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    rig.seq.start("z1", 5, "manual")


def test_a_low_tank_refuses_fertigation_from_it(rig: Rig) -> None:
    rig.live.update([Reading("tank_n", "level", 0.1, "", Quality.OK, rig.clock.now(), decoded=0.1)])
    with pytest.raises(RunRefused, match="tank urea"):
        rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    assert rig.bus.writes == [] and rig.store.runs() == []


def test_a_fertigation_run_records_its_recipe_and_starts_in_prewet(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    audit = rig.store.last_audit("run.start")
    assert audit is not None
    assert audit.detail["recipe"] == {"kg": {"N": 1.0}, "target_ec_ms_cm": None, "tank": None}
    assert rig.store.get_run(run_id).phase == "prewet"


# ------------------------------------------------------------------ pausing and stopping


def test_a_pause_stops_every_run_and_refuses_until_its_end(make: Any, demo: SiteConfig) -> None:
    rig = make(roomy(demo))
    a = rig.seq.start("z1", 5, "manual")
    b = rig.seq.start("z2", 5, "manual")
    until = rig.clock.now() + dt.timedelta(minutes=10)
    rig.seq.pause(until, actor="ana")
    assert rig.zones() == []
    for run_id in (a, b):
        run = rig.store.get_run(run_id)
        assert run.state == "aborted"
        assert run.end_reason.startswith(f"paused until {until.isoformat()}")
    audit = rig.store.last_audit("run.stop")
    assert audit is not None and audit.actor == "ana"
    assert rig.seq.paused_until == until
    rig.tick(599)
    with pytest.raises(RunRefused) as err:
        rig.seq.start("z1", 5, "manual")
    assert str(err.value) == f"paused until {until.isoformat()}"
    rig.tick(1)  # the pause ends exactly now
    assert rig.seq.paused_until is None
    rig.seq.start("z1", 5, "manual")


def test_a_pauses_record_says_its_end_to_the_second(rig: Rig) -> None:
    """The refusal and the end reason carry the pause's end as an ISO time to the second:
    the API answered ``paused until 2026-07-07T00:27:31.918454+00:00``."""
    run = rig.seq.start("z1", 5, "manual")
    until = rig.clock.now() + dt.timedelta(minutes=10, microseconds=918454)
    rig.seq.pause(until, actor="ana")
    said = f"paused until {until.replace(microsecond=0).isoformat()}"
    assert rig.store.get_run(run).end_reason.startswith(said + ";") or (
        rig.store.get_run(run).end_reason == said
    )
    with pytest.raises(RunRefused) as err:
        rig.seq.start("z1", 5, "manual")
    assert str(err.value) == said


def test_a_start_at_the_end_of_a_pause_is_allowed_before_a_tick(rig: Rig) -> None:
    until = rig.clock.now() + dt.timedelta(seconds=30)
    rig.seq.pause(until)
    rig.clock.advance(30)
    rig.seq.start("z1", 5, "manual")


def test_resume_ends_the_pause(rig: Rig) -> None:
    rig.seq.pause(rig.clock.now() + dt.timedelta(hours=1))
    rig.seq.resume()
    assert rig.seq.paused_until is None
    rig.seq.start("z1", 5, "manual")


def test_a_pause_ends_with_the_wall_clock_the_daemon_passes(rig: Rig) -> None:
    until = rig.clock.now() + dt.timedelta(hours=1)
    rig.seq.pause(until)
    rig.seq.tick(until - dt.timedelta(seconds=1))
    assert rig.seq.paused_until == until
    rig.seq.tick(until)
    assert rig.seq.paused_until is None


def test_a_stop_aborts_with_the_reason_and_audits_it(rig: Rig) -> None:
    rig.seq.stop("z1", "nothing running")  # no run: nothing happens
    assert rig.store.last_audit("run.stop") is None
    run_id = rig.seq.start("z1", 5, "manual")
    rig.tick(3)
    rig.switched()
    rig.seq.stop("z1", "manual stop", actor="ana")
    assert rig.switched() == [("ch8", 0), ("ch7", 0), ("ch1", 0)]  # pump first
    run = rig.store.get_run(run_id)
    assert run.state == "aborted"
    assert run.end_reason.startswith("manual stop; water by flow1")
    audit = rig.store.last_audit("run.stop")
    assert audit is not None
    assert (audit.actor, audit.detail) == ("ana", {"zone": "z1", "reason": "manual stop"})


def test_stop_all_stops_each_run_and_the_last_one_stops_the_pump(
    make: Any, demo: SiteConfig
) -> None:
    rig = make(roomy(demo))
    a = rig.seq.start("z1", 5, "manual")
    rig.tick(2)
    rig.seq.start("z2", 5, "manual")
    rig.tick(2)
    rig.switched()
    rig.seq.stop("z1", "one")
    assert rig.switched() == [("ch1", 0)]  # z2 still runs: pump and master stay on
    assert rig.store.get_run(a).state == "aborted"
    rig.seq.start("z3", 5, "manual")
    rig.switched()
    rig.seq.stop_all("all", actor="ana")
    assert rig.zones() == []
    assert rig.switched() == [("ch2", 0), ("ch8", 0), ("ch7", 0), ("ch3", 0)]
    audit = rig.store.last_audit("run.stop")
    assert audit is not None and audit.actor == "ana" and audit.detail["reason"] == "all"


def test_abort_all_ends_every_run_with_the_reason_and_leaves_switching_to_safety(
    make: Any, demo: SiteConfig
) -> None:
    rig = make(roomy(demo))
    ids = [rig.seq.start("z1", 5, "manual"), rig.seq.start("z2", 5, "manual")]
    rig.tick(5)
    rig.switched()
    rig.seq.abort_all("safety burst: x")
    assert rig.zones() == []
    assert rig.switched() == []
    for run_id in ids:
        run = rig.store.get_run(run_id)
        assert run.state == "aborted" and run.end_reason.startswith("safety burst: x")
        assert run.applied_m3 > 0


# ------------------------------------------------------------------ running


def test_a_run_ends_done_exactly_at_its_planned_time(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 1, "manual")
    rig.run(59)
    assert rig.zones() == ["z1"]
    assert rig.seq.active()[0].remaining_s == 1
    rig.tick()
    assert rig.zones() == []
    run = rig.store.get_run(run_id)
    assert run.state == "done"
    assert run.end_reason == "planned time reached; water by flow1 flow-rate integration"
    assert run.applied_m3 == pytest.approx(NOMINAL * 60 / 3600)


def test_remaining_time_never_goes_below_zero(rig: Rig) -> None:
    rig.seq.start("z1", 1, "manual")
    rig.clock.advance(90)
    assert rig.seq.active()[0].remaining_s == 0


def test_progress_is_recorded_every_ten_seconds(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 5, "manual")
    rig.run(int(PROGRESS_EVERY_S) - 1)
    assert rig.store.get_run(run_id).applied_m3 == 0
    rig.tick()
    recorded = rig.store.get_run(run_id).applied_m3
    assert recorded == pytest.approx(NOMINAL * PROGRESS_EVERY_S / 3600)
    rig.run(int(PROGRESS_EVERY_S) - 1)
    assert rig.store.get_run(run_id).applied_m3 == recorded
    rig.tick()
    assert rig.store.get_run(run_id).applied_m3 > recorded


def test_the_meter_mark_is_kept_with_start_and_progress(rig: Rig) -> None:
    rig.total = 500.0
    rig.publish()
    run_id = rig.seq.start("z1", 5, "manual")
    mark = rig.store.run_meter(run_id)
    assert mark is not None and (mark.device, mark.total_m3) == ("flow1", 500.0)
    rig.total = 501.0
    rig.run(int(PROGRESS_EVERY_S))
    mark = rig.store.run_meter(run_id)
    assert mark is not None and mark.total_m3 == 501.0


def test_a_lease_that_cannot_be_renewed_trips_and_ends_the_runs(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 5, "manual")
    rig.run(3)
    rig.bus.failing = {"relay1.ch7", "relay1.ch8"}
    rig.clock.advance(rig.site.safety.lease_s / 3)
    rig.publish()
    rig.seq.tick()
    [event] = [e for e in rig.store.events() if e.code == "lease_renewal"]
    assert event.message.startswith(
        "lease renewal failed: pump: relay1: stuck; master_valve: relay1: stuck"
    )
    assert rig.zones() == []
    assert rig.store.get_run(run_id).state == "aborted"


def test_a_valve_that_does_not_open_aborts_the_run_and_trips(rig: Rig) -> None:
    rig.bus.failing = {"relay1.ch8"}
    with pytest.raises(OutputFailed, match=r"^could not switch pump on: relay1"):
        rig.seq.start("z1", 5, "manual")
    [run] = rig.store.runs()
    assert run.state == "aborted" and run.end_reason.startswith("could not switch pump on")
    [event] = [e for e in rig.store.events() if e.code == "output_fault"]
    assert event.message.startswith("zone z1: could not switch pump on: relay1")
    assert rig.zones() == []
    assert rig.outputs.on_roles() == []


def test_a_valve_that_does_not_close_ends_the_run_aborted_and_trips(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 0.9, "manual")  # 54 s: the last renewal at 50 s
    rig.run(51)
    rig.bus.failing = {"relay1.ch8"}
    rig.run(3)
    assert rig.zones() == []
    run = rig.store.get_run(run_id)
    assert run.state == "aborted"
    assert run.end_reason.startswith("planned time reached; could not switch off: relay1")
    faults = [e for e in rig.store.events() if e.code == "output_fault"]
    assert faults and faults[0].message.startswith("zone z1: relay1")


def test_a_run_ending_with_another_left_on_its_meter_records_the_others_progress(
    make: Any, demo: SiteConfig
) -> None:
    rig = make(roomy(demo))
    rig.seq.start("z1", 1, "manual")
    other = rig.seq.start("z2", 5, "manual")
    rig.run(5)
    assert rig.store.get_run(other).applied_m3 == 0
    rig.seq.stop("z1", "x")
    assert rig.store.get_run(other).applied_m3 == pytest.approx(NOMINAL * 5 / 3600)


# ------------------------------------------------------------------ fertigation


def fertigation_run(rig: Rig, minutes: float = 5) -> int:
    run_id: int = rig.seq.start("z1", minutes, "manual", recipe=Recipe(kg={"N": 1.0}))
    return run_id


def test_prewet_lasts_its_minutes_then_injection_begins(rig: Rig) -> None:
    run_id = fertigation_run(rig)
    rig.run(59)
    assert rig.seq.active()[0].phase is RunPhase.PREWET
    rig.tick()
    assert rig.seq.active()[0].phase is RunPhase.INJECT
    assert rig.store.get_run(run_id).phase == "inject"
    rig.tick()
    assert rig.outputs.is_on("injector_power")


def test_injection_waits_for_water_after_prewet_and_says_so(rig: Rig) -> None:
    run_id = fertigation_run(rig)
    rig.outputs.off("pump")  # no water at the end of prewet
    rig.run(70)
    assert rig.seq.active()[0].phase is RunPhase.PREWET
    rig.seq.stop("z1", "x")
    parts = rig.store.get_run(run_id).end_reason.split("; ")
    assert "injection held: no water flow after prewet" in parts


@pytest.mark.parametrize(("seconds", "held"), [(59, False), (60, True)])
def test_injection_is_said_to_be_held_from_the_end_of_prewet(
    rig: Rig, seconds: int, held: bool
) -> None:
    run_id = fertigation_run(rig)
    rig.outputs.off("pump")
    rig.run(seconds)
    rig.seq.stop("z1", "x")
    parts = rig.store.get_run(run_id).end_reason.split("; ")
    assert ("injection held: no water flow after prewet" in parts) is held


def run_to_flush(rig: Rig) -> int:
    run_id = fertigation_run(rig)
    for _ in range(400):
        rig.tick()
        if rig.seq.active()[0].phase is RunPhase.FLUSH:
            return run_id
    raise AssertionError("no flush")


def test_flush_ends_when_its_minutes_are_up_and_ec_is_back_within_the_band(rig: Rig) -> None:
    rig.ec = SOURCE_EC + FLUSH_EC_BAND_MS_CM  # exactly at the band's edge
    run_id = run_to_flush(rig)
    rig.run(59)
    assert rig.zones() == ["z1"]
    rig.tick()
    assert rig.zones() == []
    run = rig.store.get_run(run_id)
    assert run.state == "done" and run.end_reason.startswith("flushed; water by flow1")
    assert run.fertilizer["N"] > 0


@pytest.mark.parametrize("ec", [SOURCE_EC + FLUSH_EC_BAND_MS_CM + 0.01, SOURCE_EC - 0.21, None])
def test_flush_goes_on_while_ec_is_off_the_source_or_unknown(
    make: Any, demo: SiteConfig, ec: float | None
) -> None:
    rig = make(demo, ec)
    if ec is None:
        rig.sup.check = lambda now=None: []  # type: ignore[method-assign]  # no EC trip here
    run_to_flush(rig)
    rig.run(120)
    assert rig.zones() == ["z1"]


def test_flush_ends_a_margin_before_the_run_time_limit(make: Any, demo: SiteConfig) -> None:
    rig = make(edit(demo, "safety", max_run_min=6))
    rig.ec = 3.0  # never back to the source
    run_id = run_to_flush(rig)
    elapsed = rig.clock.monotonic() - rig.seq._runs["z1"].started_mono_s
    rig.run(int(6 * 60 - LIMIT_MARGIN_S - elapsed) - 1)
    assert rig.zones() == ["z1"]
    rig.tick()
    assert rig.zones() == []
    run = rig.store.get_run(run_id)
    assert run.state == "done"
    assert run.end_reason.startswith("flush limit reached; water by flow1")
    parts = run.end_reason.split("; ")
    assert "flush ended at the run-time limit before EC returned to source" in parts


def test_injection_stopped_blocks_only_fertigation_runs(rig: Rig) -> None:
    run_id = fertigation_run(rig)
    rig.run(62)
    assert rig.outputs.is_on("injector_power")
    rig.sup.trip("ec_high", "EC high", action="injection")
    rig.tick()
    assert rig.seq.active()[0].phase is RunPhase.FLUSH
    assert not rig.outputs.is_on("injector_power")
    rig.seq.stop("z1", "x")
    assert "injection stopped: safety ec_high: EC high" in rig.store.get_run(run_id).end_reason


# ------------------------------------------------------------------ restart


def interrupted(store: Store, zone: str, mark_m3: float | None) -> int:
    run = store.plan_run(zone, RunSource.MANUAL, 30)
    assert run.id is not None
    meter = None if mark_m3 is None else MeterMark("flow1", mark_m3, store.clock.now())
    store.start_run(run.id, RunPhase.WATER, meter=meter)
    store.update_run_progress(run.id, 4.0, meter=meter)
    return run.id


def window_s(site: SiteConfig) -> float:
    s = site.safety
    return PROGRESS_EVERY_S + s.stale_after_s + max(s.lease_s, s.comm_watchdog_s) + 1.0


def test_restart_credits_the_meter_rise_up_to_what_the_zone_can_pass(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    assert demo.safety.lease_s > demo.safety.comm_watchdog_s
    limit = most_m3(NOMINAL, window_s(demo))
    a = interrupted(store, "z1", 0.0)
    rig = make(demo)
    rig.total = limit  # exactly the most
    rig.publish()
    assert rig.seq.recover("power cut") == [a]
    run = store.get_run(a)
    assert run.state == "interrupted"
    assert run.applied_m3 == pytest.approx(4.0 + limit)
    assert run.end_reason.startswith(f"power cut; {limit:.3f} m3 credited to run {a}")
    [event] = [e for e in store.events() if e.code == "run_interrupted"]
    assert event.severity == "warning" and event.source == "sequencer"
    assert event.message.startswith(
        f"run {a} of zone z1 interrupted (power cut) after {4.0 + limit:.2f} m3 applied; "
    )


def test_restart_credits_nothing_above_what_the_zone_can_pass(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    limit = most_m3(NOMINAL, window_s(demo))
    a = interrupted(store, "z1", 0.0)
    rig = make(demo)
    rig.total = limit + 0.01
    rig.publish()
    rig.seq.recover()
    run = store.get_run(a)
    assert run.applied_m3 == 4.0
    assert run.end_reason.startswith("daemon restart; water since the last progress not credited")


def test_the_credit_window_takes_the_longer_of_lease_and_watchdog(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    site = edit(demo, "safety", lease_s=5.0)
    assert site.safety.comm_watchdog_s > site.safety.lease_s
    limit = most_m3(NOMINAL, window_s(site))
    a = interrupted(store, "z1", 0.0)
    rig = make(site)
    rig.total = limit
    rig.publish()
    rig.seq.recover()
    assert store.get_run(a).applied_m3 == pytest.approx(4.0 + limit)


def test_runs_sharing_a_meter_at_restart_are_not_credited(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    a = interrupted(store, "z1", 1000.0)
    b = interrupted(store, "z2", 1000.0)
    rig = make(demo)
    rig.total = 1001.0
    rig.publish()
    assert rig.seq.recover() == [a, b]
    assert store.get_run(a).end_reason.endswith(f"flow1 also measured run {b}")
    assert store.get_run(b).end_reason.endswith(f"flow1 also measured run {a}")
    assert store.get_run(a).applied_m3 == 4.0


def test_a_run_of_a_zone_no_longer_configured_is_ended_without_credit(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    a = interrupted(store, "z1", 1000.0)
    gone = interrupted(store, "old", 1000.0)
    rig = make(demo)
    rig.total = 1001.0
    rig.publish()
    assert rig.seq.recover() == [a, gone]
    assert store.get_run(a).applied_m3 == pytest.approx(5.0)  # alone on flow1: credited
    run = store.get_run(gone)
    assert run.state == "interrupted" and run.applied_m3 == 4.0
    assert run.end_reason == (
        "daemon restart; water since the last progress not credited: zone old is not configured"
    )


def test_recover_with_no_open_run_does_nothing(rig: Rig) -> None:
    assert rig.seq.recover() == []
    assert [e for e in rig.store.events() if e.code == "run_interrupted"] == []


def test_an_output_failing_while_a_run_advances_trips_and_ends_it(rig: Rig) -> None:
    rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    rig.run(61)
    rig.bus.failing = {"doser1.rate_setpoint", "doser1.run"}
    rig.run(40)
    faults = [e for e in rig.store.events() if e.code == "output_fault"]
    assert faults and faults[0].message.startswith("zone z1: ")
    assert faults[0].severity in {Severity.ALARM, Severity.CRITICAL}
    assert rig.zones() == []


def test_a_run_without_a_kept_meter_reading_is_not_credited(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    a = interrupted(store, "z1", None)
    rig = make(demo)
    rig.total = 1001.0
    rig.publish()
    rig.seq.recover()
    run = store.get_run(a)
    assert run.applied_m3 == 4.0
    assert run.end_reason == (
        "daemon restart; water since the last progress not credited: "
        "no meter reading was kept with it"
    )


def test_the_credit_limit_is_the_interrupted_zones_own(
    make: Any, demo: SiteConfig, store: Store
) -> None:
    z1 = demo.zones[0].model_copy(update={"nominal_flow_m3_h": 50.0})
    site = dataclasses.replace(
        demo, model=demo.model.model_copy(update={"zones": [z1, *demo.zones[1:]]})
    )
    limit = most_m3(50.0, window_s(site))
    a = interrupted(store, "z1", 0.0)
    rig = make(site)
    rig.total = limit + 0.01  # within z2's limit (100 m3/h), not z1's
    rig.publish()
    rig.seq.recover()
    assert store.get_run(a).applied_m3 == 4.0


# ------------------------------------------------------------------ runs by volume


def test_a_run_by_volume_records_its_target_beside_its_time_cap(rig: Rig) -> None:
    run_id = rig.seq.start("z1", 5, "manual", volume_m3=1.0)
    audit = rig.store.last_audit("run.start")
    assert audit is not None
    assert audit.detail == {
        "zone": "z1",
        "minutes": 5,
        "run_id": run_id,
        "recipe": None,
        "volume_m3": 1.0,
    }


def test_a_run_by_volume_with_a_recipe_is_refused_and_switches_nothing(rig: Rig) -> None:
    # 1 m3 at z1's nominal 100 m3/h takes 0.6 min: only the recipe refuses it
    with pytest.raises(VolumeError, match="z1: a fertigation run ends by its phases"):
        rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}), volume_m3=1.0)
    assert rig.zones() == [] and rig.switched() == []
    assert rig.store.last_audit("run.start") is None


def test_a_run_by_volume_waits_for_a_fresh_reading_when_the_flow_goes_stale(
    make: Any, demo: SiteConfig
) -> None:
    # The totalizer reads 0.1 L short of the target as the flow rate goes stale: without a
    # flow there is nothing to predict the last 0.1 L from, so the run is not closed early
    # (at 1 m3/h it would be: 0.1 L < 1 m3/h over half a tick); the stale meter trips.
    rig = make(edit(demo, "safety", stale_after_s=2.5))
    rig.total = 1000.0
    rig.publish()
    run_id = rig.seq.start("z1", 5, "manual", volume_m3=1.0)
    rig.total = 1000.9
    rig.tick()
    rig.rate_read = False  # the last flow rate is 1 s old, then 2, then stale
    rig.run(2)
    assert rig.zones() == ["z1"]
    rig.total = 1000.9999
    rig.tick()
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED, run.end_reason
    assert "flow_meter_stale" in run.end_reason


def test_a_run_by_a_named_recipe_records_its_name(make: Any, tmp_path: Path) -> None:
    rig = make(quick_channel_site(tmp_path))
    rig.seq.start("z1", 5, "manual", recipe=ChannelRecipe(name="rig"))
    audit = rig.store.last_audit("run.start")
    assert audit is not None
    assert audit.detail["recipe"] == {
        "kg": {},
        "target_ec_ms_cm": None,
        "tank": None,
        "name": "rig",
    }


# ------------------------------------------------------------------ refusal codes


def test_each_refusal_carries_the_code_a_page_says_it_by(make: Any, demo: SiteConfig) -> None:
    """The pages say a refusal by its code (catalog table refusal), not its English."""
    rig = make(roomy(demo))

    def code(**start: Any) -> str:
        args = {"zone": "z1", "minutes": 5, "source": "manual"} | start
        with pytest.raises(Exception) as err:
            rig.seq.start(**args)
        assert isinstance(err.value, RunRefused | VolumeError | OutputFailed)
        return str(err.value.code)

    assert code(zone="z9") == "unknown_zone"
    assert code(volume_m3=0.0) == "volume_not_positive"
    assert code(volume_m3=1.0, recipe=Recipe(kg={"N": 1.0})) == "recipe_by_volume"
    assert code(volume_m3=100.0) == "volume_unreachable"  # 60 min at 100 m3/h, cap 5
    rig.seq.start("z1", 5, "manual")
    assert code() == "already_running"
    assert code(zone="z2", recipe=Recipe(kg={"N": 1.0})) == "fertigation_alone"
    rig.seq.stop("z1", "x")
    rig.seq.start("z1", 5, "manual", recipe=Recipe(kg={"N": 1.0}))
    assert code(zone="z2") == "fertigation_active"
    rig.seq.stop("z1", "x")
    rig.seq.pause(rig.clock.now() + dt.timedelta(hours=1))
    assert code() == "paused"
    rig.seq.resume()
    rig.bus.failing = {"relay1.ch8"}
    assert code() == "output_failed"
    assert code() == "safety_hold"  # the failed switch-on tripped output_fault
    assert rig.outputs.on_roles() == []


# ------------------------------------------------------------------ records the store refuses

REFUSED = "cannot be changed"
SEQ_LOG = "controller.runtime.sequencer"


def refuse(monkeypatch: pytest.MonkeyPatch, store: Store, method: str, *run_ids: int) -> None:
    """The store refuses ``method`` (a run's record) for ``run_ids`` as it refuses a row it
    will not change (``RunStateError``, not an outage), and records the other runs."""
    record = getattr(store, method)

    def refused(run_id: int, *args: Any, **kwargs: Any) -> Any:
        if run_id in run_ids:
            raise RunStateError(f"run {run_id}: {REFUSED}")
        return record(run_id, *args, **kwargs)

    monkeypatch.setattr(store, method, refused)


def switched_off(rig: Rig) -> list[str]:
    """The relay1 channels switched off since the last look (lease renewals left out)."""
    return [channel for channel, value in rig.switched() if value == 0]


def closed_why(run_id: int) -> str:
    return f"record refused, water closed again: run {run_id}: {REFUSED}"


def test_a_refused_progress_closes_that_run_alone_and_the_tick_says_which(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make(roomy(demo))
    a = rig.seq.start("z1", 5, "manual")
    rig.seq.start("z2", 5, "manual")
    rig.run(int(PROGRESS_EVERY_S) - 1)
    rig.switched()
    refuse(monkeypatch, rig.store, "update_run_progress", a)
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(RecordRefused) as raised:
        rig.tick()  # the progress falls due
    assert str(raised.value) == f"zone z1: run {a}: {closed_why(a)}"
    assert raised.value.code == "record_refused"
    assert switched_off(rig) == ["ch1"]  # z2 waters on: pump and master stay on
    assert rig.zones() == ["z2"]
    run = rig.store.get_run(a)
    assert run.state == "aborted" and run.end_reason.startswith(closed_why(a))
    assert f"zone z1: run {a}: {closed_why(a)}" in caplog.messages


def test_the_last_run_refused_switches_the_pump_off_first(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = rig.seq.start("z1", 5, "manual")
    rig.run(int(PROGRESS_EVERY_S) - 1)
    rig.switched()
    refuse(monkeypatch, rig.store, "update_run_progress", a)
    with pytest.raises(RecordRefused):
        rig.tick()
    assert switched_off(rig) == ["ch8", "ch7", "ch1"]
    assert rig.outputs.on_roles() == [] and rig.zones() == []


def test_a_progress_refused_while_injecting_stops_the_dosing_pump(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = fertigation_run(rig)
    rig.run(62)  # prewet 60 s, then injecting
    assert rig.outputs.is_on("injector_power")
    rig.bus.writes.clear()
    refuse(monkeypatch, rig.store, "update_run_progress", run_id)
    with pytest.raises(RecordRefused):
        rig.run(int(PROGRESS_EVERY_S))
    assert ("relay1", "ch5", 0) in rig.bus.writes and ("doser1", "run", 0) in rig.bus.writes
    assert rig.outputs.on_roles() == []


def test_a_refused_run_whose_valve_stays_on_trips_and_every_refusal_is_logged(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The valve will not close: the trip switches the rest off and aborts the other run,
    whose end the store refuses too; the refused run's own end is refused as well."""
    rig = make(roomy(demo))
    a = rig.seq.start("z1", 5, "manual")
    b = rig.seq.start("z2", 5, "manual")
    rig.run(int(PROGRESS_EVERY_S) - 1)
    refuse(monkeypatch, rig.store, "update_run_progress", a)
    refuse(monkeypatch, rig.store, "finish_run", a, b)
    rig.bus.welded = {"relay1.ch1"}  # reads back on when switched off
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(RecordRefused) as raised:
        rig.tick()
    assert str(raised.value) == f"zone z1: run {a}: {closed_why(a)}"
    [fault] = [e for e in rig.store.events() if e.code == "output_fault"]
    assert fault.message.startswith(f"zone z1: {closed_why(a)}; relay1")
    assert rig.zones() == [] and rig.outputs.on_roles() == []
    assert f"runs aborted by the trip, not all recorded: run {b}: {REFUSED}" in caplog.messages
    assert f"run {a} of zone z1 not ended in the store: run {a}: {REFUSED}" in caplog.messages


def test_a_runs_end_that_finds_anothers_progress_refused_closes_it_and_the_next_tick_says_so(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make(roomy(demo))
    a = rig.seq.start("z1", 5, "manual")
    b = rig.seq.start("z2", 5, "manual")
    rig.run(3)
    rig.switched()
    refuse(monkeypatch, rig.store, "update_run_progress", b)
    rig.seq.stop("z1", "x")  # its end is recorded: the refusal is z2's
    assert switched_off(rig) == ["ch1", "ch8", "ch7", "ch2"]
    assert rig.zones() == []
    assert rig.store.get_run(a).state == "aborted"
    assert rig.store.get_run(a).end_reason.startswith("x; ")
    assert rig.store.get_run(b).end_reason.startswith(closed_why(b))
    with pytest.raises(RecordRefused) as raised:
        rig.seq.tick()
    assert str(raised.value) == f"zone z2: run {b}: {closed_why(b)}"
    assert raised.value.code == "record_refused"
    rig.seq.tick()  # said once


def test_a_run_closed_by_anothers_end_is_skipped_and_the_next_run_still_ends(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1 ends at its planned time, z2's progress is refused at that end: z3, due too,
    ends in the same tick."""
    rig = make(roomy(demo, 300.0))
    rig.seq.start("z1", 1, "manual")
    b = rig.seq.start("z2", 5, "manual")
    c = rig.seq.start("z3", 1, "manual")
    rig.run(59)
    refuse(monkeypatch, rig.store, "update_run_progress", b)
    with pytest.raises(RecordRefused, match=f"^zone z2: run {b}: "):
        rig.tick()
    assert rig.zones() == []
    assert rig.store.get_run(c).state == "done"


def test_abort_all_skips_a_run_closed_by_anothers_end_and_aborts_the_rest(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make(roomy(demo, 300.0))
    rig.seq.start("z1", 5, "manual")
    b = rig.seq.start("z2", 5, "manual")
    c = rig.seq.start("z3", 5, "manual")
    rig.run(3)
    refuse(monkeypatch, rig.store, "update_run_progress", b)
    rig.seq.abort_all("safety burst: x")
    assert rig.zones() == []
    run = rig.store.get_run(c)
    assert run.state == "aborted" and run.end_reason.startswith("safety burst: x")
    with pytest.raises(RecordRefused, match=f"^zone z2: run {b}: "):
        rig.seq.tick()


@pytest.mark.parametrize("how", ["abort_all", "stop_all"])
def test_ending_every_run_ends_each_one_then_raises_the_first_refusal(
    make: Any,
    demo: SiteConfig,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    rig = make(roomy(demo, 300.0))
    a = rig.seq.start("z1", 5, "manual")
    b = rig.seq.start("z2", 5, "manual")
    c = rig.seq.start("z3", 5, "manual")
    rig.run(3)
    refuse(monkeypatch, rig.store, "finish_run", a, b)
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(RunStateError) as raised:
        getattr(rig.seq, how)("all")
    assert str(raised.value) == f"run {a}: {REFUSED}"
    assert rig.zones() == []
    assert rig.store.get_run(c).state == "aborted"
    said = "aborted" if how == "abort_all" else "stopped"
    for zone, run_id in (("z1", a), ("z2", b)):
        assert f"zone {zone} {said}, its end not recorded: run {run_id}: {REFUSED}" in (
            caplog.messages
        )


def test_a_start_the_store_refuses_closes_its_water_pump_first(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    refuse(monkeypatch, rig.store, "start_run", 1)
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(RunStateError):
        rig.seq.start("z1", 5, "manual")
    on = [("ch1", 1), ("ch7", 1), ("ch8", 1)]
    assert rig.switched() == [*on, ("ch8", 0), ("ch7", 0), ("ch1", 0)]
    assert rig.outputs.on_roles() == [] and rig.zones() == []
    why = f"start not recorded, water closed again: run 1: {REFUSED}"
    [run] = rig.store.runs()
    assert run.state == "aborted" and run.end_reason == why
    assert f"zone z1: {why}" in caplog.messages


def test_a_start_refused_beside_a_run_closes_only_what_it_opened(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make(roomy(demo))
    rig.seq.start("z2", 5, "manual")
    rig.switched()
    refuse(monkeypatch, rig.store, "start_run", 2)
    with pytest.raises(RunStateError):
        rig.seq.start("z1", 5, "manual")
    assert rig.switched() == [("ch1", 1), ("ch1", 0)]
    assert rig.zones() == ["z2"]


def test_a_refused_start_whose_pump_stays_on_trips_and_its_refused_end_is_logged(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    refuse(monkeypatch, rig.store, "start_run", 1)
    refuse(monkeypatch, rig.store, "finish_run", 1)
    rig.bus.welded = {"relay1.ch8"}
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(RunStateError):
        rig.seq.start("z1", 5, "manual")
    why = f"start not recorded, water closed again: run 1: {REFUSED}"
    [fault] = [e for e in rig.store.events() if e.code == "output_fault"]
    assert fault.message.startswith(f"zone z1: {why}; relay1")
    assert f"run 1 of zone z1 not ended in the store: run 1: {REFUSED}" in caplog.messages


def test_a_valve_that_does_not_open_whose_end_is_refused_is_logged(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    refuse(monkeypatch, rig.store, "finish_run", 1)
    rig.bus.failing = {"relay1.ch1"}
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(OutputFailed):
        rig.seq.start("z1", 5, "manual")
    assert f"run 1 of zone z1 not ended in the store: run 1: {REFUSED}" in caplog.messages


def test_a_trip_at_a_runs_end_that_finds_anothers_end_refused_is_said_by_the_tick(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1's valve will not close at its end: the trip aborts z2, whose end the store
    refuses; z1's end is recorded and the tick raises the refusal, not blamed on z1."""
    rig = make(roomy(demo))
    a = rig.seq.start("z1", 0.9, "manual")  # 54 s: the last renewal at 50 s
    b = rig.seq.start("z2", 5, "manual")
    rig.run(51)
    rig.bus.failing = {"relay1.ch1"}
    refuse(monkeypatch, rig.store, "finish_run", b)
    with pytest.raises(RecordRefused) as raised:
        rig.run(3)
    assert str(raised.value) == (
        f"a run ended by the trip: run {b}: {REFUSED}; "
        f"run history incomplete, ends not recorded: runs {b} (z2)"
    )
    assert raised.value.code == "record_refused"
    run = rig.store.get_run(a)
    assert run.state == "aborted" and run.end_reason.startswith("planned time reached; could")
    assert rig.zones() == []


def test_a_valve_that_does_not_open_whose_trip_finds_anothers_end_refused_names_that_run(
    make: Any, demo: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """z1's valve will not open: the trip aborts z2, whose end the store refuses; the next
    tick's refusal names z2's run as not recorded, as the trip's alarm does."""
    rig = make(roomy(demo))
    b = rig.seq.start("z2", 5, "manual")
    rig.run(3)
    rig.bus.failing = {"relay1.ch1"}
    refuse(monkeypatch, rig.store, "finish_run", b)
    with pytest.raises(OutputFailed):
        rig.seq.start("z1", 5, "manual")
    with pytest.raises(RecordRefused) as raised:
        rig.tick()
    assert str(raised.value) == (
        f"a run ended by the trip: run {b}: {REFUSED}; "
        f"run history incomplete, ends not recorded: runs {b} (z2)"
    )
    assert rig.zones() == []


def test_a_run_whose_end_the_store_refuses_in_a_tick_is_said_by_that_tick(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = rig.seq.start("z1", 1, "manual")
    rig.run(59)
    refuse(monkeypatch, rig.store, "finish_run", run_id)
    with caplog.at_level(logging.ERROR, SEQ_LOG), pytest.raises(RecordRefused) as raised:
        rig.tick()  # the planned time: its end is refused
    assert str(raised.value) == f"zone z1: run {run_id}: {closed_why(run_id)}"
    assert rig.zones() == [] and rig.outputs.on_roles() == []
    said = f"run {run_id} of zone z1 not ended in the store: run {run_id}: {REFUSED}"
    assert said in caplog.messages


def test_a_runs_end_records_the_progress_of_the_runs_on_its_meter_past_one_on_another(
    make: Any, demo: SiteConfig
) -> None:
    zones = [
        z.model_copy(update={"flow_meter": "flow2"}) if z.name == "z1" else z for z in demo.zones
    ]
    site = roomy(demo, 300.0)
    rig = make(dataclasses.replace(site, model=site.model.model_copy(update={"zones": zones})))
    rig.seq.start("z1", 5, "manual")  # on flow2, first in line
    rig.seq.start("z2", 5, "manual")
    c = rig.seq.start("z3", 5, "manual")
    rig.run(5)
    assert rig.store.get_run(c).applied_m3 == 0
    rig.seq.stop("z2", "x")
    assert rig.store.get_run(c).applied_m3 > 0
