"""The daemon's agronomic jobs: ET0 from the station, the daily water balance, and planning.

:class:`Agronomy` is driven by the one clock (principle 4): production calls its job methods
from apscheduler, the season simulation from a virtual clock.

=====================  ==============================================================
job                    when the daemon calls it
=====================  ==============================================================
``close_day(date)``    just after local midnight, for the day that ended
``update_today(now)``  hourly: today's partial day as a new revision (for the UI/planner)
``plan_all(now)``      at ``policy.planning_times`` (local); returns runs for the sequencer
=====================  ==============================================================

Job methods never raise for bad or missing data: they record a WARNING event
(``agronomy_*``) and carry on with the next zone. Inside, failures are typed
(:class:`AgronomyError` and the models' errors).

Choices (no config key exists for them):

* The balance is FAO-56 *single* Kc (ch. 6): the store keeps Dr per day, not the evaporation
  layer a dual-Kc balance would need to carry over. The crop's ``mulch_factor`` (seed corn under
  film 0.85, others 1.0) multiplies Kc, so mulched crops are treated as mulched by their data.
* A zone's soil is one layer of its FAO-56 Table 19 texture down to the crop's maximum root
  depth. The balance starts on the planting day at field capacity (Dr = 0); the probes correct
  it from the first day. Days before planting are not balanced.
* Irrigation of a day is the gross depth of the zone's runs that *ended* that day (done, aborted
  or interrupted: water went in either way), applied_m3 / area × 1000 mm; the balance applies the
  zone's efficiency. A run still running counts in today's partial day.
* ET0 of a day: FAO-56 Penman-Monteith from the day's weather (Rs from the temperature range,
  eq. 50, when the station has no pyranometer); Hargreaves (eq. 52) when only temperatures are
  there; otherwise the mean of the last :data:`RECENT_DAYS` days' ET0 — always said in the
  stored method and the decision. A partial day takes that recent mean pro rata of the hours
  elapsed.
* Planning: hourly slots over :data:`HORIZON_DAYS` days from the next whole hour, the site's
  windows (local time, "20:00-08:00" wraps midnight), the time-of-use tariff of ``policy``,
  the forecast if one is given, else the recent measured ET0. Without a forecast, wind and frost
  limits use the last hour's measurement for the next :data:`NOW_CONDITIONS_H` hours only.
  The runs returned are those starting within the next 24 h; the next planning replans.
* ``sensor`` zones start when the mean probe moisture of the last hour falls below the moisture
  at RAW, θ_RAW = θfc − RAW / (1000 Zr), and refill to :data:`REFILL_TARGET_FRACTION` · TAW.
* ``calendar`` zones follow :mod:`controller.baseline` at the first window of the event's date,
  in back-to-back runs of at most ``max_run_min``; no rain skip (it is the conventional baseline).
* No infiltration rate is known for the soils: the planner does no cycle-and-soak.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.baseline import SEED_CORN_BORDER, CalendarEvent, events_on
from controller.clock import Clock
from controller.config import M2_PER_MU, SiteConfig, ZoneConfig
from controller.store import (
    DecisionAction,
    RunSource,
    RunState,
    Severity,
    Store,
    StoreError,
    WaterBalanceDay,
)
from controller.weather import (
    AIR_TEMPERATURE,
    SOLAR_RADIATION,
    WIND_HEIGHT_M,
    WIND_SPEED,
    DailyWeather,
    daily_weather,
    day_bounds,
    hourly_stats,
    rain_between,
)
from models.crops import Crop, CropDataError, crop, depletion_fraction, kc_on_day
from models.errors import ModelError
from models.et0 import codes
from models.et0 import daily as et0_daily
from models.planner import (
    Forecast,
    PlanInputs,
    ReasonCode,
    System,
    ZoneDecision,
    ZonePlanInput,
    plan,
)
from models.soils import SoilDataError, SoilProfile, texture
from models.waterbalance import (
    CropStep,
    ProbeReading,
    StepInputs,
    WaterBalanceInputError,
    ZoneSetup,
    ZoneState,
    advance,
    assimilate,
    observed_depletion_mm,
)

__all__ = [
    "HORIZON_DAYS",
    "RECENT_DAYS",
    "Agronomy",
    "AgronomyError",
    "ET0Day",
    "ForecastDay",
    "PlannedRun",
    "WeatherUnavailable",
    "parse_window",
]

log = logging.getLogger(__name__)

RECENT_DAYS = 3
HORIZON_DAYS = 7
NOW_CONDITIONS_H = 3
REFILL_TARGET_FRACTION = 0.15
PROBE_POINT = "moisture"  # volumetric water content, %, on every soil-probe profile
CATCH_UP_DAYS = 14  # close_day fills at most this many missing days before the one asked
# A local day's weather is final this long after its end: longer than the poller's longest
# commit interval (store.flush_s ≤ 600 s), so no reading of the day can still be on its way.
CLOSED_DAY_MARGIN = dt.timedelta(hours=1)
CLOSED_DAY_CACHE = 64  # closed days whose measured ET0 is kept (RECENT_DAYS + CATCH_UP_DAYS fit)
_SLOT_MIN = 60
_PARTIAL = "partial day"
_DAY = dt.timedelta(days=1)
_SYSTEMS: dict[str, System] = {
    "drip": "drip",
    "micro_sprinkler": "micro",
    "sprinkler": "sprinkler",
    "border": "surface",
}
_FINAL_RUN_STATES = {RunState.DONE.value, RunState.ABORTED.value, RunState.INTERRUPTED.value}


class AgronomyError(Exception):
    """An agronomic job cannot compute something from the data it has.

    ::

        AgronomyError
        └── WeatherUnavailable   no usable station weather and nothing recent to estimate from
    """


class WeatherUnavailable(AgronomyError):
    """No measured weather for the day, and (for estimates) no recent ET0 either."""


# Every failure a job turns into an event instead of an exception out of the daemon's job.
_DATA_ERRORS = (AgronomyError, ModelError, WaterBalanceInputError, SoilDataError, CropDataError)


@dataclass(frozen=True)
class ET0Day:
    """Reference ET of one local day (mm) and how it was obtained (``procedure``, in words)."""

    date: dt.date
    et0_mm: float
    procedure: str
    estimated: bool
    weather: DailyWeather | None = None


@dataclass(frozen=True)
class ForecastDay:
    """One forecast day (local date): reference ET (mm), rain (mm), optionally the minimum
    temperature (°C) and wind (m/s) for the frost and wind limits."""

    date: dt.date
    et0_mm: float
    rain_mm: float
    tmin_c: float | None = None
    wind_m_s: float | None = None


@dataclass(frozen=True)
class PlannedRun:
    """A run for the sequencer: zone, start (aware UTC), minutes, gross depth (mm), the decision
    that explains it and the run source."""

    zone: str
    start: dt.datetime
    duration_min: float
    depth_mm: float
    decision_id: int
    source: RunSource


def parse_window(text: str) -> tuple[int, int]:
    """"20:00-08:00" → (1200, 480) minutes of the day; an end ≤ start wraps past midnight."""
    first, _, second = text.partition("-")
    return _minute(first), _minute(second)


def _minute(hhmm: str) -> int:
    h, _, m = hhmm.partition(":")
    return int(h) * 60 + int(m)


def _in_windows(minute: int, windows: Sequence[tuple[int, int]]) -> bool:
    for start, end in windows:
        inside = start <= minute < end if start < end else minute >= start or minute < end
        if inside:
            return True
    return False


def _mad(zone: ZoneConfig, p_table: float, etc_mm_day: float) -> float:
    """Depletion fraction that triggers irrigation: the zone's ``mad_fraction`` when set,
    else FAO-56 p adjusted for ETc (Table 22 footnote, p = p_table + 0.04 (5 − ETc))."""
    if zone.mad_fraction is not None:
        return zone.mad_fraction
    return depletion_fraction(p_table, etc_mm_day)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


@dataclass(frozen=True)
class _ZoneModel:
    crop: Crop
    soil: SoilProfile
    setup: ZoneSetup


@dataclass
class _Notes:
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.items.append(text)

    def __str__(self) -> str:
        return "; ".join(self.items)


class Agronomy:
    """ET0, water balance and planning for one site over its store (see the module docstring)."""

    def __init__(
        self,
        site: SiteConfig,
        store: Store,
        clock: Clock,
        *,
        calendar: tuple[CalendarEvent, ...] = SEED_CORN_BORDER,
        horizon_days: int = HORIZON_DAYS,
    ) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        self.calendar = calendar
        self.horizon_days = horizon_days
        self.tz = site.site.tz
        self._windows = [parse_window(w) for w in site.policy.windows]
        # measured ET0 (or why there is none) of closed local days: the hourly balance asks
        # for the same recent days every hour, and their readings no longer change
        self._closed_et0: dict[dt.date, ET0Day | WeatherUnavailable] = {}

    # -- time ---------------------------------------------------------------------------

    def local_date(self, when: dt.datetime) -> dt.date:
        return when.astimezone(self.tz).date()

    # -- weather and ET0 ----------------------------------------------------------------

    @property
    def station(self) -> str | None:
        return self.site.weather.station if self.site.weather else None

    def weather_day(self, date: dt.date) -> DailyWeather:
        """The station's weather for a local day; :class:`WeatherUnavailable` without a station."""
        station = self.station
        if station is None:
            raise WeatherUnavailable("no weather station configured (weather.station)")
        profile = self.site.profiles.get(station)
        has_rs = profile is not None and profile.has_point(SOLAR_RADIATION)
        return daily_weather(self.store, station, date, self.tz, has_radiation=has_rs)

    def measured_et0(self, date: dt.date) -> ET0Day:
        """ET0 from the day's measured weather (Penman-Monteith, or Hargreaves with only
        temperatures); :class:`WeatherUnavailable` when the temperatures are missing.

        A closed day (ended :data:`CLOSED_DAY_MARGIN` ago) is computed once and remembered,
        answer or refusal alike."""
        cached = self._closed_et0.get(date)
        if cached is None:
            try:
                cached = self._measure_et0(date)
            except WeatherUnavailable as exc:
                cached = exc
            if day_bounds(date, self.tz)[1] + CLOSED_DAY_MARGIN <= self.clock.now():
                self._closed_et0[date] = cached
                while len(self._closed_et0) > CLOSED_DAY_CACHE:
                    del self._closed_et0[min(self._closed_et0)]
        if isinstance(cached, WeatherUnavailable):
            raise WeatherUnavailable(*cached.args)
        return cached

    def _measure_et0(self, date: dt.date) -> ET0Day:
        w = self.weather_day(date)
        if w.tmax_c is None or w.tmin_c is None:
            raise WeatherUnavailable(
                f"{w.station}: no air temperature for {date} ({w.describe_missing()})"
            )
        s = self.site.site
        result = et0_daily(
            tmax=[w.tmax_c], tmin=[w.tmin_c], doy=[date.timetuple().tm_yday],
            lat_deg=s.latitude_deg, elev_m=s.elevation_m,
            rh_max=[_nan(w.rh_max_pct)], rh_min=[_nan(w.rh_min_pct)],
            wind=[_nan(w.wind_2m_m_s)], wind_height_m=WIND_HEIGHT_M, rs=[_nan(w.rs_mj_m2)],
            hargreaves_fallback=True, on_invalid="flag",
        )
        problems = result.problems()
        if problems:
            raise WeatherUnavailable(f"{w.station} {date}: " + "; ".join(map(str, problems)))
        value = float(result.et0_mm[0, 0])
        if not math.isfinite(value):
            raise WeatherUnavailable(f"{w.station} {date}: ET0 not computable")
        return ET0Day(date, value, _procedure(result, w), estimated=False, weather=w)

    def recent_et0(self, date: dt.date, days: int = RECENT_DAYS) -> tuple[list[float], str]:
        """ET0 of up to ``days`` days before ``date``: measured where the station has them,
        else as stored in the water balance; and where they came from. Raises
        :class:`WeatherUnavailable` when there is none."""
        values = []
        for back in range(1, days + 1):
            try:
                values.append(self.measured_et0(date - back * _DAY).et0_mm)
            except WeatherUnavailable:
                continue
        if values:
            return values, f"measured ET0 of {len(values)} recent days"
        stored: dict[dt.date, float] = {}
        for zone in self.site.zones:
            for row in self.store.water_balance(zone.name, date - days * _DAY, date - _DAY):
                stored.setdefault(row.date, row.et0_mm)
        if stored:
            return list(stored.values()), f"ET0 of {len(stored)} recent days in the balance"
        raise WeatherUnavailable(
            f"no measured or stored ET0 in the {days} days before {date} to estimate from"
        )

    def et0_day(self, date: dt.date) -> ET0Day:
        """ET0 of a local day: measured, else the recent mean (``estimated``); raises
        :class:`WeatherUnavailable` when neither exists."""
        try:
            return self.measured_et0(date)
        except WeatherUnavailable as missing:
            values, source = self.recent_et0(date)
            mean = sum(values) / len(values)
            return ET0Day(
                date, mean, f"estimated: mean of {source} ({missing})", estimated=True
            )

    # -- water balance --------------------------------------------------------------------

    def _zone_model(self, zone: ZoneConfig) -> _ZoneModel:
        c = crop(zone.crop)
        soil = SoilProfile.uniform(texture(zone.soil), c.root_depth_max_m)
        return _ZoneModel(c, soil, ZoneSetup(soil, method="single", efficiency=zone.efficiency))

    def _state_before(
        self, zone: ZoneConfig, m: _ZoneModel, date: dt.date, root_depth_m: float, notes: _Notes
    ) -> ZoneState:
        rows = self.store.water_balance(zone.name, zone.planting_date, date - _DAY)
        if not rows:
            if date > zone.planting_date:
                notes.add(f"no balance before {date}: started at field capacity")
            return ZoneState.at_planting(m.setup, root_depth_m)
        prev = rows[-1]
        if prev.date != date - _DAY:
            notes.add(f"continues from the balance of {prev.date}")
        return ZoneState(
            dr_mm=min(prev.dr_end_mm, prev.taw_mm), de_mm=m.setup.tew_mm, fw=1.0,
            taw_mm=prev.taw_mm,
        )

    def irrigation_mm(
        self, zone: ZoneConfig, start: dt.datetime, end: dt.datetime, *, running: bool = False
    ) -> tuple[float, float]:
        """Gross depth (mm) and volume (m³) of the zone's runs that ended in ``[start, end)``,
        plus (with ``running``) the water so far of runs still running."""
        volume = 0.0
        for run in self.store.runs(zone.name, start - 3 * _DAY, end):
            ended = run.ended_at
            finished = (run.state in _FINAL_RUN_STATES and ended is not None
                        and start <= ended < end)
            if finished or (running and run.state == RunState.RUNNING.value):
                volume += run.applied_m3
        return volume / zone.area_m2_value * 1000.0, volume

    def probe_readings(
        self, zone: ZoneConfig, start: dt.datetime, end: dt.datetime
    ) -> list[ProbeReading]:
        """Mean good moisture of each of the zone's probes over ``[start, end)``."""
        out = []
        for probe in zone.probes:
            rows = self.store.readings(probe.device, PROBE_POINT, start, end)
            values = [r.value for r in rows if r.quality == "ok" and r.value is not None]
            if values:
                out.append(ProbeReading(probe.depth_m, sum(values) / len(values)))
        return out

    def balance_day(
        self, zone: ZoneConfig, date: dt.date, et0: ET0Day, *, until: dt.datetime | None = None,
        rain_memo: dict[tuple[dt.datetime, dt.datetime], tuple[float, int]] | None = None,
    ) -> WaterBalanceDay:
        """Advance ``zone`` over a local day (up to ``until`` for a partial day) and store the
        day as a new revision; returns the stored row. ``rain_memo`` shares the station's rain
        between the zones of one update (the same hours for every zone)."""
        m = self._zone_model(zone)
        dap = (date - zone.planting_date).days
        if dap < 0:
            raise AgronomyError(f"{zone.name}: {date} is before planting {zone.planting_date}")
        notes = _Notes()
        crop_step = CropStep.on_day(m.crop, dap)
        start, end = day_bounds(date, self.tz)
        stop = end if until is None else min(until, end)
        et0_mm = et0.et0_mm
        if until is not None:
            fraction = (stop - start) / (end - start)
            et0_mm *= fraction
            notes.add(f"{_PARTIAL} to {stop.astimezone(self.tz):%H:%M}: ET0 × {fraction:.2f}")
        state = self._state_before(zone, m, date, crop_step.root_depth_m, notes)
        rain_mm = self._rain(start, stop, et0.weather if until is None else None, notes,
                             {} if rain_memo is None else rain_memo)
        irr_mm, irr_m3 = self.irrigation_mm(zone, start, stop, running=until is not None)
        if irr_m3:
            notes.add(f"irrigation {irr_m3:.1f} m³ gross")
        w = et0.weather
        step = advance(state, m.setup, crop_step, StepInputs(
            et_ref_mm=et0_mm, rain_mm=rain_mm, irrigation_gross_mm=irr_mm,
            u2_m_s=w.wind_2m_m_s if w and w.wind_2m_m_s is not None else 2.0,
            rhmin_pct=w.rh_min_pct if w and w.rh_min_pct is not None else 45.0,
            et_ref_day_mm=et0.et0_mm,
        ))
        dr_end, correction = step.state.dr_mm, 0.0
        probes = self.probe_readings(zone, start, stop)
        if probes:
            corrected, pc = assimilate(step.state, m.soil, crop_step.root_depth_m, probes,
                                       self.site.policy.probe_weight)
            dr_end, correction = corrected.dr_mm, pc.correction_mm
            seen = ", ".join(f"{p.depth_m:g} m {p.theta_pct:.1f} %" for p in probes)
            notes.add(f"probes {seen}: observed Dr {pc.observed_mm:.1f} mm, weight "
                      f"{pc.weight:g}, correction {pc.correction_mm:+.1f} mm")
        elif zone.probes:
            notes.add("no good probe reading")
        mulch = f", mulch factor {m.crop.mulch_factor:g}" if m.crop.mulch_factor != 1.0 else ""
        row = WaterBalanceDay(
            zone=zone.name, date=date, et0_mm=et0_mm, kc=step.kc, etc_mm=step.etc_mm,
            eta_mm=step.eta_mm, rain_mm=rain_mm, effective_rain_mm=step.rain_effective_mm,
            irrigation_mm=irr_mm, runoff_mm=step.runoff_mm, deep_percolation_mm=step.dp_mm,
            dr_start_mm=state.dr_mm, dr_end_mm=dr_end, taw_mm=step.taw_mm, raw_mm=step.raw_mm,
            ks=step.ks, probe_correction_mm=correction,
            method=f"FAO-56 single Kc (ch. 6){mulch}; ET0 {et0.procedure}", notes=str(notes),
        )
        return self.store.add_water_balance(row)

    def _rain(
        self, start: dt.datetime, stop: dt.datetime, weather: DailyWeather | None, notes: _Notes,
        memo: dict[tuple[dt.datetime, dt.datetime], tuple[float, int]],
    ) -> float:
        if weather is not None and weather.rain_mm is not None:
            return weather.rain_mm
        station = self.station
        if station is not None and weather is None:
            if (start, stop) not in memo:
                memo[start, stop] = rain_between(self.store, station, start, stop)
            mm, hours = memo[start, stop]
            if hours:
                return mm
        notes.add("rain not measured: taken as 0")
        return 0.0

    # -- jobs: balance ----------------------------------------------------------------------

    def close_day(self, date: dt.date | None = None) -> list[WaterBalanceDay]:
        """Final balance of a local day (default: yesterday) for every planted zone, filling
        up to :data:`CATCH_UP_DAYS` missing days before it first. Never raises for bad data."""
        if date is None:
            date = self.local_date(self.clock.now()) - _DAY
        et0_cache: dict[dt.date, ET0Day] = {}
        out: list[WaterBalanceDay] = []
        for zone in self.site.zones:
            for day in self._days_to_close(zone, date):
                try:
                    et0 = self._cached_et0(day, et0_cache)
                    out.append(self.balance_day(zone, day, et0))
                except _DATA_ERRORS as exc:
                    self._warn("agronomy_balance_failed", zone.name,
                               f"water balance of {day} not computed: {exc}")
                except StoreError:
                    log.exception("agronomy: cannot store the balance of %s %s", zone.name, day)
                    return out
        return out

    def _days_to_close(self, zone: ZoneConfig, date: dt.date) -> list[dt.date]:
        """``date`` and the days before it with no final balance since the last stored one (a
        partial day left by :meth:`update_today` is not final), at most CATCH_UP_DAYS back."""
        if date < zone.planting_date:
            return []
        rows = self.store.water_balance(zone.name, date - CATCH_UP_DAYS * _DAY, date - _DAY)
        if not rows:  # first balance of the zone (or a long outage): start afresh on ``date``
            return [date]
        last = rows[-1]
        start = last.date if last.notes.startswith(_PARTIAL) else last.date + _DAY
        return [start + i * _DAY for i in range((date - start).days + 1)]

    def _cached_et0(self, date: dt.date, cache: dict[dt.date, ET0Day]) -> ET0Day:
        if date not in cache:
            cache[date] = self.et0_day(date)
            if cache[date].estimated:
                self._warn("agronomy_weather_missing", self.station or "site",
                           f"ET0 of {date} {cache[date].procedure}")
        return cache[date]

    def update_today(self, now: dt.datetime | None = None) -> list[WaterBalanceDay]:
        """Today's partial balance up to ``now`` (a new revision per zone). Never raises for
        bad data."""
        now = self.clock.now() if now is None else now
        today = self.local_date(now)
        try:
            recent, source = self.recent_et0(today)
        except WeatherUnavailable as exc:
            self._warn("agronomy_weather_missing", self.station or "site",
                       f"today's balance not updated: {exc}")
            return []
        et0 = ET0Day(today, sum(recent) / len(recent), f"mean of {source}", estimated=True)
        out = []
        rain_memo: dict[tuple[dt.datetime, dt.datetime], tuple[float, int]] = {}
        for zone in self.site.zones:
            if today < zone.planting_date:
                continue
            try:
                out.append(self.balance_day(zone, today, et0, until=now, rain_memo=rain_memo))
            except _DATA_ERRORS as exc:
                self._warn("agronomy_balance_failed", zone.name,
                           f"today's balance not updated: {exc}")
            except StoreError:
                log.exception("agronomy: cannot store today's balance of %s", zone.name)
                break
        return out

    # -- jobs: planning -----------------------------------------------------------------------

    def plan_all(
        self, now: dt.datetime | None = None, forecast: Sequence[ForecastDay] | None = None
    ) -> list[PlannedRun]:
        """Decide every zone (one recorded decision each) and return the runs that start within
        the next 24 h, for the sequencer's queue. Never raises for bad data."""
        now = self.clock.now() if now is None else now
        try:
            ctx = self._plan_context(now)
        except _DATA_ERRORS as exc:
            self._warn("agronomy_plan_failed", "site", f"no plan: {exc}")
            return []
        except StoreError:
            log.exception("agronomy: cannot read the store for planning")
            return []
        runs: list[PlannedRun] = []
        planners = {
            "sensor": self._plan_sensor,
            "calendar": self._plan_calendar,
            "manual": self._plan_manual,
        }
        for zone in self.site.zones:
            if zone.mode == "et":
                continue
            try:
                runs += planners[zone.mode](zone, ctx)
            except _DATA_ERRORS as exc:
                self._warn("agronomy_plan_failed", zone.name, f"no plan: {exc}")
            except StoreError:
                log.exception("agronomy: cannot record the decision of %s", zone.name)
        et_zones = [z for z in self.site.zones if z.mode == "et"]
        if et_zones:
            try:
                runs += self._plan_et(et_zones, ctx, forecast)
            except _DATA_ERRORS as exc:
                self._warn("agronomy_plan_failed", "site", f"no ET plan: {exc}")
            except StoreError:
                log.exception("agronomy: cannot record ET decisions")
        return sorted(runs, key=lambda r: (r.start, r.zone))

    def _plan_context(self, now: dt.datetime) -> _PlanContext:
        local = now.astimezone(self.tz)
        start_local = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        start = start_local.astimezone(dt.UTC)
        n = self.horizon_days * 24
        slots = [start + dt.timedelta(hours=k) for k in range(n)]
        local_minutes = [
            (t.astimezone(self.tz).hour * 60 + t.astimezone(self.tz).minute) for t in slots
        ]
        window = tuple(_in_windows(mn, self._windows) for mn in local_minutes)
        notes = _Notes()
        rain_24h = 0.0
        station = self.station
        if station is not None:
            rain_24h, hours = rain_between(self.store, station, now - _DAY, now)
            if hours == 0:
                notes.add("rain of the last 24 h unknown (no station reading): taken as 0")
        else:
            notes.add("no weather station: rain of the last 24 h taken as 0")
        return _PlanContext(now, self.local_date(now), start, slots, window, rain_24h, notes)

    def _now_conditions(self, ctx: _PlanContext) -> tuple[float | None, float | None]:
        """Last hour's mean air temperature (°C) and wind (m/s) at the station, if measured."""
        station = self.station
        if station is None:
            return None, None
        found = []
        for point in (AIR_TEMPERATURE, WIND_SPEED):
            hours = hourly_stats(self.store, station, point, ctx.now - dt.timedelta(hours=1),
                                 ctx.now)
            found.append(hours[-1].mean if hours else None)
        return found[0], found[1]

    def _horizon_dates(self, ctx: _PlanContext) -> list[dt.date]:
        """The local date of the middle of each horizon day (day d = slots [24 d, 24 d + 24))."""
        return [self.local_date(ctx.start + dt.timedelta(hours=24 * d + 12))
                for d in range(self.horizon_days)]

    def _et0_series(
        self, ctx: _PlanContext, forecast: Sequence[ForecastDay] | None, notes: _Notes
    ) -> tuple[Forecast | None, tuple[float, ...], dict[str, Any]]:
        recent: tuple[float, ...] = ()
        recent_source = ""
        try:
            values, recent_source = self.recent_et0(ctx.today)
            recent = tuple(values)
        except WeatherUnavailable as exc:
            if not forecast:
                raise
            notes.add(f"no recent ET0 ({exc})")
        info: dict[str, Any] = {"recent_et0_mm_day": list(recent), "recent_source": recent_source}
        if not forecast:
            if not recent_source.startswith("measured"):
                notes.add(f"ET0 from the {recent_source} (station data missing)")
            return None, recent, info
        by_date = {f.date: f for f in forecast}
        fill = sum(recent) / len(recent) if recent else (
            sum(f.et0_mm for f in forecast) / len(forecast))
        et0, rain, gaps = [], [], 0
        for date in self._horizon_dates(ctx):
            day = by_date.get(date)
            et0.append(day.et0_mm if day else fill)
            rain.append(day.rain_mm if day else 0.0)
            gaps += day is None
        if gaps:
            notes.add(f"forecast misses {gaps} of {self.horizon_days} days: ET0 {fill:.1f} mm/d, "
                      "no rain assumed on those")
        return Forecast(tuple(et0), tuple(rain)), recent, info

    def _limits(
        self, ctx: _PlanContext, forecast: Sequence[ForecastDay] | None
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-slot temperature and wind for the frost and wind limits; unknown slots get values
        that block nothing (the frost limit itself, calm)."""
        policy = self.site.policy
        n = len(ctx.slots)
        temp = [policy.frost_limit_c] * n
        wind = [0.0] * n
        if forecast:
            by_date = {f.date: f for f in forecast}
            for d, date in enumerate(self._horizon_dates(ctx)):
                day = by_date.get(date)
                for k in range(24 * d, 24 * d + 24):
                    if day is not None and day.tmin_c is not None:
                        temp[k] = day.tmin_c
                    if day is not None and day.wind_m_s is not None:
                        wind[k] = day.wind_m_s
        else:
            t_now, u_now = self._now_conditions(ctx)
            for k in range(min(NOW_CONDITIONS_H, n)):
                temp[k] = temp[k] if t_now is None else t_now
                wind[k] = wind[k] if u_now is None else u_now
        return tuple(temp), tuple(wind)

    def _dr_now(self, zone: ZoneConfig, today: dt.date, taw_mm: float, notes: _Notes) -> float:
        rows = self.store.water_balance(zone.name, today - CATCH_UP_DAYS * _DAY, today)
        if not rows:
            notes.add("no water balance yet: depletion taken as 0 (field capacity)")
            return 0.0
        return min(max(rows[-1].dr_end_mm, 0.0), taw_mm)

    def _plan_et(
        self, zones: list[ZoneConfig], ctx: _PlanContext, forecast: Sequence[ForecastDay] | None
    ) -> list[PlannedRun]:
        notes = _Notes(list(ctx.notes.items))
        fc, recent, et0_info = self._et0_series(ctx, forecast, notes)
        et0_days = fc.et0_mm_day if fc else (sum(recent) / len(recent),) * self.horizon_days
        inputs: list[ZonePlanInput] = []
        details: dict[str, dict[str, Any]] = {}
        for zone in zones:
            dap = (ctx.today - zone.planting_date).days
            if dap < 0:
                self._record_skip(zone, f"{zone.name}: not planted until {zone.planting_date}",
                                  {"planting_date": zone.planting_date.isoformat()})
                continue
            m = self._zone_model(zone)
            step = CropStep.on_day(m.crop, dap)
            taw = m.soil.taw_mm(step.root_depth_m)
            zone_notes = _Notes(list(notes.items))
            dr = self._dr_now(zone, ctx.today, taw, zone_notes)
            kc = tuple(kc_on_day(m.crop, dap + d, mulched=True) for d in range(self.horizon_days))
            mad = tuple(max(_mad(zone, m.crop.p, k * e), REFILL_TARGET_FRACTION + 0.05)
                        for k, e in zip(kc, et0_days, strict=True))
            inputs.append(ZonePlanInput(
                zone_id=zone.name, dr_mm=dr, taw_mm=taw, mad_fraction=mad, kc=kc,
                area_m2=zone.area_m2_value, flow_m3_h=zone.nominal_flow_m3_h,
                efficiency=zone.efficiency, refill_target_fraction=REFILL_TARGET_FRACTION,
                max_run_min=int(zone.max_run_min), system=_SYSTEMS[zone.irrigation],
            ))
            details[zone.name] = {
                "notes": str(zone_notes), "dap": dap, "root_depth_m": step.root_depth_m,
                "raw_mm_day0": mad[0] * taw, "p_table": m.crop.p,
                "mad_source": "zone setting" if zone.mad_fraction is not None else "crop p",
            }
        if not inputs:
            return []
        temp, wind = self._limits(ctx, forecast)
        policy = self.site.policy
        result = plan(PlanInputs(
            zones=tuple(inputs), pump_capacity_m3_h=self.site.head.pump_capacity_m3_h,
            window=ctx.window, tariff_per_kwh=tuple(
                policy.price_at(t.astimezone(self.tz).hour * 60 + t.astimezone(self.tz).minute)
                for t in ctx.slots
            ),
            horizon_days=self.horizon_days, slot_min=_SLOT_MIN,
            start_minute_of_day=ctx.start.astimezone(self.tz).hour * 60, forecast=fc,
            recent_et0_mm_day=recent, rain_last_24h_mm=ctx.rain_24h_mm,
            rain_skip_mm=policy.rain_skip_mm, wind_m_s=wind,
            wind_limit_m_s=policy.wind_limit_m_s, temperature_c=temp,
            frost_limit_c=policy.frost_limit_c,
        ))
        runs = []
        for zin, decision in zip(inputs, result.decisions, strict=True):
            zone = next(z for z in zones if z.name == zin.zone_id)
            events = [e for e in result.events_of(zone.name) if e.start_min < 24 * 60]
            extra = details[zone.name]
            sentence = decision.sentence + (f"; {extra['notes']}" if extra["notes"] else "")
            record = {
                **_decision_numbers(decision), **et0_info, **extra,
                "et0_mm_day": list(result.et0_mm_day), "kc": list(zin.kc_per_day(
                    self.horizon_days)), "area_m2": zin.area_m2, "efficiency": zin.efficiency,
                "max_run_min": zin.max_run_min, "refill_target_fraction": REFILL_TARGET_FRACTION,
                "windows": list(policy.windows),
                "tariff": [t.model_dump() for t in policy.tariff] or "flat",
                "rain_skip_mm": policy.rain_skip_mm, "wind_limit_m_s": policy.wind_limit_m_s,
                "frost_limit_c": policy.frost_limit_c, "forecast": fc is not None,
            }
            if events:
                action = DecisionAction.IRRIGATE
            elif decision.reason in (ReasonCode.RAIN_SKIP, ReasonCode.PROBES_WET,
                                     ReasonCode.NOT_TRIGGERED):
                action = DecisionAction.SKIP
            else:
                action = DecisionAction.DEFER
            first = events[0] if events else None
            stored = self.store.record_decision(
                zone.name, zone.mode, action, sentence, record,
                planned_start=ctx.start + dt.timedelta(minutes=first.start_min) if first else None,
                duration_min=float(first.duration_min) if first else 0.0,
                depth_mm=first.gross_depth_mm if first else 0.0,
            )
            assert stored.id is not None  # committed rows have ids
            runs += [
                PlannedRun(zone.name, ctx.start + dt.timedelta(minutes=e.start_min),
                           float(e.duration_min), e.gross_depth_mm, stored.id, RunSource.PLAN)
                for e in events
            ]
        return runs

    def _first_window_slot(self, ctx: _PlanContext, on: dt.date | None = None) -> int | None:
        for k, allowed in enumerate(ctx.window):
            if allowed and (on is None or self.local_date(ctx.slots[k]) == on):
                return k
        return None

    def _window_length_slots(self, ctx: _PlanContext, k: int) -> int:
        end = k
        while end < len(ctx.window) and ctx.window[end]:
            end += 1
        return end - k

    def _plan_sensor(self, zone: ZoneConfig, ctx: _PlanContext) -> list[PlannedRun]:
        m = self._zone_model(zone)
        dap = max((ctx.today - zone.planting_date).days, 0)
        step = CropStep.on_day(m.crop, dap)
        zr = step.root_depth_m
        taw = m.soil.taw_mm(zr)
        p = zone.mad_fraction if zone.mad_fraction is not None else m.crop.p
        raw = m.soil.raw_mm(zr, p)
        fc_pct = m.soil.field_capacity_mm(0.0, zr) / (10.0 * zr)
        low_pct = (m.soil.field_capacity_mm(0.0, zr) - raw) / (10.0 * zr)  # θ at Dr = RAW
        probes = self.probe_readings(zone, ctx.now - dt.timedelta(hours=1), ctx.now)
        numbers: dict[str, Any] = {
            "taw_mm": taw, "raw_mm": raw, "p": p, "root_depth_m": zr,
            "theta_fc_pct": fc_pct, "theta_raw_pct": low_pct,
            "rain_last_24h_mm": ctx.rain_24h_mm, "rain_skip_mm": self.site.policy.rain_skip_mm,
        }
        if not probes:
            self._warn("agronomy_no_probe", zone.name, "sensor mode: no good probe reading")
            self._record_skip(zone, f"{zone.name}: skip: no good probe reading in the last hour",
                              numbers)
            return []
        theta = sum(p.theta_pct for p in probes) / len(probes)
        dr_obs = min(max(observed_depletion_mm(m.soil, zr, probes), 0.0), taw)
        numbers |= {"theta_mean_pct": theta, "dr_observed_mm": dr_obs,
                    "probes": [[p.depth_m, p.theta_pct] for p in probes]}
        band = f"probe moisture {theta:.1f} % vs moisture at RAW {low_pct:.1f} %"
        if ctx.rain_24h_mm >= self.site.policy.rain_skip_mm:
            self._record_skip(zone, f"{zone.name}: skip: {ctx.rain_24h_mm:.1f} mm rain in the "
                              f"last 24 h ≥ {self.site.policy.rain_skip_mm:g} mm; {band}", numbers)
            return []
        if theta >= low_pct:
            self._record_skip(zone, f"{zone.name}: no irrigation: {band} (RAW {raw:.1f} mm of "
                              f"TAW {taw:.1f} mm)", numbers)
            return []
        net = max(dr_obs - REFILL_TARGET_FRACTION * taw, 0.0)
        gross = net / zone.efficiency
        minutes = gross * zone.area_m2_value / 1000.0 / zone.nominal_flow_m3_h * 60.0
        cut = minutes > zone.max_run_min
        minutes = min(minutes, zone.max_run_min)
        gross = minutes / 60.0 * zone.nominal_flow_m3_h * 1000.0 / zone.area_m2_value
        k = self._first_window_slot(ctx)
        numbers |= {"net_mm": net, "gross_mm": gross, "duration_min": minutes}
        if k is None:
            self._record(zone, DecisionAction.DEFER, f"{zone.name}: no allowed window in the "
                         f"horizon; {band}", numbers)
            return []
        start = ctx.slots[k]
        sentence = (f"{zone.name}: {minutes:.0f} min, {gross:.1f} mm at "
                    f"{start.astimezone(self.tz):%H:%M}: {band} (RAW {raw:.1f} mm of TAW "
                    f"{taw:.1f} mm), refill to {REFILL_TARGET_FRACTION:.2f} × TAW"
                    + ("; cut to the maximum run" if cut else ""))
        decision = self._record(zone, DecisionAction.IRRIGATE, sentence, numbers,
                                start=start, minutes=minutes, depth_mm=gross)
        return [PlannedRun(zone.name, start, minutes, gross, decision, RunSource.PLAN)]

    def _plan_calendar(self, zone: ZoneConfig, ctx: _PlanContext) -> list[PlannedRun]:
        events = events_on(ctx.today, self.calendar)
        if not events:
            upcoming = sorted(
                e.on(ctx.today.year) for e in self.calendar if e.on(ctx.today.year) > ctx.today)
            nxt = f"next {upcoming[0]}" if upcoming else "none left this season"
            self._record_skip(zone, f"{zone.name}: calendar: no event today ({nxt})",
                              {"calendar": [[e.month, e.day, e.volume_m3_per_mu]
                                            for e in self.calendar]})
            return []
        day_start, _ = day_bounds(ctx.today, self.tz)
        for earlier in self.store.decisions(zone.name, day_start, ctx.now):
            if earlier.mode == "calendar" and earlier.action == DecisionAction.IRRIGATE.value:
                self._record_skip(zone, f"{zone.name}: calendar event of {ctx.today} already "
                                  f"planned (decision {earlier.id})", {})
                return []
        event = events[0]
        volume = event.volume_m3_per_mu * zone.area_m2_value / M2_PER_MU
        total_min = volume / zone.nominal_flow_m3_h * 60.0
        k = self._first_window_slot(ctx, on=ctx.today)
        if k is None:
            k = self._first_window_slot(ctx)
        numbers: dict[str, Any] = {
            "event": f"{event.month:02d}-{event.day:02d}", "m3_per_mu": event.volume_m3_per_mu,
            "volume_m3": volume, "depth_mm": event.depth_mm, "flow_m3_h": zone.nominal_flow_m3_h,
            "max_run_min": zone.max_run_min, "needed_min": total_min,
        }
        if k is None:
            self._record(zone, DecisionAction.DEFER, f"{zone.name}: calendar event of "
                         f"{ctx.today}: no allowed window in the horizon", numbers)
            return []
        window_min = self._window_length_slots(ctx, k) * _SLOT_MIN
        placed = min(total_min, float(window_min))
        chunks: list[float] = []
        left = placed
        while left > 1e-9:
            chunks.append(min(left, zone.max_run_min))
            left -= chunks[-1]
        short_m3 = (total_min - placed) / 60.0 * zone.nominal_flow_m3_h
        start = ctx.slots[k]
        depth = placed / 60.0 * zone.nominal_flow_m3_h * 1000.0 / zone.area_m2_value
        sentence = (f"{zone.name}: calendar event of {ctx.today}: {event.volume_m3_per_mu:g} "
                    f"m³/mu ({volume:.0f} m³, {event.depth_mm:.0f} mm) from "
                    f"{start.astimezone(self.tz):%H:%M} in {len(chunks)} run"
                    f"{'s' if len(chunks) > 1 else ''} of ≤ {zone.max_run_min:g} min")
        if short_m3 > 0.05:
            sentence += f"; the window holds {placed:.0f} of {total_min:.0f} min, " \
                        f"{short_m3:.0f} m³ not applied"
        numbers |= {"placed_min": placed, "runs": len(chunks), "shortfall_m3": short_m3}
        decision = self._record(zone, DecisionAction.IRRIGATE, sentence, numbers, start=start,
                                minutes=placed, depth_mm=depth)
        runs, at = [], start
        for minutes in chunks:
            runs.append(PlannedRun(zone.name, at, minutes,
                                   minutes / placed * depth, decision, RunSource.CALENDAR))
            at += dt.timedelta(minutes=minutes)
        return runs

    def _plan_manual(self, zone: ZoneConfig, ctx: _PlanContext) -> list[PlannedRun]:
        self._record_skip(zone, f"{zone.name}: manual mode: runs only when started by hand", {})
        return []

    # -- recording ------------------------------------------------------------------------------

    def _record(
        self, zone: ZoneConfig, action: DecisionAction, sentence: str, inputs: dict[str, Any],
        *, start: dt.datetime | None = None, minutes: float = 0.0, depth_mm: float = 0.0,
    ) -> int:
        decision = self.store.record_decision(
            zone.name, zone.mode, action, sentence, inputs, planned_start=start,
            duration_min=minutes, depth_mm=depth_mm)
        assert decision.id is not None  # committed rows have ids
        return decision.id

    def _record_skip(self, zone: ZoneConfig, sentence: str, inputs: dict[str, Any]) -> None:
        self._record(zone, DecisionAction.SKIP, sentence, inputs)

    def _warn(self, code: str, source: str, message: str) -> None:
        log.warning("%s %s: %s", code, source, message)
        try:
            self.store.raise_event(Severity.WARNING, code, source, message)
        except StoreError:
            log.exception("agronomy: cannot record event %s", code)


@dataclass(frozen=True)
class _PlanContext:
    now: dt.datetime
    today: dt.date
    start: dt.datetime  # slot 0, aware UTC (the next whole local hour)
    slots: list[dt.datetime]
    window: tuple[bool, ...]
    rain_24h_mm: float
    notes: _Notes


def _decision_numbers(d: ZoneDecision) -> dict[str, Any]:
    return {
        "reason": d.reason.value, "reasons": [r.value for r in d.reasons],
        "dr_now_mm": d.dr_now_mm, "taw_mm": d.taw_mm, "trigger_mm": list(d.trigger_mm),
        "mad_fraction": list(d.mad_fraction), "etc_mm_day": list(d.etc_mm_day),
        "et0_source": d.et0_source, "trigger_day": d.trigger_day, "depth_mm": d.depth_mm,
        "duration_min": d.duration_min, "flow_m3_h": d.flow_m3_h, "n_events": d.n_events,
        "shortfall_mm": d.shortfall_mm, "rain_last_24h_mm": d.rain_last_24h_mm,
        "wind_blocked_slots": d.wind_blocked_slots, "frost_blocked_slots": d.frost_blocked_slots,
    }


def _procedure(result: Any, w: DailyWeather) -> str:
    """The ET0 procedure in words, from the result's flags (models.et0.codes)."""
    src = int(result.et0_source[0, 0])
    if src == codes.ET0_HARGREAVES:
        text = "Hargreaves (FAO-56 eq. 52): only temperatures measured"
    else:
        rs = {
            codes.RS_MEASURED: "Rs measured",
            codes.RS_ANGSTROM: "Rs from sunshine hours (eq. 35)",
            codes.RS_HARGREAVES: "Rs from temperature range (eq. 50)",
        }.get(int(result.rs_source[0, 0]), "Rs unknown")
        ea = codes.EA_NAMES.get(int(result.ea_source[0, 0]), "")
        wind = ("wind measured at 2 m" if int(result.wind_source[0, 0]) == codes.WIND_MEASURED
                else "wind default 2 m/s")
        text = f"FAO-56 Penman-Monteith (eq. 6); {rs}; ea {ea}; {wind}"
    if w.missing:
        text += f"; missing: {w.describe_missing()}"
    return text

