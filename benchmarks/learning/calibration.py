"""Probe calibration: how near a probe calibrated from 5 soil samples reads the true θ.

Each simulated probe reads ``raw = gain · θ + offset + noise``
(:func:`drivers.sim.field.probe_pct` with a per-probe gain): gains drawn in 0.7–1.4 and
offsets with σ 4 % vol, as cheap capacitive probes read in soils they were not made for, and
the simulated field's reading noise. Its soil (a texture drawn from FAO-56 Table 19, θfc and
θwp inside the texture's ranges) goes through a season of drying and watering (ET 0.3–1.2 %
vol a day, a refill to field capacity at 55 % depletion, random rain). A technician takes
5 gravimetric samples on 5 random days of the season (reference error σ 1.25 % vol, within
the 1–1.5 % of oven-drying with a measured bulk density); the probe's raw reading is the mean
of its readings within 15 min (three, 10 min apart), as
:func:`controller.learning.calibration.raw_at` takes it. The product's own fit
(:func:`models.learning.calibration.fit_calibration`) makes the calibration.

Figures (over all probes):

* ``calibration_error_pct``: the mean over probes of the RMS error of the calibrated probe's
  θ (noise-free reading) against the truth over the probe's season θ range (goal ≤ 2 % vol);
* ``calibration_error_p90_pct``: its 90th percentile over probes;
* ``uncalibrated_error_pct``: the same RMS with the raw reading taken as θ (before);
* ``se_coverage``: the share of the season's θ range where the calibrated value is within
  2 reported standard errors of the truth (the uncertainty is honest when near 0.95);
* ``refused_pct``: probes whose samples the fit refused (the raw value stays in charge);
* ``train_s``: the time to fit the calibrations of a site (8 probes), the slowest site.
"""

from __future__ import annotations

import math
import random
import statistics
import time

from drivers.sim.field import PROBE_NOISE_PCT, probe_pct
from models.learning.calibration import CalibrationSample, fit_calibration
from models.learning.errors import LearningInputError
from models.soils import texture

NAME = "calibration"
GOALS: dict[str, tuple[str, float]] = {
    "calibration_error_pct": ("<=", 2.0),
    "train_s": ("<=", 10.0),
}

TEXTURES = ("sand", "loamy_sand", "sandy_loam", "loam", "silt_loam", "silty_clay_loam", "clay")
SEASON_DAYS = 150
SAMPLES = 5
GRAVIMETRIC_SD_PCT = 1.25
GAIN_RANGE = (0.7, 1.4)
OFFSET_SD_PCT = 4.0
PROBES_PER_SITE = 8
READINGS_PER_SAMPLE = 3  # 10 min apart, within 15 min of the sample


def _season(rng: random.Random, fc: float, wp: float) -> list[float]:
    """Daily true θ (fraction) of one probe's soil through a season."""
    theta, out = fc, []
    refill = fc - 0.55 * (fc - wp)
    for _ in range(SEASON_DAYS):
        theta -= rng.uniform(0.003, 0.012) * (theta - wp) / (fc - wp) + 0.001
        if rng.random() < 0.06:
            theta += rng.uniform(0.005, 0.03)  # rain
        if theta < refill:
            theta = fc  # a run refills the root zone
        theta = min(max(theta, wp), fc + 0.01)
        out.append(theta)
    return out


def _texture_range(rng: random.Random) -> tuple[float, float]:
    t = texture(rng.choice(TEXTURES))
    return rng.uniform(*t.theta_fc_range), rng.uniform(*t.theta_wp_range)


def _probe(rng: random.Random) -> dict[str, float]:
    """One probe: its soil, response and calibration figures."""
    fc, wp = _texture_range(rng)
    fc = max(fc, wp + 0.06)
    gain, offset = rng.uniform(*GAIN_RANGE), rng.gauss(0.0, OFFSET_SD_PCT)
    season = _season(rng, fc, wp)
    days = sorted(rng.sample(range(SEASON_DAYS), SAMPLES))
    samples = []
    for day in days:
        theta = season[day]
        reads = [probe_pct(theta, offset, rng, gain) for _ in range(READINGS_PER_SAMPLE)]
        raw = sum(reads) / len(reads)
        reference = theta * 100.0 + rng.gauss(0.0, GRAVIMETRIC_SD_PCT)
        samples.append(CalibrationSample(raw, reference, GRAVIMETRIC_SD_PCT, f"day {day}"))
    lo, hi = min(season), max(season)
    grid = [lo + (hi - lo) * k / 40 for k in range(41)]
    started = time.perf_counter()
    try:
        cal = fit_calibration(samples)
    except LearningInputError:
        cal = None
    fit_s = time.perf_counter() - started
    raw_err = [(gain * th * 100 + offset) - th * 100 for th in grid]
    before = math.sqrt(sum(e * e for e in raw_err) / len(raw_err))
    if cal is None:
        return {"after": before, "before": before, "covered": 0.0, "refused": 1.0, "fit_s": fit_s}
    errs, covered = [], 0
    for th in grid:
        raw = gain * th * 100 + offset
        err = cal.theta_pct(raw) - th * 100
        errs.append(err)
        covered += abs(err) <= 2 * cal.theta_se_pct(raw)
    after = math.sqrt(sum(e * e for e in errs) / len(errs))
    return {
        "after": after,
        "before": before,
        "covered": covered / len(grid),
        "refused": 0.0,
        "fit_s": fit_s,
    }


def run(seed: int, quick: bool) -> dict[str, float | int | str]:
    rng = random.Random(f"calibration-{seed}")
    sites = 10 if quick else 100
    probes: list[dict[str, float]] = []
    slowest_site_s = 0.0
    for _ in range(sites):
        site = [_probe(rng) for _ in range(PROBES_PER_SITE)]
        slowest_site_s = max(slowest_site_s, sum(p["fit_s"] for p in site))
        probes += site
    after = sorted(p["after"] for p in probes)
    return {
        "probes": len(probes),
        "samples_per_probe": SAMPLES,
        "probe_noise_pct": PROBE_NOISE_PCT,
        "calibration_error_pct": round(statistics.fmean(after), 2),
        "calibration_error_p90_pct": round(after[int(0.9 * (len(after) - 1))], 2),
        "uncalibrated_error_pct": round(statistics.fmean(p["before"] for p in probes), 2),
        "se_coverage": round(statistics.fmean(p["covered"] for p in probes), 2),
        "refused_pct": round(100.0 * statistics.fmean(p["refused"] for p in probes), 1),
        "train_s": round(slowest_site_s, 3),
    }
