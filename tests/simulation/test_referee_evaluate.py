"""The referee's practices and accounting: every strategy alike, water closed, bad files named."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from controller.cli import main
from controller.cli.referee import NUMBA_THREADS, _one_numba_thread
from controller.simulation.referee.evaluate import KEYS, evaluate, summarize
from controller.simulation.referee.practices import (
    accounting,
    leaching_fraction,
    m3_mu_to_mm,
    mm_to_m3_mu,
    practices,
)
from controller.simulation.season import SCENARIO_DIR, ScenarioError, load_scenario

SCENARIO = load_scenario("zhangye-seed-corn")


def test_units_and_leaching_requirement() -> None:
    assert m3_mu_to_mm(100.0) == pytest.approx(150.0, rel=1e-4)
    assert mm_to_m3_mu(m3_mu_to_mm(240.0)) == pytest.approx(240.0)
    # FAO-29: LR = ECw / (5 ECe - ECw); 0.6 dS/m water, maize 1.7 dS/m
    assert leaching_fraction(0.6, 1.7) == pytest.approx(0.6 / 7.9)
    with pytest.raises(ValueError, match="ECw"):
        leaching_fraction(9.0, 1.7)


def test_practices_are_the_surveyed_and_published_figures() -> None:
    known = practices(SCENARIO)
    assert {"border-surveyed", "border-upper", "drip-practice", "oracle", "full"} <= set(known)
    surveyed, upper = known["border-surveyed"], known["border-upper"]
    # ~440 m3/mu a year with winter irrigation (surveyed); 550 the upper bound
    assert surveyed.winter_m3_mu + surveyed.event_m3_mu * len(surveyed.events) == 440
    assert upper.winter_m3_mu + upper.event_m3_mu * len(upper.events) == 550
    drip = known["drip-practice"]
    assert mm_to_m3_mu(sum(drip.schedule_mm().values())) == pytest.approx(240.0)
    gaps = {(b - a).days for a, b in zip(drip.events, drip.events[1:], strict=False)}
    assert gaps == {10}
    assert not known["oracle"].schedule_mm()


def _broken(tmp_path: Path, edit: str, old: str) -> Path:
    """A copy of the bundled scenario (and its site) with ``old`` replaced by ``edit``."""
    for f in SCENARIO_DIR.glob("zhangye-seed-corn*"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "zhangye-seed-corn.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, edit, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("spring_fraction_taw = 0.6", "spring_fraction_taw = 1.6", "spring_fraction_taw"),
        ("rain_effective_fraction = 0.8", "", "referee.rain_effective_fraction: missing"),
        ('first = "05-20"', 'first = "May 20"', "referee.practices.drip-practice.first"),
        ('method = "oracle"', 'method = "sprinkler"', "referee.practices.oracle"),
        ("z2 = 1200.0", "z3 = 1200.0", r"aquacrop_ksat_mm_day: no value for 1 zone \['z2'\]"),
    ],
)
def test_bad_referee_sections_are_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    scenario = load_scenario(_broken(tmp_path, new, old))
    with pytest.raises(ScenarioError, match=message) as info:
        accounting(scenario)
        practices(scenario)
    assert str(tmp_path) in str(info.value)


def test_a_season_closes_its_water_and_reports_every_key() -> None:
    row = evaluate(SCENARIO, "drip-practice", 2)
    assert set(KEYS) <= set(row)
    assert set(row["zones"]) == set(SCENARIO.soils)
    for zone_row in row["zones"].values():
        for key in KEYS:
            assert math.isfinite(zone_row[key]), key
        # year = season + leaching (drip), charged the storage the season borrowed
        assert zone_row["water_in_season_m3_mu"] == pytest.approx(240.0)
        assert zone_row["winter_or_leaching_m3_mu"] == pytest.approx(240.0 * 0.6 / 7.9)
        assert zone_row["water_annual_m3_mu"] == pytest.approx(
            zone_row["water_annual_uncorrected_m3_mu"] - mm_to_m3_mu(zone_row["storage_change_mm"])
        )
        assert 0.5 < zone_row["relative_yield"] <= 1.02
        assert zone_row["saving_vs_drip_practice_m3_mu"] == pytest.approx(0.0)


def test_the_same_spring_soil_for_every_strategy_and_fc_variant() -> None:
    spring = evaluate(SCENARIO, "border-surveyed", 3)
    fc = evaluate(SCENARIO, "border-surveyed", 3, initial="FC")
    # from field capacity the soil can only lose more over the season than from 60 % TAW
    assert fc["storage_change_mm"] < spring["storage_change_mm"]
    assert fc["water_annual_uncorrected_m3_mu"] == spring["water_annual_uncorrected_m3_mu"] == 440
    with pytest.raises(ValueError, match="initial"):
        evaluate(SCENARIO, "border-surveyed", 3, initial="wet")


def test_oracle_uses_less_water_than_border_and_keeps_yield() -> None:
    oracle = evaluate(SCENARIO, "oracle", 1)
    border = evaluate(SCENARIO, "border-upper", 1)
    assert oracle["water_annual_m3_mu"] < border["water_annual_m3_mu"] - 150
    assert oracle["relative_yield"] > 0.97
    assert oracle["critical_stress_days"] == 0
    assert border["drainage_mm"] > 10 * max(oracle["drainage_mm"], 1.0)


def test_summary_spread_and_refusals() -> None:
    rows = [{k: float(i) for k in KEYS} for i in range(1, 11)]
    s = summarize(rows)
    assert s["water_annual_m3_mu"]["mean"] == pytest.approx(5.5)
    assert s["water_annual_m3_mu"]["worst"] == 10.0  # more water is worse
    assert s["relative_yield"]["worst"] == 1.0  # less yield is worse
    assert s["yield_t_ha"]["p10"] <= s["yield_t_ha"]["p90"]
    with pytest.raises(ValueError, match="no seeds"):
        summarize([])
    with pytest.raises(ScenarioError, match="no strategy 'sprinkler'"):
        evaluate(SCENARIO, "sprinkler", 1)


def test_cli_json_has_the_keys_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["simulate", "--truth", "aquacrop", "--strategy", "drip-practice", "--seeds", "1-2",
         "--json"]
    )  # fmt: skip
    assert status == 0
    doc = json.loads(capsys.readouterr().out)
    block = doc["strategies"]["drip-practice"]
    assert [r["seed"] for r in block["seeds"]] == [1, 2]
    assert set(KEYS) <= set(block["summary"])
    assert set(block["summary"]["yield_t_ha"]) == {"mean", "p10", "p90", "worst"}


def test_cli_refuses_what_the_referee_cannot_judge(capsys: pytest.CaptureFixture[str]) -> None:
    # conventional is the daemon's stand-in for border practice; the referee has its own
    assert main(["simulate", "--truth", "aquacrop", "--strategy", "conventional"]) == 2
    assert "not conventional" in capsys.readouterr().err
    assert main(["simulate", "--strategy", "oracle", "--days", "1"]) == 2
    assert "--truth aquacrop" in capsys.readouterr().err


@pytest.mark.parametrize("before", [None, "2"])
def test_workers_get_one_numba_thread_and_the_caller_keeps_its_own(
    before: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if before is None:
        monkeypatch.delenv(NUMBA_THREADS, raising=False)
    else:
        monkeypatch.setenv(NUMBA_THREADS, before)
    with _one_numba_thread():
        assert os.environ[NUMBA_THREADS] == "1"
    assert os.environ.get(NUMBA_THREADS) == before
