"""A zone's seasonal water quota (水权) as planning sees it: the allotment, the ledger, the
need to harvest and where a deficit goes (:mod:`models.planner.quota` does the arithmetic).

* The allotment: the zone's ``quota_m3_per_mu``, else ``[site] quota_m3_per_mu``, times its
  area, for the quota year (from ``[site] quota_year_start``, default the calendar year).
* Used: the metered water of the zone's runs created in the quota year (every end state: the
  water went in either way), as the savings ledger counts it.
* The need to harvest: per remaining period of the crop (:meth:`models.crops.Crop.stage_on_day`),
  the ETc from :func:`controller.agronomy.targets.etc_to_harvest_mm`, the trigger and p of
  :func:`models.planner.targets.day_target`, the rain of the site's monthly normals
  (:func:`controller.agronomy.targets.expected_rain_mm`; none without ``rain_normals_mm``), and
  the soil's water down to the last period's trigger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from controller.agronomy.targets import TRIGGER_FLOOR, etc_to_harvest_mm, expected_rain_mm
from controller.agronomy.types import PlannedRun
from controller.config.site import M2_PER_MU, SiteConfig, ZoneConfig
from controller.store import Store
from models.crops import Crop, Stage
from models.crops import crop as library_crop
from models.planner.quota import (
    Pace,
    Period,
    Placement,
    need_to_harvest,
    pace,
    place_deficit,
    quota_year,
    trim_volumes,
)
from models.planner.targets import day_target

__all__ = [
    "MIN_QUOTA_RUN_MIN",
    "QuotaView",
    "ZoneQuota",
    "keep_to_quota",
    "quota_m3_per_mu",
    "quota_views",
    "used_m3",
    "zone_periods",
    "zone_quota",
]


MIN_QUOTA_RUN_MIN = 1.0  # a run the quota cuts below this is dropped


def quota_m3_per_mu(site: SiteConfig, zone: ZoneConfig) -> float | None:
    """The zone's allotment per mu for the year (its own, else the site's; None: no quota)."""
    if zone.quota_m3_per_mu is not None:
        return zone.quota_m3_per_mu
    return site.site.quota_m3_per_mu


def used_m3(store: Store, zone: str, start: dt.date, end: dt.date, tz: ZoneInfo) -> float:
    """Metered water (m³) of the zone's runs created in local dates [start, end)."""
    t0 = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    t1 = dt.datetime.combine(end, dt.time(), tzinfo=tz)
    return sum(r.applied_m3 for r in store.runs(zone, t0, t1) if r.started_at is not None)


def zone_periods(
    zone: ZoneConfig,
    crop: Crop,
    dap: int,
    et0_mm_day: Sequence[float],
    *,
    today: dt.date,
    rain_normals_mm: Sequence[float] | None,
) -> list[Period]:
    """The crop's periods from ``dap`` to harvest (one ``season`` period without stages, or
    with ``targets = "fao56"``), each with its ETc, trigger, p and normal rain."""
    etc = etc_to_harvest_mm(crop, dap, et0_mm_day)
    staged = zone.targets == "staged" and bool(crop.stages)
    periods: list[Period] = []
    d = 0
    while d < len(etc):
        stage = crop.stage_on_day(dap + d) if staged else None
        end = len(etc) if stage is None else min(stage.end_dap - dap + 1, len(etc))
        end = max(end, d + 1)
        first = today + dt.timedelta(days=d)
        periods.append(_period(zone, crop, stage, etc[d:end], first, rain_normals_mm))
        d = end
    return periods


def _period(
    zone: ZoneConfig,
    crop: Crop,
    stage: Stage | None,
    etc_mm: list[float],
    first: dt.date,
    rain_normals_mm: Sequence[float] | None,
) -> Period:
    etm = sum(etc_mm)
    target = day_target(stage, crop.p, etm / len(etc_mm), TRIGGER_FLOOR)
    mad = target.mad_fraction
    if zone.mad_fraction is not None:
        mad = max(zone.mad_fraction, TRIGGER_FLOOR)
    rain = expected_rain_mm(first, None, rain_normals_mm, days=len(etc_mm))[0]
    return Period(
        name=target.stage or "season",
        ky=target.ky,
        critical=target.critical,
        mad=mad,
        p=target.p_fraction,
        etm_mm=etm,
        rain_mm=rain,
    )


