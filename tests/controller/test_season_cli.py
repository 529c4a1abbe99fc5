"""``qanat simulate`` and ``qanat hil`` as a user runs them (short seasons, the simulator)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from controller.cli import main
from controller.cli.hil import _retarget, rig_verdict
from controller.cli.simulate import _progress, morning_rounds
from controller.simulation.season import ScenarioError, load_scenario
from drivers.transport import BusSettings


def test_simulate_prints_json_and_writes_the_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "simulate",
            "--strategy",
            "conventional",
            "--seed",
            "3",
            "--days",
            "2",
            "--json",
            "--plot",
            str(tmp_path),
        ]
    )
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    assert report["strategy"] == "conventional" and report["seed"] == 3
    assert {z["zone"] for z in report["zones"]} == {"z1", "z2"}
    site = report["site"]
    assert site["baseline_m3_per_mu"] == 550
    assert site["applied_m3_per_mu"] == pytest.approx(100)  # the winter irrigation
    assert report["assumptions"]
    png = tmp_path / "zhangye-seed-corn-conventional-seed3.png"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_simulate_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--strategy", "conventional", "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "m³/mu" in out and "saved" in out
    assert [line.split()[0] for line in out.splitlines()[2:4]] == ["z1", "z2"]


def test_unknown_scenario_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="zhangye-seed-corn"):
        load_scenario("atlantis")
    assert main(["simulate", "--scenario", "atlantis"]) == 2


def test_hil_rig_checks_pass_against_the_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hil", "--target", "sim", "--no-suite"]) == 0
    out = capsys.readouterr().out
    assert "all rig checks passed" in out
    assert "the module's lease opened it" in out and "comm_error" in out


def test_hil_refuses_long_pulses_and_bad_targets() -> None:
    assert main(["hil", "--target", "sim", "--pulse-s", "5"]) == 2
    assert main(["hil", "--target", "ftp://x"]) == 2
    base = BusSettings(name="b", kind="tcp", host="127.0.0.1", port=502)
    assert _retarget(base, "rtu:///dev/ttyUSB0", 9600).serial_port == "/dev/ttyUSB0"
    gw = _retarget(base, "rtu-tcp://10.0.0.9:4196", 9600)
    assert (gw.kind, gw.host, gw.port) == ("rtu_over_tcp", "10.0.0.9", 4196)


def test_the_morning_rounds_and_the_rig_verdict_count_in_words() -> None:
    assert morning_rounds(1, 0) == "morning rounds: 1 alarm acknowledged, 0 tank refills"
    assert morning_rounds(2, 1) == "morning rounds: 2 alarms acknowledged, 1 tank refill"
    assert rig_verdict(1) == "1 check failed"
    assert rig_verdict(4) == "4 checks failed"
    assert rig_verdict(0) == "all rig checks passed"


def test_a_full_stack_season_says_its_progress_every_ten_days(
    capsys: pytest.CaptureFixture[str],
) -> None:
    start = dt.date(2026, 4, 20)
    say = _progress(3, start, time.monotonic())
    for days in range(0, 25):
        say(start + dt.timedelta(days=days))
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(",")[0] for line in lines] == ["seed 3: 2026-04-30", "seed 3: 2026-05-10"]
    assert "day 10 of the season" in lines[0]
