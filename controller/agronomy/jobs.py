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
* A zone's soil is one layer of its FAO-56 Table 19 texture (or the effective θfc and θwp an
  admin approved from its dry-downs) down to the crop's maximum root depth; its Kc is the
  crop library's times the zone's ``kc_factor`` (:mod:`controller.config.soil`). The
  balance starts on its first day (planting) from the soil as it is then
  (:meth:`Agronomy.spring_depletion`: the sowing-day measurement of the site file, else the
  probes, else field capacity); the soil the roots grow into keeps that day's depletion
  fraction (``ZoneSetup.subsoil_depletion_fraction``). The probes correct the balance from
  the first day by ``probe_weight``. Days before planting are not balanced.
* Irrigation of a day is the gross depth of the zone's runs that *ended* that day (done, aborted
  or interrupted: water went in either way), applied_m3 / area × 1000 mm; the balance applies the
  zone's efficiency. A run still running counts in today's partial day.
* ET0 of a day: FAO-56 Penman-Monteith from the day's weather (Rs from the temperature range,
  eq. 50, when the station has no pyranometer); Hargreaves (eq. 52) when only temperatures are
  there; otherwise (also on a day the station was frozen: :mod:`.plausibility`) the mean of
  the last :data:`RECENT_DAYS` days' ET0 — always said in the stored method and the decision.
  A partial day takes that recent mean pro rata of the hours elapsed. Quarantined probes are
  left out of the balance.
* Planning (``plan_all``) lives in :mod:`controller.agronomy.planning`; :class:`Agronomy` holds a
  :class:`controller.agronomy.planning.Planning` and is its
  :class:`controller.agronomy.planning.Balance`: per zone mode, one recorded decision per zone,
  the runs of the next 24 h.
* No infiltration rate is known for the soils: the planner does no cycle-and-soak.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from controller.agronomy.baseline import SEED_CORN_BORDER, CalendarEvent
from controller.agronomy.coverkc import cover_step
from controller.agronomy.cropstate import CropClock, CropState
from controller.agronomy.planning import Planning
from controller.agronomy.plausibility import STATION_FROZEN, Plausibility
from controller.agronomy.types import (
    CATCH_UP_DAYS,
    DATA_ERRORS,
    DAY,
    HORIZON_DAYS,
    PROBE_POINT,
    RECENT_DAYS,
    REFILL_TARGET_FRACTION,
    AgronomyError,
    ET0Day,
    ForecastDay,
    Notes,
    PlannedRun,
    WeatherUnavailable,
    ZoneModel,
    nan_if_none,
    parse_window,
)
from controller.agronomy.weather import (
    AIR_TEMPERATURE,
    MIN_HOURS,
    SOLAR_RADIATION,
    WIND_HEIGHT_M,
    DailyWeather,
    daily_weather,
    day_bounds,
    hourly_stats,
    rain_between,
)
from controller.clock import Clock
from controller.config.site import SiteConfig, ZoneConfig
from controller.config.soil import zone_crop, zone_soil
from controller.learning.calibration import ProbeCalibrations
from controller.store import (
    RunState,
    Severity,
    Store,
    StoreError,
    WaterBalanceDay,
)
from models.crops.cold import cold_gdd, cold_kc, cold_stress_coefficient
from models.crops.phenology import PHENOLOGY_CROPS
from models.et0 import codes
from models.et0 import daily as et0_daily
from models.waterbalance import (
    CropStep,
    ProbeReading,
    StepInputs,
    ZoneSetup,
    ZoneState,
    advance,
    assimilate,
    observed_depletion_mm,
)

__all__ = [
    "CATCH_UP_DAYS",
    "HORIZON_DAYS",
    "RECENT_DAYS",
    "REFILL_TARGET_FRACTION",
    "Agronomy",
    "AgronomyError",
    "ET0Day",
    "ForecastDay",
    "PlannedRun",
    "WeatherUnavailable",
    "parse_window",
]

