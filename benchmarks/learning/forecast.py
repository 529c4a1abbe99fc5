"""Moisture forecast: how much the learned 24 h depletion forecast beats FAO-56 physics alone.

A season of the Zhangye seed-corn scenario (its weather generator, its crop, drip from
planting to harvest) is generated through the simulated field's own soil
(:mod:`drivers.sim.soilphysics`, hourly) for one zone, twice: with a mis-configured soil
(the site file says loam, the truth is the scenario's sandy loam: it holds less, drains
faster) and with a correct one (the truth is the configured loam). The controller's side is
what the daemon does each day: the FAO-56 balance of the configured soil (probe weight 0,
:func:`models.waterbalance.advance`), the ET rule watering when Dr reaches RAW and refilling
to 0.15 TAW, and two probes (20 and 40 cm, each with its calibration offset and reading noise,
:func:`drivers.sim.field.probe_pct`) read at the end of each day into the observed depletion
against the configured soil (:func:`models.waterbalance.observed_depletion_mm`).

The product's model (:func:`models.learning.forecast.train_forecast`) is trained on the
first :data:`TRAIN_FRACTION` of the season; on the rest, every day's 24 h forecast of a day
without a run (the path the planner asks for; the next day's measured ET0 and rain, as the
planner would have them from a perfect forecast) is scored against the truth's root-zone
depletion the next evening (:attr:`~benchmarks.learning.etrule.ZoneDay.true_dr_mm`, mm below
the true field capacity over the true root zone): the quantity the planner needs, measured
independently of the forecast's inputs. The truth is read here only, to score; the model
trains and forecasts on the balance and the probes. (Earlier this part scored against the
balance's depletion plus the probes' change by the next evening: a reference holding the
forecast's own starting point, blind to the balance's error in level, and holding the
probes' change, which is what the model was fitted to.) Scored for physics alone and for the
forecast the planner would use (learned at the horizons where it validated better, else
physics):

* ``forecast_mae_gain_misconfigured_pct``: (MAE physics − MAE used) / MAE physics, %;
* ``forecast_mae_gain_correct_pct``: the same on the correctly configured soil;
* ``train_s``: the longest training of one zone, s;
* ``mae_<24|48|72>h_<physics|used|learned>_<case>_mm``: each horizon's MAE (its days
  without a run), the mean over the seasons, of physics, of the forecast used and of the
  learned one as if it were used everywhere (what the fall-back spared); the gains are the
  24 h ones.

FAO-56's 24 h error taken apart on the same days (a day's error is the sum of its parts):

* ``mae_24h_physics_level_<case>_mm``: the balance's level at the forecast's start, the MAE of
  ``Dr − true Dr`` that day; ``mae_24h_physics_change_<case>_mm``: the forecast's change, the
  MAE of ``(forecast − Dr) − (true Dr next day − true Dr)``. A forecast adding a learned
  change to the balance's Dr can remove at most the second.

A diagnostic, not a goal, with ``--rows probe_level``: the forecast started from a level read
from the probes (:mod:`benchmarks.learning.probe_level`, from the training part's probes and
balance) with FAO-56's change, at 24 h on the same days, per design a dict of its mean MAE
(``mae_24h_mm``), the mean of each season's gain (``gain_pct``, as the goal's) and each
season's gain (``gain_per_season_pct``, in the order of the seeds):

* ``probe_level_drained_<case>``: the probes' depletion below the θ they read one and two
  evenings after a run;
* ``probe_level_drift_since<M>_newest<W>_<case>``: the balance's Dr moved by the probes'
  drift from their line on the balance's Dr (:data:`DRIFT_SETTINGS`: every setting printed);
* ``probe_level_slowdown_<case>``: the balance's Dr less the ET the probes' slowdown says
  the crop missed since planting; ``probe_level_slowdown_since_training_<case>``: since the
  training part's last day;
* ``probe_level_drift_known_<case>``: a bound, not a design: the truth's drift from the
  balance since the training part's last day known exactly;
* ``probe_scatter_<case>_mm``: per season, how far the probes' θ scatters about a line on the
  truth's Dr (mm of Dr; roots deepest, two days or more since water): what no level read
  from the probes can beat.

A diagnostic, not a goal: the zone's balance re-run over the season with the soil the site
fits from its own dry-downs (a *shadow* balance, :mod:`benchmarks.learning.shadow`; the
product's soil fit on the training part's dry-downs, cut as the daemon cuts them), at 24 h on
the same days, in two variants: ``shadow`` (fitted θfc, θwp and ``kc_factor``) and
``shadow_taw`` (the fitted TAW, ``kc_factor`` 1 as configured):

* ``mae_24h_<variant>_everywhere_<case>_mm``: its MAE had it been used on every day, and
  ``<variant>_everywhere_gain_<case>_pct`` that as the goal's gain;
* ``mae_24h_<variant>_used_<case>_mm``: used only in the seasons where its 24 h change beat
  the configured balance's against the probes' change by the forecast's margin
  (``<variant>_validated_<case>``: which, in the order of the seeds), else physics;
* ``shadow_taw_ratio_<case>``: each fit's TAW over the configured TAW with its 1 σ;
  ``shadow_kc_factor_<case>`` its ``kc_factor``; ``soil_fit_s`` the longest fit, s.

A season whose training part has too few dry-downs for the fit (``--quick``) counts as
physics in every shadow figure. These rows are printed only with ``--rows shadow`` (the fits
take most of the part's time).

Seeds: ``--quick`` one season (90 days), else three seeds (``seed``, +1, +2) of the whole
season, the figures their mean (``train_s`` the max).
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.learning import probe_level, shadow
from benchmarks.learning.etrule import CONFIGURED, SCENARIO, ZONE, et_rule_days
from benchmarks.learning.shadow import ProbeDay
from controller.config.site import SiteConfig, load_site
from controller.simulation.season import ScenarioError, load_scenario
from drivers.sim.field import PROBE_NOISE_PCT, PROBE_OFFSET_PCT, probe_pct
from drivers.sim.soilphysics import SoilTruth
from models.crops import Crop
from models.learning.errors import TooLittleDataError
from models.learning.forecast import (
    HORIZONS_D,
    WET_MM,
    FutureDay,
    HistoryDay,
    physics_path,
    train_forecast,
)
from models.soils import SoilProfile, texture
from models.waterbalance import (
    ProbeReading,
    observed_depletion_mm,
)

NAME = "forecast"
GOALS: dict[str, tuple[str, float]] = {
    "forecast_mae_gain_misconfigured_pct": (">=", 20.0),
    "forecast_mae_gain_correct_pct": (">=", 0.0),
    "train_s": ("<=", 10.0),
}

TRUE_SANDY_LOAM = SoilTruth(theta_fc=0.21, theta_wp=0.10, theta_sat=0.42, drain_tau_h=12.0)
PROBE_DEPTHS_M = (0.2, 0.4)
READINGS_PER_EVENING = 12  # 5-min polls of the day's last hour, averaged
TRAIN_FRACTION = 0.6
QUICK_DAYS = 90
ROWS = ("shadow", "probe_level")  # optional rows (``--rows``)
SHADOWS = ("shadow", "shadow_taw")  # fitted soil and kc_factor; fitted TAW, kc_factor 1
# the probe-level drift's settings, (days since water at least, newest days): every one printed
DRIFT_SETTINGS = tuple((m, w) for m in (1, 2, 3) for w in (5, 10, 20))
SCATTER_SINCE_D = 2  # the probes' scatter about the truth's Dr: days this long after water


@dataclass(frozen=True)
class _Season:
    history: list[HistoryDay]
    true_dr_mm: list[float]  # the truth's root-zone depletion at each day's end: scoring only
    probes: list[ProbeDay]  # the probes' mean θ and the crop of each day, for the soil fit


def _true_loam(configured: SoilProfile) -> SoilTruth:
    """The configured texture as the truth (a correctly configured site)."""
    layer = configured.layers[0]
    return SoilTruth(theta_fc=layer.theta_fc, theta_wp=layer.theta_wp, theta_sat=0.45)


def _evening_pct(theta: float, offset_pct: float, rng: random.Random) -> float:
    """A probe's mean reading (volumetric %) over the day's last hour of polls."""
    reads = [probe_pct(theta, offset_pct, rng) for _ in range(READINGS_PER_EVENING)]
    return min(max(statistics.fmean(reads), 0.0), 100.0)


def _simulate(site: SiteConfig, crop: Crop, truth: SoilTruth, seed: int, days: int) -> _Season:
    """One zone's season: the truth hourly, the controller's balance and ET rule daily."""
    soil = SoilProfile.uniform(texture(CONFIGURED), crop.root_depth_max_m)
    rng = random.Random(seed * 7919 + 1)
    offsets = [rng.gauss(0, PROBE_OFFSET_PCT) for _ in PROBE_DEPTHS_M]
    history: list[HistoryDay] = []
    true_dr_mm: list[float] = []
    probes: list[ProbeDay] = []
    for day in et_rule_days(site, crop, truth, seed, days=days):
        readings = [
            ProbeReading(depth, _evening_pct(day.column.theta_at(depth), off, rng))
            for depth, off in zip(PROBE_DEPTHS_M, offsets, strict=True)
        ]
        theta = statistics.fmean(r.theta_pct for r in readings) / 100.0
        probes.append(ProbeDay(theta, day.crop.root_depth_m, day.crop.p_table))
        result = day.result
        history.append(
            HistoryDay(
                dr_mm=day.state.dr_mm,
                taw_mm=result.taw_mm,
                raw_mm=result.raw_mm,
                observed_mm=observed_depletion_mm(soil, day.crop.root_depth_m, readings),
                et0_mm=day.et0_mm,
                rain_mm=result.rain_effective_mm,
                water_mm=result.irrigation_net_mm,
                kc=result.kc,
                dap=day.dap,
            )
        )
        true_dr_mm.append(day.true_dr_mm)
    return _Season(history, true_dr_mm, probes)


def _score(season: _Season) -> tuple[dict[int, tuple[float, float, float]], float]:
    """Train on the first part, score each horizon's forecast on the rest against the
    truth's root-zone depletion at its end, on the days without a run in it: horizon (days) →
    (MAE physics, MAE used, MAE of the learned forecast had it been used everywhere), and the
    training seconds. The truth is read here only, never by
    the model."""
    history = season.history
    cut = int(len(history) * TRAIN_FRACTION)
    started = time.perf_counter()
    model = train_forecast(history[:cut])
    train_s = time.perf_counter() - started
    errors: dict[int, tuple[list[float], ...]] = {h: ([], [], []) for h in HORIZONS_D}
    for i in range(cut, len(history) - 1):
        nxt = history[i + 1 : i + 1 + max(HORIZONS_D)]
        ahead = [FutureDay(d.et0_mm, d.rain_mm, d.water_mm, d.kc) for d in nxt]
        ahead += [ahead[-1]] * (max(HORIZONS_D) - len(ahead))
        result = model.predict(history[: i + 1], ahead)
        for k, h in enumerate(HORIZONS_D):
            if i + h >= len(history) or sum(d.water_mm for d in nxt[:h]) > WET_MM:
                continue
            target = season.true_dr_mm[i + h]
            errors[h][0].append(abs(result.physics_mm[k] - target))
            errors[h][1].append(abs(result.chosen_mm[k] - target))
            errors[h][2].append(abs(result.learned_mm[k] - target))
    maes = {
        h: (statistics.fmean(p), statistics.fmean(u), statistics.fmean(lv))
        for h, (p, u, lv) in errors.items()
        if p
    }
    return maes, train_s


def _scored_24h(history: Sequence[HistoryDay]) -> list[tuple[int, float]]:
    """The days :func:`_score` scores at 24 h (after the training part, no run the next
    day), each with FAO-56's forecast for the next evening, mm."""
    out = []
    for i in range(int(len(history) * TRAIN_FRACTION), len(history) - 1):
        d, nxt = history[i], history[i + 1]
        if nxt.water_mm > WET_MM:
            continue
        day = FutureDay(nxt.et0_mm, nxt.rain_mm, nxt.water_mm, nxt.kc)
        out.append((i, physics_path(d.dr_mm, d.taw_mm, d.raw_mm, [day])[0]))
    return out


