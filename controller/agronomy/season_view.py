"""The season to date as a visitor sees it (the public board, ``/board``): day by day, the
site's cumulative water against the conventional practice; the fertilizer given against the
plan; each zone's crop stage. Nothing here controls and nothing names a person.

The practice's water by day is :func:`controller.agronomy.savings.baseline_to`, the rule of
the savings ledger (``GET /api/v1/savings``) evaluated on each day; the water applied is the
zones' metered runs, as the ledger counts it. Zones in manual mode are left out, as there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from controller.agronomy.fertplan import zone_events
from controller.agronomy.savings import baseline_practice, baseline_to
from controller.config.site import M2_PER_MU, SiteConfig
from controller.store import Store
from models.crops import crop

__all__ = ["SeasonDay", "SeasonToDate", "ZoneStage", "crop_stage", "season_to_date"]

STAGES = ("ini", "dev", "mid", "late")


@dataclass(frozen=True, slots=True)
class SeasonDay:
    """The site at the end of a local day, area-weighted, cumulative since planting (m³/mu)."""

    date: dt.date
    applied_m3_per_mu: float
    baseline_m3_per_mu: float


@dataclass(frozen=True, slots=True)
class ZoneStage:
    """A zone's crop today: days after planting and the FAO-56 stage (``ini``, ``dev``,
    ``mid``, ``late``; ``sown`` before planting, ``harvested`` after the last stage)."""

    zone: str
    label: str
    crop: str
    days_after_planting: int
    stage: str


@dataclass(frozen=True, slots=True)
class SeasonToDate:
    """The board's season: the days, fertilizer (kg/mu of the site, by nutrient) given by the
    runs and asked by the plan up to today, and the stages."""

    as_of: dt.date
    days: list[SeasonDay]
    fertilizer_given_kg_mu: dict[str, float] = field(default_factory=dict)
    fertilizer_plan_kg_mu: dict[str, float] = field(default_factory=dict)
    stages: list[ZoneStage] = field(default_factory=list)


def crop_stage(crop_key: str, days_after_planting: int) -> str:
    """The FAO-56 stage of ``crop_key`` on a day after planting (see :class:`ZoneStage`)."""
    if days_after_planting < 0:
        return "sown"
    end = 0
    for name, days in zip(STAGES, crop(crop_key).stage_days, strict=True):
        end += days
        if days_after_planting < end:
            return name
    return "harvested"


def season_to_date(site: SiteConfig, store: Store, now: dt.datetime) -> SeasonToDate:
    """The season of every planted zone not in manual mode, up to ``now``'s local date."""
    tz = site.site.tz
    today = now.astimezone(tz).date()
    practice = baseline_practice(site)
    zones = [z for z in site.zones if z.mode != "manual" and z.planting_date <= today]
    stages = [
        ZoneStage(
            z.name,
            z.label,
            z.crop,
            (today - z.planting_date).days,
            crop_stage(z.crop, (today - z.planting_date).days),
        )
        for z in site.zones
    ]
    if not zones:
        return SeasonToDate(today, [], stages=stages)
    first = min(z.planting_date for z in zones)
    area_mu = sum(z.area_m2_value for z in zones) / M2_PER_MU
    span = (today - first).days + 1
    applied = [0.0] * span  # m³ of the site by day
    baseline = [0.0] * span  # m³ of the site by day, cumulative
    given: dict[str, float] = {}
    plan: dict[str, float] = {}
    for z in zones:
        start = dt.datetime.combine(z.planting_date, dt.time(), tzinfo=tz)
        end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        for r in store.runs(z.name, start, end):
            if r.started_at is None:
                continue
            started = r.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=dt.UTC)
            applied[(started.astimezone(tz).date() - first).days] += r.applied_m3
            for k, v in (r.fertilizer or {}).items():
                given[k] = given.get(k, 0.0) + v
        rain = {w.date: w.rain_mm for w in store.water_balance(z.name, z.planting_date, today)}
        z_mu = z.area_m2_value / M2_PER_MU
        for i in range(span):
            day = first + dt.timedelta(days=i)
            if day >= z.planting_date:
                baseline[i] += baseline_to(practice, z.planting_date, day, rain)[0] * z_mu
        for event in zone_events(site, z):
            if event.day <= today:
                for k, v in event.kg.items():
                    plan[k] = plan.get(k, 0.0) + v
    days = []
    total = 0.0
    for i in range(span):
        total += applied[i]
        days.append(SeasonDay(first + dt.timedelta(days=i), total / area_mu, baseline[i] / area_mu))
    return SeasonToDate(
        as_of=today,
        days=days,
        fertilizer_given_kg_mu={k: v / area_mu for k, v in sorted(given.items())},
        fertilizer_plan_kg_mu={k: v / area_mu for k, v in sorted(plan.items())},
        stages=stages,
    )
