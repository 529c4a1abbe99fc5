"""The ET strategy on a mis-configured soil, before and after the soil fit and with the learned
moisture forecast, judged by the referee.

Zone :data:`~benchmarks.learning.etrule.ZONE` of the Zhangye scenario is a sandy loam (drawn
from the seed by :func:`benchmarks.learning.soil.true_soil`, the soil part's own ranges) that
the site file calls :data:`~benchmarks.learning.etrule.CONFIGURED` (loam). The truth is
AquaCrop (:mod:`controller.simulation.referee`) with that soil and the sandy loam's
saturated conductivity (the scenario's :data:`SANDY_LOAM_ZONE`); the daemon waters it by its
ET strategy at agronomy fidelity (:func:`controller.simulation.referee.evaluate.daemon_season`),
all on the weather of the seed. Six seasons a seed, the same weather:

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
* ``reference``: the soil configured right (the truth's θfc and θwp as overrides, Kc as is);
* ``forecast``: ``before`` with the learned moisture forecast on (``[learning.forecast]
  enabled = true`` in the site file, :func:`with_forecast`): the daemon starts with the model
  its daily training (:meth:`controller.learning.forecast.ForecastLearning.train_zone`) made
  the morning after the previous season (the one the soil fit learns from, watered with the
  forecast off: the training reads its whole season as the last daily job would) in its models
  directory, and goes on as the box does: the planner asks it beside FAO-56 at every plan
  (:meth:`controller.agronomy.planning.Planning`, used where it validated better), and the
  daily job retrains it on this season's own days once there are enough of them (until then
  the previous season's model stays);
* ``after_forecast``: ``after`` with the forecast on the same way (the model trained against
  the configured loam, as it is on the box when the soil is approved).

Each forecast row also gives ``learned_plan_share``: the share of the zone's plans that used
the learned forecast (the others kept FAO-56: no model, or it did not validate better by its
margin); the seed's ``forecast_trained`` says what the previous season's training made of the
zone.

Per seed (``per_seed``, one JSON line each) and over the seeds (``summary``: mean, p10, p90,
worst) for each of them: ``water_in_season_m3_mu``, ``relative_yield`` (over AquaCrop's
fully watered season on the same truth and weather) and ``critical_stress_days`` of the zone.
``--quick``: :data:`QUICK_SEEDS` seeds; else :data:`SEEDS`, from ``--seed``; ``rows``: only
those variants (each seed's learning season runs whichever are chosen).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.learning.etrule import CONFIGURED, SCENARIO, ZONE
from benchmarks.learning.soil import true_soil
from controller.config.site import load_site
from controller.learning.calibration import ProbeCalibrations
from controller.learning.forecast import ForecastLearning
from controller.learning.soil import SoilLearning
from controller.learning.zones import each_probed_zone
from controller.simulation.referee.evaluate import daemon_season, judge_zone, summarize
from controller.simulation.referee.practices import Accounting, accounting
from controller.simulation.season import Scenario, ScenarioError, load_scenario
from controller.store import Store
from drivers.sim.soilphysics import SoilTruth
from models.learning.forecast import KIND as FORECAST_KIND

__all__ = [
    "FIGURES",
    "FORECAST_VARIANTS",
    "GOALS",
    "NAME",
    "VARIANTS",
    "Learned",
    "learn_previous_season",
    "learned_plan_share",
    "run",
    "seed_rows",
    "summary_of",
    "truth_of",
    "with_forecast",
]

NAME = "referee"
# No bound: the table says what learning does to water and yield, whichever way it goes.
GOALS: dict[str, tuple[str, float]] = {}

SEEDS = 10
QUICK_SEEDS = 2
PREVIOUS_YEAR_OFFSET = 1000  # the learning season's weather seed: seed + this
SANDY_LOAM_ZONE = "z2"  # the scenario's sandy-loam zone: its AquaCrop Ksat is the truth's
STRATEGY = "et"
VARIANTS = ("before", "after", "after_soil_only", "reference", "forecast", "after_forecast")
FORECAST_VARIANTS = ("forecast", "after_forecast")  # the learned moisture forecast on
FIGURES = ("water_in_season_m3_mu", "relative_yield", "critical_stress_days")
FORECAST_FIGURES = (*FIGURES, "learned_plan_share")
FIT_HOUR = 2  # local, the morning after the season: after the daily fit's default 01:40
FAST_TMP = Path("/dev/shm")
# a row with the approval when the fit proposed nothing: the season of the row without it
STAND_IN = {"after": "before", "after_soil_only": "before", "after_forecast": "forecast"}
FORECAST_ON = "\n[learning.forecast]\nenabled = true\n"  # what the site file gets


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


@dataclasses.dataclass(frozen=True)
class Learned:
    """What the box learned from the previous season: the overrides approving its soil
    proposal writes (None: the fit proposed nothing) and what its forecast training made of
    :data:`ZONE` (the daily job's words; its models under ``models_dir``)."""

    overrides: dict[str, float] | None
    forecast_trained: str
    models_dir: Path


def learn_previous_season(
    scenario: Scenario,
    acc: Accounting,
    weather_seed: int,
    workdir: Path,
    *,
    days: int | None = None,
) -> Learned:
    """A season of the configured soil on ``weather_seed`` (its store kept in ``workdir``;
    ``days``: only its first days), then, the next morning, the box's soil fit of
    :data:`ZONE` (:meth:`SoilLearning.propose_zone`, its proposal's overrides) and its
    moisture-forecast training of every probed zone (:meth:`ForecastLearning.train_zone`, as
    the daily job runs it, into ``workdir / "models"``)."""
    daemon_season(scenario, acc, STRATEGY, weather_seed, "spring", workdir=workdir, days=days)
    site = load_site(workdir / "site.toml")
    zone = next(z for z in site.zones if z.name == ZONE)
    last = scenario.end if days is None else scenario.start + dt.timedelta(days=days - 1)
    morning = dt.datetime.combine(
        last + dt.timedelta(days=1), dt.time(FIT_HOUR), tzinfo=site.site.tz
    ).astimezone(dt.UTC)
    models = workdir / "models"
    with Store(f"sqlite:///{workdir / 'qanat.db'}") as store:
        learning = SoilLearning(
            lambda: site, store, ProbeCalibrations(store), lambda: morning, models
        )
        learning.propose_zone(zone)
        proposal = learning.proposal(ZONE)
        forecasts = ForecastLearning(lambda: site, store, lambda: morning, models)
        trained = each_probed_zone(site, "forecast training", forecasts.train_zone)
    return Learned(
        None if proposal is None else proposal.overrides(),
        trained.get(ZONE, "not trained: no probes"),
        models,
    )


def with_forecast(scenario: Scenario, workdir: Path) -> Scenario:
    """The scenario with its site file (copied into ``workdir``) saying ``[learning.forecast]
    enabled = true``: a key of the site file, not of the pages' overrides."""
    text = scenario.site_path.read_text(encoding="utf-8")
    if "[learning" in text:
        raise ScenarioError(f"{scenario.site_path}: has a [learning] section already")
    path = workdir / "site.forecast.toml"
    path.write_text(text + FORECAST_ON, encoding="utf-8")
    return dataclasses.replace(scenario, site_path=path)


def learned_plan_share(workdir: Path, zone: str) -> float:
    """Share of ``zone``'s plans that asked the learned moisture forecast (its ET plans once
    the crop is in) in the season kept in ``workdir`` that used it (0 without any)."""
    with Store(f"sqlite:///{workdir / 'qanat.db'}") as store:
        decisions = store.decisions(zone)
    asked = [d.inputs["moisture_forecast"] for d in decisions if "moisture_forecast" in d.inputs]
    return sum(a.get("used") == "learned" for a in asked) / len(asked) if asked else 0.0


def _zone_overrides(values: dict[str, float] | None) -> dict[str, Any] | None:
    return None if values is None else {"zones": {ZONE: values}}


def seed_rows(
    scenario: Scenario,
    seed: int,
    *,
    learn_days: int | None = None,
    days: int | None = None,
    rows: Sequence[str] = VARIANTS,
) -> dict[str, Any]:
    """One seed's line: the true and learned soils and the figures of each variant of ``rows``
    (``learn_days``, ``days``: only the first days of the learning season and of the judged
    ones, for tests: the yield of a season cut short is 0)."""
    truth_scenario, acc, soil = truth_of(scenario, seed)
    fast = FAST_TMP if FAST_TMP.is_dir() else None
    right = {"soil_fc_m3m3": round(soil.theta_fc, 3), "soil_wp_m3m3": round(soil.theta_wp, 3)}
    with tempfile.TemporaryDirectory(dir=fast, prefix="qanat-soilref-") as tmp:
        previous = Path(tmp) / "previous"
        previous.mkdir()
        learned = learn_previous_season(
            truth_scenario, acc, seed + PREVIOUS_YEAR_OFFSET, previous, days=learn_days
        )
        fitted = learned.overrides
        overrides = {
            "before": None,
            "after": fitted,
            "after_soil_only": None if fitted is None else {**fitted, "kc_factor": 1.0},
            "reference": right,
            "forecast": None,
            "after_forecast": fitted,
        }
        # nothing to approve: a row with the approval runs as the one without it
        stand_in = {} if fitted is not None else STAND_IN
        runs = list(dict.fromkeys(stand_in.get(name, name) for name in rows))
        outcomes = {}
        shares: dict[str, float] = {}
        for name in runs:
            workdir = Path(tmp) / name
            workdir.mkdir()
            judged = truth_scenario
            if name in FORECAST_VARIANTS:  # the box's models directory, then the switch on
                trained = learned.models_dir / FORECAST_KIND
                if trained.is_dir():
                    shutil.copytree(trained, workdir / "models" / FORECAST_KIND)
                judged = with_forecast(truth_scenario, workdir)
            outcomes[name] = daemon_season(
                judged,
                acc,
                STRATEGY,
                seed,
                "spring",
                overrides=_zone_overrides(overrides[name]),
                workdir=workdir,
                days=days,
            )[ZONE]
            if name in FORECAST_VARIANTS:
                shares[name] = learned_plan_share(workdir, ZONE)
    judged_rows = judge_zone(truth_scenario, acc, ZONE, outcomes, seed) if outcomes else {}
    for name, same in stand_in.items():
        if same in judged_rows:
            judged_rows[name] = judged_rows[same]
            if same in shares:
                shares[name] = shares[same]
    out: dict[str, Any] = {
        "seed": seed,
        "truth": {"soil_fc_m3m3": right["soil_fc_m3m3"], "soil_wp_m3m3": right["soil_wp_m3m3"]},
        "learned": fitted,
    }
    if any(name in FORECAST_VARIANTS for name in rows):
        out["forecast_trained"] = learned.forecast_trained
    for name in rows:
        if name not in judged_rows:
            continue
        out[name] = {k: round(judged_rows[name][k], 3) for k in FIGURES}
        if name in shares:
            out[name]["learned_plan_share"] = round(shares[name], 3)
    return out


def summary_of(rows: Sequence[dict[str, float]], name: str) -> dict[str, dict[str, float]]:
    """Mean, p10, p90 and worst of each figure of variant ``name`` over seeds' ``rows``; the
    worst ``learned_plan_share`` is the lowest (the forecast used least)."""
    keys = FORECAST_FIGURES if name in FORECAST_VARIANTS else FIGURES
    out = summarize(rows, keys)
    if "learned_plan_share" in out:
        out["learned_plan_share"]["worst"] = min(r["learned_plan_share"] for r in rows)
    return {key: {stat: round(v, 3) for stat, v in stats.items()} for key, stats in out.items()}


def run(
    seed: int, quick: bool, seeds: int | None = None, rows: Sequence[str] | None = None
) -> dict[str, Any]:
    """``per_seed`` rows of :func:`seed_rows` for ``seeds`` seeds from ``seed`` (default
    :data:`QUICK_SEEDS` or :data:`SEEDS`) and their summary; ``rows``: only those variants
    (default :data:`VARIANTS`)."""
    chosen = tuple(rows or VARIANTS)
    unknown = [r for r in chosen if r not in VARIANTS]
    if unknown:
        raise ScenarioError(f"rows {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    scenario = load_scenario(SCENARIO)
    site = load_site(scenario.site_path)
    zone = next(z for z in site.zones if z.name == ZONE)
    if zone.soil != CONFIGURED:
        raise ScenarioError(f"{scenario.site_path}: zones.{ZONE}.soil is not {CONFIGURED!r}")
    count = seeds if seeds is not None else QUICK_SEEDS if quick else SEEDS
    per_seed = [seed_rows(scenario, s, rows=chosen) for s in range(seed, seed + count)]
    summary = {name: summary_of([r[name] for r in per_seed], name) for name in chosen}
    approved = sum(r["learned"] is not None for r in per_seed)
    return {"per_seed": per_seed, "summary": summary, "seeds": len(per_seed), "approved": approved}