def _split(season: _Season) -> tuple[float, float]:
    """FAO-56's 24 h error on the scored days taken apart, MAE (mm) of each part: the
    balance's level at the forecast's start (``Dr − true Dr`` that day) and the forecast's
    change (``(forecast − Dr) − (true Dr next day − true Dr)``); the error is their sum."""
    history, true = season.history, season.true_dr_mm
    level, change = [], []
    for i, physics in _scored_24h(history):
        level.append(abs(history[i].dr_mm - true[i]))
        change.append(abs((physics - history[i].dr_mm) - (true[i + 1] - true[i])))
    return statistics.fmean(level), statistics.fmean(change)


def _level_mae(season: _Season, level_mm: Callable[[int], float]) -> float:
    """The 24 h MAE (mm) on the scored days of the forecast starting from ``level_mm(i)``
    instead of the balance's Dr, with FAO-56's own change."""
    history, true = season.history, season.true_dr_mm
    return statistics.fmean(
        abs(level_mm(i) + physics - history[i].dr_mm - true[i + 1])
        for i, physics in _scored_24h(history)
    )


def _probe_levels(season: _Season) -> dict[str, float]:
    """Each probe-level design's 24 h MAE (mm) on the scored days
    (:mod:`benchmarks.learning.probe_level`), from the training part's probes and balance;
    ``drift_known`` is a bound, not a design: the truth's drift from the balance since the
    training part's last day known exactly, what a perfect drift reading would give."""
    history, probes, true = season.history, season.probes, season.true_dr_mm
    cut = int(len(history) * TRAIN_FRACTION)
    out: dict[str, float] = {}
    try:
        fc = probe_level.drained_theta_m3m3(history[:cut], probes[:cut])
        out["drained"] = _level_mae(season, lambda i: probe_level.drained_level_mm(fc, probes[i]))
    except TooLittleDataError:
        out["drained"] = _level_mae(season, lambda i: history[i].dr_mm)
    for since, window in DRIFT_SETTINGS:
        name = f"drift_since{since}_newest{window}"
        try:
            line = probe_level.fit_probe_line(history[:cut], probes[:cut], since)
        except TooLittleDataError:
            out[name] = _level_mae(season, lambda i: history[i].dr_mm)
            continue
        out[name] = _level_mae(
            season,
            lambda i, line=line, since=since, window=window: probe_level.drift_level_mm(
                history, probes, line, i, min_since_d=since, window_d=window
            ),
        )
    deepest = max(p.root_depth_m for p in probes)  # the crop's deepest roots, known ahead
    missed = list(itertools.accumulate(probe_level.slowdown_deficit_mm(history, probes, deepest)))
    out["slowdown"] = _level_mae(season, lambda i: history[i].dr_mm - missed[i])
    out["slowdown_since_training"] = _level_mae(
        season, lambda i: history[i].dr_mm - (missed[i] - missed[cut - 1])
    )
    then = history[cut - 1].dr_mm - true[cut - 1]
    out["drift_known"] = _level_mae(season, lambda i: true[i] + then)
    return out


