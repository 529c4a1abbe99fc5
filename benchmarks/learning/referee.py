"""The ET strategy on a mis-configured soil, before and after the soil fit, judged by the referee.

Zone :data:`~benchmarks.learning.etrule.ZONE` of the Zhangye scenario is a sandy loam (drawn
from the seed by :func:`benchmarks.learning.soil.true_soil`, the soil part's own ranges) that
the site file calls :data:`~benchmarks.learning.etrule.CONFIGURED` (loam). The truth is
AquaCrop (:mod:`controller.simulation.referee`) with that soil and the sandy loam's
saturated conductivity (the scenario's :data:`SANDY_LOAM_ZONE`); the daemon waters it by its
ET strategy at agronomy fidelity (:func:`controller.simulation.referee.evaluate.daemon_season`),
all on the weather of the seed. Four seasons a seed, the same weather:

* ``before``: the site file as it is (the configured loam);
* ``after``: the site overrides an admin approving the box's soil proposal writes
  (``soil_fc_m3m3``, ``soil_wp_m3m3``, ``kc_factor``: :meth:`SoilProposal.overrides`). The
  proposal is the product's own fit (:meth:`controller.learning.soil.SoilLearning.
  propose_zone`, its newest dry-downs) made the morning after **the previous season**: the same
  soil and the configured loam, on another weather year (seed + :data:`PREVIOUS_YEAR_OFFSET`).
  A previous season, not the first weeks of this one: an approval reaches the daemon at its
  next start (``qanat soil approve``), which the agronomy-fidelity season does not model
  mid-season, and a whole season's dry-downs are taken with the roots past both probes;
* ``after_soil_only``: the same approval with ``kc_factor`` left at 1 (which part of the fit
  moves water and yield: the soil or the Kc correction);
* ``reference``: the soil configured right (the truth's θfc and θwp as overrides, Kc as is).

The learned moisture forecast (``[learning.forecast]``) is left off in every season: it trains
on the season's own data, and what it does to water and yield is not measured here (the
``forecast`` part measures its error).

Per seed (``per_seed``, one JSON line each) and over the seeds (``summary``: mean, p10, p90,
worst) for each of them: ``water_in_season_m3_mu``, ``relative_yield`` (over AquaCrop's
fully watered season on the same truth and weather) and ``critical_stress_days`` of the zone.
``--quick``: :data:`QUICK_SEEDS` seeds; else :data:`SEEDS`, from ``--seed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.learning.etrule import CONFIGURED, SCENARIO, ZONE
from benchmarks.learning.soil import true_soil
from controller.config.site import load_site
from controller.learning.calibration import ProbeCalibrations
from controller.learning.soil import SoilLearning
from controller.simulation.referee.evaluate import daemon_season, judge_zone, summarize
from controller.simulation.referee.practices import Accounting, accounting
from controller.simulation.season import Scenario, ScenarioError, load_scenario
from controller.store import Store
from drivers.sim.soilphysics import SoilTruth

__all__ = [
    "FIGURES",
    "GOALS",
    "NAME",
    "VARIANTS",
    "learned_overrides",
    "run",
    "seed_rows",
    "truth_of",
]

NAME = "referee"
# No bound: the table says what learning does to water and yield, whichever way it goes.
GOALS: dict[str, tuple[str, float]] = {}

SEEDS = 10
QUICK_SEEDS = 2
PREVIOUS_YEAR_OFFSET = 1000  # the learning season's weather seed: seed + this
SANDY_LOAM_ZONE = "z2"  # the scenario's sandy-loam zone: its AquaCrop Ksat is the truth's
STRATEGY = "et"
VARIANTS = ("before", "after", "after_soil_only", "reference")
FIGURES = ("water_in_season_m3_mu", "relative_yield", "critical_stress_days")
FIT_HOUR = 2  # local, the morning after the season: after the daily fit's default 01:40
FAST_TMP = Path("/dev/shm")


def truth_of(scenario: Scenario, seed: int) -> tuple[Scenario, Accounting, SoilTruth]:
    """The scenario with :data:`ZONE`'s true soil drawn from ``seed``, and the referee's
    accounting with the sandy loam's Ksat on it."""
    soil = true_soil(random.Random(seed))
    acc = accounting(scenario)
    ksat = {**acc.ksat_mm_day, ZONE: acc.ksat_mm_day[SANDY_LOAM_ZONE]}
    return (
        dataclasses.replace(scenario, soils={**scenario.soils, ZONE: soil}),
        dataclasses.replace(acc, ksat_mm_day=ksat),
        soil,
    )


