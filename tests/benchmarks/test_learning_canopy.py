"""The canopy part of ``python -m benchmarks.learning --quick`` runs and prints numbers in
range (the goals are printed by the benchmark, not asserted here)."""

from __future__ import annotations

import json

import pytest

from benchmarks.learning import PARTS
from benchmarks.learning.__main__ import main
from benchmarks.learning.canopy import season_covers


def test_the_season_grows_from_bare_to_closed() -> None:
    covers = season_covers(8)
    assert covers[0] == 0.0 and covers[-1] == 0.95
    assert covers == sorted(covers)


def test_the_canopy_part_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert "canopy" in PARTS
    assert main(["--quick", "--part", "canopy", "--seed", "3"]) == 0
    part, goals = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert part["part"] == "canopy" and part["images"] == 16
    assert 0.0 <= part["cover_abs_error_mean"] <= part["cover_abs_error_max"] < 1.0
    assert part["cover_abs_error_max"] == max(part["white_error_max"], part["black_error_max"])
    assert part["exg_abs_error_mean"] > part["cover_abs_error_mean"]
    assert part["train_s"] > 0.0 and part["estimate_ms"] > 0.0
    assert set(goals["goals"]) == {"canopy.cover_abs_error_max"}
