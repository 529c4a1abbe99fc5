"""A season of the site through the daemon's own jobs, on a virtual clock, against the simulator.

What runs is production code end to end: a :class:`controller.daemon.daemon.Daemon` with its store
(SQLite), its bus owners talking Modbus to the simulated devices on loopback
(:class:`controller.simulation.harness.Simulation`, leases timed by the virtual clock), and its job
list (:meth:`Daemon.jobs`) called at their cadence in virtual time. The field behind the
devices is the season truth (:mod:`drivers.sim.soilphysics`, :mod:`drivers.sim.weathergen`):
true soil per zone, seeded weather, the crop's Kc/root depth/p and the true ET0 computed here
with models/ and handed to the field as plain numbers.

Cadence rules (virtual time; the field is stepped by exactly the time that passes):

* while any output is on or any run is active: steps of ``run_tick_s`` (1 s): every job whose
  interval is due runs, so the control tick (sequencer, head works, supervisor) runs every
  second and each device is polled at its configured interval — as in production;
* while everything is off: one step up to the next of: a cron job (hourly balance at :05,
  close of day, planning times, retention), the first queued planned run, a conventional
  flood, the end, or ``idle_step_s`` (1 h). At the end of the step every interval job that
  fell due runs once (polls, control tick, flush: apscheduler's coalescing), then the cron
  jobs due. Nothing can start water inside an idle step: runs start only from the control
  tick, and the step ends at the first planned start.

Strategies: ``et`` / ``sensor`` / ``calendar`` set every zone's mode; ``conventional`` is the
border-irrigation practice the district compares against: the daemon waters nothing (zones in
``manual``), the scenario's flood events go straight onto the soil at 08:00 of their dates (canal
water, not through the drip head), and the winter irrigation before the season counts in the
water applied.

The technician: every morning at :data:`TECHNICIAN_HOUR` the season acknowledges the latched
alarms still open (as ``season-technician``, counted in the report), as the person on a
demonstration site does after looking at them; without this one trip would stop irrigation
for the rest of the season. On the same round a fertilizer tank whose level (as the field
has it) is below :data:`REFILL_BELOW_FRACTION` of its starting level is filled back to it
(listed in the report): a season's plan needs more solution than one tank holds, and a peak
event for two zones takes a third of a tank. ``technician=False`` does neither.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from controller.agronomy.fertplan import zone_events
from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU, SiteConfig, load_site
from controller.daemon.daemon import Daemon, Job
from controller.errors import ControllerError
from controller.paths import bundled
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.bus import Bus
from drivers.errors import DriverError
from drivers.sim.field import SeasonTruth
from drivers.sim.soilphysics import CropTruth, DayTotals, SoilColumn, SoilTruth
from drivers.sim.weathergen import ClimateNormals, WeatherGenerator, WeatherSeries
from models.crops import crop, depletion_fraction, kc_on_day, root_depth_m
from models.et0 import daily as et0_daily

__all__ = [
    "SCENARIO_DIR",
    "STRATEGIES",
    "Scenario",
    "Season",
    "SeasonReport",
    "ZoneReport",
    "load_scenario",
    "run_season",
    "station_et0",
]

log = logging.getLogger(__name__)

SCENARIO_DIR = bundled("controller.simulation", "scenarios")
Strategy = Literal["et", "et-fao56", "et-quota200", "sensor", "calendar", "conventional"]
STRATEGIES: dict[str, str] = {
    "et": "et",
    "et-fao56": "et",
    "et-quota200": "et",
    "sensor": "sensor",
    "calendar": "calendar",
    "conventional": "manual",
}
RUN_TICK_S = 1.0
IDLE_STEP_S = 3600.0
FLOOD_HOUR = 8
TECHNICIAN_HOUR = 8
TECHNICIAN = "season-technician"
# Zone keys a strategy sets besides the mode: ``et-fao56`` is the ET rule before the crop's
# stages (FAO-56 p all season, refill to 15 % of TAW), kept for comparison; ``et-quota200``
# the ET rule within a water quota of 200 m³/mu a year (the planner paces against it).
STRATEGY_ZONE_KEYS: dict[str, str] = {
    "et-fao56": 'targets = "fao56"',
    "et-quota200": "quota_m3_per_mu = 200",
}
AS_CONFIGURED = "site"  # a strategy that keeps every zone's mode as the site file has it
REFILL_BELOW_FRACTION = 0.5  # the morning round tops up a tank below half its starting level


class ScenarioError(ControllerError, ValueError):
    """A scenario file is missing or inconsistent (the message names the file and key)."""


@dataclass(frozen=True)
class Scenario:
    """A season scenario (``controller/simulation/scenarios/NAME.toml``) as the driver uses it."""

    name: str
    path: Path
    site_path: Path
    normals: ClimateNormals
    start: dt.date
    end: dt.date
    critical_dap: tuple[int, int]
    initial_fraction: float
    soils: dict[str, SoilTruth]
    flood_dates: tuple[dt.date, ...]
    flood_m3_mu: float
    winter_m3_mu: float
    conventional_total_m3_mu: float
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario by name (in :data:`SCENARIO_DIR`) or path; :class:`ScenarioError` if bad."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml") if ".site" not in p.name)
        raise ScenarioError(f"{path}: no such scenario (known: {', '.join(known)})")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        sim, conv = data["simulation"], data["conventional"]
        year = int(sim["year"])

        def day(text: str) -> dt.date:
            month, d = (int(v) for v in text.split("-"))
            return dt.date(year, month, d)

        soils = {z: SoilTruth(**{k: v for k, v in t.items()}) for z, t in sim["soils"].items()}
        lo, hi = sim["critical_dap"]
        return Scenario(
            name=path.stem,
            path=path,
            site_path=path.parent / sim["site"],
            normals=ClimateNormals.from_mapping(data["climate"]),
            start=day(sim["start"]),
            end=day(sim["end"]),
            critical_dap=(int(lo), int(hi)),
            initial_fraction=float(sim.get("initial_fraction", 1.0)),
            soils=soils,
            flood_dates=tuple(day(e) for e in conv["events"]),
            flood_m3_mu=float(conv["event_m3_mu"]),
            winter_m3_mu=float(conv.get("winter_irrigation_m3_mu", 0.0)),
            conventional_total_m3_mu=float(conv["season_total_m3_mu"]),
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(f"{path}: {exc!r}") from exc


# -- truth --------------------------------------------------------------------------------


def true_et0(
    weather: WeatherSeries, start: dt.date, end: dt.date, site: SiteConfig
) -> dict[dt.date, float]:
    """FAO-56 Penman-Monteith ET0 (mm/d, eq. 6) of each generated day, Rs from sunshine."""
    return station_et0(weather, start, end, site.site.latitude_deg, site.site.elevation_m)


def station_et0(
    weather: WeatherSeries, start: dt.date, end: dt.date, latitude_deg: float, elevation_m: float
) -> dict[dt.date, float]:
    """:func:`true_et0` at a given latitude (°) and elevation (m)."""
    days = weather.days(start, end)
    result = et0_daily(
        tmax=[d.tmax_c for d in days],
        tmin=[d.tmin_c for d in days],
        doy=[d.date.timetuple().tm_yday for d in days],
        lat_deg=latitude_deg,
        elev_m=elevation_m,
        ea=[d.ea_kpa for d in days],
        wind=[d.u2_m_s for d in days],
        sunshine=[d.sunshine_h for d in days],
    )
    return {d.date: float(v) for d, v in zip(days, result.et0_mm[0], strict=True)}


def crop_truth(
    site: SiteConfig, zone: str, scenario: Scenario, et0: dict[dt.date, float]
) -> CropTruth:
    """The zone's crop by day after planting: mulched Kc (eq. 66), Zr, p adjusted for ETc."""
    z = next(z for z in site.zones if z.name == zone)
    c = crop(z.crop)
    n = (scenario.end - z.planting_date).days + 1
    kc = [float(kc_on_day(c, d, mulched=True)) for d in range(n)]
    zr = [float(root_depth_m(c, float(d))) for d in range(n)]
    p = [
        depletion_fraction(c.p, k * et0.get(z.planting_date + dt.timedelta(days=d), 5.0))
        for d, k in enumerate(kc)
    ]
    lo, hi = scenario.critical_dap
    return CropTruth(
        z.planting_date, tuple(kc), tuple(zr), tuple(p), tuple(lo <= d <= hi for d in range(n))
    )


