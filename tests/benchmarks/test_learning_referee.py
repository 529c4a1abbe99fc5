"""The referee part of ``python -m benchmarks.learning``: the learning season's fit becomes the
site overrides the "after" season starts with, its forecast training the model the forecast
seasons start with, and every variant is judged (seasons cut short here: their yields are 0,
the figures are the full run's)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.learning import PARTS, SEEDED_PARTS
from benchmarks.learning.__main__ import main
from benchmarks.learning.etrule import CONFIGURED, SCENARIO
from benchmarks.learning.referee import (
    FIGURES,
    FORECAST_FIGURES,
    FORECAST_VARIANTS,
    VARIANTS,
    run,
    seed_rows,
    summary_of,
    with_forecast,
)
from controller.config.site import load_site
from controller.simulation.season import ScenarioError, load_scenario
from models.soils import texture

LEARN_DAYS = 75  # scenario days of the learning season: three dry-downs, and 72 h forecast
# samples without a run enough to train on
JUDGED_DAYS = 8  # from the scenario start (14 April): two days after sowing


def test_after_starts_from_the_fitted_soil_not_the_configured_one() -> None:
    assert "referee" in PARTS and "referee" in SEEDED_PARTS
    row = seed_rows(load_scenario(SCENARIO), 1, learn_days=LEARN_DAYS, days=JUDGED_DAYS)
    loam = texture(CONFIGURED)
    learned, truth = row["learned"], row["truth"]
    assert learned is not None, "the learning season gave the fit no dry-downs to propose from"
    assert (learned["soil_fc_m3m3"], learned["soil_wp_m3m3"]) != (loam.theta_fc, loam.theta_wp)
    # the fit moved toward the true sandy loam's available water from the loam's
    loam_aw = loam.theta_fc - loam.theta_wp
    true_aw = truth["soil_fc_m3m3"] - truth["soil_wp_m3m3"]
    learned_aw = learned["soil_fc_m3m3"] - learned["soil_wp_m3m3"]
    assert abs(learned_aw - true_aw) < abs(loam_aw - true_aw)
    for name in VARIANTS:
        figures = FORECAST_FIGURES if name in FORECAST_VARIANTS else FIGURES
        assert set(row[name]) == set(figures)
        assert row[name]["water_in_season_m3_mu"] >= 0.0
    # the previous season trained the zone's forecast, and the forecast seasons' planner,
    # started with that model (the season's own needs 21 days), used it where it validated
    # better than physics by its margin and never where it did not
    trained = row["forecast_trained"]
    assert trained.startswith("trained on")
    for name in FORECAST_VARIANTS:
        share = row[name]["learned_plan_share"]
        assert share > 0.0 if "learned at 24 h" in trained else share == 0.0


def test_with_forecast_switches_the_site_file_on(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    assert not load_site(scenario.site_path).learning.forecast.enabled
    on = with_forecast(scenario, tmp_path)
    assert load_site(on.site_path).learning.forecast.enabled
    with pytest.raises(ScenarioError, match="learning"):
        with_forecast(dataclasses.replace(scenario, site_path=on.site_path), tmp_path / "x")


def test_unknown_rows_are_refused() -> None:
    with pytest.raises(ScenarioError, match="nowhere"):
        run(seed=1, quick=True, rows=("before", "nowhere"))
    # --rows reaches the part as its rows, split at the commas
    with pytest.raises(ScenarioError, match="rows nowhere: choose"):
        main(["--part", "referee", "--quick", "--rows", "before, nowhere"])


def test_the_worst_share_of_learned_plans_is_the_lowest() -> None:
    seeds = [
        {"water_in_season_m3_mu": w, "relative_yield": y, "critical_stress_days": 0.0,
         "learned_plan_share": share}
        for w, y, share in ((300.0, 0.99, 1.0), (280.0, 0.94, 0.5))
    ]  # fmt: skip
    summary = summary_of(seeds, "forecast")
    assert summary["learned_plan_share"]["worst"] == 0.5
    assert summary["relative_yield"]["worst"] == 0.94
    assert summary["water_in_season_m3_mu"]["worst"] == 300.0
    assert "learned_plan_share" not in summary_of(seeds, "before")