def _probe_scatter_mm(season: _Season) -> float | None:
    """How closely the probes follow the truth's root-zone depletion: the standard deviation
    of their evening θ about a line on the truth's Dr over the season's days with the roots
    deepest and :data:`SCATTER_SINCE_D` days or more since water, in mm of Dr (the truth is
    read here to score only). A level read from the probes cannot be surer than this. None
    with fewer than :data:`~benchmarks.learning.probe_level.MIN_LINE_DAYS` such days."""
    history, probes, true = season.history, season.probes, season.true_dr_mm
    deepest = max(p.root_depth_m for p in probes)
    days = [
        i
        for i, p in enumerate(probes)
        if p.root_depth_m >= deepest - 1e-9
        and probe_level.days_since_wet(history, i) >= SCATTER_SINCE_D
    ]
    if len(days) < probe_level.MIN_LINE_DAYS:
        return None
    dr = [true[i] for i in days]
    theta = [probes[i].theta_m3m3 for i in days]
    slope, intercept = statistics.linear_regression(dr, theta)
    resid = [t - intercept - slope * d for d, t in zip(dr, theta, strict=True)]
    return statistics.pstdev(resid) / abs(slope)


def _probe_level_figures(
    case: str, scores: list[tuple[float, dict[str, float], float | None]]
) -> dict[str, Any]:
    """The probe-level rows of one case from each season's (physics 24 h MAE, designs' MAE,
    the probes' scatter): per design the mean MAE, the mean of each season's gain (%, as the
    goal's) and each season's gain, in the order of the seeds; the scatter per season."""
    out: dict[str, Any] = {}
    for name in scores[0][1]:
        gains = [100.0 * (p - s[name]) / p if p > 0 else 0.0 for p, s, _ in scores]
        out[f"probe_level_{name}_{case}"] = {
            "mae_24h_mm": round(statistics.fmean(s[name] for _, s, _ in scores), 2),
            "gain_pct": round(statistics.fmean(gains), 1),
            "gain_per_season_pct": [round(g, 1) for g in gains],
        }
    out[f"probe_scatter_{case}_mm"] = [None if sc is None else round(sc, 2) for _, _, sc in scores]
    return out


