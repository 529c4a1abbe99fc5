"""Water-balance reports (水平衡): per zone and per site, over a day range or the season.

For each zone and its days (local dates of the stored daily balance):

* **metered inflow** (m³): water of the zone's runs as the flow meter measured it, by the
  local date the run started (every end state: the water went in either way);
* **applied irrigation** (mm, m³): the balance's gross irrigation depth × area;
* **rain**, **effective rain**, **runoff**, **ETc**, **actual ET** (ETa), **drainage**
  (deep percolation, FAO-56 eq. 88), all mm and m³;
* **change in soil storage** ΔS = Dr(first day, start) − Dr(last day, end), mm (depletion
  falling = the soil got wetter);
* **closure error** = (P_eff + I) − (ETa + DP) − ΔS − Σ probe corrections, mm: what the
  stored terms leave unexplained — application losses (gross − net irrigation), root-zone
  growth bringing new soil in, days missing from the store;
* **fertilizer** kg and kg/mu per nutrient, from the runs;
* **baseline** (m³, m³/mu): the conventional practice's events in the range (the site's
  ``[baseline]`` via :mod:`controller.agronomy.savings`, default border practice as surveyed
  in Zhangye, :mod:`controller.agronomy.baseline`), the winter irrigation counted in season
  reports only;
  **saving** = baseline − metered, only where something is known of the water used: a zone
  with no balance day nor run in the range has none (CSV: an empty cell), and a site's
  saving is that of its zones with data, per mu of their area.

1 mu = 666.67 m²; m³ = mm / 1000 × m². Sources: one box's store (:func:`from_store`) or
the central office database (:mod:`controller.office.report_central`); output as CSV
(:func:`to_csv`), JSON (:mod:`controller.office.report_json`) or printable HTML with charts
(:mod:`controller.office.report_html`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from controller.agronomy.baseline import SEED_CORN_BORDER_SURVEYED
from controller.agronomy.savings import SEED_CORN_WINTER_M3_MU, BaselinePractice
from controller.config.site import M2_PER_MU
from controller.store import Store

__all__ = [
    "DEFAULT_PRACTICE",
    "BalanceDay",
    "Report",
    "ReportZone",
    "RunWater",
    "SiteReport",
    "ZoneReport",
    "build_report",
    "from_store",
    "report_rows",
    "to_csv",
]

DEFAULT_PRACTICE = BaselinePractice(
    "border irrigation of seed corn as surveyed in Zhangye (440 m³/mu a year)",
    tuple((e.month, e.day, e.volume_m3_per_mu) for e in SEED_CORN_BORDER_SURVEYED),
    SEED_CORN_WINTER_M3_MU,
)


@dataclass(frozen=True, slots=True)
class ReportZone:
    """A zone to report: its site, name, label, area (m²) and crop."""

    site_id: str
    zone: str
    label: str
    area_m2: float
    crop: str = ""

    @property
    def area_mu(self) -> float:
        return self.area_m2 / M2_PER_MU


@dataclass(frozen=True, slots=True)
class BalanceDay:
    """The terms of one stored balance day (latest revision), mm."""

    date: dt.date
    rain_mm: float
    effective_rain_mm: float
    runoff_mm: float
    irrigation_mm: float
    etc_mm: float
    eta_mm: float
    deep_percolation_mm: float
    dr_start_mm: float
    dr_end_mm: float
    probe_correction_mm: float = 0.0


@dataclass(frozen=True, slots=True)
class RunWater:
    """A run's metered water (m³) and fertilizer (kg per nutrient), by its start (aware)."""

    started_at: dt.datetime
    applied_m3: float
    fertilizer: Mapping[str, float] = field(default_factory=dict)


_TERMS = ("rain", "effective_rain", "runoff", "irrigation", "etc", "eta", "deep_percolation")


