"""The flow-signature evaluation runs (``--quick``) and prints figures in range; its goals
are printed by the benchmark, not asserted here."""

from __future__ import annotations

import json

import pytest

from benchmarks.learning.__main__ import main


def test_the_quick_flow_part_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--part", "flow", "--seed", "3"]) == 0
    first, goals = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["part"] == "flow" and goals["part"] == "goals"
    for key in ("leak_precision", "leak_recall", "clog_precision", "clog_recall"):
        assert 0.0 <= first[key] <= 1.0, key
    assert first["leak_faults"] + first["clog_faults"] > 0
    assert first["detect_runs_p90"] >= 2  # never decided on one run
    assert first["false_alarms_per_1000_runs"] >= 0
    assert 0 < first["train_s"] < first["wall_s"]
    assert first["runs"] == first["zones"] * 60
    assert set(goals["goals"]) == {
        f"flow.{k}"
        for k in (
            "leak_precision",
            "leak_recall",
            "clog_precision",
            "clog_recall",
            "detect_runs_p90",
            "train_s",
        )
    }