@dataclass(frozen=True)
class _ShadowScore:
    """One season's shadow balances (:mod:`benchmarks.learning.shadow`): the fitted TAW over
    the configured one with its 1 σ, the fitted ``kc_factor``, the fit's seconds, and per
    variant of :data:`SHADOWS` the 24 h MAE (mm) had it been used everywhere, the MAE of the
    forecast used (the shadow where it validated, else physics) and whether it validated."""

    taw_ratio: float
    taw_ratio_se: float
    kc_factor: float
    fit_s: float
    everywhere_mm: dict[str, float]
    used_mm: dict[str, float]
    validated: dict[str, bool]


def _score_shadow(season: _Season, fc_m3m3: float, wp_m3m3: float) -> _ShadowScore | None:
    """The shadow balances of :data:`SHADOWS` on the soil fitted from the training part's
    dry-downs, scored at 24 h on the days :func:`_score` scores; None when the fit has too
    few dry-downs (the configured balance stays, as in the daemon)."""
    history = season.history
    cut = int(len(history) * TRAIN_FRACTION)
    started = time.perf_counter()
    try:
        soil = shadow.fit(history[:cut], season.probes[:cut], fc_m3m3, wp_m3m3)
    except TooLittleDataError:
        return None
    fit_s = time.perf_counter() - started
    aw = fc_m3m3 - wp_m3m3
    ratio = (soil.fc_m3m3 - soil.wp_m3m3) / aw
    variants = {"shadow": (ratio, soil.kc_factor), "shadow_taw": (ratio, 1.0)}
    everywhere: dict[str, float] = {}
    used: dict[str, float] = {}
    validated: dict[str, bool] = {}
    for name, (taw_ratio, kc_factor) in variants.items():
        path = shadow.shadow_dr_mm(history, taw_ratio, kc_factor)
        ok = shadow.validated(history[:cut], path[:cut], taw_ratio, kc_factor)
        errors: tuple[list[float], list[float]] = ([], [])
        for i in range(cut, len(history) - 1):
            d, nxt = history[i], history[i + 1]
            if nxt.water_mm > WET_MM:
                continue
            day = FutureDay(nxt.et0_mm, nxt.rain_mm, nxt.water_mm, nxt.kc)
            physics = physics_path(d.dr_mm, d.taw_mm, d.raw_mm, [day])[0]
            shadow_day = FutureDay(nxt.et0_mm, nxt.rain_mm, nxt.water_mm, nxt.kc * kc_factor)
            forecast = physics_path(
                path[i], d.taw_mm * taw_ratio, d.raw_mm * taw_ratio, [shadow_day]
            )[0]
            target = season.true_dr_mm[i + 1]
            errors[0].append(abs(forecast - target))
            errors[1].append(abs((forecast if ok else physics) - target))
        everywhere[name] = statistics.fmean(errors[0])
        used[name] = statistics.fmean(errors[1])
        validated[name] = ok
    return _ShadowScore(
        ratio, soil.aw_se_m3m3 / aw, soil.kc_factor, fit_s, everywhere, used, validated
    )


