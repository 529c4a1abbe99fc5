"""The savings ledger: what conventional practice would have applied this season, from the
site's own data, against the water the daemon metered.

For each zone, from its planting date to the day asked (local dates):

* **baseline** (m³/mu): the configured practice (site file ``[baseline]``; default border
  irrigation of seed corn as surveyed in Zhangye, :mod:`controller.agronomy.baseline`, four
  events of 85 m³/mu plus the winter irrigation of 100 m³/mu before the season, 440 a year):
  the winter irrigation counts from planting, each event once its date has come. With
  ``rain_skip_mm`` an event is skipped when the rain the station *measured* in the
  ``rain_window_days`` before it (the stored daily water balance) reaches that depth — a
  farmer does not flood a field that has just had that rain;
* **applied** (m³/mu): the water of the zone's runs started since planting, as metered (runs
  of every end state: the water went in either way);
* **leaching** (m³/mu): the water the season's salt needs after the season
  (:mod:`controller.agronomy.salt`, FAO-29), when the irrigation water's EC is known — the
  season's counterpart of the practice's winter irrigation, so it is charged to the season;
* **saving** = baseline − applied − leaching, with the measured rain and crop ET of the same
  days beside it and the assumptions in words, so a report rests on the site's data, not on a
  claim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from controller.agronomy.baseline import SEED_CORN_BORDER_SURVEYED
from controller.agronomy.salt import WaterEC, ZoneSalt, water_ec, zone_salt
from controller.config.site import M2_PER_MU, SiteConfig, ZoneConfig
from controller.store import Store

__all__ = [
    "SEED_CORN_WINTER_M3_MU",
    "BaselinePractice",
    "SavingsReport",
    "ZoneSavings",
    "baseline_practice",
    "baseline_to",
    "savings_to_date",
]

SEED_CORN_WINTER_M3_MU = 100.0  # November winter irrigation before border-irrigated seed corn


@dataclass(frozen=True, slots=True)
class BaselinePractice:
    """Conventional practice: events (month, day, m³/mu), winter irrigation, rain skip."""

    name: str
    events: tuple[tuple[int, int, float], ...]
    winter_m3_mu: float
    rain_skip_mm: float | None = None
    rain_window_days: int = 3

    def describe(self) -> str:
        ev = ", ".join(f"{m:02d}-{d:02d} {v:g}" for m, d, v in self.events)
        text = f"{self.name}: winter {self.winter_m3_mu:g} m³/mu; events (m³/mu) {ev}"
        if self.rain_skip_mm is not None:
            text += (
                f"; an event is skipped after ≥ {self.rain_skip_mm:g} mm of measured rain in"
                f" the {self.rain_window_days} days before it"
            )
        return text


def baseline_practice(site: SiteConfig) -> BaselinePractice:
    """The site's ``[baseline]``, or surveyed border practice when it names no events."""
    cfg = site.model.baseline
    default_events = tuple((e.month, e.day, e.volume_m3_per_mu) for e in SEED_CORN_BORDER_SURVEYED)
    events = (
        default_events
        if cfg.events is None
        else tuple((int(e.date[:2]), int(e.date[3:]), e.m3_mu) for e in cfg.events)
    )
    return BaselinePractice(
        cfg.name, events, cfg.winter_m3_mu, cfg.rain_skip_mm, cfg.rain_window_days
    )


@dataclass(frozen=True, slots=True)
class ZoneSavings:
    """One zone's season to date (m³/mu unless named)."""

    zone: str
    area_mu: float
    since: dt.date
    applied_m3: float
    applied_m3_per_mu: float
    baseline_m3_per_mu: float
    saving_m3_per_mu: float
    events_counted: list[str] = field(default_factory=list)
    events_skipped: list[str] = field(default_factory=list)
    rain_mm: float = 0.0  # measured, stored balance days
    etc_mm: float = 0.0  # the balance's crop ET of the same days
    leaching_m3_per_mu: float = 0.0  # the water the season's salt needs (0: ECw not known)
    salt: ZoneSalt | None = None  # the salt balance, None when the water's EC is not known


@dataclass(frozen=True, slots=True)
class SavingsReport:
    """Every zone and the site (area-weighted), with the practice and the assumptions."""

    as_of: dt.date
    baseline: str
    zones: list[ZoneSavings]
    applied_m3_per_mu: float
    baseline_m3_per_mu: float
    saving_m3_per_mu: float
    assumptions: list[str]
    baseline_name: str = ""  # the practice compared against, as the site file names it
    quota_m3_per_mu: float | None = None  # [site] quota_m3_per_mu, else [baseline] quota_m3_mu
    applied_m3: float = 0.0  # the site's metered water since planting, m³
    leaching_m3_per_mu: float = 0.0  # area-weighted leaching needed (see ZoneSavings)