log = logging.getLogger(__name__)

# A local day's weather is final this long after its end: longer than the poller's longest
# commit interval (store.idle_flush_s and flush_s ≤ 600 s), so no reading of the day can still
# be on its way.
CLOSED_DAY_MARGIN = dt.timedelta(hours=1)
SETTLING_DAYS = 4  # days whose ET0 is kept with its weather until they close (today, yesterday)
CLOSED_DAY_CACHE = 64  # closed days whose measured ET0 is kept (RECENT_DAYS + CATCH_UP_DAYS fit)
_PARTIAL = "partial day"
_FINAL_RUN_STATES = {RunState.DONE.value, RunState.ABORTED.value, RunState.INTERRUPTED.value}


#: A zone's measured canopy cover (0..1) in a time range, and when it was taken:
#: ``cover(zone, start, end)`` (controller.canopy.records.CoverRecords.cover_between).
CoverOf = Callable[[str, dt.datetime, dt.datetime], tuple[float, dt.datetime] | None]
#: A photo's cover sets the day's Kcb for this long after it was taken.
COVER_MAX_AGE = dt.timedelta(days=3)


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
        cover: CoverOf | None = None,
    ) -> None:
        self.site = site
        self.cover = cover  # the camera zones' canopy cover, for Kcb (eq. 97)
        self.store = store
        self.clock = clock
        self.tz = site.site.tz
        self.planning = Planning(self, store, clock, calendar=calendar, horizon_days=horizon_days)
        # the one view of a probe's θ: its stored raw reading through its calibration
        self.probes = ProbeCalibrations(store)
        self.plausibility = Plausibility(self, store, clock, probes=self.probes)
        # measured ET0 (or why there is none) of closed local days: the hourly balance asks
        # for the same recent days every hour, and their readings no longer change
        self._closed_et0: dict[dt.date, ET0Day | WeatherUnavailable] = {}
        # the last ET0 computed for each day still settling, with the weather it came from:
        # the close just after midnight reads the day inside CLOSED_DAY_MARGIN, and the next
        # ask after the margin reads it again; the same weather gives the same ET0
        self._settling_et0: dict[dt.date, ET0Day] = {}
        self._et0_krs = site.site.krs  # the krs the remembered ET0 days were computed with
        # the depletion fraction of the soil below the roots, per (zone, planting date): the
        # first balanced day's, read once that day is behind (module docstring)
        self._subsoil: dict[tuple[str, dt.date], float] = {}
        # the crop-calendar day of each zone (observed stages, degree days, or the calendar)
        self.crop_clock = CropClock(
            store, self.day_temperatures, lambda z: zone_crop(self.site.crop(z.crop), z)
        )

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

    def day_temperatures(self, date: dt.date) -> tuple[float | None, float | None, bool]:
        """The station's Tmax and Tmin of a local day (°C; None: no station, or fewer than
        MIN_HOURS hours with good readings) and whether the day is closed."""
        start, end = day_bounds(date, self.tz)
        closed = end + CLOSED_DAY_MARGIN <= self.clock.now()
        station = self.station
        if station is None:
            return None, None, closed
        hours = hourly_stats(self.store, station, AIR_TEMPERATURE, start, end)
        if len(hours) < MIN_HOURS:
            return None, None, closed
        return max(h.max for h in hours), min(h.min for h in hours), closed

    def canopy_cover(self, zone: ZoneConfig, at: dt.datetime) -> float | None:
        """The zone's latest camera cover (0..1) of the :data:`COVER_MAX_AGE` before ``at``
        (the one that sets its Kcb), None without one."""
        if self.cover is None:
            return None
        found = self.cover(zone.name, at - COVER_MAX_AGE, at)
        return None if found is None else min(max(found[0], 0.0), 1.0)

    def crop_state(self, zone: ZoneConfig, date: dt.date) -> CropState:
        """The zone's crop at the start of a local day: the one source of its Kc and root
        depth for the balance and the planner (:mod:`controller.agronomy.cropstate`)."""
        return self.crop_clock.state(zone, date)

    def measured_et0(self, date: dt.date) -> ET0Day:
        """ET0 from the day's measured weather (Penman-Monteith, or Hargreaves with only
        temperatures); :class:`WeatherUnavailable` when the temperatures are missing.

        A closed day (ended :data:`CLOSED_DAY_MARGIN` ago) is computed once and remembered,
        answer or refusal alike; an admin's new ``krs`` (``site.krs``, FAO-56 eq. 50) forgets
        every remembered day."""
        if self.site.site.krs != self._et0_krs:
            self._closed_et0.clear()
            self._settling_et0.clear()
            self._et0_krs = self.site.site.krs
        cached = self._closed_et0.get(date)
        if cached is None:
            try:
                cached = self._measure_et0(date)
            except WeatherUnavailable as exc:
                cached = exc
            if day_bounds(date, self.tz)[1] + CLOSED_DAY_MARGIN <= self.clock.now():
                self._closed_et0[date] = cached
                self._settling_et0.pop(date, None)
                while len(self._closed_et0) > CLOSED_DAY_CACHE:
                    del self._closed_et0[min(self._closed_et0)]
        if isinstance(cached, WeatherUnavailable):
            raise WeatherUnavailable(*cached.args)
        return cached

    def _measure_et0(self, date: dt.date) -> ET0Day:
        self._refuse_frozen(date)
        w = self.weather_day(date)
        settling = self._settling_et0.get(date)
        if settling is not None and settling.weather == w:
            return settling  # the model is a function of the day's weather (and the site)
        result = self._et0_of(date, w)
        self._settling_et0[date] = result
        while len(self._settling_et0) > SETTLING_DAYS:
            del self._settling_et0[min(self._settling_et0)]
        return result

    def _refuse_frozen(self, date: dt.date) -> None:
        """:class:`WeatherUnavailable` when the station was frozen on ``date`` (its readings
        are the same value over and over, not the day's weather)."""
        station = self.station
        if station is None:
            return
        spans = self.plausibility.frozen_in(station, *day_bounds(date, self.tz))
        if spans:
            start, end = spans[0]
            raise WeatherUnavailable(
                f"{station} {date}: {STATION_FROZEN}, every weather point unchanged from "
                f"{start:%H:%M} to {end:%H:%M} UTC"
            )

    def _et0_of(self, date: dt.date, w: DailyWeather) -> ET0Day:
        if w.tmax_c is None or w.tmin_c is None:
            raise WeatherUnavailable(
                f"{w.station}: no air temperature for {date} ({w.describe_missing()})"
            )
        s = self.site.site
        result = et0_daily(
            tmax=[w.tmax_c],
            tmin=[w.tmin_c],
            doy=[date.timetuple().tm_yday],
            lat_deg=s.latitude_deg,
            elev_m=s.elevation_m,
            rh_max=[nan_if_none(w.rh_max_pct)],
            rh_min=[nan_if_none(w.rh_min_pct)],
            wind=[nan_if_none(w.wind_2m_m_s)],
            wind_height_m=WIND_HEIGHT_M,
            rs=[nan_if_none(w.rs_mj_m2)],
            krs=s.krs,
            hargreaves_fallback=True,
            on_invalid="flag",
        )
        problems = result.problems()
        if problems:
            raise WeatherUnavailable(f"{w.station} {date}: " + "; ".join(map(str, problems)))
        value = float(result.et0_mm[0, 0])
        if not math.isfinite(value):
            raise WeatherUnavailable(f"{w.station} {date}: ET0 not computable")
        return ET0Day(date, value, _procedure(result, w, s.krs), estimated=False, weather=w)

    def recent_et0(self, date: dt.date, days: int = RECENT_DAYS) -> tuple[list[float], str]:
        """ET0 of up to ``days`` days before ``date``: measured where the station has them,
        else as stored in the water balance; and where they came from. Raises
        :class:`WeatherUnavailable` when there is none."""
        values = []
        for back in range(1, days + 1):
            try:
                values.append(self.measured_et0(date - back * DAY).et0_mm)
            except WeatherUnavailable:
                continue
        if values:
            return values, f"measured ET0 of {len(values)} recent days"
        stored: dict[dt.date, float] = {}
        for zone in self.site.zones:
            for row in self.store.water_balance(zone.name, date - days * DAY, date - DAY):
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
            return ET0Day(date, mean, f"estimated: mean of {source} ({missing})", estimated=True)

    # -- water balance --------------------------------------------------------------------

    def zone_model(self, zone: ZoneConfig, subsoil_depletion_fraction: float = 0.0) -> ZoneModel:
        """The zone's crop and soil; ``subsoil_depletion_fraction``: of the soil the roots grow
        into (:meth:`subsoil_depletion_fraction`), 0 for field capacity. The crop carries
        the site's period MADs (``[crops.<crop>.stages]``, settings page)."""
        c = zone_crop(self.site.crop(zone.crop), zone)
        soil = zone_soil(zone, c.root_depth_max_m)
        setup = ZoneSetup(
            soil,
            method="single",
            efficiency=zone.efficiency,
            subsoil_depletion_fraction=subsoil_depletion_fraction,
        )
        return ZoneModel(c, soil, setup)

    def spring_depletion(
        self,
        zone: ZoneConfig,
        m: ZoneModel,
        start: dt.datetime,
        stop: dt.datetime,
        quarantined: AbstractSet[str] | None = None,
    ) -> tuple[float, str]:
        """Depletion, as a fraction of TAW, of the soil on the zone's first balanced day, and
        where it came from: the site file's ``spring_depletion_fraction`` (a measurement at
        sowing), else the zone's good probes over ``[start, stop)`` (θ against the configured
        texture over the crop's deepest roots, the deepest probe standing for the soil below
        it), else field capacity."""
        if zone.spring_depletion_fraction is not None:
            return zone.spring_depletion_fraction, "the site file's spring_depletion_fraction"
        probes = self.probe_readings(zone, start, stop, quarantined)
        if probes:
            depth = m.crop.root_depth_max_m
            observed = observed_depletion_mm(m.soil, depth, probes)
            fraction = min(max(observed / m.soil.taw_mm(depth), 0.0), 1.0)
            seen = ", ".join(f"{p.depth_m:g} m {p.theta_pct:.1f} %" for p in probes)
            return fraction, f"the probes ({seen})"
        return 0.0, "field capacity (no probe reading, no spring_depletion_fraction)"

    def subsoil_depletion_fraction(self, zone: ZoneConfig, date: dt.date) -> float:
        """Depletion fraction of the soil below the roots on ``date``: that of the zone's first
        balanced day of the season (its ``dr_start_mm`` over TAW), 0 before one is stored.
        Drip in an arid spring wets little below the roots, so the sowing-day state stands
        for the subsoil all season."""
        key = (zone.name, zone.planting_date)
        cached = self._subsoil.get(key)
        if cached is not None:
            return cached
        rows = self.store.water_balance(zone.name, zone.planting_date, date - DAY)
        if not rows:
            return 0.0
        first = rows[0]
        fraction = min(max(first.dr_start_mm / first.taw_mm, 0.0), 1.0) if first.taw_mm else 0.0
        if first.date < date - DAY:  # the first day is closed: its state no longer changes
            self._subsoil[key] = fraction
        return fraction

    def _state_before(
        self,
        zone: ZoneConfig,
        m: ZoneModel,
        date: dt.date,
        root_depth_m: float,
        notes: Notes,
        first_day: tuple[dt.datetime, dt.datetime, AbstractSet[str] | None],
    ) -> ZoneState:
        prev = self.store.last_water_balance(zone.name, zone.planting_date, date - DAY)
        if prev is None:
            start, stop, quarantined = first_day
            fraction, source = self.spring_depletion(zone, m, start, stop, quarantined)
            state = ZoneState.at_planting(m.setup, root_depth_m)
            state = dataclasses.replace(state, dr_mm=fraction * state.taw_mm)
            first = "planting" if date == zone.planting_date else f"no balance before {date}"
            notes.add(
                f"{first}: started from {source}, Dr {state.dr_mm:.1f} mm "
                f"({fraction:.0%} of TAW; the soil below the roots alike)"
            )
            return state
        if prev.date != date - DAY:
            notes.add(f"continues from the balance of {prev.date}")
        return ZoneState(
            dr_mm=min(prev.dr_end_mm, prev.taw_mm),
            de_mm=m.setup.tew_mm,
            fw=1.0,
            taw_mm=prev.taw_mm,
        )

    def irrigation_mm(
        self, zone: ZoneConfig, start: dt.datetime, end: dt.datetime, *, running: bool = False
    ) -> tuple[float, float]:
        """Gross depth (mm) and volume (m³) of the zone's runs that ended in ``[start, end)``,
        plus (with ``running``) the water so far of runs still running."""
        volume = 0.0
        for run in self.store.runs(zone.name, start - 3 * DAY, end):
            ended = run.ended_at
            finished = run.state in _FINAL_RUN_STATES and ended is not None and start <= ended < end
            if finished or (running and run.state == RunState.RUNNING.value):
                volume += run.applied_m3
        return volume / zone.area_m2_value * 1000.0, volume

    def probe_readings(
        self,
        zone: ZoneConfig,
        start: dt.datetime,
        end: dt.datetime,
        quarantined: AbstractSet[str] | None = None,
    ) -> list[ProbeReading]:
        """Mean good moisture (θ through the probe's calibration,
        :class:`~controller.learning.calibration.ProbeCalibrations`) of each of the zone's
        probes over ``[start, end)``; a quarantined probe
        (:mod:`controller.agronomy.plausibility`; ``quarantined`` if the caller has them) is
        left out."""
        out = []
        if quarantined is None:
            quarantined = self.quarantined_probes()
        for probe in zone.probes:
            if probe.device in quarantined:
                continue
            values = [v for _, v in self.probes.good_values(probe.device, PROBE_POINT, start, end)]
            if values:
                out.append(ProbeReading(probe.depth_m, sum(values) / len(values)))
        return out

    def quarantined_probes(self) -> set[str]:
        """The probes (device names) the balance and the planner do not use now."""
        return set(self.plausibility.quarantined())

    def _quarantined_or_none(self) -> set[str] | None:
        """:meth:`quarantined_probes` once for a whole job; ``None`` (logged) if the store
        cannot say."""
        try:
            return self.quarantined_probes()
        except StoreError:
            log.exception("agronomy: cannot read the quarantined probes")
            return None

    def _with_cover(
        self,
        zone: ZoneConfig,
        crop: CropState,
        step: CropStep,
        full: float,
        at: dt.datetime,
        notes: Notes,
    ) -> CropStep:
        """``step`` with Kcb (and Kc) from the zone's canopy cover by the rule the planner's
        projection also takes (:func:`controller.agronomy.coverkc.cover_step`, FAO-56
        eq. 97; Kcb full ``full``, the zone's crop's Kcb mid) when a photo of the last
        :data:`COVER_MAX_AGE` before ``at`` measured it. Else ``step``."""
        if self.cover is None:
            return step
        found = self.cover(zone.name, at - COVER_MAX_AGE, at)
        if found is None:
            return step
        cover, taken = found
        result = cover_step(step, crop.stage, cover, full)
        if not result.used:
            if result.kept_because:
                notes.add(result.kept_because)
            return step
        notes.add(
            f"Kcb {result.step.kcb:.2f} from canopy cover {min(max(cover, 0.0), 1.0):.2f} "
            f"(photo {taken.astimezone(self.tz):%m-%d %H:%M}, FAO-56 eq. 97; "
            f"calendar {step.kcb:.2f})"
        )
        return result.step

    def _with_cold(self, zone: ZoneConfig, date: dt.date, step: CropStep, notes: Notes) -> CropStep:
        """``step`` with the transpiring share of Kc (Kcb above Kc min) times the day's cold
        stress coefficient (:mod:`models.crops.cold`) for a maize zone with ``cold_kc`` on a
        day the station measured Tmax and Tmin below the crop's degree days for full
        transpiration; else ``step``."""
        if not zone.cold_kc or zone.crop not in PHENOLOGY_CROPS:
            return step
        day = self.crop_clock.temperatures(date)
        if day.tmax_c is None or day.tmin_c is None or day.tmax_c < day.tmin_c:
            return step
        if step.kcb <= step.kcb_min:  # bare soil: no transpiring share to lower
            return step
        gdd = cold_gdd(day.tmax_c, day.tmin_c)
        ks = cold_stress_coefficient(gdd)
        if ks >= 1.0:
            return step
        kc, kcb = cold_kc(step.kc, step.kcb, min(step.kcb_min, step.kcb), ks)
        notes.add(
            f"cool day ({gdd:.1f} °C·d above 8 °C): transpiration × {ks:.2f}, "
            f"Kc {step.kc:.2f} → {kc:.2f} (AquaCrop cold stress)"
        )
        return dataclasses.replace(step, kc=kc, kcb=kcb)

    def balance_day(
        self,
        zone: ZoneConfig,
        date: dt.date,
        et0: ET0Day,
        *,
        until: dt.datetime | None = None,
        rain_memo: dict[tuple[dt.datetime, dt.datetime], tuple[float, int]] | None = None,
        quarantined: AbstractSet[str] | None = None,
    ) -> WaterBalanceDay:
        """Advance ``zone`` over a local day (up to ``until`` for a partial day) and store the
        day as a new revision; returns the stored row. ``rain_memo`` shares the station's rain
        between the zones of one update (the same hours for every zone)."""
        dap = (date - zone.planting_date).days
        if dap < 0:
            raise AgronomyError(f"{zone.name}: {date} is before planting {zone.planting_date}")
        m = self.zone_model(zone, self.subsoil_depletion_fraction(zone, date))
        notes = Notes()
        crop = self.crop_state(zone, date)
        crop_step = CropStep.on_day(m.crop, crop.crop_day)
        if crop.source != "calendar" or crop.note:
            notes.add(crop.sentence())
        start, end = day_bounds(date, self.tz)
        stop = end if until is None else min(until, end)
        crop_step = self._with_cover(zone, crop, crop_step, m.crop.kcb_mid, stop, notes)
        crop_step = self._with_cold(zone, date, crop_step, notes)
        et0_mm = et0.et0_mm
        if until is not None:
            fraction = (stop - start) / (end - start)
            et0_mm *= fraction
            notes.add(f"{_PARTIAL} to {stop.astimezone(self.tz):%H:%M}: ET0 × {fraction:.2f}")
        if quarantined is None:
            quarantined = self.quarantined_probes()
        state = self._state_before(
            zone, m, date, crop_step.root_depth_m, notes, (start, stop, quarantined)
        )
        rain_mm = self._rain(
            start,
            stop,
            et0.weather if until is None else None,
            notes,
            {} if rain_memo is None else rain_memo,
        )
        irr_mm, irr_m3 = self.irrigation_mm(zone, start, stop, running=until is not None)
        if irr_m3:
            notes.add(f"irrigation {irr_m3:.1f} m³ gross")
        w = et0.weather
        step = advance(
            state,
            m.setup,
            crop_step,
            StepInputs(
                et_ref_mm=et0_mm,
                rain_mm=rain_mm,
                irrigation_gross_mm=irr_mm,
                u2_m_s=w.wind_2m_m_s if w and w.wind_2m_m_s is not None else 2.0,
                rhmin_pct=w.rh_min_pct if w and w.rh_min_pct is not None else 45.0,
                et_ref_day_mm=et0.et0_mm,
            ),
        )
        dr_end, correction = step.state.dr_mm, 0.0
        probes = self.probe_readings(zone, start, stop, quarantined)
        left_out = sorted(set(quarantined) & {p.device for p in zone.probes})
        if left_out:
            notes.add(f"quarantined probe {', '.join(left_out)} left out")
        if probes:
            corrected, pc = assimilate(
                step.state, m.soil, crop_step.root_depth_m, probes, self.site.policy.probe_weight
            )
            dr_end, correction = corrected.dr_mm, pc.correction_mm
            seen = ", ".join(f"{p.depth_m:g} m {p.theta_pct:.1f} %" for p in probes)
            notes.add(
                f"probes {seen}: observed Dr {pc.observed_mm:.1f} mm, weight "
                f"{pc.weight:g}, correction {pc.correction_mm:+.1f} mm"
            )
        elif zone.probes and not left_out:
            notes.add("no good probe reading")
        mulch = f", mulch factor {m.crop.mulch_factor:g}" if m.crop.mulch_factor != 1.0 else ""
        row = WaterBalanceDay(
            zone=zone.name,
            date=date,
            et0_mm=et0_mm,
            kc=step.kc,
            etc_mm=step.etc_mm,
            eta_mm=step.eta_mm,
            rain_mm=rain_mm,
            effective_rain_mm=step.rain_effective_mm,
            irrigation_mm=irr_mm,
            runoff_mm=step.runoff_mm,
            deep_percolation_mm=step.dp_mm,
            dr_start_mm=state.dr_mm,
            dr_end_mm=dr_end,
            taw_mm=step.taw_mm,
            raw_mm=step.raw_mm,
            ks=step.ks,
            probe_correction_mm=correction,
            method=f"FAO-56 single Kc (ch. 6){mulch}; ET0 {et0.procedure}",
            notes=str(notes),
        )
        return self.store.add_water_balance(row)

    def _rain(
        self,
        start: dt.datetime,
        stop: dt.datetime,
        weather: DailyWeather | None,
        notes: Notes,
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
            date = self.local_date(self.clock.now()) - DAY
        et0_cache: dict[dt.date, ET0Day] = {}
        out: list[WaterBalanceDay] = []
        quarantined = self._quarantined_or_none()
        if quarantined is None:
            return out
        for zone in self.site.zones:
            for day in self._days_to_close(zone, date):
                try:
                    et0 = self._cached_et0(day, et0_cache)
                    out.append(self.balance_day(zone, day, et0, quarantined=quarantined))
                except DATA_ERRORS as exc:
                    self.warn(
                        "agronomy_balance_failed",
                        zone.name,
                        f"water balance of {day} not computed: {exc}",
                    )
                except StoreError:
                    log.exception("agronomy: cannot store the balance of %s %s", zone.name, day)
                    return out
        return out

    def _days_to_close(self, zone: ZoneConfig, date: dt.date) -> list[dt.date]:
        """``date`` and the days before it with no final balance since the last stored one (a
        partial day left by :meth:`update_today` is not final), at most CATCH_UP_DAYS back."""
        if date < zone.planting_date:
            return []
        last = self.store.last_water_balance(zone.name, date - CATCH_UP_DAYS * DAY, date - DAY)
        if last is None:  # first balance of the zone (or a long outage): start afresh on ``date``
            return [date]
        start = last.date if last.notes.startswith(_PARTIAL) else last.date + DAY
        return [start + i * DAY for i in range((date - start).days + 1)]

    def _cached_et0(self, date: dt.date, cache: dict[dt.date, ET0Day]) -> ET0Day:
        if date not in cache:
            cache[date] = self.et0_day(date)
            if cache[date].estimated:
                self.warn(
                    "agronomy_weather_missing",
                    self.station or "site",
                    f"ET0 of {date} {cache[date].procedure}",
                )
        return cache[date]

    def update_today(self, now: dt.datetime | None = None) -> list[WaterBalanceDay]:
        """Today's partial balance up to ``now`` (a new revision per zone). Never raises for
        bad data."""
        now = self.clock.now() if now is None else now
        today = self.local_date(now)
        planted = [z for z in self.site.zones if today >= z.planting_date]
        if not planted:
            return []  # no crop yet: nothing to balance, nothing missing
        try:
            recent, source = self.recent_et0(today)
        except WeatherUnavailable as exc:
            if not self.balanced_before(planted, today):
                # the season's (or the box's) first day: no day has been closed yet, so the
                # ET0 of the days before cannot exist; the first close of day starts the balance
                log.info("today's balance starts after the first closed day: %s", exc)
                return []
            self.warn(
                "agronomy_weather_missing",
                self.station or "site",
                f"today's balance not updated: {exc}",
            )
            return []
        et0 = ET0Day(today, sum(recent) / len(recent), f"mean of {source}", estimated=True)
        out: list[WaterBalanceDay] = []
        rain_memo: dict[tuple[dt.datetime, dt.datetime], tuple[float, int]] = {}
        quarantined = self._quarantined_or_none()
        if quarantined is None:
            return out
        for zone in planted:
            try:
                out.append(
                    self.balance_day(
                        zone, today, et0, until=now, rain_memo=rain_memo, quarantined=quarantined
                    )
                )
            except DATA_ERRORS as exc:
                self.warn(
                    "agronomy_balance_failed", zone.name, f"today's balance not updated: {exc}"
                )
            except StoreError:
                log.exception("agronomy: cannot store today's balance of %s", zone.name)
                break
        return out

    def balanced_before(self, zones: Sequence[ZoneConfig], today: dt.date) -> bool:
        """Whether any of ``zones`` has a stored balance in the :data:`CATCH_UP_DAYS` before
        ``today`` (else today is the first day anything could be balanced)."""
        since = today - CATCH_UP_DAYS * DAY
        return any(self.store.last_water_balance(z.name, since, today - DAY) for z in zones)

    # -- planning and events -------------------------------------------------------------

    def plan_all(
        self, now: dt.datetime | None = None, forecast: Sequence[ForecastDay] | None = None
    ) -> list[PlannedRun]:
        """Decide every zone and return the runs starting within 24 h (:class:`Planning`)."""
        return self.planning.plan_all(now, forecast)

    def warn(self, code: str, source: str, message: str) -> None:
        """Log and record a WARNING event; a store failure is logged, never raised."""
        log.warning("%s %s: %s", code, source, message)
        try:
            self.store.raise_event(Severity.WARNING, code, source, message)
        except StoreError:
            log.exception("agronomy: cannot record event %s", code)


def _procedure(result: Any, w: DailyWeather, krs: float) -> str:
    """The ET0 procedure in words, from the result's flags (models.et0.codes); ``krs`` the
    site's eq. 50 coefficient, named when eq. 50 gave Rs."""
    src = int(result.et0_source[0, 0])
    if src == codes.ET0_HARGREAVES:
        text = "Hargreaves (FAO-56 eq. 52): only temperatures measured"
    else:
        rs = {
            codes.RS_MEASURED: "Rs measured",
            codes.RS_ANGSTROM: "Rs from sunshine hours (eq. 35)",
            codes.RS_HARGREAVES: f"Rs from temperature range (eq. 50, krs {krs:g})",
        }.get(int(result.rs_source[0, 0]), "Rs unknown")
        ea = codes.EA_NAMES.get(int(result.ea_source[0, 0]), "")
        wind = (
            "wind measured at 2 m"
            if int(result.wind_source[0, 0]) == codes.WIND_MEASURED
            else "wind default 2 m/s"
        )
        text = f"FAO-56 Penman-Monteith (eq. 6); {rs}; ea {ea}; {wind}"
    if w.missing:
        text += f"; missing: {w.describe_missing()}"
    return text