def _shadow_figures(case: str, scores: list[tuple[float, _ShadowScore | None]]) -> dict[str, Any]:
    """The shadow balances' figures of one case from each season's (physics 24 h MAE, score):
    per variant the mean MAE had it been used everywhere and used where it validated (a
    season without a fit counts as physics in both), the mean of each season's gain had it
    been used everywhere (%, as the goal's), whether it validated in each season, and each
    fit's TAW ratio ± 1 σ and ``kc_factor``."""
    out: dict[str, Any] = {}
    for name in SHADOWS:
        every = [s.everywhere_mm[name] if s else p for p, s in scores]
        used = [s.used_mm[name] if s else p for p, s in scores]
        gains = [
            100.0 * (p - e) / p if p > 0 else 0.0 for (p, _), e in zip(scores, every, strict=True)
        ]
        out[f"mae_24h_{name}_everywhere_{case}_mm"] = round(statistics.fmean(every), 2)
        out[f"mae_24h_{name}_used_{case}_mm"] = round(statistics.fmean(used), 2)
        out[f"{name}_everywhere_gain_{case}_pct"] = round(statistics.fmean(gains), 1)
        out[f"{name}_validated_{case}"] = [bool(s and s.validated[name]) for _, s in scores]
    fitted = [s for _, s in scores if s]
    out[f"shadow_taw_ratio_{case}"] = [
        [round(s.taw_ratio, 2), round(s.taw_ratio_se, 2)] for s in fitted
    ]
    out[f"shadow_kc_factor_{case}"] = [[round(s.kc_factor, 2)] for s in fitted]
    return out


