"""The calibration part of ``python -m benchmarks.learning --quick`` runs and prints numbers
in range (the goals are printed by the benchmark, not asserted here)."""

from __future__ import annotations

import json

import pytest

from benchmarks.learning import PARTS
from benchmarks.learning.__main__ import main


def test_the_calibration_part_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert "calibration" in PARTS
    assert main(["--quick", "--part", "calibration", "--seed", "3"]) == 0
    part, goals = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert part["part"] == "calibration" and part["probes"] > 0
    for key in ("calibration_error_pct", "calibration_error_p90_pct", "uncalibrated_error_pct"):
        assert 0.0 <= part[key] < 50.0, key
    assert part["calibration_error_pct"] <= part["calibration_error_p90_pct"] + 1e-9
    assert 0.0 <= part["se_coverage"] <= 1.0 and 0.0 <= part["refused_pct"] <= 100.0
    assert part["train_s"] >= 0.0
    assert set(goals["goals"]) == {"calibration.calibration_error_pct", "calibration.train_s"}
