"""The moisture-forecast part of ``python -m benchmarks.learning --quick`` runs and prints
its figures as numbers in range (the goals are printed, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_forecast_part_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.learning", "--quick", "--part", "forecast"],
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
    assert part["days"] == 90 and part["seasons"] == 2
    goals = next(line for line in lines if line["part"] == "goals")
    assert set(goals["goals"]) == {
        "forecast.forecast_mae_gain_misconfigured_pct",
        "forecast.forecast_mae_gain_correct_pct",
        "forecast.train_s",
    }