def run(seed: int, quick: bool, rows: Sequence[str] = ()) -> dict[str, Any]:
    """The figures of :data:`GOALS` (module docstring); ``rows``: optional rows of
    :data:`ROWS` to print too."""
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        raise ScenarioError(f"forecast rows {', '.join(unknown)}: choose from {', '.join(ROWS)}")
    scenario = load_scenario(SCENARIO)
    site = load_site(scenario.site_path)
    zone = next(z for z in site.zones if z.name == ZONE)
    crop = site.crop(zone.crop)
    configured = SoilProfile.uniform(texture(CONFIGURED), crop.root_depth_max_m)
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]
    days = QUICK_DAYS if quick else (scenario.end - zone.planting_date).days + 1
    gains: dict[str, list[float]] = {"misconfigured": [], "correct": []}
    maes: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    shadows: dict[str, list[tuple[float, _ShadowScore | None]]] = {}
    levels: dict[str, list[tuple[float, dict[str, float], float | None]]] = {}
    splits: dict[str, list[tuple[float, float]]] = {}
    train_s = 0.0
    layer = configured.layers[0]
    for s in seeds:
        for case, truth in (
            ("misconfigured", TRUE_SANDY_LOAM),
            ("correct", _true_loam(configured)),
        ):
            season = _simulate(site, crop, truth, s, days)
            by_horizon, took = _score(season)
            train_s = max(train_s, took)
            phys, used, _ = by_horizon[1]
            gains[case].append(100.0 * (phys - used) / phys if phys > 0 else 0.0)
            if "shadow" in rows:
                scored = _score_shadow(season, layer.theta_fc, layer.theta_wp)
                shadows.setdefault(case, []).append((phys, scored))
            if "probe_level" in rows:
                row = (phys, _probe_levels(season), _probe_scatter_mm(season))
                levels.setdefault(case, []).append(row)
            splits.setdefault(case, []).append(_split(season))
            for h, pair in by_horizon.items():
                maes.setdefault((case, h), []).append(pair)
    out: dict[str, Any] = {
        "forecast_mae_gain_misconfigured_pct": round(statistics.fmean(gains["misconfigured"]), 1),
        "forecast_mae_gain_correct_pct": round(statistics.fmean(gains["correct"]), 1),
        "train_s": round(train_s, 3),
    }
    for case in ("misconfigured", "correct"):
        for h in HORIZONS_D:
            pairs = maes.get((case, h), [])
            if not pairs:
                continue
            out[f"mae_{24 * h}h_physics_{case}_mm"] = round(
                statistics.fmean(m[0] for m in pairs), 2
            )
            out[f"mae_{24 * h}h_used_{case}_mm"] = round(statistics.fmean(m[1] for m in pairs), 2)
            out[f"mae_{24 * h}h_learned_{case}_mm"] = round(
                statistics.fmean(m[2] for m in pairs), 2
            )
    for case, parts in splits.items():
        out[f"mae_24h_physics_level_{case}_mm"] = round(statistics.fmean(p[0] for p in parts), 2)
        out[f"mae_24h_physics_change_{case}_mm"] = round(statistics.fmean(p[1] for p in parts), 2)
    for case, scores in shadows.items():
        out.update(_shadow_figures(case, scores))
    for case, rows_of_case in levels.items():
        out.update(_probe_level_figures(case, rows_of_case))
    if shadows:
        fits = [s.fit_s for scores in shadows.values() for _, s in scores if s]
        out["soil_fit_s"] = round(max(fits), 3) if fits else 0.0
    out["seasons"] = len(seeds) * 2
    out["days"] = days
    out["probe_noise_pct"] = PROBE_NOISE_PCT
    return out


__all__ = ["GOALS", "NAME", "run"]
