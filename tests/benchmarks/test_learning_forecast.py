"""The moisture-forecast part of ``python -m benchmarks.learning --quick`` runs and prints
its figures as numbers in range (the goals are printed, not asserted here), FAO-56's error
taken apart, its shadow and probe-level rows when asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.learning.__main__ import main
from benchmarks.learning.forecast import run
from controller.simulation.season import ScenarioError

ROOT = Path(__file__).resolve().parents[2]


def test_quick_forecast_part_prints_its_figures() -> None:
    command = [
        "-m",
        "benchmarks.learning",
        "--quick",
        "--part",
        "forecast",
        "--rows",
        "shadow,probe_level",
    ]
    done = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    part = next(line for line in lines if line["part"] == "forecast")
    for key in ("forecast_mae_gain_misconfigured_pct", "forecast_mae_gain_correct_pct"):
        assert isinstance(part[key], float) and -1000.0 < part[key] <= 100.0
    assert 0.0 <= part["train_s"] < 60.0
    for case in ("misconfigured", "correct"):
        for h in (24, 48, 72):
            for kind in ("physics", "used", "learned"):
                assert part[f"mae_{h}h_{kind}_{case}_mm"] > 0.0
        for name in ("shadow", "shadow_taw"):
            assert part[f"mae_24h_{name}_everywhere_{case}_mm"] > 0.0
            assert part[f"mae_24h_{name}_used_{case}_mm"] > 0.0
            assert part[f"{name}_validated_{case}"] in ([False], [True])
        assert isinstance(part[f"shadow_taw_ratio_{case}"], list)
        # the level and the change part of FAO-56's 24 h error: their sum bounds it
        level = part[f"mae_24h_physics_level_{case}_mm"]
        change = part[f"mae_24h_physics_change_{case}_mm"]
        assert level >= 0.0 and change >= 0.0
        assert part[f"mae_24h_physics_{case}_mm"] <= level + change + 0.02
        for name in ("drained", "drift_since2_newest10", "slowdown", "drift_known"):
            row = part[f"probe_level_{name}_{case}"]
            assert row["mae_24h_mm"] > 0.0 and len(row["gain_per_season_pct"]) == 1
        assert len(part[f"probe_scatter_{case}_mm"]) == 1
    assert part["soil_fit_s"] >= 0.0
    assert part["days"] == 90 and part["seasons"] == 2
    goals = next(line for line in lines if line["part"] == "goals")
    assert set(goals["goals"]) == {
        "forecast.forecast_mae_gain_misconfigured_pct",
        "forecast.forecast_mae_gain_correct_pct",
        "forecast.train_s",
    }


def test_an_unknown_row_is_refused_by_name() -> None:
    with pytest.raises(ScenarioError, match="forecast rows shade: choose from shadow, probe_level"):
        run(seed=1, quick=True, rows=("shade",))
    # --rows reaches the part as its rows, split at the commas
    with pytest.raises(ScenarioError, match="forecast rows shade: choose"):
        main(["--part", "forecast", "--quick", "--rows", "shadow, shade"])
