"""Planning: which zone to water when, and why — the ``plan_all`` job of the agronomy.

:class:`Planning` is held by :class:`controller.agronomy.jobs.Agronomy`, which gives it, as a
:class:`Balance`, the site, recent ET0, probes and zone models; the depletion it reads from the
store. Here they become one recorded decision per zone and the runs of the next 24 h, per zone
mode:

* ``et``: hourly slots over the horizon from the next whole hour, the site's windows, the
  time-of-use tariff, the forecast if one is given, else the recent measured ET0, into the
  numba planner (:mod:`models.planner`); triggers and the refill target per the zone's
  ``targets`` (:mod:`controller.agronomy.targets`: the crop's stages, or FAO-56 p), the
  zone's ``mad_fraction`` overriding the trigger. Without a forecast, wind and frost limits
  use the last hour's measurement for the next :data:`NOW_CONDITIONS_H` hours only.
* ``sensor``: start when the mean probe moisture of the last hour falls below the moisture
  at RAW, θ_RAW = θfc − RAW / (1000 Zr); refill to :data:`REFILL_TARGET_FRACTION` · TAW, but
  never more than ``plausibility.sensor_cap_factor`` × the water balance's need (its Dr down to
  that target): a probe reading too dry cannot water beyond it, and with no need in the
  balance the probes alone do not water. Quarantined probes are not used; a zone with every
  probe quarantined is planned by the water balance as an ``et`` zone.
* ``calendar``: :mod:`controller.agronomy.baseline` at the first window of the event's date, in
  back-to-back runs of at most ``max_run_min``; no rain skip (it is the conventional baseline).
* ``manual``: nothing.

No infiltration rate is known for the soils: the planner does no cycle-and-soak. The runs
returned are those starting within the next 24 h; the next planning replans.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from controller.agronomy.baseline import CalendarEvent, season_events_on
from controller.agronomy.coverkc import projected_kc
from controller.agronomy.cropstate import CropState
from controller.agronomy.decision_codes import DecisionCode, coded
from controller.agronomy.drydown import (
    DryDownState,
    DryDownStates,
    hold_triggers,
    refilled,
)
from controller.agronomy.expansion import EXPANSION_TRIGGER, expanding_canopy, expansion_note
from controller.agronomy.quota import (
    MIN_QUOTA_RUN_MIN,
    ZoneQuota,
    quota_m3_per_mu,
    used_m3,
    zone_periods,
    zone_quota,
)
from controller.agronomy.quota_plan import quota_alarms, quota_mad, raise_once, trim_to_quota
from controller.agronomy.targets import zone_targets
from controller.agronomy.types import (
    CATCH_UP_DAYS,
    DATA_ERRORS,
    DAY,
    NOW_CONDITIONS_H,
    RECENT_DAYS,
    REFILL_TARGET_FRACTION,
    SLOT_MIN,
    ForecastDay,
    Notes,
    PlannedRun,
    WeatherUnavailable,
    ZoneModel,
    in_windows,
    parse_window,
)
from controller.agronomy.weather import (
    AIR_TEMPERATURE,
    WIND_SPEED,
    day_bounds,
    hourly_stats,
    rain_between,
)
from controller.clock import Clock
from controller.config.site import M2_PER_MU, SiteConfig, ZoneConfig
from controller.learning.forecast import ForecastChoice
from controller.store import DecisionAction, RunSource, Severity, Store, StoreError
from models.crops import Crop
from models.learning.forecast import HORIZONS_D, FutureDay
from models.planner import (
    Forecast,
    PlanInputs,
    ReasonCode,
    System,
    ZoneDecision,
    ZonePlanInput,
    plan,
)
from models.planner.quota import quota_year
from models.waterbalance import CropStep, ProbeReading, observed_depletion_mm

__all__ = ["Balance", "DepletionForecaster", "Planning"]

log = logging.getLogger(__name__)

KC_MAX = 2.0  # the planner's bound on Kc (models/planner/arrays.py)
MIN_SENSOR_RUN_MIN = 1.0  # a sensor-mode run capped below this is not worth opening a valve

_SYSTEMS: dict[str, System] = {
    "drip": "drip",
    "micro_sprinkler": "micro",
    "sprinkler": "sprinkler",
    "border": "surface",
}


class Balance(Protocol):
    """What planning reads from the balance side (:class:`controller.agronomy.jobs.Agronomy`)."""

    @property
    def site(self) -> SiteConfig:
        """The site as it is now (settings changed from the pages replace it)."""
        ...

    @property
    def station(self) -> str | None:
        """The weather station's device name, if the site has one."""
        ...

    def local_date(self, when: dt.datetime) -> dt.date:
        """The site's local date at ``when``."""
        ...

    def recent_et0(self, date: dt.date, days: int = RECENT_DAYS) -> tuple[list[float], str]:
        """ET0 (mm/day) of the ``days`` days before ``date``, and where it came from."""
        ...

    def probe_readings(
        self, zone: ZoneConfig, start: dt.datetime, end: dt.datetime
    ) -> list[ProbeReading]:
        """The zone's good probe readings in [start, end)."""
        ...

    def zone_model(self, zone: ZoneConfig) -> ZoneModel:
        """The zone's crop and soil."""
        ...

    def balanced_before(self, zones: Sequence[ZoneConfig], today: dt.date) -> bool:
        """Whether any of ``zones`` has a stored balance in the days before ``today``."""
        ...

    def warn(self, code: str, source: str, message: str) -> None:
        """Record a WARNING event (and log it); never raises for the store."""
        ...

    def quarantined_probes(self) -> set[str]:
        """Probes (device names) not to be used now (:mod:`controller.agronomy.plausibility`)."""
        ...

    def subsoil_depletion_fraction(self, zone: ZoneConfig, date: dt.date) -> float:
        """Depletion fraction of the soil the roots grow into (0: field capacity)."""
        ...

    def crop_state(self, zone: ZoneConfig, date: dt.date) -> CropState:
        """The zone's crop at the start of a local day: the crop-calendar day its Kc and root
        depth come from, and their source (calendar, degree days, observation)."""
        ...

    def canopy_cover(self, zone: ZoneConfig, at: dt.datetime) -> float | None:
        """The zone's canopy cover (0..1) by its camera, the latest recent enough to set its
        Kcb at ``at``; None without one."""
        ...


