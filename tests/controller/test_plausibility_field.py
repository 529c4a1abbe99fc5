"""A soil probe stuck at a low, in-range value in a sensor-mode zone, end to end: the daemon
(poller, store, planner, sequencer, supervisor, the plausibility job) against the simulated
demo field on loopback, on a virtual clock.

Before the plausibility rules the stuck probe held z1's valve open for its whole maximum run
(240 min) with no alarm. Now the run is capped by the water balance's need, the probe's
missing response to the water raises an alarm naming it, and the zone is planned by the
water balance from then on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import Simulation
from controller.store import RunState, Store, WaterBalanceDay
from drivers.bus import Bus
from drivers.sim import Fault, FaultKind
from models.crops import crop, root_depth_m
from models.soils import SoilProfile, texture
from tests.helpers.figures import Figures
from tests.helpers.site import quick_site

START = dt.datetime(2026, 6, 1, 10, 30, tzinfo=dt.UTC)  # 18:30 in Zhangye
STUCK_PCT = 11.0


def stuck_probe_site(tmp_path: Path, lag_min: float) -> SiteConfig:
    """quick_site with z1 in sensor mode on its 0.2 m probe alone, the other zones manual, and
    a response rule that judges after 4 mm (z1, 10 mu at 100 m³/h, gets 15 mm/h: 16 min) and
    ``lag_min``."""
    site = quick_site(tmp_path)
    text = site.path.read_text(encoding="utf-8")
    replace = {
        'probe1a", depth_m = 0.2 }, { device = "probe1b", depth_m = 0.4 }]': (
            'probe1a", depth_m = 0.2 }]\nmode = "sensor"'
        ),
        'area_mu = 25\ncrop = "seed_corn"\nplanting_date = 2026-04-20\nsoil = "loam"\nirr': (
            'area_mu = 10\ncrop = "seed_corn"\nplanting_date = 2026-04-20\nsoil = "loam"\nirr'
        ),
        "timeout_s = 0.3\nretries = 1\ngap_ms = 10": "timeout_s = 0.1\nretries = 0\ngap_ms = 0",
        'mode = "calendar"': 'mode = "manual"',
        'valve = "relay1.ch2"\n': 'valve = "relay1.ch2"\nmode = "manual"\n',
        'valve = "relay1.ch3"\n': 'valve = "relay1.ch3"\nmode = "manual"\n',
    }
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    text += f"\n[plausibility]\nresponse_after_mm = 4\nresponse_lag_min = {lag_min}\n"
    site.path.write_text(text, encoding="utf-8")
    return load_site(site.path)


@dataclass
class Field:
    site: SiteConfig
    sim: Simulation
    daemon: Daemon
    clock: VirtualClock
    store: Store
    due: dict[str, float]
    longest_open_s: float = 0.0
    opened_at: float | None = None

    def drive(self, seconds: float, idle_step_s: float = 10.0, busy_step_s: float = 2.0) -> None:
        """Let time pass: the field moves, every interval job of the daemon runs when due
        (polls, control tick, flush, plausibility), every ``busy_step_s`` while water runs;
        the valve's longest opening is kept."""
        jobs = [j for j in self.daemon.jobs() if j.every_s is not None]
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end:
            busy = self.daemon.outputs.on_roles() or self.daemon.sequencer.active()
            step_s = busy_step_s if busy else idle_step_s
            self.clock.advance(step_s)
            self.sim.field.step(step_s)
            mono_s = self.clock.monotonic()
            for job in jobs:
                if self.due.get(job.name, 0.0) <= mono_s + 1e-9:
                    job.func()
                    self.due[job.name] = mono_s + (job.every_s or 0.0)
            if self.sim.devices["relay1"].get("ch1"):
                self.opened_at = mono_s if self.opened_at is None else self.opened_at
                self.longest_open_s = max(self.longest_open_s, mono_s - self.opened_at)
            else:
                self.opened_at = None


def seed_balance(store: Store, site: SiteConfig, fraction_of_taw: float) -> None:
    """z1's water balance of yesterday and today at ``fraction_of_taw`` depleted (the probe is
    not in it), ET0 6 mm a day."""
    z = site.zones[0]
    today = START.astimezone(site.site.tz).date()
    c = crop(z.crop)
    taw = SoilProfile.uniform(texture(z.soil), c.root_depth_max_m).taw_mm(
        root_depth_m(c, (today - z.planting_date).days)
    )
    for date in (today - dt.timedelta(days=1), today):
        _balance_day(store, z.name, date, fraction_of_taw * taw, taw)


def _balance_day(store: Store, zone: str, date: dt.date, dr_mm: float, taw: float) -> None:
    store.add_water_balance(
        WaterBalanceDay(
            zone=zone,
            date=date,
            et0_mm=6,
            kc=1,
            etc_mm=6,
            eta_mm=6,
            rain_mm=0,
            effective_rain_mm=0,
            irrigation_mm=0,
            dr_start_mm=0,
            dr_end_mm=dr_mm,
            taw_mm=taw,
            raw_mm=0.55 * taw,
            ks=1,
            method="seeded",
        )
    )


