"""The soil part of ``python -m benchmarks.learning --quick`` runs and prints numbers in
range (the goals are printed by the benchmark, not asserted here)."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.learning import PARTS
from benchmarks.learning.__main__ import main
from benchmarks.learning.etrule import (
    EFFICIENCY,
    REFILL_FRACTION,
    SCENARIO,
    ZONE,
    et_rule_days,
)
from benchmarks.learning.soil import relative_yield, true_soil
from controller.config.site import SiteConfig, load_site
from controller.simulation.season import load_scenario
from models.crops import Crop


def test_the_soil_part_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert PARTS == ("flow", "forecast", "calibration", "soil", "canopy", "referee")
    assert main(["--quick", "--part", "soil", "--seed", "2"]) == 0
    part, goals = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert part["part"] == "soil" and part["sites"] == 2 and part["drydowns"] == 3
    assert 0.0 <= part["taw_error_pct"] <= part["taw_error_max_pct"] < 1000.0
    assert 0.0 <= part["taw_coverage"] <= 1.0
    assert part["taw_se_pct"] > 0.0 and part["taw_se_calibrated_pct"] > 0.0
    assert 0.0 <= part["kc_factor_error"] < 1.0
    assert 0.0 <= part["taw_error_calibrated_pct"] <= part["taw_error_calibrated_max_pct"] < 1000.0
    assert 0.0 <= part["taw_coverage_calibrated"] <= 1.0
    assert part["calibration_days"] >= 1
    held = part["calibration_held_days"]
    assert len(held) == 2 and all(0 <= d <= part["calibration_days"] for d in held)
    assert all(0.0 <= f <= 1.0 for f in part["calibration_true_dr_fraction"])
    assert len(part["fc_wp_parts_pct"]) == len(part["fc_wp_parts_calibrated_pct"]) == 2
    assert part["calibration_yield_loss_pct"] <= part["calibration_yield_loss_max_pct"] <= 100.0
    assert 0.0 <= part["train_s"] < 10.0
    assert part["calibration_fraction"] == 0.8  # the benchmark's default target
    assert set(goals["goals"]) == {"soil.taw_error_pct", "soil.train_s"}


def test_a_calibration_target_outside_the_zones_range_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--quick", "--part", "soil", "--calibration-fraction", "0.5"])
    assert exit_.value.code == 2
    assert "--calibration-fraction 0.5: not in 0.6-0.85" in capsys.readouterr().err


def _crop() -> tuple[SiteConfig, Crop]:
    site = load_site(load_scenario(SCENARIO).site_path)
    return site, site.crop(next(z for z in site.zones if z.name == ZONE).crop)


def test_relative_yield_follows_each_stages_ky() -> None:
    """FAO-33 per stage: a stage at half its ETc loses Ky / 2 of the yield; an unstressed
    stage loses nothing; the product over the stages."""
    _, crop = _crop()
    first, second = crop.stages[0], crop.stages[1]
    days = second.end_dap + 1
    etc = [4.0] * days
    assert relative_yield(crop, etc, etc) == pytest.approx(1.0)
    eta = [2.0 if d <= first.end_dap else 4.0 for d in range(days)]
    assert relative_yield(crop, etc, eta) == pytest.approx(1.0 - first.ky / 2)
    eta = [2.0] * days
    want = (1.0 - first.ky / 2) * (1.0 - second.ky / 2)
    assert relative_yield(crop, etc, eta) == pytest.approx(want)


def test_the_calibration_hold_dries_deeper_and_ends_before_a_critical_stage() -> None:
    """Held, the configured balance's Dr passes RAW further than the ET rule alone lets it;
    from the first critical stage on, every morning's water is the ET rule's again."""
    site, crop = _crop()
    truth = true_soil(random.Random(3))
    first_critical, end = 0, 0
    for stage in crop.stages:
        if stage.critical:
            end = stage.end_dap
            break
        first_critical = stage.end_dap + 1
    past_raw = {}
    for fraction in (None, 0.8):
        past_raw[fraction] = 0.0
        before = None
        for day in et_rule_days(
            site, crop, truth, 3, days=end + 1, calibration_dr_fraction=fraction
        ):
            if day.dap >= first_critical and before is not None:
                dr, taw = before.state.dr_mm, before.result.taw_mm
                due = (dr - REFILL_FRACTION * taw) / EFFICIENCY
                assert day.water_gross_mm == pytest.approx(
                    due if dr >= before.result.raw_mm else 0.0
                ), day.dap
            over = day.state.dr_mm - day.result.raw_mm
            past_raw[fraction] = max(past_raw[fraction], over / day.result.taw_mm)
            before = day
    assert past_raw[None] < 0.1 < past_raw[0.8]
