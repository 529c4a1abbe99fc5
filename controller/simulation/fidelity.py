"""A season at agronomy fidelity: the daemon's own agronomy and planning, water by the plan.

What runs is production code: a :class:`controller.daemon.daemon.Daemon` (never started: no
outputs, no control loop) over a store (SQLite in a temporary directory) on a
:class:`controller.clock.VirtualClock`. Its poller reads the weather station and the soil
probes (:mod:`controller.simulation.instruments`: the site's device profiles, in memory, set
from the truth as the simulated field sets them), and its cron jobs (:meth:`Daemon.jobs`:
hourly balance, close of day, planning times, retention) run at their times. Each run the
plan queues (:meth:`Daemon.plan`, fertigation runs and recipes included) is taken at its start
(:meth:`Daemon.pop_due`) and, instead of the sequencer opening a valve for every second of it,
recorded with the store's own run calls (``plan_run``, ``start_run``, ``finish_run``) as done
with its planned water: ``applied_m3`` = planned minutes × the zone's nominal flow, the
recipe's kg as its fertilizer. The same depth goes onto the truth over the run's minutes.

Cadence (as :mod:`controller.simulation.season`, without the per-second control loop): time
moves from stop to stop; a stop is the next cron job, the 08:00 morning round, a conventional
flood, the next queued run's start, a run's end, the end of the season, or one hour
(:data:`controller.simulation.season.IDLE_STEP_S`) — and, while water runs, the next poll of an
instrument. At a stop: the truth is advanced to it with the water delivered meanwhile, floods
are applied, the instruments due are polled, runs that ended are finished and runs due are
started, then the cron jobs due run (the store flushed just before them).

A due run is refused, as the sequencer would, when it cannot run beside the runs watering (a
fertigation run runs alone; the nominal flows within the pump's capacity): with a recipe it is
tried again as water only, else it is not started (``planned_run_refused``, counted as
``refused``). What it leaves out (the full-stack season has them): the supervisor's other
refusals (alarms, pauses), metering noise and valve timing, tank levels.

The truth is pluggable (:mod:`controller.simulation.truth`): the layered bucket by default.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU, ZoneConfig, apply_overrides
from controller.daemon.daemon import Daemon, Job
from controller.runtime.end_reasons import END_REASONS
from controller.simulation.fidelity_report import FidelityReport, zone_report
from controller.simulation.instruments import Instruments
from controller.simulation.season import (
    FLOOD_HOUR,
    IDLE_STEP_S,
    TECHNICIAN_HOUR,
    Scenario,
    ScenarioError,
    _next_cron,
    _site_for,
    true_et0,
)
from controller.simulation.truth import (
    BucketTruth,
    DayOutcome,
    SubDailyTruth,
    TruthFactory,
    TruthSetup,
    ZoneTruth,
)
from controller.store import RunPhase, RunState, Severity, Store
from drivers.sim.weathergen import WeatherGenerator

__all__ = ["AgronomySeason", "Delivery", "Round"]

DONE_REASON = END_REASONS["simulated"]  # a run of the simulated past, said on the pages
BALANCE_JOB = "balance_today"
RETENTION_JOB = "retention"
FLUSH_JOB = "flush"
PLAN_JOB = "plan:"  # Daemon.jobs() names its planning jobs plan:0, plan:1, …
READBACK_JOB = "readback"  # reads relay coils back: here no relay exists, water is delivered
# SQLite commits cost an fsync each; a season's throw-away store goes on tmpfs where there is one
FAST_TMP = Path("/dev/shm")


#: What the people on the site do at the technician's morning round (``TECHNICIAN_HOUR`` local,
#: after the cron jobs due then): ``round(season, now)`` with ``now`` aware UTC, e.g. record a
#: crop stage through the crop desk or put a camera's cover into the daemon's records.
Round = Callable[["AgronomySeason", dt.datetime], None]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A run's water onto its zone over ``[start, end)`` (aware UTC): ``mm`` over the zone's
    area, ``m3``; ``run_id`` is the store's run, ``fertilizer`` the recipe's kg."""

    zone: str
    run_id: int
    start: dt.datetime
    end: dt.datetime
    mm: float
    m3: float
    fertilizer: dict[str, float] | None = None

    def mm_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """The part of the depth delivered in ``[a, b)``, spread evenly over the run, mm."""
        span = (self.end - self.start).total_seconds()
        lo, hi = max(a, self.start), min(b, self.end)
        if span <= 0 or hi <= lo:
            return 0.0
        return self.mm * (hi - lo).total_seconds() / span


