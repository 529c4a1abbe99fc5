"""The soil part of ``python -m benchmarks.learning --quick`` runs and prints numbers in
range (the goals are printed by the benchmark, not asserted here)."""

from __future__ import annotations

import json

import pytest

from benchmarks.learning import PARTS
from benchmarks.learning.__main__ import main


def test_the_soil_part_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert PARTS == ("flow", "forecast", "calibration", "soil", "canopy", "referee")
    assert main(["--quick", "--part", "soil", "--seed", "2"]) == 0
    part, goals = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert part["part"] == "soil" and part["sites"] == 2 and part["drydowns"] == 3
    assert 0.0 <= part["taw_error_pct"] <= part["taw_error_max_pct"] < 1000.0
    assert 0.0 <= part["taw_coverage"] <= 1.0
    assert 0.0 <= part["kc_factor_error"] < 1.0
    assert 0.0 <= part["train_s"] < 10.0
    assert set(goals["goals"]) == {"soil.taw_error_pct", "soil.train_s"}