@dataclass(frozen=True)
class ZoneReport:
    """One zone over the report's days; depths in mm, volumes in m³ (``m3``) or m³/mu."""

    zone: ReportZone
    days: int
    depth_mm: dict[str, float]  # the _TERMS, plus storage_change, probe_correction, closure
    metered_m3: float
    baseline_m3_per_mu: float
    baseline_events: list[str]
    fertilizer_kg: dict[str, float]
    cumulative: list[tuple[dt.date, float, float]]  # date, metered m³/mu, baseline m³/mu

    def m3(self, term: str) -> float:
        return self.depth_mm[term] / 1000.0 * self.zone.area_m2

    @property
    def metered_m3_per_mu(self) -> float:
        return self.metered_m3 / self.zone.area_mu

    @property
    def baseline_m3(self) -> float:
        return self.baseline_m3_per_mu * self.zone.area_mu

    @property
    def has_data(self) -> bool:
        """Whether the range holds a balance day or metered water of the zone: without
        either nothing is known of the water used, and no saving can be claimed."""
        return self.days > 0 or self.metered_m3 != 0

    @property
    def saving_m3(self) -> float | None:
        """Baseline − metered, m³; ``None`` for a zone without data (:attr:`has_data`)."""
        return self.baseline_m3 - self.metered_m3 if self.has_data else None

    @property
    def saving_m3_per_mu(self) -> float | None:
        """Baseline − metered, m³/mu; ``None`` for a zone without data."""
        return self.baseline_m3_per_mu - self.metered_m3_per_mu if self.has_data else None


