"""Soil and crop from dry-downs: how near the fitted TAW comes to the true soil's.

A season of the Zhangye seed-corn scenario (its weather generator and crop, drip) is run
through the simulated field's own layered soil (:mod:`drivers.sim.soilphysics`, hourly) for
one zone whose true soil is drawn from ``--seed`` and differs from the configured loam: θfc
and θwp anywhere in FAO-56 Table 19's sandy-loam to loam ranges, and a true crop that uses
``kc_factor`` × the library's Kc (drawn in 0.85–1.15). The controller waters by the ET rule on
the configured soil (Dr reaches RAW of the configured TAW, refill to 0.15 TAW), as the daemon
does with ``probe_weight = 0``; two probes (20 and 40 cm, each with its calibration offset and
reading noise, :func:`drivers.sim.field.probe_pct`) are read at the end of each day and
averaged into the root-zone θ.

Each run and the days to the next one make a dry-down (:class:`models.learning.soil.DryDown`);
the product's fit (:func:`models.learning.soil.fit_soil`, the configured loam as its prior) is
made on the first :data:`N_DRYDOWNS` dry-downs once the roots reach the deeper probe:

* ``taw_error_pct``: |fitted TAW − true TAW| / true TAW, %, at the root depth (the mean over
  the sites; ``taw_error_max_pct`` the worst);
* ``taw_error_configured_pct``: the same for the configured loam kept (no learning);
* ``taw_coverage``: fraction of sites whose true TAW lies within 2 standard errors of the fit;
* ``taw_se_pct``: the fit's 1 σ of TAW, % of the true TAW (the mean over the sites);
* ``kc_factor_error``: mean |fitted − true ``kc_factor``|;
* ``fc_wp_parts_pct``: per site, the error in θfc − θwp split into its θfc and (−) θwp parts,
  % of the true θfc − θwp, the probes' calibration offset taken out;
* ``train_s``: the longest fit of one site, s.

The same sites again with one **calibration dry-down** (:func:`benchmarks.learning.etrule.
et_rule_days` with :data:`CALIBRATION_DR_FRACTION`, by the daemon's own rule,
:func:`controller.agronomy.drydown.hold_triggers`: a dry-down held until the configured
balance's Dr reaches that fraction of its TAW, never into a stage the crop library marks
critical), the ``_calibrated`` figures, the held dry-down the first one fitted (it may have
begun before the roots reached the deeper probe); and what the hold costs over the whole
season, against the ET rule alone on the same site and weather:

* ``calibration_water_mm``: the change in the season's gross water, mm (mean over the sites);
* ``calibration_yield_loss_pct``: the change in FAO-33's relative yield, percentage points
  (mean; ``_max`` the worst), Ya/Ym = Π over the library's stages of
  (1 − Ky (1 − ETa/ETc)) with the truth's ETa and ETc (Doorenbos & Kassam 1979);
* ``calibration_days``: the longest held dry-down, days;
* ``calibration_held_days``: per site, the days the hold raised the trigger;
* ``calibration_true_dr_fraction``: per site, the truth's deepest Dr / TAW over the held
  dry-down (read from the truth for the figures, never given to the fit);
* ``calibration_ended``: per site, the day after planting the hold ended and why (the
  daemon's words: the target reached, or released before a critical period).

``--quick``: :data:`QUICK_SITES` sites; else :data:`SITES`. ``--calibration-fraction F``: the
held dry-down's target F of the configured TAW (default :data:`CALIBRATION_DR_FRACTION`; the
daemon takes 0.6–0.85), printed as ``calibration_fraction``.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.learning.etrule import CONFIGURED, EFFICIENCY, SCENARIO, ZONE, et_rule_days
from controller.config.site import SiteConfig, load_site
from controller.simulation.season import load_scenario
from drivers.sim.field import PROBE_NOISE_PCT, PROBE_OFFSET_PCT, probe_pct
from drivers.sim.soilphysics import SoilColumn, SoilTruth
from models.crops import Crop, depletion_fraction, kc_on_day
from models.learning.soil import DryDown, SoilFit, SoilPrior, fit_soil
from models.soils import texture

NAME = "soil"
GOALS: dict[str, tuple[str, float]] = {
    "taw_error_pct": ("<=", 10.0),
    "train_s": ("<=", 10.0),
}

PROBE_DEPTHS_M = (0.2, 0.4)
READINGS_PER_EVENING = 12
N_DRYDOWNS = 3
SITES = 6
QUICK_SITES = 2
TRUE_FC_RANGE = (0.18, 0.26)  # FAO-56 Table 19 sandy loam: it holds less than the loam
TRUE_AW_RANGE = (0.07, 0.11)  # θfc − θwp (the configured loam: 0.13)
TRUE_KC_FACTOR_RANGE = (0.85, 1.15)
CALIBRATION_DR_FRACTION = 0.8  # of the configured TAW: past the true one's RAW on these soils


@dataclass(frozen=True)
class _Site:
    truth: SoilTruth
    kc_factor: float
    drydowns: list[DryDown]
    root_depth_m: float
    water_mm: float  # the season's gross water
    relative_yield: float  # FAO-33, Ya/Ym
    longest_drydown_days: int  # of the fitted ones
    first_dr_fraction: float  # the truth's deepest Dr / TAW over the first fitted dry-down
    offset_m3m3: float  # the probes' mean calibration offset
    calibration_why: str  # how the calibration dry-down ended ("" without one)
    held_days: int  # the days the calibration dry-down was holding


def true_soil(rng: random.Random) -> SoilTruth:
    """A sandy loam behind a zone the site file calls :data:`CONFIGURED` (loam): θfc and
    θfc − θwp drawn in :data:`TRUE_FC_RANGE` and :data:`TRUE_AW_RANGE` (m³/m³)."""
    fc = rng.uniform(*TRUE_FC_RANGE)
    aw = rng.uniform(*TRUE_AW_RANGE)
    return SoilTruth(theta_fc=fc, theta_wp=fc - aw, theta_sat=0.42, drain_tau_h=12.0)


def _truth(rng: random.Random) -> tuple[SoilTruth, float]:
    return true_soil(rng), rng.uniform(*TRUE_KC_FACTOR_RANGE)


def _evening_m3m3(column: SoilColumn, offsets: list[float], rng: random.Random) -> float:
    """The two probes' mean of the day's last hour, averaged, as m³/m³."""
    means = []
    for depth, off in zip(PROBE_DEPTHS_M, offsets, strict=True):
        reads = [probe_pct(column.theta_at(depth), off, rng) for _ in range(READINGS_PER_EVENING)]
        means.append(min(max(statistics.fmean(reads), 0.0), 100.0))
    return statistics.fmean(means) / 100.0


def relative_yield(crop: Crop, etc_mm: list[float], eta_mm: list[float]) -> float:
    """FAO-33's Ya/Ym = Π (1 − Ky (1 − ETa/ETc)) over the crop's stages, from each day's
    true ETc and ETa (mm, index = days after planting)."""
    y, start = 1.0, 0
    for stage in crop.stages:
        etc = sum(etc_mm[start : stage.end_dap + 1])
        eta = sum(eta_mm[start : stage.end_dap + 1])
        if etc > 0:
            y *= max(1.0 - stage.ky * (1.0 - eta / etc), 0.0)
        start = stage.end_dap + 1
    return y


def _simulate(site: SiteConfig, crop: Crop, seed: int, calibration: float | None) -> _Site:
    """One zone's season; its first :data:`N_DRYDOWNS` dry-downs with the roots past the
    probes are kept, with ``calibration`` one calibration dry-down (module docstring)."""
    rng = random.Random(seed * 104_729 + 17)
    truth, kc_factor = _truth(rng)
    offsets = [rng.gauss(0, PROBE_OFFSET_PCT) for _ in PROBE_DEPTHS_M]
    days: list[tuple[float, float, float, float, float, float, float]] = []
    held: list[bool] = []  # the run of the next morning held for the calibration dry-down
    drydowns: list[DryDown] = []
    run_days: list[int] = []
    dr_fraction: list[float] = []  # the truth's, each day: for the figures only, never fitted
    etc, eta, water = [], [], 0.0
    first_dr = 0.0
    why = ""
    held_days = 0
    season = et_rule_days(
        site, crop, truth, seed, kc_factor=kc_factor, calibration_dr_fraction=calibration
    )
    for day in season:
        etc.append(day.totals.etc_mm)
        if day.calibration is not None and day.calibration.phase == "done" and not why:
            why = f"day {day.dap}: {day.calibration.why}"
        held_days += day.calibration is not None and day.calibration.phase == "holding"
        eta.append(day.totals.eta_mm)
        water += day.water_gross_mm
        if len(drydowns) >= N_DRYDOWNS:
            continue  # the rest of the season only for its yield
        kc = kc_on_day(crop, day.dap, mulched=True)
        if day.water_gross_mm > 0:
            run_days.append(len(days))
        zr_m = day.crop.root_depth_m
        dr_fraction.append(day.column.dr_mm(zr_m) / day.column.taw_mm(zr_m))
        days.append(
            (
                _evening_m3m3(day.column, offsets, rng),
                day.water_gross_mm * EFFICIENCY,
                day.rain_mm,
                day.et0_mm,
                kc,
                day.crop.root_depth_m,
                depletion_fraction(crop.p, kc * day.et0_mm),
            )
        )
        held.append(day.calibration is not None and day.calibration.phase == "holding")
        if len(run_days) >= 2 and run_days[-1] == len(days) - 1:
            first, nxt = run_days[-2], run_days[-1]
            deep = days[first][5] >= max(PROBE_DEPTHS_M) or any(held[first:nxt])
            if deep and first >= 1:
                seg = days[first - 1 : nxt]
                drydowns.append(
                    DryDown(
                        theta_m3m3=tuple(d[0] for d in seg),
                        water_mm=tuple(d[1] for d in seg[1:]),
                        rain_mm=tuple(d[2] for d in seg[1:]),
                        et0_mm=tuple(d[3] for d in seg[1:]),
                        kc=tuple(d[4] for d in seg[1:]),
                        root_depth_m=statistics.fmean(d[5] for d in seg[1:]),
                        p=statistics.fmean(d[6] for d in seg[1:]),
                        label=f"run of day {first}",
                    )
                )
                if len(drydowns) == 1:
                    first_dr = max(dr_fraction[first:nxt])
    zr = statistics.fmean(d.root_depth_m for d in drydowns) if drydowns else 0.0
    longest = max((d.days for d in drydowns), default=0)
    yield_ = relative_yield(crop, etc, eta)
    offset = statistics.fmean(offsets) / 100.0
    return _Site(
        truth, kc_factor, drydowns, zr, water, yield_, longest, first_dr, offset, why, held_days
    )


def _parts_pct(fit: SoilFit, site: _Site) -> list[float]:
    """The fit's error in θfc − θwp split into its field-capacity and wilting-point parts, %
    of the true θfc − θwp, the probes' calibration offset taken out of both (it cancels in
    TAW): [θfc part, −θwp part]."""
    aw = site.truth.theta_fc - site.truth.theta_wp
    fc = fit.fc_m3m3 - site.offset_m3m3 - site.truth.theta_fc
    wp = fit.wp_m3m3 - site.offset_m3m3 - site.truth.theta_wp
    return [round(100.0 * fc / aw, 1), round(-100.0 * wp / aw, 1)]


def run(
    seed: int, quick: bool, calibration_fraction: float = CALIBRATION_DR_FRACTION
) -> dict[str, Any]:
    """The figures of :data:`GOALS` (module docstring); ``calibration_fraction`` is the held
    dry-down's target, a fraction of the configured TAW (the zone's ``calibration_dry_down``,
    0.6–0.85)."""
    scenario = load_scenario(SCENARIO)
    site = load_site(scenario.site_path)
    zone = next(z for z in site.zones if z.name == ZONE)
    crop = site.crop(zone.crop)
    configured = texture(CONFIGURED)
    prior = SoilPrior(configured.theta_fc, configured.theta_wp)
    n_sites = QUICK_SITES if quick else SITES
    out: dict[str, Any] = {}
    train: list[float] = []
    sims: dict[str, list[_Site]] = {}
    for suffix, calibration in (("", None), ("_calibrated", calibration_fraction)):
        errors, configured_errors, covered, kc_errors = [], [], [], []
        parts, spreads = [], []
        sims[suffix] = []
        for i in range(n_sites):
            sim = _simulate(site, crop, seed * 1000 + i, calibration)
            sims[suffix].append(sim)
            started = time.perf_counter()
            fit = fit_soil(sim.drydowns, prior)
            train.append(time.perf_counter() - started)
            zr = sim.root_depth_m
            true_taw = 1000.0 * (sim.truth.theta_fc - sim.truth.theta_wp) * zr
            errors.append(100.0 * abs(fit.taw_mm(zr) - true_taw) / true_taw)
            configured_taw = 1000.0 * (prior.fc_m3m3 - prior.wp_m3m3) * zr
            configured_errors.append(100.0 * abs(configured_taw - true_taw) / true_taw)
            covered.append(abs(fit.taw_mm(zr) - true_taw) <= 2.0 * fit.taw_se_mm(zr))
            spreads.append(100.0 * fit.taw_se_mm(zr) / true_taw)
            kc_errors.append(abs(fit.kc_factor - sim.kc_factor))
            parts.append(_parts_pct(fit, sim))
        out[f"taw_error{suffix}_pct"] = round(statistics.fmean(errors), 1)
        out[f"taw_error{suffix}_max_pct"] = round(max(errors), 1)
        if not suffix:
            out["taw_error_configured_pct"] = round(statistics.fmean(configured_errors), 1)
        out[f"taw_coverage{suffix}"] = round(sum(covered) / len(covered), 2)
        out[f"taw_se{suffix}_pct"] = round(statistics.fmean(spreads), 1)
        out[f"kc_factor_error{suffix}"] = round(statistics.fmean(kc_errors), 3)
        out[f"fc_wp_parts{suffix}_pct"] = parts
    pairs = list(zip(sims[""], sims["_calibrated"], strict=True))
    loss = [100.0 * (a.relative_yield - b.relative_yield) for a, b in pairs]
    return {
        **out,
        "calibration_fraction": calibration_fraction,
        "calibration_water_mm": round(
            statistics.fmean(b.water_mm - a.water_mm for a, b in pairs), 1
        ),
        "calibration_yield_loss_pct": round(statistics.fmean(loss), 2),
        "calibration_yield_loss_max_pct": round(max(loss), 2),
        "calibration_days": max(b.longest_drydown_days for _, b in pairs),
        "calibration_held_days": [b.held_days for _, b in pairs],
        "calibration_true_dr_fraction": [round(b.first_dr_fraction, 2) for _, b in pairs],
        "calibration_ended": [b.calibration_why for _, b in pairs],
        "train_s": round(max(train), 3),
        "sites": n_sites,
        "drydowns": N_DRYDOWNS,
        "probe_noise_pct": PROBE_NOISE_PCT,
    }


__all__ = ["GOALS", "NAME", "relative_yield", "run", "true_soil"]