@dataclass(frozen=True)
class ZoneQuota:
    """The zone's quota year, its pace and the deficit placed (None when the projection fits);
    ``per_mu`` the allotment per mu, ``area_mu`` the zone's area."""

    per_mu: float
    area_mu: float
    year_start: dt.date
    year_end: dt.date
    pace: Pace
    placement: Placement | None

    @property
    def exhausted(self) -> bool:
        """Less than 0.1 m³/mu of the allotment is left."""
        return self.pace.remaining_m3 < 0.1 * self.area_mu

    def raised_mad(self, stage_name: str) -> float | None:
        """The trigger the placement gives period ``stage_name`` (None: not raised)."""
        if self.placement is None:
            return None
        for name, _before, after in self.placement.raised:
            if name == stage_name:
                return after
        return None

    def note(self, zone: str) -> str:
        """The decision's words: "z2: quota 240 m³/mu, used 180, need to harvest 75 → …"."""
        mu = self.area_mu
        p = self.pace
        text = (
            f"{zone}: quota {self.per_mu:g} m³/mu, used {p.used_m3 / mu:.0f}, need to harvest "
            f"{p.need_m3 / mu:.0f}"
        )
        if self.exhausted:
            return text + " → quota used up: no more runs this quota year"
        pl = self.placement
        if pl is None:
            return text + f" (projected {p.projected_m3 / mu:.0f} m³/mu: within the quota)"
        parts = [
            f"deficit in {name} (Ky {self._ky(name):g}), MAD {a:.2f}→{b:.2f}"
            for name, a, b in pl.raised
        ]
        placed = "; ".join(parts) if parts else "no period may take a deficit"
        text += f" → {placed}"
        if pl.fits:
            text += f"; need now {pl.need_after_m3 / mu:.0f}"
        else:
            text += f"; still {pl.short_m3 / mu:.0f} m³/mu short"
            if pl.critical_short:
                text += f", critical periods short: {', '.join(pl.critical_short)}"
        if pl.yield_after < pl.yield_before - 1e-6:
            text += f"; expected relative yield {pl.yield_before:.0%}→{pl.yield_after:.0%} (FAO-33)"
        return text

    def _ky(self, name: str) -> float:
        assert self.placement is not None
        return next((p.ky or 0.0) for p in self.placement.periods if p.name == name)

    def numbers(self) -> dict[str, Any]:
        """What the decision records."""
        p, pl = self.pace, self.placement
        out: dict[str, Any] = {
            "quota_m3_per_mu": self.per_mu,
            "quota_m3": p.quota_m3,
            "quota_year": [self.year_start.isoformat(), self.year_end.isoformat()],
            "used_m3": p.used_m3,
            "need_to_harvest_m3": p.need_m3,
            "projected_m3": p.projected_m3,
            "remaining_m3": p.remaining_m3,
            "over_m3": p.over_m3,
            "exhausted": self.exhausted,
        }
        if pl is not None:
            out |= {
                "raised": [list(r) for r in pl.raised],
                "need_after_m3": pl.need_after_m3,
                "fits": pl.fits,
                "short_m3": pl.short_m3,
                "critical_short": list(pl.critical_short),
                "yield_before": pl.yield_before,
                "yield_after": pl.yield_after,
            }
        return out


def zone_quota(
    site: SiteConfig,
    zone: ZoneConfig,
    *,
    today: dt.date,
    used: float,
    periods: Sequence[Period],
    refill: float,
    soil_mm: float,
) -> ZoneQuota | None:
    """The zone's :class:`ZoneQuota` (None without a quota): the pace of ``periods`` (from
    :func:`zone_periods`) and, when the projection exceeds the quota, the deficit placed."""
    per_mu = quota_m3_per_mu(site, zone)
    if per_mu is None:
        return None
    area_mu = zone.area_m2_value / M2_PER_MU
    start, end = quota_year(today, site.site.quota_year_start)
    kw: dict[str, Any] = {
        "refill": refill,
        "soil_mm": soil_mm,
        "efficiency": zone.efficiency,
        "area_m2": zone.area_m2_value,
    }
    the_pace = pace(per_mu * area_mu, used, need_to_harvest(periods, **kw))
    result = ZoneQuota(per_mu, area_mu, start, end, the_pace, None)
    if the_pace.over_m3 <= 0.0 or result.exhausted:
        return result
    placed = place_deficit(periods, available_m3=the_pace.remaining_m3, **kw)
    return ZoneQuota(per_mu, area_mu, start, end, the_pace, placed)


