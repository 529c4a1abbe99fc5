"""The referee part of ``python -m benchmarks.learning``: the learning season's fit becomes the
site overrides the "after" season starts with, and every variant is judged (seasons cut short
here: their yields are 0, the figures are the full run's)."""

from __future__ import annotations

from benchmarks.learning import PARTS, SEEDED_PARTS
from benchmarks.learning.etrule import CONFIGURED, SCENARIO
from benchmarks.learning.referee import FIGURES, VARIANTS, seed_rows
from controller.simulation.season import load_scenario
from models.soils import texture

LEARN_DAYS = 60  # scenario days of the learning season: enough runs for three dry-downs
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
        assert set(row[name]) == set(FIGURES)
        assert row[name]["water_in_season_m3_mu"] >= 0.0
