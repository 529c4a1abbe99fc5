"""Crop library (FAO-56 Tables 11, 12, 17, 22) and crop coefficients through the season."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

from controller.paths import bundled
from models.crops import (
    Crop,
    CropDataError,
    adjust_for_climate,
    climate_adjustment,
    crop,
    crop_keys,
    depletion_fraction,
    height_m,
    kc_on_day,
    load_crops,
    root_depth_m,
)

SCENARIO = bundled("controller.simulation", "scenarios/zhangye-seed-corn.toml")


def test_library_has_the_required_crops() -> None:
    assert {"maize_grain", "seed_corn", "pepper", "tomato", "cabbage"} <= set(crop_keys())
    for key in crop_keys():
        assert isinstance(crop(key), Crop)


def test_seed_corn_matches_the_scenario() -> None:
    scenario = tomllib.loads(SCENARIO.read_text())["crop"]
    seed = crop("seed_corn")
    assert list(seed.stage_days) == scenario["stage_days"]
    assert [seed.kc_ini, seed.kc_mid, seed.kc_end] == scenario["kc"]
    assert [seed.kcb_ini, seed.kcb_mid, seed.kcb_end] == scenario["kcb"]
    assert [seed.root_depth_min_m, seed.root_depth_max_m] == scenario["root_depth_m"]
    assert seed.p == scenario["p"]
    assert seed.mulch_factor == scenario["mulch_factor"]


def test_fao56_table_values_for_maize() -> None:
    maize = crop("maize_grain")
    assert (maize.kc_ini, maize.kc_mid, maize.kc_end) == (0.30, 1.20, 0.60)  # Table 12
    assert (maize.kcb_ini, maize.kcb_mid, maize.kcb_end) == (0.15, 1.15, 0.50)  # Table 17
    assert maize.p == 0.55 and maize.height_max_m == 2.0  # Tables 22, 12


def test_kc_curve_follows_fig25_and_eq66() -> None:
    seed = crop("seed_corn")  # stages 30, 40, 50, 33
    assert kc_on_day(seed, 0.0) == pytest.approx(0.30)
    assert kc_on_day(seed, 30.0) == pytest.approx(0.30)
    # eq. 66: Kc = Kc_prev + (i − ΣL_prev)/L_stage (Kc_next − Kc_prev)
    assert kc_on_day(seed, 50.0) == pytest.approx(0.30 + 20 / 40 * (1.20 - 0.30))
    assert kc_on_day(seed, 70.0) == pytest.approx(1.20)
    assert kc_on_day(seed, 120.0) == pytest.approx(1.20)
    assert kc_on_day(seed, 131.0) == pytest.approx(1.20 + 11 / 33 * (0.60 - 1.20))
    assert kc_on_day(seed, 153.0) == pytest.approx(0.60)
    assert kc_on_day(seed, 400.0) == pytest.approx(0.60)
    assert kc_on_day(seed, 50.0, basal=True) == pytest.approx(0.15 + 0.5 * (1.15 - 0.15))
    days = np.arange(0.0, 160.0, 0.5)
    curve = kc_on_day(seed, days)
    assert curve.shape == days.shape
    assert curve[100] == pytest.approx(kc_on_day(seed, 50.0))


def test_mulch_lowers_single_kc_but_not_kcb() -> None:
    seed = crop("seed_corn")
    assert kc_on_day(seed, 80.0, mulched=True) == pytest.approx(1.20 * 0.85)
    assert kc_on_day(seed, 80.0, basal=True, mulched=True) == pytest.approx(1.15)


def test_root_depth_and_height_grow_during_development() -> None:
    seed = crop("seed_corn")
    assert root_depth_m(seed, 10.0) == pytest.approx(0.20)
    assert root_depth_m(seed, 50.0) == pytest.approx(0.20 + 0.5 * 0.80)
    assert root_depth_m(seed, 70.0) == pytest.approx(1.0)
    assert root_depth_m(seed, 150.0) == pytest.approx(1.0)
    assert height_m(seed, 150.0) == pytest.approx(2.0)
    assert height_m(seed, 0.0) == pytest.approx(0.05)


def test_climate_adjustment_eq62() -> None:
    # u2 3 m/s, RHmin 30 %, h 2 m: [0.04·1 − 0.004·(−15)] (2/3)^0.3
    expected = (0.04 + 0.06) * (2.0 / 3.0) ** 0.3
    assert climate_adjustment(3.0, 30.0, 2.0) == pytest.approx(expected)
    assert climate_adjustment(2.0, 45.0, 2.0) == 0.0
    # bounds of the equation: u2 1-6, RHmin 20-80
    assert climate_adjustment(9.0, 5.0, 3.0) == pytest.approx(0.04 * 4 + 0.004 * 25)
    adjusted = adjust_for_climate(crop("seed_corn"), 3.0, 30.0)
    assert adjusted.kc_mid == pytest.approx(1.20 + expected)
    assert adjusted.kcb_mid == pytest.approx(1.15 + expected)
    assert adjusted.kc_end == pytest.approx(0.60 + expected)  # eq. 65, Kc end ≥ 0.45


def test_climate_adjustment_skips_low_kc_end() -> None:
    dry_maize = dataclasses.replace(crop("maize_grain"), kc_end=0.35, kcb_end=0.15)
    adjusted = adjust_for_climate(dry_maize, 4.0, 20.0)
    assert adjusted.kc_end == 0.35 and adjusted.kcb_end == 0.15
    assert adjusted.kc_mid > dry_maize.kc_mid


def test_depletion_fraction_table22_footnote() -> None:
    assert depletion_fraction(0.55, 5.0) == pytest.approx(0.55)
    assert depletion_fraction(0.55, 7.0) == pytest.approx(0.47)
    assert depletion_fraction(0.55, 2.0) == pytest.approx(0.67)
    assert depletion_fraction(0.30, 15.0) == 0.1
    assert depletion_fraction(0.65, 0.0) == 0.8


def test_loader_names_file_crop_and_key(tmp_path: Path) -> None:
    good = (Path(__file__).resolve().parents[2] / "models/crops/data/crops.toml").read_text()
    path = tmp_path / "crops.toml"
    path.write_text(good.replace("p = 0.30", "p = 0.95"))
    with pytest.raises(CropDataError, match=r"crops\.toml: pepper\.p: 0\.95 outside"):
        load_crops(path)
    path.write_text('[bean]\nname = "bean"\nkc = [0.4, 1.1]\n')
    with pytest.raises(CropDataError, match=r"bean: missing keys"):
        load_crops(path)
    path.write_text(good.replace("stage_days = [40, 60, 50, 15]", "stage_days = [40, 0, 50, 15]"))
    with pytest.raises(CropDataError, match=r"cabbage\.stage_days\[dev\]"):
        load_crops(path)
    tomato = '[tomato]\nname = "tomato"'
    path.write_text(good.replace(tomato, tomato + "\nkc_x = 1"))
    with pytest.raises(CropDataError, match=r"tomato: unknown keys \['kc_x'\]"):
        load_crops(path)


def test_unknown_crop_lists_known() -> None:
    with pytest.raises(CropDataError, match=r"unknown crop 'rice'.*seed_corn"):
        crop("rice")


def test_crop_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        crop("tomato").p = 0.5  # type: ignore[misc]