def learned_overrides(
    scenario: Scenario,
    acc: Accounting,
    weather_seed: int,
    workdir: Path,
    *,
    days: int | None = None,
) -> dict[str, float] | None:
    """What approving the box's soil proposal for :data:`ZONE` writes after a season of the
    configured soil on ``weather_seed`` (its store kept in ``workdir``; ``days``: only its
    first days), fitted the next morning; None when the fit proposes nothing (too little
    data, or a failed fit)."""
    daemon_season(scenario, acc, STRATEGY, weather_seed, "spring", workdir=workdir, days=days)
    site = load_site(workdir / "site.toml")
    zone = next(z for z in site.zones if z.name == ZONE)
    last = scenario.end if days is None else scenario.start + dt.timedelta(days=days - 1)
    morning = dt.datetime.combine(
        last + dt.timedelta(days=1), dt.time(FIT_HOUR), tzinfo=site.site.tz
    ).astimezone(dt.UTC)
    with Store(f"sqlite:///{workdir / 'qanat.db'}") as store:
        learning = SoilLearning(
            lambda: site, store, ProbeCalibrations(store), lambda: morning, workdir / "models"
        )
        learning.propose_zone(zone)
        proposal = learning.proposal(ZONE)
    return None if proposal is None else proposal.overrides()


def _zone_overrides(values: dict[str, float] | None) -> dict[str, Any] | None:
    return None if values is None else {"zones": {ZONE: values}}


def seed_rows(
    scenario: Scenario, seed: int, *, learn_days: int | None = None, days: int | None = None
) -> dict[str, Any]:
    """One seed's line: the true and learned soils and each variant's figures (``learn_days``,
    ``days``: only the first days of the learning season and of the judged ones, for tests:
    the yield of a season cut short is 0)."""
    truth_scenario, acc, soil = truth_of(scenario, seed)
    fast = FAST_TMP if FAST_TMP.is_dir() else None
    with tempfile.TemporaryDirectory(dir=fast, prefix="qanat-soilref-") as tmp:
        learned = learned_overrides(
            truth_scenario, acc, seed + PREVIOUS_YEAR_OFFSET, Path(tmp), days=learn_days
        )
    right = {"soil_fc_m3m3": round(soil.theta_fc, 3), "soil_wp_m3m3": round(soil.theta_wp, 3)}
    soil_only = None if learned is None else {**learned, "kc_factor": 1.0}
    overrides = {
        "before": None,
        "after": learned,
        "after_soil_only": soil_only,
        "reference": right,
    }
    outcomes = {
        name: daemon_season(
            truth_scenario,
            acc,
            STRATEGY,
            seed,
            "spring",
            overrides=_zone_overrides(values),
            days=days,
        )[ZONE]
        for name, values in overrides.items()
        if name == "before" or values is not None
    }
    rows = judge_zone(truth_scenario, acc, ZONE, outcomes, seed)
    if learned is None:  # nothing to approve: the season runs as before
        rows["after"] = rows["after_soil_only"] = rows["before"]
    return {
        "seed": seed,
        "truth": {"soil_fc_m3m3": right["soil_fc_m3m3"], "soil_wp_m3m3": right["soil_wp_m3m3"]},
        "learned": learned,
        **{name: {k: round(rows[name][k], 3) for k in FIGURES} for name in VARIANTS},
    }


def run(seed: int, quick: bool, seeds: int | None = None) -> dict[str, Any]:
    """``per_seed`` rows of :func:`seed_rows` for ``seeds`` seeds from ``seed`` (default
    :data:`QUICK_SEEDS` or :data:`SEEDS`) and their summary."""
    scenario = load_scenario(SCENARIO)
    site = load_site(scenario.site_path)
    zone = next(z for z in site.zones if z.name == ZONE)
    if zone.soil != CONFIGURED:
        raise ScenarioError(f"{scenario.site_path}: zones.{ZONE}.soil is not {CONFIGURED!r}")
    count = seeds if seeds is not None else QUICK_SEEDS if quick else SEEDS
    per_seed = [seed_rows(scenario, s) for s in range(seed, seed + count)]
    summary = {
        name: {
            key: {stat: round(v, 3) for stat, v in stats.items()}
            for key, stats in summarize([r[name] for r in per_seed], FIGURES).items()
        }
        for name in VARIANTS
    }
    approved = sum(r["learned"] is not None for r in per_seed)
    return {"per_seed": per_seed, "summary": summary, "seeds": len(per_seed), "approved": approved}