def baseline_to(
    practice: BaselinePractice, since: dt.date, today: dt.date, rain_mm: dict[dt.date, float]
) -> tuple[float, list[str], list[str]]:
    """What the practice would have applied from ``since`` (planting) to ``today``, m³/mu,
    with the events counted and skipped (``rain_mm``: measured rain by local date)."""
    baseline = practice.winter_m3_mu if today >= since else 0.0
    counted: list[str] = []
    skipped: list[str] = []
    for month, day, m3_mu in practice.events:
        on = dt.date(since.year, month, day)
        if on < since or on > today:
            continue
        label = f"{on.isoformat()} {m3_mu:g} m³/mu"
        if practice.rain_skip_mm is not None:
            window = [on - dt.timedelta(days=k) for k in range(1, practice.rain_window_days + 1)]
            rain = sum(rain_mm.get(d, 0.0) for d in window)
            if rain >= practice.rain_skip_mm:
                skipped.append(f"{label} (measured rain {rain:.1f} mm before it)")
                continue
        counted.append(label)
        baseline += m3_mu
    return baseline, counted, skipped


def _zone(
    site: SiteConfig,
    store: Store,
    zone: ZoneConfig,
    today: dt.date,
    practice: BaselinePractice,
    water: WaterEC | None = None,
) -> ZoneSavings:
    tz = site.site.tz
    since = zone.planting_date
    area_mu = zone.area_m2_value / M2_PER_MU
    start = dt.datetime.combine(since, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    applied = sum(
        r.applied_m3 for r in store.runs(zone.name, start, end) if r.started_at is not None
    )
    balance = {row.date: row for row in store.water_balance(zone.name, since, today)}
    rain = {d: row.rain_mm for d, row in balance.items()}
    baseline, counted, skipped = baseline_to(practice, since, today, rain)
    applied_mu = applied / area_mu
    salt = None if water is None else zone_salt(site, store, zone, today, water)
    leaching = 0.0 if salt is None else salt.leaching_m3_per_mu
    return ZoneSavings(
        zone=zone.name,
        area_mu=area_mu,
        since=since,
        applied_m3=applied,
        applied_m3_per_mu=applied_mu,
        baseline_m3_per_mu=baseline,
        saving_m3_per_mu=baseline - applied_mu - leaching,
        events_counted=counted,
        events_skipped=skipped,
        rain_mm=sum(r.rain_mm for r in balance.values()),
        etc_mm=sum(r.etc_mm for r in balance.values()),
        leaching_m3_per_mu=leaching,
        salt=salt,
    )


def savings_to_date(site: SiteConfig, store: Store, now: dt.datetime) -> SavingsReport:
    """The ledger for every planted zone not in manual mode, up to ``now``'s local date."""
    today = now.astimezone(site.site.tz).date()
    practice = baseline_practice(site)
    counted = [z for z in site.zones if z.mode != "manual" and z.planting_date <= today]
    since = min((z.planting_date for z in counted), default=today)
    water = water_ec(site, store, since, today) if counted else None
    zones = [_zone(site, store, z, today, practice, water) for z in counted]
    area = sum(z.area_mu for z in zones)

    def mean(key: str) -> float:
        return sum(getattr(z, key) * z.area_mu for z in zones) / area if area else 0.0

    return SavingsReport(
        as_of=today,
        baseline=practice.describe(),
        zones=zones,
        applied_m3_per_mu=mean("applied_m3_per_mu"),
        baseline_m3_per_mu=mean("baseline_m3_per_mu"),
        saving_m3_per_mu=mean("saving_m3_per_mu"),
        baseline_name=practice.name,
        quota_m3_per_mu=site.site.quota_m3_per_mu or site.model.baseline.quota_m3_mu,
        applied_m3=sum(z.applied_m3 for z in zones),
        leaching_m3_per_mu=mean("leaching_m3_per_mu"),
        assumptions=[
            "season from each zone's planting date; the winter irrigation counts from planting",
            "applied: metered water of the zone's runs (every end state) since planting",
            "baseline events count once their date has come"
            + ("; skipped after the measured rain named" if practice.rain_skip_mm else ""),
            "zones in manual mode are left out; site figures are area-weighted",
            _salt_assumption(water),
        ],
    )


def _salt_assumption(water: WaterEC | None) -> str:
    if water is None:
        return (
            "leaching: not counted, the irrigation water's EC is not known"
            " ([site] irrigation_water_ec_ds_m, or a fertigation EC meter)"
        )
    source = "the site file" if water.source == "site" else "the fertigation EC meter"
    return (
        f"leaching: the FAO-29 leaching water of the season's salt (ECw {water.ec_ds_m:.2f}"
        f" dS/m from {source}), charged to the season in place of a winter irrigation"
    )
