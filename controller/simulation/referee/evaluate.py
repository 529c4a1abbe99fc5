"""A strategy judged by the AquaCrop referee over weather years, every strategy alike.

Per weather seed and zone, the truth (:class:`~controller.simulation.referee.aquacrop.
AquaCropField`, the zone's true soil from the scenario) starts on sowing day from the same
spring soil water (``spring_fraction_taw`` of TAW, or field capacity) and receives what the
strategy gives. Rain reaches the soil at ``rain_effective_fraction``. The year's water is the
season's irrigation plus the winter irrigation of border practice, or, for drip strategies,
the FAO-29 leaching requirement of the season's water (:func:`practices.leaching_fraction`).
The soil's storage change from sowing to harvest is reported and charged: a strategy that
ends the season drier has borrowed that water from next year (``water_annual_m3_mu`` counts
it; ``water_annual_uncorrected_m3_mu`` does not).

Yield is AquaCrop's at 14 % moisture; ``relative_yield`` is over the same truth's yield with
water never short (the ``full`` practice) on the same weather. A critical stress day is a day
between ``critical_dap`` whose transpiration fell below 95 % of its potential.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from controller.simulation.fidelity import AgronomySeason
from controller.simulation.referee.aquacrop import (
    SEED_MAIZE_ZHANGYE,
    AquaCropField,
    SeasonResult,
)
from controller.simulation.referee.practices import (
    Accounting,
    Practice,
    accounting,
    m3_mu_to_mm,
    mm_to_m3_mu,
    practices,
)
from controller.simulation.referee.truth import (
    AquaCropTruth,
    aquacrop_factory,
    truth_field,
    weather_frame,
)
from controller.simulation.season import Scenario, ScenarioError, quiet_logs, station_et0
from drivers.sim.weathergen import WeatherGenerator

__all__ = [
    "DAEMON_STRATEGIES",
    "HIGHER_IS_BETTER",
    "KEYS",
    "ZoneOutcome",
    "daemon_season",
    "evaluate",
    "evaluate_all",
    "judge_zone",
    "practice_outcome",
    "season_row",
    "season_weather",
    "summarize",
    "truth_outcome",
]

#: The daemon's strategies the referee runs through the agronomy fidelity.
DAEMON_STRATEGIES = ("et", "et-fao56", "et-quota200", "sensor", "calendar")
STRESS_TR_RATIO = 0.95  # transpiration below 95 % of potential: a stress day
STRESS_MIN_TRPOT_MM = 0.5  # days with less potential transpiration do not count

#: The keys of every result row, in print order.
KEYS = (
    "water_annual_m3_mu",
    "water_annual_uncorrected_m3_mu",
    "water_in_season_m3_mu",
    "winter_or_leaching_m3_mu",
    "storage_change_mm",
    "relative_yield",
    "yield_t_ha",
    "wp_kg_m3",
    "transpiration_mm",
    "soil_evaporation_mm",
    "drainage_mm",
    "runoff_mm",
    "rain_mm",
    "rain_effective_mm",
    "critical_stress_days",
    "saving_vs_border_surveyed_m3_mu",
    "saving_vs_drip_practice_m3_mu",
)
HIGHER_IS_BETTER = frozenset(
    {
        "relative_yield",
        "yield_t_ha",
        "wp_kg_m3",
        "saving_vs_border_surveyed_m3_mu",
        "saving_vs_drip_practice_m3_mu",
    }
)


def season_weather(scenario: Scenario, seed: int, acc: Accounting) -> pd.DataFrame:
    """Daily weather of ``seed`` from sowing to harvest, generated exactly as the daemon's
    seasons generate it (from the scenario's start, so a seed is the same year everywhere),
    with the station's true ET0."""
    site = scenario.raw.get("site", {})
    try:
        lat, elev = float(site["latitude_deg"]), float(site["elevation_m"])
    except (KeyError, TypeError, ValueError):
        raise ScenarioError(f"{scenario.path}: site.latitude_deg / elevation_m: missing") from None
    series = WeatherGenerator(scenario.normals, seed).generate(
        scenario.start - dt.timedelta(days=1), scenario.end + dt.timedelta(days=1)
    )
    et0 = station_et0(series, scenario.start, scenario.end, lat, elev)
    return weather_frame(series.days(acc.planting, acc.harvest), et0, acc)


@dataclass(frozen=True, slots=True)
class ZoneOutcome:
    """One zone's season under one strategy on the truth, with the year's extra water."""

    zone: str
    season: SeasonResult
    winter_or_leaching_mm: float
    critical_dap: tuple[int, int]
    late_irrigation_mm: float = 0.0  # delivered after harvest: charged, reaching no crop
    early_irrigation_mm: float = 0.0  # delivered before sowing: charged, reaching no crop

    @property
    def storage_change_mm(self) -> float:
        """Soil water at harvest minus at sowing (mm): negative if the season mined the soil."""
        return self.season.days[-1].storage_mm - self.season.initial_storage_mm

    @property
    def critical_stress_days(self) -> int:
        lo, hi = self.critical_dap
        return sum(
            1
            for d in self.season.days
            if lo <= d.dap <= hi
            and d.tr_pot_mm > STRESS_MIN_TRPOT_MM
            and d.tr_mm < STRESS_TR_RATIO * d.tr_pot_mm
        )


def _run_practice(field: AquaCropField, practice: Practice) -> SeasonResult:
    """Step the truth through a practice (fixed schedule, or the oracle's threshold)."""
    if practice.method != "oracle":
        schedule = practice.schedule_mm()
        while not field.finished:
            field.step(schedule.get(field.today, 0.0))
        return field.result()
    last = practice.last_day or field.harvest
    due = 0.0
    while not field.finished:
        today = field.today
        state = field.step(due if today <= last else 0.0)
        taw = state.root_zone_taw_mm
        deficit = state.root_zone_depletion_mm
        due = deficit if taw > 0 and deficit > practice.trigger_fraction_taw * taw else 0.0
    return field.result()


def practice_outcome(
    scenario: Scenario,
    acc: Accounting,
    zone: str,
    weather: pd.DataFrame,
    practice: Practice,
    initial: str,
    crop_params: Mapping[str, float] = SEED_MAIZE_ZHANGYE,
) -> ZoneOutcome:
    """``practice`` on the zone's truth (crop ``crop_params``) over ``weather``, with the
    year's extra water (border's winter irrigation, or drip's leaching requirement)."""
    field = truth_field(scenario, acc, zone, weather, practice.wetted_by_drip, initial, crop_params)
    season = _run_practice(field, practice)
    if practice.method == "border":
        extra_mm = m3_mu_to_mm(practice.winter_m3_mu)
    else:
        extra_mm = acc.leaching_fraction * season.irrigation_mm
    return ZoneOutcome(zone, season, extra_mm, acc.critical_dap)


def season_row(
    outcome: ZoneOutcome, full_yield_t_ha: float, weather: pd.DataFrame
) -> dict[str, float]:
    """A zone's season as the referee reports it: every key of :data:`KEYS` but the two
    savings (which need the practices' rows); yield relative to ``full_yield_t_ha`` (t/ha)."""
    s = outcome.season
    delivered_mm = s.irrigation_mm + outcome.early_irrigation_mm + outcome.late_irrigation_mm
    in_season = mm_to_m3_mu(delivered_mm)
    extra = mm_to_m3_mu(outcome.winter_or_leaching_mm)
    uncorrected = in_season + extra
    annual = uncorrected - mm_to_m3_mu(outcome.storage_change_mm)
    yield_t_ha = s.fresh_yield_t_ha
    if full_yield_t_ha <= 0:
        raise ValueError("relative yield: the fully watered yield is 0 (no season simulated?)")
    water_m3_ha = annual * 15.0  # 15 mu per hectare
    return {
        "water_annual_m3_mu": annual,
        "water_annual_uncorrected_m3_mu": uncorrected,
        "water_in_season_m3_mu": in_season,
        "winter_or_leaching_m3_mu": extra,
        "storage_change_mm": outcome.storage_change_mm,
        "relative_yield": yield_t_ha / full_yield_t_ha,
        "yield_t_ha": yield_t_ha,
        "wp_kg_m3": yield_t_ha * 1000.0 / water_m3_ha if water_m3_ha > 0 else math.inf,
        "transpiration_mm": s.total("tr_mm"),
        "soil_evaporation_mm": s.total("es_mm"),
        "drainage_mm": s.total("deep_percolation_mm"),
        "runoff_mm": s.total("runoff_mm"),
        "rain_mm": float(weather["rain_fallen_mm"].sum()),
        "rain_effective_mm": s.total("rain_mm"),
        "critical_stress_days": float(outcome.critical_stress_days),
    }


def daemon_season(
    scenario: Scenario,
    acc: Accounting,
    strategy: str,
    seed: int,
    initial: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    workdir: Path | None = None,
    days: int | None = None,
) -> dict[str, ZoneOutcome]:
    """The daemon's own agronomy and planning (:class:`AgronomySeason`) watering the AquaCrop
    truth for a season of ``seed``; each zone's outcome, charged the FAO-29 leaching water of
    everything it delivered (drip). ``overrides``: the site overrides the daemon starts with;
    ``workdir``: keep the season's store (``qanat.db``) and learned models there; ``days``:
    only the scenario's first days (the truth's yield is then 0: no harvest)."""
    made: dict[str, AquaCropTruth] = {}
    factory = aquacrop_factory(acc, drip=True, initial=initial, made=made)
    with quiet_logs():
        AgronomySeason(
            scenario,
            strategy,
            seed=seed,
            truth=factory,
            overrides=overrides,
            workdir=workdir,
            days=days,
        ).run()
    return {zone: truth_outcome(zone, truth, acc) for zone, truth in made.items()}


def truth_outcome(zone: str, truth: AquaCropTruth, acc: Accounting) -> ZoneOutcome:
    """The season a daemon gave ``zone``'s AquaCrop truth, charged every mm it delivered
    (before sowing, in season, after harvest) and the FAO-29 leaching water of all of it."""
    season = truth.field.result()
    delivered = season.irrigation_mm + truth.early_irrigation_mm + truth.late_irrigation_mm
    return ZoneOutcome(
        zone,
        season,
        acc.leaching_fraction * delivered,
        acc.critical_dap,
        late_irrigation_mm=truth.late_irrigation_mm,
        early_irrigation_mm=truth.early_irrigation_mm,
    )


def judge_zone(
    scenario: Scenario,
    acc: Accounting,
    zone: str,
    outcomes: Mapping[str, ZoneOutcome],
    seed: int,
    *,
    initial: str = "spring",
) -> dict[str, dict[str, float]]:
    """Rows of :data:`KEYS` but the savings for several outcomes of one ``zone`` on ``seed``
    (from :func:`daemon_season`, each under its own name): relative yield over one ``full``
    practice season on the same truth and weather."""
    full_practice = practices(scenario).get("full")
    if full_practice is None:
        raise ScenarioError(f"{scenario.path}: referee.practices.full: missing")
    weather = season_weather(scenario, seed, acc)
    full = practice_outcome(scenario, acc, zone, weather, full_practice, initial)
    return {
        name: season_row(outcome, full.season.fresh_yield_t_ha, weather)
        for name, outcome in outcomes.items()
    }


def evaluate(
    scenario: Scenario, strategy: str, seed: int, *, initial: str = "spring"
) -> dict[str, Any]:
    """One weather seed of ``strategy`` (a practice's name) on the AquaCrop truth.

    Returns the site's row (zones weighted equally: the scenario's zones share one area) with
    every key of :data:`KEYS`, and ``zones`` with each zone's row."""
    return evaluate_all(scenario, [strategy], seed, initial=initial)[strategy]


def evaluate_all(
    scenario: Scenario, strategies: Sequence[str], seed: int, *, initial: str = "spring"
) -> dict[str, dict[str, Any]]:
    """:func:`evaluate` for several strategies on one seed, each season simulated once."""
    acc = accounting(scenario)
    known = practices(scenario)
    for needed in ("full", "border-surveyed", "drip-practice"):
        if needed not in known:
            raise ScenarioError(f"{scenario.path}: referee.practices.{needed}: missing")
    for strategy in strategies:
        if strategy not in known and strategy not in DAEMON_STRATEGIES:
            raise ScenarioError(
                f"{scenario.path}: no strategy {strategy!r} for the referee (practices "
                f"{', '.join(sorted(known))}; the daemon's {', '.join(DAEMON_STRATEGIES)})"
            )
    if initial not in ("spring", "FC"):
        raise ValueError(f"initial: {initial!r} (spring or FC)")
    weather = season_weather(scenario, seed, acc)
    names = sorted({*strategies, "border-surveyed", "drip-practice"})
    daemon = {
        s: daemon_season(scenario, acc, s, seed, initial)
        for s in strategies
        if s in DAEMON_STRATEGIES
    }
    per_zone: dict[str, dict[str, dict[str, float]]] = {}
    for zone in sorted(scenario.soils):
        full = practice_outcome(scenario, acc, zone, weather, known["full"], initial)
        full_yield = full.season.fresh_yield_t_ha
        rows = {
            name: season_row(
                daemon[name][zone]
                if name in daemon
                else practice_outcome(scenario, acc, zone, weather, known[name], initial),
                full_yield,
                weather,
            )
            for name in names
        }
        for row in rows.values():
            row["saving_vs_border_surveyed_m3_mu"] = (
                rows["border-surveyed"]["water_annual_m3_mu"] - row["water_annual_m3_mu"]
            )
            row["saving_vs_drip_practice_m3_mu"] = (
                rows["drip-practice"]["water_annual_m3_mu"] - row["water_annual_m3_mu"]
            )
        per_zone[zone] = rows
    out: dict[str, dict[str, Any]] = {}
    for strategy in strategies:
        zones = {zone: per_zone[zone][strategy] for zone in per_zone}
        site = {key: statistics.fmean(z[key] for z in zones.values()) for key in KEYS}
        site["critical_stress_days"] = max(z["critical_stress_days"] for z in zones.values())
        out[strategy] = {
            "strategy": strategy,
            "seed": seed,
            "initial": initial,
            **site,
            "zones": zones,
        }
    return out


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=10, method="inclusive")[round(q * 10) - 1]


def summarize(
    rows: Iterable[Mapping[str, Any]], keys: Sequence[str] = KEYS
) -> dict[str, dict[str, float]]:
    """Mean, p10, p90 and worst of each of ``keys`` over seeds (worst: the low end where
    higher is better, the high end otherwise); :class:`ValueError` on no rows."""
    rows = list(rows)
    if not rows:
        raise ValueError("summary of no seeds")
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        values = [float(r[key]) for r in rows]
        worst: Callable[[Iterable[float]], float] = min if key in HIGHER_IS_BETTER else max
        out[key] = {
            "mean": statistics.fmean(values),
            "p10": _quantile(values, 0.1),
            "p90": _quantile(values, 0.9),
            "worst": worst(values),
        }
    return out