class AgronomySeason:
    """One season of a scenario under a strategy at agronomy fidelity; ``.run()`` → report.

    ``start`` begins later than the scenario (a mid-season test), ``days`` cuts it short (at
    least 1: an empty season is refused with :class:`ScenarioError`); ``truth`` builds each
    zone's truth (default: the bucket of the full-stack season). The hourly partial balance
    runs only at the hour before a planning time, the one revision a plan reads;
    ``hourly_balance`` runs it every hour as production does (slower, the same decisions).
    ``rounds`` run at every technician's morning round (:data:`Round`).
    ``overrides`` are the data directory's ``site.overrides.toml`` as the daemon reads it at
    its start (:func:`controller.config.site.apply_overrides`: a soil an admin approved, say).
    """

    def __init__(
        self,
        scenario: Scenario,
        strategy: str,
        *,
        seed: int = 0,
        days: int | None = None,
        start: dt.date | None = None,
        truth: TruthFactory = BucketTruth.for_zone,
        workdir: Path | None = None,
        hourly_balance: bool = False,
        rounds: Sequence[Round] = (),
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        first = scenario.start if start is None else start
        if days is not None and days < 1:
            raise ScenarioError(f"days={days}: a season needs at least one day to report on")
        if not scenario.start <= first <= scenario.end:
            raise ScenarioError(
                f"start {first}: outside the scenario {scenario.start}..{scenario.end}"
            )
        self.scenario, self.strategy, self.seed = scenario, strategy, seed
        self.first = first
        self.end_date = (
            scenario.end if days is None else min(scenario.end, first + dt.timedelta(days=days - 1))
        )
        self.truth_factory = truth
        self.workdir = workdir
        self.hourly_balance = hourly_balance
        self.rounds = tuple(rounds)
        self.overrides = dict(overrides) if overrides else None

    # -- the season -----------------------------------------------------------------------
    def run(self) -> FidelityReport:
        """Drive the season from its first day to the end of its last; the report."""
        t0 = time.perf_counter()
        fast = FAST_TMP if FAST_TMP.is_dir() else None
        with tempfile.TemporaryDirectory(dir=fast, prefix="qanat-fidelity-") as tmp:
            workdir = self.workdir or Path(tmp)
            self._setup(workdir)
            try:
                self._loop()
                self.store.flush()
                return self._report(time.perf_counter() - t0)
            finally:
                self.instruments.close()
                self.store.close()

    def _setup(self, workdir: Path) -> None:
        sc = self.scenario
        self.site = _site_for(sc, self.strategy, workdir)
        if self.overrides is not None:
            self.site = apply_overrides(self.site, self.overrides)
        self.tz = self.site.site.tz
        self.weather = WeatherGenerator(sc.normals, self.seed).generate(
            sc.start - dt.timedelta(days=1), sc.end + dt.timedelta(days=1)
        )
        self.et0 = true_et0(self.weather, sc.start, sc.end, self.site)
        self.start = dt.datetime.combine(self.first, dt.time(), tzinfo=self.tz).astimezone(dt.UTC)
        self.end = dt.datetime.combine(
            self.end_date + dt.timedelta(days=1), dt.time(0, 30), tzinfo=self.tz
        ).astimezone(dt.UTC)
        self.clock = VirtualClock(self.start)
        self.store = Store(f"sqlite:///{workdir / 'qanat.db'}", clock=self.clock)
        self.instruments = Instruments(self.site, self.clock.now, self.clock.monotonic, self.seed)
        self.daemon = Daemon(self.site, self.store, self.clock, fieldio=self.instruments.fieldio)
        setup = TruthSetup(self.site, self.weather, self.et0, self.first, sc)
        self.truths: dict[str, ZoneTruth] = {
            z.name: self.truth_factory(setup, z.name) for z in self.site.zones
        }
        self._sub_daily = {z: isinstance(t, SubDailyTruth) for z, t in self.truths.items()}
        self.days: dict[str, list[DayOutcome]] = {z.name: [] for z in self.site.zones}
        self._pending = {z.name: 0.0 for z in self.site.zones}  # water a daily truth awaits
        self.deliveries: list[Delivery] = []
        self.overlaps = 0
        self.refused = 0
        self.rain_total_mm = 0.0
        jobs = self.daemon.jobs()
        polled = {f"poll:{n}" for n in self.instruments.devices}
        # the interval jobs in their order, the control tick replaced by delivering water; the
        # store is flushed before the cron jobs read it instead of at its own cadence (one
        # commit for many polls: the same rows, visible to the same jobs)
        self._interval: list[Job] = [
            Job(j.name, self._control, j.every_s) if j.name == "control" else j
            for j in jobs
            if j.every_s is not None
            and j.name not in (FLUSH_JOB, READBACK_JOB)
            and (j.name in polled or not j.name.startswith("poll:"))
        ]
        self._polls = polled
        self._crons = [j for j in jobs if j.cron is not None]
        self._next_at = {j.name: self.start for j in self._interval}
        self._next_cron = {
            j.name: _next_cron(j.cron or {}, self.start, self.tz) for j in self._crons
        }
        self._rounds = _next_cron({"hour": TECHNICIAN_HOUR, "minute": 0}, self.start, self.tz)
        self._floods = (
            sorted(
                dt.datetime.combine(d, dt.time(FLOOD_HOUR), tzinfo=self.tz).astimezone(dt.UTC)
                for d in sc.flood_dates
                if self.first <= d <= self.end_date
            )
            if self.strategy == "conventional"
            else []
        )

    def history(
        self, workdir: Path, until: dt.datetime, *, wait_for_plan_s: float = 0.0
    ) -> dict[str, ZoneTruth]:
        """Drive the season from its first day up to ``until`` (aware) into ``workdir``'s store
        (``qanat.db``, left there) and return each zone's truth as it stands then: the past of
        the living demo (:mod:`controller.simulation.demo`), which the full stack continues.

        A run watering then is let finish, and with ``wait_for_plan_s`` the season goes on
        (hour by hour, at most that long) until the daemon has queued a run: the past then
        ends later (:attr:`end`), with the run still to come."""
        self._setup(workdir)
        self.end = min(self.end, until.astimezone(dt.UTC))
        last = self.end
        cap = min(
            self.end + dt.timedelta(seconds=wait_for_plan_s),
            dt.datetime.combine(
                self.end_date + dt.timedelta(days=1), dt.time(), tzinfo=self.tz
            ).astimezone(dt.UTC),
        )
        try:
            self._loop()
            while self.deliveries or (not self.daemon.planned() and self.end < cap):
                if self.deliveries:  # a run still watering ends first: none is cut short
                    self.end = max(d.end for d in self.deliveries)
                else:
                    self.end = min(cap, self.end + dt.timedelta(seconds=IDLE_STEP_S))
                self._loop(resume=True)
                last = self.end
            self.end = last
            self.store.flush()
        finally:
            self.instruments.close()
            self.store.close()
        return self.truths

    def _loop(self, resume: bool = False) -> None:
        """From the start (or, ``resume``, from where the clock is) to :attr:`end`."""
        now = self.clock.now() if resume else self.start
        if not resume:
            self._due(now)  # the daemon reads every device at start
        while now < self.end:
            stops = [
                now + dt.timedelta(seconds=IDLE_STEP_S),
                self.end,
                self._rounds,
                *self._next_cron.values(),
                *self._floods[:1],
                *(r.start for r in self.daemon.planned()[:1]),
                *(d.end for d in self.deliveries),
            ]
            if self.deliveries:  # water runs: the instruments are read at their cadence
                stops += [self._next_at[j.name] for j in self._interval if j.name in self._polls]
            target = min(t for t in stops if t > now)
            self._advance_truth(now, target)
            self.clock.set(target)
            now = target
            self._due(now)
        for d in self.deliveries:  # still running at the end: the water so far, as a meter has it
            self.store.update_run_progress(d.run_id, d.m3 * d.mm_between(d.start, now) / d.mm)

    def _due(self, now: dt.datetime) -> None:
        """Floods, interval jobs (polls, water, flush), then the cron jobs due at ``now``."""
        while self._floods and self._floods[0] <= now:
            self._floods.pop(0)
            self._flood(now)
        morning = self._rounds <= now
        if morning:
            self._rounds = _next_cron({"hour": TECHNICIAN_HOUR, "minute": 0}, now, self.tz)
        due = [j for j in self._interval if self._next_at[j.name] <= now]
        if any(j.name.startswith("poll:") for j in due):
            self._set_instruments(now)
        for job in due:
            job.func()
            self._next_at[job.name] = now + dt.timedelta(seconds=job.every_s or 0.0)
        crons = sorted(
            (j for j in self._crons if self._next_cron[j.name] <= now),
            key=lambda j: self._next_cron[j.name],
        )
        for job in crons:
            self._next_cron[job.name] = _next_cron(job.cron or {}, now, self.tz)
        planning_now = any(j.name.startswith(PLAN_JOB) for j in crons)
        crons = [
            j
            for j in crons
            if (j.name != BALANCE_JOB or planning_now or self._balance_needed(j.name))
            and (j.name != RETENTION_JOB or self._retention_can_purge())
        ]
        if crons:
            self.store.flush()
        for job in crons:
            job.func()
        if morning:
            for round_ in self.rounds:
                round_(self, now)

    def _balance_needed(self, name: str) -> bool:
        """Whether this hour's partial balance can reach a decision: only the last one before
        a planning time does (the plan reads today's latest revision; a day's final balance
        and tomorrow's are computed from the final rows, never from partial ones)."""
        if self.hourly_balance:
            return True
        plans = [t for n, t in self._next_cron.items() if n.startswith(PLAN_JOB)]
        return bool(plans) and min(plans) <= self._next_cron[name]

    def _retention_can_purge(self) -> bool:
        """Whether the retention pass can delete anything: only readings an office has
        acknowledged (``Store.export_acked``); none is in a season, and the pass would only
        count, into the log, the old rows it keeps."""
        return self.store.export_acked().get("readings", 0) > 0

    # -- instruments and truth ------------------------------------------------------------
    def _set_instruments(self, now: dt.datetime) -> None:
        local = now.astimezone(self.tz).replace(tzinfo=None)
        self.instruments.set_station(self.weather, local, self.rain_total_mm)
        hour = local.hour + local.minute / 60
        for zone, truth in self.truths.items():
            self.instruments.set_probes(zone, truth.probe_theta, hour)

    def _advance_truth(self, a: dt.datetime, b: dt.datetime) -> None:
        """Every zone's truth over ``[a, b)`` with the water delivered, split at local days."""
        t = a
        while t < b:
            local = t.astimezone(self.tz)
            date = local.date()
            midnight = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=self.tz)
            t1 = min(b, midnight.astimezone(dt.UTC))
            h0 = _hours(local)
            h1 = 24.0 if t1 == midnight else _hours(t1.astimezone(self.tz))
            self.rain_total_mm += self.weather.rain_between(date, h0, h1)
            for zone, truth in self.truths.items():
                water = self._pending[zone] + sum(
                    d.mm_between(t, t1) for d in self.deliveries if d.zone == zone
                )
                self._pending[zone] = 0.0
                if h1 == 24.0:
                    self.days[zone].append(truth.step_day(date, water))
                elif self._sub_daily[zone]:
                    cast(SubDailyTruth, truth).advance_to(date, h1, water)
                else:
                    self._pending[zone] = water
            t = t1

    def _flood(self, now: dt.datetime) -> None:
        """A conventional border irrigation: the event's depth onto every zone at once."""
        depth_mm = self.scenario.flood_m3_mu / M2_PER_MU * 1000.0
        local = now.astimezone(self.tz)
        for zone, truth in self.truths.items():
            if self._sub_daily[zone]:
                cast(SubDailyTruth, truth).advance_to(local.date(), _hours(local), depth_mm)
            else:
                self._pending[zone] += depth_mm

    # -- runs -----------------------------------------------------------------------------
    def _control(self) -> None:
        """Finish the runs whose water is in, then start the queued runs now due."""
        now = self.clock.now()
        for d in [d for d in self.deliveries if d.end <= now]:
            self.deliveries.remove(d)
            self.store.finish_run(
                d.run_id, RunState.DONE, DONE_REASON, applied_m3=d.m3, fertilizer=d.fertilizer
            )
        for fr in self.daemon.pop_due(now):
            run = fr.run
            if any(d.zone == run.zone for d in self.deliveries):
                continue  # already watering (as the control tick skips it)
            zone = self._zone(run.zone)
            recipe = fr.recipe
            why = self._refusal(zone, recipe is not None)
            if why and recipe is not None:  # the water is still due without the fertilizer
                self._event("fertigation_deferred", zone.name, f"fertilizer not given: {why}")
                recipe, why = None, self._refusal(zone, False)
            if why:
                self.refused += 1
                self._event(
                    "planned_run_refused",
                    zone.name,
                    f"planned run of {zone.name} ({run.duration_min:.0f} min) not started: {why}",
                )
                continue
            if self.deliveries:
                self.overlaps += 1
            m3 = run.duration_min / 60.0 * zone.nominal_flow_m3_h
            row = self.store.plan_run(
                run.zone, run.source, run.duration_min, decision_id=run.decision_id
            )
            assert row.id is not None
            phase = RunPhase.PREWET if recipe is not None else RunPhase.WATER
            self.store.start_run(row.id, phase)
            kg = dict(recipe.kg) if recipe is not None and recipe.kg else None
            self.deliveries.append(
                Delivery(
                    run.zone,
                    row.id,
                    now,
                    now + dt.timedelta(minutes=run.duration_min),
                    m3 / zone.area_m2_value * 1000.0,
                    m3,
                    kg,
                )
            )

    def _refusal(self, zone: ZoneConfig, fertigation: bool) -> str | None:
        """Why the sequencer would refuse to start ``zone`` beside the runs now watering, or
        ``None``: its rules that depend on the other runs (``Sequencer._check_may_start``), as
        the fidelity has no sequencer: a fertigation run runs alone, and the zones' nominal
        flows stay within the pump's capacity."""
        if fertigation and self.deliveries:
            return "a fertigation run runs alone: other zones are running"
        if any(d.fertilizer for d in self.deliveries):
            return "a fertigation run is active: it runs alone"
        total = zone.nominal_flow_m3_h + sum(
            self._zone(d.zone).nominal_flow_m3_h for d in self.deliveries
        )
        capacity = self.site.head.pump_capacity_m3_h
        if total > capacity:
            return (
                f"{total:g} m3/h nominal with the running zones > pump capacity {capacity:g} m3/h"
            )
        return None

    def _event(self, code: str, zone: str, message: str) -> None:
        self.store.raise_event(Severity.WARNING, code, zone, message)

    def _zone(self, name: str) -> ZoneConfig:
        return next(z for z in self.site.zones if z.name == name)

    # -- report ---------------------------------------------------------------------------
    def _report(self, elapsed_s: float) -> FidelityReport:
        zones = []
        for z in self.site.zones:
            extra = 0.0
            if self.strategy == "conventional":  # floods and the winter irrigation, as season.py
                flood_mm = sum(d.irrigation_mm for d in self.days[z.name])
                winter = self.scenario.winter_m3_mu * z.area_m2_value / M2_PER_MU
                extra = flood_mm * z.area_m2_value / 1000.0 + winter
            span = (self.start, self.end)
            zones.append(
                zone_report(z, self.days[z.name], self.store, span, self.tz, extra_m3=extra)
            )
        return FidelityReport(
            scenario=self.scenario.name,
            strategy=self.strategy,
            seed=self.seed,
            start=self.first,
            end=self.end_date,
            zones=zones,
            overlaps=self.overlaps,
            refused=self.refused,
            elapsed_s=elapsed_s,
        )


def _hours(local: dt.datetime) -> float:
    return local.hour + local.minute / 60 + (local.second + local.microsecond / 1e6) / 3600