class DepletionForecaster(Protocol):
    """The learned moisture forecast (:class:`controller.learning.forecast.ForecastLearning`)
    as planning asks it: the zone's depletion 24-72 h ahead, physics and learned, and which one
    to use. Its answer never raises; physics is the answer whenever the learned one is not
    to be trusted."""

    @property
    def enabled(self) -> bool:
        """Whether ``[learning.forecast] enabled``: without it planning is not touched."""
        ...

    def forecast(
        self,
        zone: ZoneConfig,
        today: dt.date,
        dr_mm: float,
        taw_mm: float,
        raw_mm: float,
        ahead: Sequence[FutureDay],
    ) -> ForecastChoice:
        """Depletions at +24/+48/+72 h from ``dr_mm`` over ``ahead`` (no irrigation)."""
        ...


class Planning:
    """Plans every zone from what :class:`Balance` says (module docstring); held by
    :class:`controller.agronomy.jobs.Agronomy`."""

    def __init__(
        self,
        balance: Balance,
        store: Store,
        clock: Clock,
        *,
        calendar: tuple[CalendarEvent, ...],
        horizon_days: int,
    ) -> None:
        """``calendar``: the baseline practice's events (``calendar`` mode); ``horizon_days``:
        days the ET planner looks ahead. The site's time zone and windows are taken now."""
        self.balance = balance
        self.store = store
        self.clock = clock
        self.calendar = calendar
        self.horizon_days = horizon_days
        self.tz: ZoneInfo = balance.site.site.tz
        self._windows = [parse_window(w) for w in balance.site.policy.windows]
        # the learned moisture forecast, set by the daemon; None or disabled: FAO-56 alone
        self.forecaster: DepletionForecaster | None = None
        # the zones' calibration dry-downs; the daemon keeps them in its data directory
        self.drydowns = DryDownStates(None)

    @property
    def site(self) -> SiteConfig:
        return self.balance.site

    @property
    def station(self) -> str | None:
        return self.balance.station

    def local_date(self, when: dt.datetime) -> dt.date:
        return self.balance.local_date(when)

    def plan_all(
        self, now: dt.datetime | None = None, forecast: Sequence[ForecastDay] | None = None
    ) -> list[PlannedRun]:
        """Decide every zone (one recorded decision each) and return the runs that start within
        the next 24 h, for the sequencer's queue. Never raises for bad data."""
        now = self.clock.now() if now is None else now
        try:
            ctx = self._plan_context(now)
        except DATA_ERRORS as exc:
            self.balance.warn("agronomy_plan_failed", "site", f"no plan: {exc}")
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
        fallback = self._by_balance()
        harvested = {z.name for z in self.site.zones if self._harvested(z, ctx)}
        for zone in self.site.zones:
            if zone.mode == "et" or zone.name in fallback or zone.name in harvested:
                continue
            try:
                runs += planners[zone.mode](zone, ctx)
            except DATA_ERRORS as exc:
                self.balance.warn("agronomy_plan_failed", zone.name, f"no plan: {exc}")
            except StoreError:
                log.exception("agronomy: cannot record the decision of %s", zone.name)
        et_zones = [
            z
            for z in self.site.zones
            if (z.mode == "et" or z.name in fallback) and z.name not in harvested
        ]
        if et_zones:
            try:
                runs += self._plan_et(et_zones, ctx, forecast, fallback, reserved=tuple(runs))
            except WeatherUnavailable as exc:
                if self.balance.balanced_before(et_zones, ctx.today):
                    self.balance.warn("agronomy_plan_failed", "site", f"no ET plan: {exc}")
                else:  # the season's first day: the first plan follows the first closed day
                    log.info("no ET plan before the first closed day: %s", exc)
            except DATA_ERRORS as exc:
                self.balance.warn("agronomy_plan_failed", "site", f"no ET plan: {exc}")
            except StoreError:
                log.exception("agronomy: cannot record ET decisions")
        return sorted(runs, key=lambda r: (r.start, r.zone))

    def _harvested(self, zone: ZoneConfig, ctx: _PlanContext) -> bool:
        """An ``et`` or ``sensor`` zone past its crop's season (planting + the crop's stage
        days, FAO-56 Table 11; a crop observed or followed by degree days: its crop day past
        them): harvested, so not watered, and the skip is recorded. Calendar zones keep their
        own season's events; manual zones are never planned."""
        if zone.mode not in ("et", "sensor"):
            return False
        try:
            season_days = self.balance.zone_model(zone).crop.season_days
            crop = self.balance.crop_state(zone, ctx.today)
        except (*DATA_ERRORS, StoreError):
            return False  # the zone's planner reports what is wrong with its model
        harvest = zone.planting_date + dt.timedelta(days=season_days)
        if crop.source != "calendar":  # observed or degree days: the crop's own season
            if crop.crop_day < season_days:
                return False
            said = (
                f"{zone.name}: harvested: the crop reached the end of its season (crop day "
                f"{crop.crop_day:.0f} of {season_days}; {crop.sentence()}); no water until "
                "the next planting date is set"
            )
            numbers: dict[str, Any] = {
                "season_days": season_days,
                **crop.numbers(),
                **coded(
                    DecisionCode.HARVESTED_CROP_DAY,
                    crop_day=f"{crop.crop_day:.0f}",
                    season_days=season_days,
                ),
            }
        elif ctx.today < harvest:
            return False
        else:
            last_day = harvest - dt.timedelta(days=1)
            said = (
                f"{zone.name}: harvested: the crop's season ended on {last_day} ({season_days} "
                f"days from planting on {zone.planting_date}); no water until the next planting "
                "date is set"
            )
            numbers = {
                "harvest_date": harvest.isoformat(),
                "season_days": season_days,
                **coded(
                    DecisionCode.HARVESTED,
                    last_day=last_day,
                    season_days=season_days,
                    planting_date=zone.planting_date,
                ),
            }
        try:
            self._record_skip(zone, said, numbers)
        except StoreError:
            log.exception("agronomy: cannot record the decision of %s", zone.name)
        return True

    def _by_balance(self) -> dict[str, str]:
        """Sensor-mode zones every probe of which is quarantined, with the note saying so:
        they are planned by the water balance, as ``et`` zones, until a probe is trusted."""
        quarantined = self.balance.quarantined_probes()
        return {
            z.name: (
                f"sensor mode: probe {', '.join(p.device for p in z.probes)} quarantined, "
                "planned by the water balance"
            )
            for z in self.site.zones
            if z.mode == "sensor" and z.probes and all(p.device in quarantined for p in z.probes)
        }

    def _plan_context(self, now: dt.datetime) -> _PlanContext:
        local = now.astimezone(self.tz)
        start_local = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        start = start_local.astimezone(dt.UTC)
        n = self.horizon_days * 24
        slots = [start + dt.timedelta(hours=k) for k in range(n)]
        local_minutes = [
            (t.astimezone(self.tz).hour * 60 + t.astimezone(self.tz).minute) for t in slots
        ]
        window = tuple(in_windows(mn, self._windows) for mn in local_minutes)
        notes = Notes()
        rain_24h = 0.0
        station = self.station
        if station is not None:
            rain_24h, hours = rain_between(self.store, station, now - DAY, now)
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
            hours = hourly_stats(
                self.store, station, point, ctx.now - dt.timedelta(hours=1), ctx.now
            )
            found.append(hours[-1].mean if hours else None)
        return found[0], found[1]

    def _reserved_flow(
        self, ctx: _PlanContext, runs: Sequence[PlannedRun]
    ) -> tuple[float, ...] | None:
        """Per slot of the horizon, the nominal flow (m³/h) ``runs`` take from the pump while
        they overlap the slot; None when there are none."""
        if not runs:
            return None
        flow = {z.name: z.nominal_flow_m3_h for z in self.site.zones}
        width = dt.timedelta(minutes=SLOT_MIN)
        reserved = [0.0] * len(ctx.slots)
        for run in runs:
            end = run.start + dt.timedelta(minutes=run.duration_min)
            for k, slot in enumerate(ctx.slots):
                if slot < end and run.start < slot + width:
                    reserved[k] += flow[run.zone]
        return tuple(reserved)

    def _horizon_dates(self, ctx: _PlanContext) -> list[dt.date]:
        """The local date of the middle of each horizon day (day d = slots [24 d, 24 d + 24))."""
        return [
            self.local_date(ctx.start + dt.timedelta(hours=24 * d + 12))
            for d in range(self.horizon_days)
        ]

    def _et0_series(
        self, ctx: _PlanContext, forecast: Sequence[ForecastDay] | None, notes: Notes
    ) -> tuple[Forecast | None, tuple[float, ...], dict[str, Any]]:
        recent: tuple[float, ...] = ()
        recent_source = ""
        try:
            values, recent_source = self.balance.recent_et0(ctx.today)
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
        fill = (
            sum(recent) / len(recent)
            if recent
            else (sum(f.et0_mm for f in forecast) / len(forecast))
        )
        et0, rain, gaps = [], [], 0
        for date in self._horizon_dates(ctx):
            day = by_date.get(date)
            et0.append(day.et0_mm if day else fill)
            rain.append(day.rain_mm if day else 0.0)
            gaps += day is None
        if gaps:
            notes.add(
                f"forecast misses {gaps} of {self.horizon_days} days: ET0 {fill:.1f} mm/d, "
                "no rain assumed on those"
            )
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

    def _learned_kc(
        self,
        zone: ZoneConfig,
        ctx: _PlanContext,
        dr_mm: float,
        taw_mm: float,
        raw_mm: float,
        kc: tuple[float, ...],
        et0_days: Sequence[float],
        fc: Forecast | None,
        notes: Notes,
    ) -> tuple[float, tuple[float, ...], dict[str, Any]]:
        """Depletion now and Kc per day with the learned forecast folded in, and its numbers.

        The planner projects Dr_d+1 = Dr_d + Kc_d · ET0_d (− rain). Where the learned forecast
        is used, its gaps to physics c_h = learned_h − physics_h (c_0 = 0) move the projection:
        each of the first days' Kc by (c_d+1 − c_d) / ET0_d within the planner's 0..2, and what
        day 0's Kc cannot carry moves the depletion now (within 0..TAW), so the no-irrigation
        path passes through the learned depletion at +24 h (and at +48/+72 h as far as Kc ≤ 2
        allows); later days keep their Kc. Physics used: both unchanged."""
        assert self.forecaster is not None
        n = len(HORIZONS_D)
        ahead = [
            FutureDay(
                et0_days[min(d, len(et0_days) - 1)],
                fc.rain_mm_day[min(d, len(fc.rain_mm_day) - 1)] if fc else 0.0,
                0.0,
                kc[min(d, len(kc) - 1)],
            )
            for d in range(n)
        ]
        choice = self.forecaster.forecast(zone, ctx.today, dr_mm, taw_mm, raw_mm, ahead)
        numbers = choice.numbers()
        if choice.used != "learned":
            return dr_mm, kc, numbers
        gap = [0.0] + [c - p for c, p in zip(choice.chosen_mm, choice.physics_mm, strict=True)]
        moved = list(kc)
        dr = dr_mm
        for d in range(min(n, len(moved))):
            want_mm = gap[d + 1] - gap[d]
            if et0_days[d] > 0.0:
                moved[d] = min(max(kc[d] + want_mm / et0_days[d], 0.0), KC_MAX)
            if d == 0:  # what Kc could not carry on the first day: the state now
                carried = (moved[0] - kc[0]) * et0_days[0]
                dr = min(max(dr_mm + want_mm - carried, 0.0), taw_mm)
        numbers |= {"kc_moved": [round(v, 3) for v in moved[:n]], "dr_balance_mm": dr_mm}
        notes.add(
            f"learned moisture forecast: Dr in 24 h {choice.chosen_mm[0]:.1f} mm "
            f"(FAO-56 {choice.physics_mm[0]:.1f} mm)"
        )
        return dr, tuple(moved), numbers

    def _watered(self, zone: ZoneConfig) -> bool:
        """Whether a run has watered ``zone`` since its planting date."""
        t0 = dt.datetime.combine(zone.planting_date, dt.time(), tzinfo=self.tz)
        return any(r.applied_m3 > 0 for r in self.store.runs(zone.name, t0))

    def _distrust(self, zone: ZoneConfig, today: dt.date) -> str | None:
        """Why a calibration dry-down may not hold the zone today (None: it may): every probe
        quarantined (or none), or the balance not closed yesterday on measured ET0."""
        if not zone.probes:
            return "the zone has no probe to see the dry-down"
        quarantined = self.balance.quarantined_probes()
        if all(p.device in quarantined for p in zone.probes):
            return f"probe {', '.join(p.device for p in zone.probes)} quarantined"
        yesterday = today - DAY
        last = self.store.last_water_balance(zone.name, yesterday, yesterday)
        if last is None:
            return f"the balance of {yesterday} is missing"
        if "estimated" in last.method:
            return f"the balance of {yesterday} was closed on estimated ET0 (weather missing)"
        return None

    def _dr_now(self, zone: ZoneConfig, today: dt.date, taw_mm: float, notes: Notes) -> float:
        last = self.store.last_water_balance(zone.name, today - CATCH_UP_DAYS * DAY, today)
        if last is None:
            notes.add("no water balance yet: depletion taken as 0 (field capacity)")
            return 0.0
        grown = max(taw_mm - last.taw_mm, 0.0)  # roots grew since: that soil's depletion
        dr = last.dr_end_mm + self.balance.subsoil_depletion_fraction(zone, today) * grown
        return min(max(dr, 0.0), taw_mm)

    def _zone_quota(
        self,
        zone: ZoneConfig,
        crop: Crop,
        dap: int,
        taw_mm: float,
        dr_mm: float,
        et0_days: Sequence[float],
        ctx: _PlanContext,
        refill_fraction: float,
    ) -> ZoneQuota | None:
        """The zone's quota year and pace, with any deficit placed (None: no quota)."""
        if quota_m3_per_mu(self.site, zone) is None:
            return None
        start, end = quota_year(ctx.today, self.site.site.quota_year_start)
        periods = zone_periods(
            zone,
            crop,
            dap,
            et0_days,
            today=ctx.today,
            rain_normals_mm=self.site.site.rain_normals_mm,
        )
        last_mad = periods[-1].mad if periods else 0.0
        return zone_quota(
            self.site,
            zone,
            today=ctx.today,
            used=used_m3(self.store, zone.name, start, end, self.tz),
            periods=periods,
            refill=refill_fraction,
            soil_mm=max(last_mad * taw_mm - dr_mm, 0.0),
        )

    def _quota_left(
        self, zone: ZoneConfig, ctx: _PlanContext
    ) -> tuple[float, str, dict[str, str]] | None:
        """For a ``sensor`` or ``calendar`` zone with a quota: the m³ left of it this quota
        year, the words and their values (for the decision's codes); None without a quota.
        Raises ``quota_exhausted`` when used up."""
        per_mu = quota_m3_per_mu(self.site, zone)
        if per_mu is None:
            return None
        start, end = quota_year(ctx.today, self.site.site.quota_year_start)
        used = used_m3(self.store, zone.name, start, end, self.tz)
        area_mu = zone.area_m2_value / M2_PER_MU
        left = max(per_mu * area_mu - used, 0.0)
        values = {
            "quota_m3_per_mu": f"{per_mu:g}",
            "used_m3_per_mu": f"{used / area_mu:.0f}",
            "left_m3_per_mu": f"{left / area_mu:.0f}",
        }
        text = (
            f"quota {values['quota_m3_per_mu']} m³/mu, used {values['used_m3_per_mu']}, "
            f"left {values['left_m3_per_mu']}"
        )
        if left < 0.1 * area_mu:
            raise_once(
                self.store,
                Severity.ALARM,
                "quota_exhausted",
                zone.name,
                f"{zone.name}: {text}: no more runs until {end}",
                since=dt.datetime.combine(start, dt.time(), tzinfo=self.tz),
            )
        return left, text, values

    def _plan_et(
        self,
        zones: list[ZoneConfig],
        ctx: _PlanContext,
        forecast: Sequence[ForecastDay] | None,
        fallback: dict[str, str] | None = None,
        reserved: Sequence[PlannedRun] = (),
    ) -> list[PlannedRun]:
        """``fallback``: sensor-mode zones planned here by the balance, with their note;
        ``reserved``: runs already planned for other zones (calendar, sensor, manual), whose
        flow the pump gives them first."""
        notes = Notes(list(ctx.notes.items))
        fc, recent, et0_info = self._et0_series(ctx, forecast, notes)
        et0_days = fc.et0_mm_day if fc else (sum(recent) / len(recent),) * self.horizon_days
        inputs: list[ZonePlanInput] = []
        details: dict[str, dict[str, Any]] = {}
        quotas: dict[str, ZoneQuota] = {}
        holding: dict[str, DryDownState] = {}  # zones whose refill a calibration holds
        for zone in zones:
            dap = (ctx.today - zone.planting_date).days
            if dap < 0:
                self._record_skip(
                    zone,
                    f"{zone.name}: not planted until {zone.planting_date}",
                    {
                        "planting_date": zone.planting_date.isoformat(),
                        **coded(DecisionCode.NOT_PLANTED, planting_date=zone.planting_date),
                    },
                )
                continue
            m = self.balance.zone_model(zone)
            crop = self.balance.crop_state(zone, ctx.today)
            # the crop's own day on its FAO-56 calendar (the days after planting unless
            # observations or degree days move it); the horizon goes one crop day a day
            crop_day = round(crop.crop_day)
            step = CropStep.on_day(m.crop, crop.crop_day)
            taw = m.soil.taw_mm(step.root_depth_m)
            zone_notes = Notes(list(notes.items))
            if fallback and zone.name in fallback:
                zone_notes.add(fallback[zone.name])
            if crop.source != "calendar" or crop.note:
                zone_notes.add(crop.sentence())
            dr = self._dr_now(zone, ctx.today, taw, zone_notes)
            cover = self.balance.canopy_cover(zone, ctx.now)
            kc = projected_kc(m.crop, crop.crop_day, self.horizon_days, cover)
            if cover is not None:
                zone_notes.add(f"Kc ahead from canopy cover {cover:.2f} held (FAO-56 eq. 97)")
            learned: dict[str, Any] | None = None
            if self.forecaster is not None and self.forecaster.enabled:
                raw_p = m.soil.raw_mm(step.root_depth_m, m.crop.p)
                try:
                    dr, kc, learned = self._learned_kc(
                        zone, ctx, dr, taw, raw_p, kc, et0_days, fc, zone_notes
                    )
                except Exception as exc:  # the learned forecast never stops a plan
                    log.exception("agronomy: learned forecast of %s failed", zone.name)
                    learned = {"used": "physics", "reason": f"learned forecast failed: {exc}"}
            targets_of = functools.partial(
                zone_targets,
                zone,
                m.crop,
                crop_day,
                taw,
                et0_days,
                today=ctx.today,
                forecast_rain_mm_day=fc.rain_mm_day if fc else None,
                rain_normals_mm=self.site.site.rain_normals_mm,
            )
            expanding = expanding_canopy(crop, cover)
            targets = unheld = targets_of()
            if expanding is not None:  # the canopy grows: triggers held, refill below them
                targets = targets_of(hold_at=EXPANSION_TRIGGER)
            mad = targets.mad_fraction
            if targets.note:
                zone_notes.add(targets.note)
            if expanding is not None:
                held = expansion_note(expanding, unheld.mad_fraction, mad)
                if held:
                    zone_notes.add(held)
            quota = self._zone_quota(
                zone, m.crop, crop_day, taw, dr, et0_days, ctx, targets.refill_fraction
            )
            if quota is not None:
                mad = quota_mad(mad, zone, m.crop, crop_day, quota)
                zone_notes.add(quota.note(zone.name))
                quotas[zone.name] = quota
            hold, drydown = hold_triggers(
                zone,
                self.drydowns.get(zone.name),
                m.crop,
                crop_day,
                mad,
                dr_mm=dr,
                taw_mm=taw,
                root_depth_m=step.root_depth_m,
                today=ctx.today,
                distrust=(self._distrust(zone, ctx.today) if zone.calibration_dry_down else None),
                et0_mm_day=sum(et0_days) / max(len(et0_days), 1),
                refill_fraction=targets.refill_fraction,
                watered=zone.calibration_dry_down is not None and self._watered(zone),
            )
            mad = hold.mad_fraction
            if hold.note:
                zone_notes.add(hold.note)
            if drydown is not None and drydown != self.drydowns.get(zone.name):
                self.drydowns.put(drydown)
            if drydown is not None and drydown.phase == "holding":
                holding[zone.name] = drydown
            inputs.append(
                ZonePlanInput(
                    zone_id=zone.name,
                    dr_mm=dr,
                    taw_mm=taw,
                    mad_fraction=mad,
                    kc=kc,
                    area_m2=zone.area_m2_value,
                    flow_m3_h=zone.nominal_flow_m3_h,
                    efficiency=zone.efficiency,
                    refill_target_fraction=targets.refill_fraction,
                    max_run_min=int(zone.max_run_min),
                    system=_SYSTEMS[zone.irrigation],
                )
            )
            details[zone.name] = {
                "notes": str(zone_notes),
                "dap": dap,
                **crop.numbers(),
                "root_depth_m": step.root_depth_m,
                "raw_mm_day0": mad[0] * taw,
                "p_table": m.crop.p,
                "mad_source": "zone setting"
                if zone.mad_fraction is not None
                else ("crop stages" if targets.numbers["targets"] == "staged" else "crop p"),
                "refill_target_fraction": targets.refill_fraction,
                **targets.numbers,
                **hold.numbers,
            }
            if quota is not None:
                details[zone.name]["quota"] = quota.numbers()
            if learned is not None:
                details[zone.name]["moisture_forecast"] = learned
        if not inputs:
            return []
        temp, wind = self._limits(ctx, forecast)
        policy = self.site.policy
        result = plan(
            PlanInputs(
                zones=tuple(inputs),
                pump_capacity_m3_h=self.site.head.pump_capacity_m3_h,
                window=ctx.window,
                tariff_per_kwh=tuple(
                    policy.price_at(t.astimezone(self.tz).hour * 60 + t.astimezone(self.tz).minute)
                    for t in ctx.slots
                ),
                horizon_days=self.horizon_days,
                slot_min=SLOT_MIN,
                start_minute_of_day=ctx.start.astimezone(self.tz).hour * 60,
                forecast=fc,
                recent_et0_mm_day=recent,
                rain_last_24h_mm=ctx.rain_24h_mm,
                rain_skip_mm=policy.rain_skip_mm,
                wind_m_s=wind,
                wind_limit_m_s=policy.wind_limit_m_s,
                temperature_c=temp,
                frost_limit_c=policy.frost_limit_c,
                reserved_flow_m3_h=self._reserved_flow(ctx, reserved),
            )
        )
        runs = []
        for zin, decision in zip(inputs, result.decisions, strict=True):
            zone = next(z for z in zones if z.name == zin.zone_id)
            events = [
                (e.start_min, float(e.duration_min), e.gross_depth_mm)
                for e in result.events_of(zone.name)
                if e.start_min < 24 * 60
            ]
            extra = details[zone.name]
            sentence = decision.sentence + (f"; {extra['notes']}" if extra["notes"] else "")
            quota, cut = quotas.get(zone.name), ""
            if quota is not None:
                events, cut = trim_to_quota(events, zone, quota.pace.remaining_m3)
                if cut and not events:  # the quota, not the soil, says no: say it first
                    sentence = f"{quota.note(zone.name)}; {cut}; without the quota: {sentence}"
                elif cut:
                    sentence += f"; {cut}"
                quota_alarms(self.store, zone.name, quota, ctx.now, self.tz)
            if events and zone.name in holding:  # the held refill is due: the dry-down ends
                start = ctx.start + dt.timedelta(minutes=events[0][0])
                done, said = refilled(
                    holding[zone.name], ctx.today, f"{start.astimezone(self.tz):%Y-%m-%d %H:%M}"
                )
                self.drydowns.put(done)
                sentence += f"; {said}"
                extra["calibration_dry_down"] = done.numbers()
            record = {
                **_decision_numbers(decision),
                **et0_info,
                **extra,
                "et0_mm_day": list(result.et0_mm_day),
                "kc": list(zin.kc_per_day(self.horizon_days)),
                "area_m2": zin.area_m2,
                "efficiency": zin.efficiency,
                "max_run_min": zin.max_run_min,
                "windows": list(policy.windows),
                "tariff": [t.model_dump() for t in policy.tariff] or "flat",
                "rain_skip_mm": policy.rain_skip_mm,
                "wind_limit_m_s": policy.wind_limit_m_s,
                "frost_limit_c": policy.frost_limit_c,
                "forecast": fc is not None,
            }
            if fallback and zone.name in fallback:  # say it after the planner's reasons
                record["reasons"] = [*record["reasons"], DecisionCode.SENSOR_BY_BALANCE.value]
                record["reason_values"] = {"probes": ", ".join(p.device for p in zone.probes)}
            stopped_by_quota = quota is not None and (quota.exhausted or bool(cut))
            if events:
                action = DecisionAction.IRRIGATE
            elif stopped_by_quota or decision.reason in (
                ReasonCode.RAIN_SKIP,
                ReasonCode.PROBES_WET,
                ReasonCode.NOT_TRIGGERED,
            ):
                action = DecisionAction.SKIP
            else:
                action = DecisionAction.DEFER
                later = result.events_of(zone.name)
                if later:  # the run it waits for: the page says when, in the site's time
                    waited = min(later, key=lambda e: e.start_min)
                    at = ctx.start + dt.timedelta(minutes=waited.start_min)
                    record["deferred_to"] = at.isoformat()
                    record["deferred_min"] = float(waited.duration_min)
                    record["deferred_depth_mm"] = waited.gross_depth_mm
            first = events[0] if events else None
            stored = self.store.record_decision(
                zone.name,
                zone.mode,
                action,
                sentence,
                record,
                planned_start=ctx.start + dt.timedelta(minutes=first[0]) if first else None,
                duration_min=first[1] if first else 0.0,
                depth_mm=first[2] if first else 0.0,
            )
            assert stored.id is not None  # committed rows have ids
            runs += [
                PlannedRun(
                    zone.name,
                    ctx.start + dt.timedelta(minutes=start_min),
                    minutes,
                    depth_mm,
                    stored.id,
                    RunSource.PLAN,
                )
                for start_min, minutes, depth_mm in events
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
        m = self.balance.zone_model(zone)
        step = CropStep.on_day(m.crop, self.balance.crop_state(zone, ctx.today).crop_day)
        zr = step.root_depth_m
        taw = m.soil.taw_mm(zr)
        p = zone.mad_fraction if zone.mad_fraction is not None else m.crop.p
        raw = m.soil.raw_mm(zr, p)
        fc_pct = m.soil.field_capacity_mm(0.0, zr) / (10.0 * zr)
        low_pct = (m.soil.field_capacity_mm(0.0, zr) - raw) / (10.0 * zr)  # θ at Dr = RAW
        probes = self.balance.probe_readings(zone, ctx.now - dt.timedelta(hours=1), ctx.now)
        numbers: dict[str, Any] = {
            "taw_mm": taw,
            "raw_mm": raw,
            "p": p,
            "root_depth_m": zr,
            "theta_fc_pct": fc_pct,
            "theta_raw_pct": low_pct,
            "rain_last_24h_mm": ctx.rain_24h_mm,
            "rain_skip_mm": self.site.policy.rain_skip_mm,
        }
        if not probes:
            self.balance.warn("agronomy_no_probe", zone.name, "sensor mode: no good probe reading")
            self._record_skip(
                zone,
                f"{zone.name}: skip: no good probe reading in the last hour",
                numbers | coded(DecisionCode.SENSOR_NO_PROBE),
            )
            return []
        theta = sum(p.theta_pct for p in probes) / len(probes)
        dr_obs = min(max(observed_depletion_mm(m.soil, zr, probes), 0.0), taw)
        numbers |= {
            "theta_mean_pct": theta,
            "dr_observed_mm": dr_obs,
            "probes": [[p.depth_m, p.theta_pct] for p in probes],
        }
        band = f"probe moisture {theta:.1f} % vs moisture at RAW {low_pct:.1f} %"
        said: dict[str, Any] = {  # the values the decision's codes name
            "theta_pct": f"{theta:.1f}",
            "theta_raw_pct": f"{low_pct:.1f}",
            "raw_mm": f"{raw:.1f}",
            "taw_mm": f"{taw:.1f}",
        }
        if ctx.rain_24h_mm >= self.site.policy.rain_skip_mm:
            self._record_skip(
                zone,
                f"{zone.name}: skip: {ctx.rain_24h_mm:.1f} mm rain in the "
                f"last 24 h ≥ {self.site.policy.rain_skip_mm:g} mm; {band}",
                numbers
                | coded(
                    DecisionCode.SENSOR_RAIN_SKIP,
                    rain_mm=f"{ctx.rain_24h_mm:.1f}",
                    rain_skip_mm=f"{self.site.policy.rain_skip_mm:g}",
                    **said,
                ),
            )
            return []
        if theta >= low_pct:
            self._record_skip(
                zone,
                f"{zone.name}: no irrigation: {band} (RAW {raw:.1f} mm of TAW {taw:.1f} mm)",
                numbers | coded(DecisionCode.SENSOR_NOT_DRY, **said),
            )
            return []
        net = max(dr_obs - REFILL_TARGET_FRACTION * taw, 0.0)
        gross = net / zone.efficiency
        minutes = gross * zone.area_m2_value / 1000.0 / zone.nominal_flow_m3_h * 60.0
        cap_min, cap_text = self._balance_cap(zone, ctx, taw, numbers)
        said |= {
            "cap_factor": f"{numbers['cap_factor']:g}",
            "need_mm": f"{numbers['balance_need_mm']:.1f}",
            "dr_mm": f"{numbers['balance_dr_mm']:.1f}",
            "cap_gross_mm": f"{numbers['cap_gross_mm']:.1f}",
            "cap_min": f"{cap_min:.0f}",
        }
        capped = minutes > cap_min
        if cap_min < MIN_SENSOR_RUN_MIN:
            self._record_skip(
                zone,
                f"{zone.name}: no irrigation: {band}, but the water balance sees no need "
                f"({cap_text}): the probes alone do not water",
                numbers | coded(DecisionCode.SENSOR_NO_NEED, **said),
            )
            return []
        cut = min(minutes, cap_min) > zone.max_run_min
        minutes = min(minutes, cap_min, zone.max_run_min)
        quota_text = ""
        left = self._quota_left(zone, ctx)
        if left is not None:
            quota_min = left[0] / zone.nominal_flow_m3_h * 60.0
            numbers["quota"] = {"left_m3": left[0], "text": left[1]}
            said |= left[2]
            if quota_min < MIN_QUOTA_RUN_MIN:
                self._record_skip(
                    zone,
                    f"{zone.name}: no irrigation: {band}; {left[1]}",
                    numbers | coded(DecisionCode.SENSOR_QUOTA_SPENT, **said),
                )
                return []
            if minutes > quota_min:
                minutes, quota_text = quota_min, f"; cut to the quota ({left[1]})"
        gross = minutes / 60.0 * zone.nominal_flow_m3_h * 1000.0 / zone.area_m2_value
        k = self._first_window_slot(ctx)
        numbers |= {"net_mm": net, "gross_mm": gross, "duration_min": minutes}
        if k is None:
            self._record(
                zone,
                DecisionAction.DEFER,
                f"{zone.name}: no allowed window in the horizon; {band}",
                numbers | coded(DecisionCode.SENSOR_NO_WINDOW, **said),
            )
            return []
        start = ctx.slots[k]
        codes = [DecisionCode.SENSOR_IRRIGATE]
        codes += [DecisionCode.MAX_RUN_CUT] if cut else []
        codes += [DecisionCode.SENSOR_CAPPED] if capped and not cut else []
        codes += [DecisionCode.QUOTA_CUT] if quota_text else []
        said |= {
            "minutes": f"{minutes:.0f}",
            "gross_mm": f"{gross:.1f}",
            "start": f"{start.astimezone(self.tz):%H:%M}",
            "refill": f"{REFILL_TARGET_FRACTION:.2f}",
        }
        sentence = (
            f"{zone.name}: {minutes:.0f} min, {gross:.1f} mm at "
            f"{start.astimezone(self.tz):%H:%M}: {band} (RAW {raw:.1f} mm of TAW "
            f"{taw:.1f} mm), refill to {REFILL_TARGET_FRACTION:.2f} × TAW"
            + ("; cut to the maximum run" if cut else "")
            + (f"; capped: {cap_text}" if capped and not cut else "")
            + quota_text
        )
        decision = self._record(
            zone,
            DecisionAction.IRRIGATE,
            sentence,
            numbers | coded(*codes, **said),
            start=start,
            minutes=minutes,
            depth_mm=gross,
        )
        return [PlannedRun(zone.name, start, minutes, gross, decision, RunSource.PLAN)]

    def _balance_cap(
        self, zone: ZoneConfig, ctx: _PlanContext, taw: float, numbers: dict[str, Any]
    ) -> tuple[float, str]:
        """The longest a sensor-mode run may be (min): ``plausibility.sensor_cap_factor`` ×
        the water balance's need (its Dr down to the refill target, gross), so a probe that
        reads too dry cannot water beyond what the balance can account for; and the words."""
        notes = Notes()
        dr = self._dr_now(zone, ctx.today, taw, notes)
        factor = self.site.plausibility.sensor_cap_factor
        need_net = max(dr - REFILL_TARGET_FRACTION * taw, 0.0)
        cap_gross = factor * need_net / zone.efficiency
        cap_min = cap_gross * zone.area_m2_value / 1000.0 / zone.nominal_flow_m3_h * 60.0
        numbers |= {
            "balance_dr_mm": dr,
            "balance_need_mm": need_net,
            "cap_factor": factor,
            "cap_gross_mm": cap_gross,
            "cap_min": cap_min,
        }
        text = (
            f"{factor:g} × the water balance's need {need_net:.1f} mm (Dr {dr:.1f} mm) = "
            f"{cap_gross:.1f} mm gross, {cap_min:.0f} min"
        ) + (f"; {notes}" if notes.items else "")
        return cap_min, text

    def _plan_calendar(self, zone: ZoneConfig, ctx: _PlanContext) -> list[PlannedRun]:
        planting = zone.planting_date
        if ctx.today < planting:
            self._record_skip(
                zone,
                f"{zone.name}: calendar: not planted until {planting}",
                {
                    "planting_date": planting.isoformat(),
                    **coded(DecisionCode.CALENDAR_NOT_PLANTED, planting_date=planting),
                },
            )
            return []
        events = season_events_on(ctx.today, planting, self.calendar)
        if not events:
            upcoming = sorted(d for e in self.calendar if (d := e.in_season(planting)) > ctx.today)
            nxt = f"next {upcoming[0]}" if upcoming else "none left this season"
            no_event = (
                coded(DecisionCode.CALENDAR_NO_EVENT, next_date=upcoming[0])
                if upcoming
                else coded(DecisionCode.CALENDAR_NO_EVENT_LEFT)
            )
            self._record_skip(
                zone,
                f"{zone.name}: calendar: no event today ({nxt})",
                {
                    "calendar": [[e.month, e.day, e.volume_m3_per_mu] for e in self.calendar],
                    **no_event,
                },
            )
            return []
        day_start, day_end = day_bounds(ctx.today, self.tz)
        # The whole day, not up to now: after the clock stepped back, the day's decision
        # may carry a later time than now.
        for earlier in self.store.decisions(zone.name, day_start, day_end):
            if earlier.mode == "calendar" and earlier.action == DecisionAction.IRRIGATE.value:
                self._record_skip(
                    zone,
                    f"{zone.name}: calendar event of {ctx.today} already "
                    f"planned (decision {earlier.id})",
                    coded(
                        DecisionCode.CALENDAR_ALREADY_PLANNED, today=ctx.today, decision=earlier.id
                    ),
                )
                return []
        event = events[0]
        volume = event.volume_m3_per_mu * zone.area_m2_value / M2_PER_MU
        total_min = volume / zone.nominal_flow_m3_h * 60.0
        k = self._first_window_slot(ctx, on=ctx.today)
        if k is None:
            k = self._first_window_slot(ctx)
        numbers: dict[str, Any] = {
            "event": f"{event.month:02d}-{event.day:02d}",
            "m3_per_mu": event.volume_m3_per_mu,
            "volume_m3": volume,
            "depth_mm": event.depth_mm,
            "flow_m3_h": zone.nominal_flow_m3_h,
            "max_run_min": zone.max_run_min,
            "needed_min": total_min,
        }
        if k is None:
            self._record(
                zone,
                DecisionAction.DEFER,
                f"{zone.name}: calendar event of {ctx.today}: no allowed window in the horizon",
                numbers | coded(DecisionCode.CALENDAR_NO_WINDOW, today=ctx.today),
            )
            return []
        window_min = self._window_length_slots(ctx, k) * SLOT_MIN
        placed = min(total_min, float(window_min))
        quota_left = self._quota_left(zone, ctx)
        said: dict[str, Any] = {"today": ctx.today}  # the values the decision's codes name
        if quota_left is not None:
            numbers["quota"] = {"left_m3": quota_left[0], "text": quota_left[1]}
            said |= quota_left[2]
            placed = min(placed, quota_left[0] / zone.nominal_flow_m3_h * 60.0)
            if placed < MIN_QUOTA_RUN_MIN:
                self._record_skip(
                    zone,
                    f"{zone.name}: calendar event of {ctx.today}: {quota_left[1]}",
                    numbers | coded(DecisionCode.CALENDAR_QUOTA_SPENT, **said),
                )
                return []
        chunks: list[float] = []
        left = placed
        while left > 1e-9:
            chunks.append(min(left, zone.max_run_min))
            left -= chunks[-1]
        short_m3 = (total_min - placed) / 60.0 * zone.nominal_flow_m3_h
        start = ctx.slots[k]
        depth = placed / 60.0 * zone.nominal_flow_m3_h * 1000.0 / zone.area_m2_value
        sentence = (
            f"{zone.name}: calendar event of {ctx.today}: {event.volume_m3_per_mu:g} "
            f"m³/mu ({volume:.0f} m³, {event.depth_mm:.0f} mm) from "
            f"{start.astimezone(self.tz):%H:%M} in {len(chunks)} run"
            f"{'s' if len(chunks) > 1 else ''} of ≤ {zone.max_run_min:g} min"
        )
        one = len(chunks) == 1
        codes = [DecisionCode.CALENDAR_IRRIGATE_ONE if one else DecisionCode.CALENDAR_IRRIGATE]
        said |= {
            "m3_per_mu": f"{event.volume_m3_per_mu:g}",
            "volume_m3": f"{volume:.0f}",
            "depth_mm": f"{event.depth_mm:.0f}",
            "start": f"{start.astimezone(self.tz):%H:%M}",
            "runs": len(chunks),
            "max_run_min": f"{zone.max_run_min:g}",
        }
        if short_m3 > 0.05:
            sentence += (
                f"; the window holds {placed:.0f} of {total_min:.0f} min, "
                f"{short_m3:.0f} m³ not applied"
            )
            said |= {
                "placed_min": f"{placed:.0f}",
                "needed_min": f"{total_min:.0f}",
                "short_m3": f"{short_m3:.0f}",
            }
            if quota_left is not None and placed < min(total_min, float(window_min)):
                sentence += f" (cut to the quota: {quota_left[1]})"
                codes.append(DecisionCode.CALENDAR_WINDOW_SHORT_QUOTA)
            else:
                codes.append(DecisionCode.CALENDAR_WINDOW_SHORT)
        numbers |= {"placed_min": placed, "runs": len(chunks), "shortfall_m3": short_m3}
        decision = self._record(
            zone,
            DecisionAction.IRRIGATE,
            sentence,
            numbers | coded(*codes, **said),
            start=start,
            minutes=placed,
            depth_mm=depth,
        )
        runs, at = [], start
        for minutes in chunks:
            runs.append(
                PlannedRun(
                    zone.name, at, minutes, minutes / placed * depth, decision, RunSource.CALENDAR
                )
            )
            at += dt.timedelta(minutes=minutes)
        return runs

    def _plan_manual(self, zone: ZoneConfig, ctx: _PlanContext) -> list[PlannedRun]:
        self._record_skip(
            zone,
            f"{zone.name}: manual mode: runs only when started by hand",
            coded(DecisionCode.MANUAL),
        )
        return []

    # -- recording ------------------------------------------------------------------------

    def _record(
        self,
        zone: ZoneConfig,
        action: DecisionAction,
        sentence: str,
        inputs: dict[str, Any],
        *,
        start: dt.datetime | None = None,
        minutes: float = 0.0,
        depth_mm: float = 0.0,
    ) -> int:
        decision = self.store.record_decision(
            zone.name,
            zone.mode,
            action,
            sentence,
            inputs,
            planned_start=start,
            duration_min=minutes,
            depth_mm=depth_mm,
        )
        assert decision.id is not None  # committed rows have ids
        return decision.id

    def _record_skip(self, zone: ZoneConfig, sentence: str, inputs: dict[str, Any]) -> None:
        self._record(zone, DecisionAction.SKIP, sentence, inputs)


@dataclass(frozen=True)
class _PlanContext:
    now: dt.datetime
    today: dt.date
    start: dt.datetime  # slot 0, aware UTC (the next whole local hour)
    slots: list[dt.datetime]
    window: tuple[bool, ...]
    rain_24h_mm: float
    notes: Notes


def _decision_numbers(d: ZoneDecision) -> dict[str, Any]:
    return {
        "reason": d.reason.value,
        "reasons": [r.value for r in d.reasons],
        "dr_now_mm": d.dr_now_mm,
        "taw_mm": d.taw_mm,
        "trigger_mm": list(d.trigger_mm),
        "mad_fraction": list(d.mad_fraction),
        "etc_mm_day": list(d.etc_mm_day),
        "et0_source": d.et0_source,
        "trigger_day": d.trigger_day,
        "depth_mm": d.depth_mm,
        "duration_min": d.duration_min,
        "flow_m3_h": d.flow_m3_h,
        "n_events": d.n_events,
        "shortfall_mm": d.shortfall_mm,
        "rain_last_24h_mm": d.rain_last_24h_mm,
        "wind_blocked_slots": d.wind_blocked_slots,
        "frost_blocked_slots": d.frost_blocked_slots,
    }