@dataclass(frozen=True)
class SiteReport:
    site_id: str
    zones: list[ZoneReport]

    @property
    def area_m2(self) -> float:
        return sum(z.zone.area_m2 for z in self.zones)

    @property
    def area_mu(self) -> float:
        return self.area_m2 / M2_PER_MU

    def total_m3(self, term: str) -> float:
        return sum(z.m3(term) for z in self.zones)

    @property
    def metered_m3(self) -> float:
        return sum(z.metered_m3 for z in self.zones)

    @property
    def baseline_m3(self) -> float:
        return sum(z.baseline_m3 for z in self.zones)

    @property
    def saving_m3(self) -> float | None:
        """The zones' savings summed, m³, over the zones with data; ``None`` when none has."""
        savings = [s for z in self.zones if (s := z.saving_m3) is not None]
        return sum(savings) if savings else None

    @property
    def saving_m3_per_mu(self) -> float | None:
        """:attr:`saving_m3` per mu of the zones with data (``None`` when none has)."""
        saving = self.saving_m3
        known_mu = sum(z.zone.area_mu for z in self.zones if z.has_data)
        return None if saving is None else (saving / known_mu if known_mu else 0.0)

    def per_mu(self, m3: float) -> float:
        return m3 / self.area_mu if self.area_mu else 0.0

    @property
    def fertilizer_kg(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for z in self.zones:
            for nutrient, kg in z.fertilizer_kg.items():
                out[nutrient] = out.get(nutrient, 0.0) + kg
        return out


@dataclass(frozen=True)
class Report:
    start: dt.date
    end: dt.date
    season: bool  # the whole season (winter irrigation in the baseline), not a day range
    practice: str
    sites: list[SiteReport]
    notes: list[str]
    # what makes figures incomplete or old (a site whose last pull failed), shown first
    warnings: list[str] = field(default_factory=list)


def _baseline(
    practice: BaselinePractice,
    days: Sequence[BalanceDay],
    start: dt.date,
    end: dt.date,
    season: bool,
) -> tuple[dict[dt.date, float], list[str]]:
    """Baseline m³/mu by date in [start, end] and the events counted, in words."""
    rain = {d.date: d.rain_mm for d in days}
    by_date: dict[dt.date, float] = {}
    words: list[str] = []
    if season and practice.winter_m3_mu:
        by_date[start] = practice.winter_m3_mu
        words.append(f"winter irrigation {practice.winter_m3_mu:g} m³/mu (before the season)")
    for year in range(start.year, end.year + 1):
        for month, day, m3_mu in practice.events:
            on = dt.date(year, month, day)
            if not start <= on <= end:
                continue
            if practice.rain_skip_mm is not None:
                before = range(1, practice.rain_window_days + 1)
                fallen = sum(rain.get(on - dt.timedelta(days=k), 0.0) for k in before)
                if fallen >= practice.rain_skip_mm:
                    words.append(f"{on} skipped (measured rain {fallen:.1f} mm before it)")
                    continue
            by_date[on] = by_date.get(on, 0.0) + m3_mu
            words.append(f"{on} {m3_mu:g} m³/mu")
    return by_date, words


def zone_report(
    zone: ReportZone,
    days: Sequence[BalanceDay],
    runs: Iterable[RunWater],
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    *,
    practice: BaselinePractice = DEFAULT_PRACTICE,
    season: bool = False,
) -> ZoneReport:
    """One zone's report from its balance days and runs (both may extend past the range)."""
    days = sorted((d for d in days if start <= d.date <= end), key=lambda d: d.date)
    depth = {t: sum(getattr(d, f"{t}_mm") for d in days) for t in _TERMS}
    storage = days[0].dr_start_mm - days[-1].dr_end_mm if days else 0.0
    correction = sum(d.probe_correction_mm for d in days)
    depth["storage_change"] = storage
    depth["probe_correction"] = correction
    depth["closure"] = (
        depth["effective_rain"]
        + depth["irrigation"]
        - depth["eta"]
        - depth["deep_percolation"]
        - storage
        - correction
    )
    metered: dict[dt.date, float] = {}
    fertilizer: dict[str, float] = {}
    for run in runs:
        local = run.started_at.astimezone(tz).date()
        if start <= local <= end:
            metered[local] = metered.get(local, 0.0) + run.applied_m3
            for nutrient, kg in run.fertilizer.items():
                fertilizer[nutrient] = fertilizer.get(nutrient, 0.0) + kg
    base, words = _baseline(practice, days, start, end, season)
    cumulative: list[tuple[dt.date, float, float]] = []
    water = base_sum = 0.0
    day = start
    while day <= end:
        water += metered.get(day, 0.0) / zone.area_mu
        base_sum += base.get(day, 0.0)
        cumulative.append((day, water, base_sum))
        day += dt.timedelta(days=1)
    return ZoneReport(
        zone=zone,
        days=len(days),
        depth_mm=depth,
        metered_m3=sum(metered.values()),
        baseline_m3_per_mu=base_sum,
        baseline_events=words,
        fertilizer_kg=fertilizer,
        cumulative=cumulative,
    )


def build_report(
    zones: Sequence[ReportZone],
    days: Mapping[tuple[str, str], Sequence[BalanceDay]],
    runs: Mapping[tuple[str, str], Sequence[RunWater]],
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    *,
    practice: BaselinePractice = DEFAULT_PRACTICE,
    season: bool = False,
) -> Report:
    """The report of ``zones``; ``days`` and ``runs`` keyed by (site, zone)."""
    if end < start:
        raise ValueError(f"report end {end} is before its start {start}")
    by_site: dict[str, list[ZoneReport]] = {}
    for z in zones:
        key = (z.site_id, z.zone)
        report = zone_report(
            z,
            days.get(key, []),
            runs.get(key, []),
            start,
            end,
            tz,
            practice=practice,
            season=season,
        )
        by_site.setdefault(z.site_id, []).append(report)
    notes = [
        "m³ = mm ÷ 1000 × area; 1 mu = 666.67 m²",
        "metered inflow: the zones' runs as the flow meter measured them, by local start date",
        "closure error: effective rain + irrigation − ETa − drainage − Δstorage − probe "
        "corrections; it holds application losses (gross − net) and root-zone growth",
        f"baseline: {practice.describe()}"
        + ("" if season else "; a day range counts the events in it, not the winter irrigation"),
        "saving before leaching: baseline − metered. A box whose irrigation water's EC is "
        "known also takes off, on its pages, the water its salt ledger says the season's salt "
        "needs to be leached after the season; this report does not, so its saving is that "
        "much higher than the box's",
    ]
    sites = [SiteReport(site, reports) for site, reports in sorted(by_site.items())]
    return Report(
        start=start,
        end=end,
        season=season,
        practice=practice.describe(),
        sites=sites,
        notes=notes,
        warnings=[w for site in sites if (w := _no_days_warning(site, start, end))],
    )


def _no_days_warning(site: SiteReport, start: dt.date, end: dt.date) -> str:
    """The zones of ``site`` with no balance day nor run in the range, said ("" when none):
    their rows count no water used, so the whole baseline would read as saved: they show
    no saving."""
    empty = [z.zone.zone for z in site.zones if not z.has_data]
    if not empty:
        return ""
    return (
        f"{site.site_id}: no water-balance day from {start} to {end} for zone "
        f"{', '.join(empty)}: nothing is known of the water used there, so no saving is "
        "shown for it (the site's saving counts the zones with data only)"
    )


# -- a box's own store ---------------------------------------------------------------


def balance_day(row: Any) -> BalanceDay:
    """A :class:`BalanceDay` from anything with the stored balance's attribute names."""
    return BalanceDay(
        date=row.date,
        rain_mm=row.rain_mm,
        effective_rain_mm=row.effective_rain_mm,
        runoff_mm=row.runoff_mm,
        irrigation_mm=row.irrigation_mm,
        etc_mm=row.etc_mm,
        eta_mm=row.eta_mm,
        deep_percolation_mm=row.deep_percolation_mm,
        dr_start_mm=row.dr_start_mm,
        dr_end_mm=row.dr_end_mm,
        probe_correction_mm=row.probe_correction_mm or 0.0,
    )


def data_range(store: Store, zones: Sequence[ReportZone]) -> tuple[dt.date, dt.date] | None:
    """First and last stored balance date over ``zones`` (None when there is none)."""
    dates = [row.date for z in zones for row in store.water_balance(z.zone)]
    return (min(dates), max(dates)) if dates else None


def from_store(
    store: Store,
    zones: Sequence[ReportZone],
    start: dt.date | None,
    end: dt.date | None,
    tz: ZoneInfo,
    *,
    practice: BaselinePractice = DEFAULT_PRACTICE,
) -> Report:
    """The report of one box from its store; no range = the season (all stored days)."""
    season = start is None and end is None
    found = data_range(store, zones)
    today = dt.datetime.now(tz).date()
    start = start or (found[0] if found else today)
    end = end or (found[1] if found else today)
    days: dict[tuple[str, str], list[BalanceDay]] = {}
    runs: dict[tuple[str, str], list[RunWater]] = {}
    # Runs by UTC creation time, a day wider each side; zone_report keeps the local dates.
    since = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    for z in zones:
        key = (z.site_id, z.zone)
        days[key] = [balance_day(r) for r in store.water_balance(z.zone, start, end)]
        runs[key] = [
            RunWater(r.started_at, r.applied_m3, dict(r.fertilizer or {}))
            for r in store.runs(z.zone, since, until)
            if r.started_at is not None
        ]
    return build_report(zones, days, runs, start, end, tz, practice=practice, season=season)


# -- CSV -----------------------------------------------------------------------------

CSV_COLUMNS = [
    "site",
    "zone",
    "area_mu",
    "days",
    "metered_m3",
    "metered_m3_per_mu",
    "irrigation_mm",
    "irrigation_m3",
    "rain_mm",
    "effective_rain_mm",
    "runoff_mm",
    "etc_mm",
    "eta_mm",
    "drainage_mm",
    "storage_change_mm",
    "probe_correction_mm",
    "closure_mm",
    "baseline_m3",
    "baseline_m3_per_mu",
    "saving_m3",
    "saving_m3_per_mu",
    "fertilizer_kg_per_mu",
    "baseline_practice",  # what baseline and saving count against: the practice, its events
]


def _row(
    site: str,
    zone: str,
    area_mu: float,
    days: int,
    metered: float,
    depth: Mapping[str, float],
    area_m2: float,
    baseline: float,
    saving: tuple[float, float] | None,
    fertilizer: Mapping[str, float],
) -> dict[str, Any]:
    """One row's fields keyed as :data:`CSV_COLUMNS` (but the practice), numbers rounded to
    3 decimals; ``saving``: m³ and m³/mu, or ``None`` (both ``None``) where nothing is
    known; the fertilizer in kg/mu by nutrient."""

    def r(x: float) -> float:
        return round(x, 3) + 0.0  # + 0.0: a closure of -1e-12 mm is 0.0, not -0.0

    per_mu = (lambda m3: m3 / area_mu) if area_mu else (lambda m3: 0.0)
    return {
        "site": site,
        "zone": zone,
        "area_mu": r(area_mu),
        "days": days,
        "metered_m3": r(metered),
        "metered_m3_per_mu": r(per_mu(metered)),
        "irrigation_mm": r(depth["irrigation"]),
        "irrigation_m3": r(depth["irrigation"] / 1000 * area_m2),
        "rain_mm": r(depth["rain"]),
        "effective_rain_mm": r(depth["effective_rain"]),
        "runoff_mm": r(depth["runoff"]),
        "etc_mm": r(depth["etc"]),
        "eta_mm": r(depth["eta"]),
        "drainage_mm": r(depth["deep_percolation"]),
        "storage_change_mm": r(depth["storage_change"]),
        "probe_correction_mm": r(depth["probe_correction"]),
        "closure_mm": r(depth["closure"]),
        "baseline_m3": r(baseline),
        "baseline_m3_per_mu": r(per_mu(baseline)),
        "saving_m3": None if saving is None else r(saving[0]),
        "saving_m3_per_mu": None if saving is None else r(saving[1]),
        "fertilizer_kg_per_mu": {n: r(kg / area_mu) for n, kg in sorted(fertilizer.items())},
    }


def report_rows(report: Report) -> list[dict[str, Any]]:
    """One row per zone and one per site (zone ``*``: area-weighted depths, summed
    volumes), each naming the baseline practice (``baseline_practice``): the CSV's lines and
    the JSON's ``rows`` (:mod:`controller.office.report_json`)."""
    rows: list[dict[str, Any]] = []
    for site in report.sites:
        for z in site.zones:
            rows.append(
                _row(
                    site.site_id,
                    z.zone.zone,
                    z.zone.area_mu,
                    z.days,
                    z.metered_m3,
                    z.depth_mm,
                    z.zone.area_m2,
                    z.baseline_m3,
                    _pair(z.saving_m3, z.saving_m3_per_mu),
                    z.fertilizer_kg,
                )
            )
        rows.append(
            _row(
                site.site_id,
                "*",
                site.area_mu,
                max((z.days for z in site.zones), default=0),
                site.metered_m3,
                site_depths(site),
                site.area_m2,
                site.baseline_m3,
                _pair(site.saving_m3, site.saving_m3_per_mu),
                site.fertilizer_kg,
            )
        )
    return [{**row, "baseline_practice": report.practice} for row in rows]


def _csv_cell(value: Any) -> Any:
    """A row's field as the CSV writes it: no saving is an empty cell, the fertilizer
    ``N=1.000;P2O5=0.500`` (kg/mu)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ";".join(f"{n}={kg:.3f}" for n, kg in value.items())
    return value


def to_csv(report: Report) -> str:
    """:func:`report_rows` as CSV, one line each under :data:`CSV_COLUMNS` (the CSV has no
    notes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report_rows(report):
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _pair(m3: float | None, m3_per_mu: float | None) -> tuple[float, float] | None:
    return None if m3 is None or m3_per_mu is None else (m3, m3_per_mu)


def site_depths(site: SiteReport) -> dict[str, float]:
    """Area-weighted mean depths of a site's zones, mm."""
    area = site.area_m2
    keys = site.zones[0].depth_mm.keys() if site.zones else []
    return {
        k: sum(z.depth_mm[k] * z.zone.area_m2 for z in site.zones) / area if area else 0.0
        for k in keys
    }