# -- the driver ---------------------------------------------------------------------------


def _site_for(scenario: Scenario, strategy: str, workdir: Path) -> SiteConfig:
    """The scenario's site with every zone's mode set for the strategy (:data:`AS_CONFIGURED`:
    the modes and the fertigation plan of the site file, as the living demo runs it)."""
    path = workdir / "site.toml"
    text = scenario.site_path.read_text(encoding="utf-8")
    if strategy == AS_CONFIGURED:
        path.write_text(text, encoding="utf-8")
        return load_site(path)
    if strategy not in STRATEGIES:
        raise ScenarioError(f"strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
    for mode in ("et", "sensor", "calendar", "manual"):
        text = text.replace(f'mode = "{mode}"', f'mode = "{STRATEGIES[strategy]}"')
    if strategy in STRATEGY_ZONE_KEYS:
        mode_line = f'mode = "{STRATEGIES[strategy]}"'
        text = text.replace(mode_line, f"{mode_line}\n{STRATEGY_ZONE_KEYS[strategy]}")
    if STRATEGIES[strategy] == "manual":
        # Border-irrigated fields are fertilized by hand, not through the drip head: no plan.
        text = re.sub(r"\[\[fertigation\.events\]\][^\[]*", "", text)
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def _next_cron(cron: dict[str, Any], after: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Next local time strictly after ``after`` matching ``{"hour"?, "minute"}`` (aware UTC)."""
    local = after.astimezone(tz)
    minute = int(cron.get("minute", 0))
    hour = cron.get("hour")
    cand = local.replace(minute=minute, second=0, microsecond=0)
    if hour is None:
        while cand <= local:
            cand += dt.timedelta(hours=1)
    else:
        cand = cand.replace(hour=int(hour))
        while cand <= local:
            cand += dt.timedelta(days=1)
    return cand.astimezone(dt.UTC)


class Season:
    """One season of a scenario under a strategy; ``with Season(...) as s: report = s.run()``."""

    def __init__(
        self,
        scenario: Scenario,
        strategy: str,
        *,
        seed: int = 0,
        days: int | None = None,
        workdir: Path | None = None,
        run_tick_s: float = RUN_TICK_S,
        idle_step_s: float = IDLE_STEP_S,
        start: dt.date | None = None,
        technician: bool = True,
        control_port: int = 0,
        columns: Mapping[str, SoilColumn] | None = None,
        rain_total_mm: float = 0.0,
        start_time: dt.time = dt.time(),
    ) -> None:
        """``start`` begins later than the scenario (a mid-season test); ``days`` cuts it short.

        ``columns`` (per zone) carry the soil water of a past already simulated (the living
        demo's weeks before ``start``) instead of the scenario's starting water, and
        ``rain_total_mm`` the station's rain counter then; ``control_port`` serves the
        fault-injection channel there (0: a free port); ``start_time`` is the local time of
        day the season starts at on its first day (default midnight)."""
        self.scenario, self.strategy, self.seed = scenario, strategy, seed
        self.run_tick_s, self.idle_step_s = run_tick_s, idle_step_s
        self.technician = technician
        self.control_port = control_port
        self.acknowledged: list[str] = []  # "code: message" of every alarm the technician acked
        self.refills: list[str] = []  # "date tank: from m" of every tank the technician refilled
        self._stack = ExitStack()
        if workdir is None:
            workdir = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        self.workdir = workdir
        self.site = _site_for(scenario, strategy, workdir)
        tz = self.site.site.tz
        self.tz = tz
        first = scenario.start if start is None else start
        self.end_date = (
            scenario.end if days is None else min(scenario.end, first + dt.timedelta(days=days - 1))
        )
        self.weather = WeatherGenerator(scenario.normals, seed).generate(
            scenario.start - dt.timedelta(days=1), scenario.end + dt.timedelta(days=1)
        )
        self.et0 = true_et0(self.weather, scenario.start, scenario.end, self.site)
        start_local = dt.datetime.combine(first, start_time)
        self.start = start_local.replace(tzinfo=tz).astimezone(dt.UTC)
        self.end = dt.datetime.combine(
            self.end_date + dt.timedelta(days=1), dt.time(0, 30), tzinfo=tz
        ).astimezone(dt.UTC)
        self.truth = SeasonTruth(
            start=start_local,
            weather=self.weather,
            et0_mm=self.et0,
            soils={
                z.name: (
                    columns[z.name]
                    if columns is not None
                    else SoilColumn(self._soil(z.name), scenario.initial_fraction)
                )
                for z in self.site.zones
            },
            crops={
                z.name: crop_truth(self.site, z.name, scenario, self.et0) for z in self.site.zones
            },
            rain_total_mm=rain_total_mm,
        )
        self.clock = VirtualClock(self.start)
        self.floods = (
            sorted(
                dt.datetime.combine(d, dt.time(FLOOD_HOUR), tzinfo=tz).astimezone(dt.UTC)
                for d in scenario.flood_dates
            )
            if strategy == "conventional"
            else []
        )
        self.sim: Simulation | None = None
        self.daemon: Daemon | None = None
        self.not_off_at_stop: dict[str, DriverError] | None = None  # the daemon's stop said
        self.store: Store | None = None

    def _soil(self, zone: str) -> SoilTruth:
        try:
            return self.scenario.soils[zone]
        except KeyError:
            raise ScenarioError(
                f"{self.scenario.path}: simulation.soils has no zone {zone!r}"
            ) from None

    # -- life cycle -----------------------------------------------------------------------
    def __enter__(self) -> Season:
        self.sim = self._stack.enter_context(
            Simulation(
                self.site,
                control_port=self.control_port,
                seed=self.seed,
                step_s=None,
                now=lambda: self.start,
                clock=self.clock.monotonic,
                any_port=True,
                physics=self.truth,
            )
        )
        buses = {
            b.name: Bus(
                self.sim.bus_settings(b.name),
                self.site.devices_on(b.name),
                now=self.clock.now,
                monotonic=self.clock.monotonic,
            )
            for b in self.site.buses
        }
        fieldio = FieldIO(self.site, buses)
        self._stack.callback(fieldio.close)
        self.store = Store(f"sqlite:///{self.workdir / 'qanat.db'}", clock=self.clock)
        self._stack.callback(self.store.close)
        self.daemon = Daemon(self.site, self.store, self.clock, fieldio=fieldio)
        self.daemon.start(schedule=False)
        self._stack.callback(self._stop_daemon)
        self._schedule()
        return self

    def _stop_daemon(self) -> None:
        if self.daemon is not None:
            self.not_off_at_stop = self.daemon.stop()

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def restart_daemon(self) -> Daemon:
        """A new daemon on the same store and buses, as after a crash: the old one is dropped
        without stopping (nothing switched off by it); the new one starts fail-safe."""
        old = self.daemon
        assert old is not None and self.store is not None
        self.daemon = Daemon(self.site, self.store, self.clock, fieldio=old.fieldio)
        self.daemon.start(schedule=False)
        self._schedule()
        return self.daemon

    # -- stepping -------------------------------------------------------------------------
    def busy(self) -> bool:
        """Anything on or running: the control loop must then see every second."""
        d = self.daemon
        assert d is not None
        return bool(d.outputs.on_roles()) or bool(d.sequencer.active())

    def _schedule(self) -> None:
        """Every job's next due time, from now (called once the daemon has started)."""
        d = self.daemon
        assert d is not None
        jobs = d.jobs()
        self._interval = [j for j in jobs if j.every_s is not None]
        self._crons = [j for j in jobs if j.cron is not None]
        now, mono_s = self.clock.now(), self.clock.monotonic()
        self._next_mono_s = {j.name: mono_s for j in self._interval}
        self._next_cron = {j.name: _next_cron(j.cron or {}, now, self.tz) for j in self._crons}
        self._floods = [f for f in self.floods if f > now]
        self._rounds = _next_cron({"hour": TECHNICIAN_HOUR, "minute": 0}, now, self.tz)
        d.on_task_added = self._take_up

    def _take_up(self, job: Job) -> None:
        """A task added after the season scheduled the daemon's jobs (the service's check of
        the settings file, made when ``qanat demo`` serves the pages): due from now on, in
        place of a job of the same name. Called from the serving thread while the clock
        runs: the due time is set before the job is listed, and the lists are replaced,
        never changed in place, so the clock's loop never meets half of it."""
        if job.every_s is None:
            return
        self._next_mono_s = {**self._next_mono_s, job.name: self.clock.monotonic()}
        self._interval = [j for j in self._interval if j.name != job.name] + [job]

    def advance(self, seconds: float, progress: Callable[[dt.date], None] | None = None) -> None:
        """Let ``seconds`` of virtual time pass under the cadence rules (module docstring)."""
        d, sim = self.daemon, self.sim
        assert d is not None and sim is not None, "use Season as a context manager"
        now = self.clock.now()
        until = now + dt.timedelta(seconds=seconds)
        day = None
        while now < until:
            if self.busy():
                dt_s = min(self.run_tick_s, (until - now).total_seconds())
            else:
                stops = [
                    now + dt.timedelta(seconds=self.idle_step_s),
                    until,
                    self._rounds,
                    *self._next_cron.values(),
                    *self._floods[:1],
                    *(r.start for r in d.planned()[:1]),
                ]
                target = min(t for t in stops if t > now)
                dt_s = min(
                    max((target - now).total_seconds(), self.run_tick_s),
                    (until - now).total_seconds(),
                )
            now = self.clock.advance(dt_s)
            sim.step(dt_s)
            self._due(now)
            local_day = now.astimezone(self.tz).date()
            if progress is not None and local_day != day:
                day = local_day
                progress(local_day)

    def _due(self, now: dt.datetime) -> None:
        """Floods, then interval jobs (polls, control tick, flush), then cron jobs, due now."""
        while self._floods and self._floods[0] <= now:
            self._floods.pop(0)
            self._flood()
        if self._rounds <= now:
            self._rounds = _next_cron({"hour": TECHNICIAN_HOUR, "minute": 0}, now, self.tz)
            if self.technician:
                self._acknowledge()
                self._refill_tanks()
        mono_s = self.clock.monotonic()
        for job in self._interval:
            if self._next_mono_s[job.name] <= mono_s + 1e-9:
                self._call(job)
                self._next_mono_s[job.name] = mono_s + (job.every_s or 0.0)
        for job in sorted(self._crons, key=lambda j: self._next_cron[j.name]):
            if self._next_cron[job.name] <= now:
                self._call(job)
                self._next_cron[job.name] = _next_cron(job.cron or {}, now, self.tz)

    def run(self, progress: Callable[[dt.date], None] | None = None) -> SeasonReport:
        """Drive the season to its end; returns the report."""
        left = (self.end - self.clock.now()).total_seconds()
        if left > 0:
            self.advance(left, progress)
        assert self.store is not None
        self.store.flush()
        return self.report()

    def _call(self, job: Job) -> None:
        try:
            job.func()
        except Exception:  # as the scheduler does: a failing job is logged, the others go on
            log.exception("job %s failed", job.name)

    def _acknowledge(self) -> None:
        """The morning round: acknowledge every open latched alarm (they stay in the store)."""
        assert self.store is not None
        for event in self.store.open_alarms():
            assert event.id is not None
            self.store.ack_event(event.id, TECHNICIAN)
            self.acknowledged.append(f"{event.code}: {event.message}")

    def _refill_tanks(self) -> None:
        """The morning round: fill every tank that is getting low (see the module docstring)."""
        f = self.site.fertigation
        assert self.sim is not None
        if f is None:
            return
        field_ = self.sim.field
        for tank in f.tanks:
            start_m = field_.tank_start_m(tank.level)
            if field_.tank_level_m(tank.level) < REFILL_BELOW_FRACTION * start_m:
                before = field_.refill_tank(tank.level)
                day = self.clock.now().astimezone(self.tz).date()
                self.refills.append(f"{day} {tank.name}: from {before:.2f} m")

    def _flood(self) -> None:
        """A conventional border irrigation: the event's depth onto every zone's soil."""
        depth_mm = self.scenario.flood_m3_mu / M2_PER_MU * 1000.0
        assert self.sim is not None
        for zone in self.site.zones:
            self.sim.field.apply_surface_water(zone.name, depth_mm)

    # -- report ---------------------------------------------------------------------------
    def report(self) -> SeasonReport:
        assert self.store is not None
        zones = [self._zone_report(z.name) for z in self.site.zones]
        return SeasonReport.of(self, zones)

    def _zone_report(self, zone: str) -> ZoneReport:
        assert self.store is not None
        z = next(z for z in self.site.zones if z.name == zone)
        crop_t = self.truth.crops[zone]
        days = [
            t for t in self.truth.daily.get(zone, []) if crop_t.planting <= t.date <= self.end_date
        ]
        runs = [r for r in self.store.runs(zone, self.start, self.end) if r.started_at is not None]
        metered_m3 = sum(r.applied_m3 for r in runs)
        flood_m3 = (
            sum(t.irrigation_mm for t in days) * z.area_m2_value / 1000.0
            if self.strategy == "conventional"
            else 0.0
        )
        winter_m3 = (
            self.scenario.winter_m3_mu * z.area_m2_value / M2_PER_MU
            if self.strategy == "conventional"
            else 0.0
        )
        fert: dict[str, float] = {}
        for r in runs:
            for k, v in (r.fertilizer or {}).items():
                fert[k] = fert.get(k, 0.0) + v
        plan: dict[str, float] = {}  # what the fertigation plan asked for, inside the season
        for event in zone_events(self.site, z):
            if event.day <= self.end_date:
                for k, v in event.kg.items():
                    plan[k] = plan.get(k, 0.0) + v
        peak_h, off_h, flat_h = self._pump_hours(runs)
        area_mu = z.area_m2_value / M2_PER_MU
        applied = metered_m3 + flood_m3 + winter_m3
        return ZoneReport(
            zone=zone,
            area_mu=area_mu,
            mode=z.mode,
            applied_m3=applied,
            applied_m3_per_mu=applied / area_mu,
            winter_m3=winter_m3,
            rain_mm=sum(t.rain_mm for t in days),
            etc_mm=sum(t.etc_mm for t in days),
            eta_mm=sum(t.eta_mm for t in days),
            drainage_mm=sum(t.drainage_mm for t in days),
            runoff_mm=sum(t.runoff_mm for t in days),
            irrigation_mm=sum(t.irrigation_mm for t in days),
            stress_days=sum(t.stressed for t in days),
            critical_stress_days=sum(t.stressed and crop_t.is_critical(t.date) for t in days),
            fertilizer_kg=fert,
            runs=len(runs),
            pump_h_peak=peak_h,
            pump_h_offpeak=off_h,
            pump_h_flat=flat_h,
            fertilizer_plan_kg=plan,
            days=days,
        )

    def _pump_hours(self, runs: list[Any]) -> tuple[float, float, float]:
        """Pump hours of the runs by tariff: above, below and at the base price."""
        policy = self.site.policy
        peak = off = flat = 0.0
        for r in runs:
            t = r.started_at.replace(tzinfo=dt.UTC) if r.started_at.tzinfo is None else r.started_at
            end = r.ended_at or self.clock.now()
            end = end.replace(tzinfo=dt.UTC) if end.tzinfo is None else end
            while t < end:
                step = min(end, t + dt.timedelta(minutes=1))
                local = t.astimezone(self.tz)
                price = policy.price_at(local.hour * 60 + local.minute)
                h = (step - t).total_seconds() / 3600
                if price > policy.base_price_per_kwh:
                    peak += h
                elif price < policy.base_price_per_kwh:
                    off += h
                else:
                    flat += h
                t = step
        return peak, off, flat


@dataclass
class ZoneReport:
    """A zone's season: water (m³, m³/mu, mm), the truth's ET and stress, inputs and energy."""

    zone: str
    area_mu: float
    mode: str
    applied_m3: float
    applied_m3_per_mu: float
    winter_m3: float
    rain_mm: float
    etc_mm: float
    eta_mm: float
    drainage_mm: float
    runoff_mm: float
    irrigation_mm: float
    stress_days: int
    critical_stress_days: int
    fertilizer_kg: dict[str, float]
    runs: int
    pump_h_peak: float
    pump_h_offpeak: float
    pump_h_flat: float
    fertilizer_plan_kg: dict[str, float] = field(default_factory=dict)  # the plan's kg, in season
    days: list[DayTotals] = field(repr=False, default_factory=list)

    @property
    def eta_ratio(self) -> float:
        """Actual over unstressed crop ET of the season; NaN without ETc (no crop day simulated).

        Not 1.0: a season with nothing simulated has met no ET goal (NaN compares false).
        """
        return self.eta_mm / self.etc_mm if self.etc_mm > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "days"}
        ratio = self.eta_ratio
        out["eta_ratio"] = None if math.isnan(ratio) else ratio  # JSON has no NaN
        return out


@dataclass
class SeasonReport:
    """The season per zone and for the site, against the conventional baseline (m³/mu)."""

    scenario: str
    strategy: str
    seed: int
    start: dt.date
    end: dt.date
    zones: list[ZoneReport]
    baseline_m3_per_mu: float
    baseline_in_season_m3_per_mu: float
    events: dict[str, int]  # events above info, by "severity:code", counted
    acknowledged: list[str]  # latched alarms the morning round acknowledged
    refills: list[str]  # fertilizer tanks the morning round filled

    @classmethod
    def of(cls, season: Season, zones: list[ZoneReport]) -> SeasonReport:
        sc = season.scenario
        assert season.store is not None
        counts: dict[str, int] = {}
        for e in season.store.events():
            if e.severity != "info":
                key = f"{e.severity}:{e.code}"
                counts[key] = counts.get(key, 0) + 1
        return cls(
            scenario=sc.name,
            strategy=season.strategy,
            seed=season.seed,
            start=sc.start,
            end=season.end_date,
            zones=zones,
            baseline_m3_per_mu=sc.conventional_total_m3_mu,
            baseline_in_season_m3_per_mu=sc.flood_m3_mu * len(sc.flood_dates),
            events=counts,
            acknowledged=list(season.acknowledged),
            refills=list(season.refills),
        )

    @property
    def area_mu(self) -> float:
        return sum(z.area_mu for z in self.zones)

    def site_total(self, key: str) -> float:
        return float(sum(getattr(z, key) for z in self.zones))

    def site_mean_mm(self, key: str) -> float:
        """Area-weighted mean of a zone depth (mm)."""
        return sum(getattr(z, key) * z.area_mu for z in self.zones) / self.area_mu

    @property
    def applied_m3_per_mu(self) -> float:
        return self.site_total("applied_m3") / self.area_mu

    @property
    def saving_m3_per_mu(self) -> float:
        return self.baseline_m3_per_mu - self.applied_m3_per_mu

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "zones": [z.to_dict() for z in self.zones],
            "site": {
                "area_mu": self.area_mu,
                "applied_m3": self.site_total("applied_m3"),
                "applied_m3_per_mu": self.applied_m3_per_mu,
                "baseline_m3_per_mu": self.baseline_m3_per_mu,
                "baseline_in_season_m3_per_mu": self.baseline_in_season_m3_per_mu,
                "saving_m3_per_mu": self.saving_m3_per_mu,
                **{
                    k: self.site_mean_mm(k)
                    for k in ("rain_mm", "etc_mm", "eta_mm", "drainage_mm", "runoff_mm")
                },
                "eta_ratio": self.site_mean_mm("eta_mm") / max(self.site_mean_mm("etc_mm"), 1e-9),
                "stress_days_max": max(z.stress_days for z in self.zones),
                "critical_stress_days_max": max(z.critical_stress_days for z in self.zones),
                "runs": int(self.site_total("runs")),
                "pump_h_peak": self.site_total("pump_h_peak"),
                "pump_h_offpeak": self.site_total("pump_h_offpeak"),
                "pump_h_flat": self.site_total("pump_h_flat"),
            },
            "events": self.events,
            "acknowledged_alarms": self.acknowledged,
            "tank_refills": self.refills,
            "assumptions": [
                f"baseline: conventional border irrigation {self.baseline_m3_per_mu:g} m³/mu a "
                f"season (in-season events {self.baseline_in_season_m3_per_mu:g} + winter "
                "irrigation), scenario [conventional]",
                "water applied: the daemon's metered runs (m³ at the flow meter); "
                "conventional: flood events and the winter irrigation",
                "ET, drainage and stress: the simulated field's true soil, from planting",
                "stress day: actual ET below 99 % of the unstressed ETc of the day (Ks < 1)",
            ],
        }


def run_season(
    scenario: Scenario | str,
    strategy: str,
    seed: int = 0,
    *,
    days: int | None = None,
    progress: Callable[[dt.date], None] | None = None,
) -> SeasonReport:
    """Build, run and tear down one season; the report."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    with Season(sc, strategy, seed=seed, days=days) as season:
        return season.run(progress)


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep a season's expected warnings (weather gaps, refused runs) off the terminal."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