def field_with_stuck_probe(tmp_path: Path, lag_min: float) -> Iterator[Field]:
    site = stuck_probe_site(tmp_path, lag_min)
    clock = VirtualClock(START)
    tz = site.site.tz
    with Simulation(
        site,
        control_port=0,
        step_s=None,
        now=lambda: START.astimezone(tz),
        clock=clock.monotonic,
        any_port=True,
    ) as sim:
        buses = {
            b.name: Bus(
                sim.bus_settings(b.name),
                site.devices_on(b.name),
                now=clock.now,
                monotonic=clock.monotonic,
            )
            for b in site.buses
        }
        fieldio = FieldIO(site, buses)
        store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        probe = sim.devices["probe1a"]
        probe.set("moisture", STUCK_PCT)
        probe.inject(Fault(FaultKind.STUCK, point="moisture"))  # the field cannot move it
        daemon = Daemon(site, store, clock, fieldio=fieldio)
        daemon.start(schedule=False)
        try:
            seed_balance(store, site, 0.3)
            yield Field(site, sim, daemon, clock, store, {})
        finally:
            daemon.stop()
            fieldio.close()
            store.close()


@pytest.fixture
def field(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Field]:
    yield from field_with_stuck_probe(tmp_path, request.param)


def plan_the_night(f: Field) -> tuple[float, float]:
    """20 minutes of readings, then the 18:50 planning: z1's run at 20:00 (its start as
    virtual monotonic seconds, its minutes)."""
    f.drive(20 * 60)
    (run,) = [r for r in f.daemon.plan() if r.zone == "z1"]
    decision = next(d for d in f.store.decisions() if d.zone == "z1")
    assert decision.inputs["theta_mean_pct"] == pytest.approx(STUCK_PCT)
    assert "capped: 1.5 × the water balance's need" in decision.reason
    assert run.duration_min == pytest.approx(decision.inputs["cap_min"])
    asked_mm = decision.inputs["net_mm"] / f.site.zones[0].efficiency
    assert asked_mm > 3 * run.depth_mm  # what the stuck probe asked for: the maximum run
    start_s = f.clock.monotonic() + (run.start - f.clock.now()).total_seconds()
    return start_s, run.duration_min


@pytest.mark.parametrize("field", [60.0], indirect=True)
def test_the_stuck_probe_is_named_and_the_run_stops_at_the_cap(
    field: Field, figures: Figures
) -> None:
    f = field
    figures.fault(detect_s=None)
    start_s, minutes = plan_the_night(f)
    assert minutes < 16 + 60  # 1.5 × the balance's need of z1: ends before the judgement
    f.drive(start_s - f.clock.monotonic() + minutes * 60 + 40 * 60)  # the run, then 40 min
    (run,) = f.store.runs("z1")
    assert run.state == RunState.DONE and run.end_reason.startswith("planned time reached")
    assert f.longest_open_s <= minutes * 60 + 2  # never open beyond the cap (one tick)
    assert not f.sim.devices["relay1"].get("ch1")
    alarms = [a for a in f.store.open_alarms() if a.code == "probe_no_response"]
    assert [a.source for a in alarms] == ["probe1a"]
    assert "probe1a.moisture (zone z1, 0.2 m): no response to irrigation" in alarms[0].message
    assert run.started_at is not None  # a stuck probe shows only once water should move it
    detect_s = (alarms[0].time - run.started_at).total_seconds()
    figures.fault(detect_s=detect_s, sensor=True, tried=False)
    # the next planning leaves the probe out: z1 is planned by the water balance
    f.daemon.plan()
    decision = f.store.decisions("z1")[-1]
    assert "probe probe1a quarantined, planned by the water balance" in decision.reason
    assert "probe moisture" not in decision.reason


@pytest.mark.parametrize("field", [10.0], indirect=True)
def test_the_run_stops_when_its_probe_is_doubted_during_the_water(
    field: Field, figures: Figures
) -> None:
    """4 mm after 16 min and a 10 min lag: the probe is judged while z1 still runs."""
    f = field
    figures.fault(detect_s=None)
    start_s, minutes = plan_the_night(f)
    f.drive(start_s - f.clock.monotonic() + 45 * 60)
    (run,) = f.store.runs("z1")
    assert run.state == RunState.ABORTED
    assert run.started_at is not None and run.ended_at is not None
    figures.fault(
        detect_s=(run.ended_at - run.started_at).total_seconds(), sensor=True, tried=False
    )
    assert run.end_reason.startswith("probe probe1a quarantined (probe_no_response)")
    assert f.longest_open_s < 40 * 60 < minutes * 60  # stopped well before the cap
    assert not f.sim.devices["relay1"].get("ch1")
    assert f.daemon.planned() == []