def keep_to_quota(
    site: SiteConfig, store: Store, runs: Sequence[PlannedRun], today: dt.date
) -> tuple[list[PlannedRun], list[tuple[str, str]]]:
    """The queued runs (every source: plan, calendar, sensor, fertigation) cut, in start
    order, so each zone's water at its nominal flow stays within what is left of its quota
    this quota year (runs cut below :data:`MIN_QUOTA_RUN_MIN` dropped); and (zone, words) for
    each zone cut. Zones without a quota pass unchanged."""
    out: list[PlannedRun] = []
    notes: list[tuple[str, str]] = []
    by_zone: dict[str, list[PlannedRun]] = {}
    for run in sorted(runs, key=lambda r: r.start):
        by_zone.setdefault(run.zone, []).append(run)
    zones = {z.name: z for z in site.zones}
    start, end = quota_year(today, site.site.quota_year_start)
    for name, zone_runs in by_zone.items():
        zone = zones.get(name)
        per_mu = quota_m3_per_mu(site, zone) if zone is not None else None
        if zone is None or per_mu is None:
            out += zone_runs
            continue
        flow = zone.nominal_flow_m3_h
        area_mu = zone.area_m2_value / M2_PER_MU
        left = max(per_mu * area_mu - used_m3(store, name, start, end, site.site.tz), 0.0)
        volumes = [r.duration_min / 60.0 * flow for r in zone_runs]
        kept = trim_volumes(volumes, left)
        for run, v, k in zip(zone_runs, volumes, kept, strict=True):
            minutes = k / flow * 60.0
            if minutes >= MIN_QUOTA_RUN_MIN:
                depth = run.depth_mm * (k / v) if v > 0 else 0.0
                out.append(replace(run, duration_min=minutes, depth_mm=depth))
        if sum(kept) < sum(volumes) - 1e-6:
            notes.append(
                (
                    name,
                    f"{name}: queued runs cut to the quota: {sum(kept):.0f} of "
                    f"{sum(volumes):.0f} m³ ({left / area_mu:.1f} m³/mu of {per_mu:g} left)",
                )
            )
    return sorted(out, key=lambda r: (r.start, r.zone)), notes


@dataclass(frozen=True, slots=True)
class QuotaView:
    """A zone's quota year as the pages show it (m³/mu): the allotment, the water used by
    day (``days``: local date, water used up to the end of it), the projection of the last
    plan (None before one) and the harvest it runs to."""

    zone: str
    area_mu: float
    quota_m3_per_mu: float
    year_start: dt.date
    year_end: dt.date
    today: dt.date
    used_m3_per_mu: float
    projected_m3_per_mu: float | None
    harvest: dt.date | None
    days: list[tuple[dt.date, float]]

    @property
    def last_day(self) -> dt.date:
        """The quota year's last day (``year_end`` is the next year's first)."""
        return self.year_end - dt.timedelta(days=1)

    @property
    def over(self) -> bool:
        """The projection exceeds the quota."""
        return (self.projected_m3_per_mu or 0.0) > self.quota_m3_per_mu + 1e-9

    @property
    def exhausted(self) -> bool:
        return self.used_m3_per_mu >= self.quota_m3_per_mu - 0.1


def quota_views(site: SiteConfig, store: Store, now: dt.datetime) -> list[QuotaView]:
    """Every zone with a quota, for the pages (:class:`QuotaView`)."""
    tz = site.site.tz
    today = now.astimezone(tz).date()
    start, end = quota_year(today, site.site.quota_year_start)
    views = []
    for zone in site.zones:
        per_mu = quota_m3_per_mu(site, zone)
        if per_mu is None:
            continue
        area_mu = zone.area_m2_value / M2_PER_MU
        t0 = dt.datetime.combine(start, dt.time(), tzinfo=tz)
        t1 = dt.datetime.combine(end, dt.time(), tzinfo=tz)
        by_day: dict[dt.date, float] = {}
        for run in store.runs(zone.name, t0, t1):
            if run.started_at is not None:
                day = run.started_at.astimezone(tz).date()
                by_day[day] = by_day.get(day, 0.0) + run.applied_m3 / area_mu
        days, total = [], 0.0
        for day in sorted(by_day):
            total += by_day[day]
            days.append((day, total))
        projected = None
        recent = store.decisions(zone.name, now - dt.timedelta(days=2), None)
        for decision in reversed(recent):
            q = (decision.inputs or {}).get("quota")
            if isinstance(q, dict) and "projected_m3" in q:
                projected = float(q["projected_m3"]) / area_mu
                break
        harvest = zone.planting_date + dt.timedelta(days=library_crop(zone.crop).season_days)
        views.append(
            QuotaView(
                zone=zone.name,
                area_mu=area_mu,
                quota_m3_per_mu=per_mu,
                year_start=start,
                year_end=end,
                today=today,
                used_m3_per_mu=total,
                projected_m3_per_mu=projected,
                harvest=harvest if start <= harvest < end else None,
                days=days,
            )
        )
    return views
