"""The root-zone salt balance and the FAO-29 leaching requirement (models.salt)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.errors import ModelInputError
from models.salt import (
    SaltInputError,
    ece_from_salt,
    leaching_requirement,
    leaching_water_mm,
    salt_day,
    salt_from_ece,
    salt_in_g_m2,
    salt_season,
    solution_ec_ds_m,
    spring_ece_ds_m,
)


def test_salt_and_ec_conversions_by_hand() -> None:
    # 100 mm = 100 L/m² of 1 dS/m water (0.64 g/L): 64 g/m²
    assert salt_in_g_m2(100.0, 1.0) == pytest.approx(64.0)
    # 64 g in 100 L: ECsw 1.0 dS/m, ECe half of it at field capacity
    assert solution_ec_ds_m(64.0, 100.0) == pytest.approx(1.0)
    assert ece_from_salt(64.0, 100.0) == pytest.approx(0.5)
    assert salt_from_ece(0.5, 100.0) == pytest.approx(64.0)
    assert spring_ece_ds_m(0.8) == pytest.approx(1.2)


def test_one_day_mixes_the_drainage_with_the_water_at_field_capacity() -> None:
    # 64 g/m² in 100 mm at FC, no irrigation, 100 mm drains: half the solution leaves
    day = salt_day(64.0, 0.0, 1.0, 100.0, 100.0)
    assert day.salt_out_g_m2 == pytest.approx(32.0)
    assert day.salt_end_g_m2 == pytest.approx(32.0)
    assert day.ece_ds_m == pytest.approx(0.25)
    # 50 mm of 1 dS/m water on a clean root zone of 200 mm at FC, nothing drains: 32 g/m²
    day = salt_day(0.0, 50.0, 1.0, 0.0, 200.0)
    assert (day.salt_in_g_m2, day.salt_out_g_m2, day.salt_end_g_m2) == pytest.approx(
        (32.0, 0.0, 32.0)
    )
    assert day.ece_ds_m == pytest.approx(32.0 / (0.64 * 200.0) / 2.0)  # 0.125


def test_a_season_by_hand() -> None:
    # Wfc 320 mm, spring ECe 0.9 (S0 = 0.64 · 1.8 · 320 = 368.64 g/m²), water 0.6 dS/m;
    # day 0: 30 mm in (11.52 g); day 1: nothing; day 2: 40 mm in (15.36 g), 10 mm drains
    season = salt_season([30.0, 0.0, 40.0], [0.0, 0.0, 10.0], 0.6, 320.0, 0.9)
    s0 = 0.64 * 1.8 * 320.0
    mixed = s0 + 11.52 + 15.36
    out = mixed * 10.0 / 330.0
    assert season.salt_start_g_m2 == pytest.approx(s0)
    assert season.salt_in_g_m2 == pytest.approx(26.88)
    assert season.salt_out_g_m2 == pytest.approx(out)
    assert season.salt_end_g_m2 == pytest.approx(mixed - out)
    assert season.ece_end_ds_m == pytest.approx((mixed - out) / (0.64 * 320.0) / 2.0)
    assert season.ece_max_ds_m == pytest.approx(season.ece_end_ds_m)
    assert (season.irrigation_mm, season.drainage_mm, season.days) == (70.0, 10.0, 3)


def test_leaching_requirement_fao29_eq7() -> None:
    # LR = ECw / (5 ECe − ECw): maize (ECe 1.7) on 0.6 dS/m water; tomato (2.5) on 1.2
    assert leaching_requirement(0.6, 1.7) == pytest.approx(0.6 / 7.9)  # 0.0759
    assert leaching_requirement(1.2, 2.5) == pytest.approx(1.2 / 11.3)  # 0.106
    assert leaching_requirement(0.0, 1.7) == 0.0
    for ecw, ece in ((9.0, 1.7), (-0.1, 1.7), (0.5, 0.0), (math.nan, 1.7)):
        with pytest.raises(SaltInputError, match="ECw"):
            leaching_requirement(ecw, ece)
    assert issubclass(SaltInputError, ModelInputError)
    assert issubclass(SaltInputError, ValueError)


def test_leaching_water_is_lr_times_the_season_water_without_drainage() -> None:
    lr = leaching_requirement(0.6, 1.7)
    season = salt_season([300.0], [0.0], 0.6, 320.0, 0.9)
    assert leaching_water_mm(season.salt_gain_g_m2, 0.6, lr) == pytest.approx(lr * 300.0)
    # drainage in the season counts for the salt it carried out
    drained = salt_season([300.0], [20.0], 0.6, 320.0, 0.9)
    left = leaching_water_mm(drained.salt_gain_g_m2, 0.6, lr)
    assert 0.0 < left < lr * 300.0
    assert left == pytest.approx(drained.salt_gain_g_m2 * lr / (0.64 * 0.6))
    # nothing gained, or water without salt: nothing to leach
    assert leaching_water_mm(-5.0, 0.6, lr) == 0.0
    assert leaching_water_mm(0.0, 0.0, 0.0) == 0.0
    with pytest.raises(SaltInputError, match="LR"):
        leaching_water_mm(10.0, 0.6, 1.5)


@pytest.mark.parametrize(
    ("args", "element"),
    [
        ((-1.0, 0.0, 0.6, 0.0, 300.0), "salt_g_m2"),
        ((0.0, -5.0, 0.6, 0.0, 300.0), "irrigation_mm"),
        ((0.0, 5.0, -0.6, 0.0, 300.0), "ec_water_ds_m"),
        ((0.0, 5.0, 0.6, math.inf, 300.0), "drainage_mm"),
        ((0.0, 5.0, 0.6, 0.0, 0.0), "fc_water_mm"),
    ],
)
def test_bad_inputs_name_the_culprit(args: tuple[float, ...], element: str) -> None:
    with pytest.raises(SaltInputError, match=element) as info:
        salt_day(*args)
    assert info.value.element == element


def test_season_names_the_bad_day_and_checks_lengths() -> None:
    with pytest.raises(SaltInputError, match="day 1: irrigation_mm") as info:
        salt_season([1.0, -1.0], [0.0, 0.0], 0.6, 300.0, 0.9)
    assert info.value.index == (1,)
    with pytest.raises(SaltInputError, match="drainage_mm: 1 days"):
        salt_season([1.0, 2.0], [0.0], 0.6, 300.0, 0.9)


_days = st.lists(st.floats(0.0, 80.0), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(water=_days, ecw=st.floats(0.0, 3.0), wfc=st.floats(50.0, 600.0), ece0=st.floats(0, 5))
def test_without_drainage_salt_only_accumulates(
    water: list[float], ecw: float, wfc: float, ece0: float
) -> None:
    salt = salt_from_ece(ece0, wfc)
    for mm in water:
        day = salt_day(salt, mm, ecw, 0.0, wfc)
        assert day.salt_out_g_m2 == 0.0
        assert day.salt_end_g_m2 >= salt
        salt = day.salt_end_g_m2
    season = salt_season(water, [0.0] * len(water), ecw, wfc, ece0)
    assert season.salt_end_g_m2 == pytest.approx(season.salt_start_g_m2 + season.salt_in_g_m2)


@settings(max_examples=150, deadline=None)
@given(
    days=st.lists(st.tuples(st.floats(0.0, 80.0), st.floats(0.0, 60.0)), min_size=1, max_size=60),
    wfc=st.floats(50.0, 600.0),
    ece0=st.floats(0.0, 5.0),
)
def test_with_water_of_ec_zero_the_root_zone_never_gets_saltier(
    days: list[tuple[float, float]], wfc: float, ece0: float
) -> None:
    salt = salt_from_ece(ece0, wfc)
    ece = ece_from_salt(salt, wfc)
    for water, drained in days:
        day = salt_day(salt, water, 0.0, drained, wfc)
        assert day.ece_ds_m <= ece + 1e-12
        salt, ece = day.salt_end_g_m2, day.ece_ds_m
    season = salt_season([d[0] for d in days], [d[1] for d in days], 0.0, wfc, ece0)
    assert season.ece_max_ds_m == pytest.approx(season.ece_start_ds_m)
    assert leaching_water_mm(season.salt_gain_g_m2, 0.0, 0.0) == 0.0


@settings(max_examples=150, deadline=None)
@given(
    days=st.lists(st.tuples(st.floats(0.0, 80.0), st.floats(0.0, 60.0)), min_size=1, max_size=60),
    ecw=st.floats(0.0, 3.0),
    wfc=st.floats(50.0, 600.0),
)
def test_the_salt_balance_closes_and_stays_non_negative(
    days: list[tuple[float, float]], ecw: float, wfc: float
) -> None:
    season = salt_season([d[0] for d in days], [d[1] for d in days], ecw, wfc, 1.0)
    closed = season.salt_start_g_m2 + season.salt_in_g_m2 - season.salt_out_g_m2
    assert season.salt_end_g_m2 == pytest.approx(closed, abs=1e-9)
    assert season.salt_end_g_m2 >= 0.0


def test_every_shipped_crop_has_its_fao29_salt_threshold() -> None:
    from models.crops import crop, crop_keys

    table4 = {"maize_grain": 1.7, "seed_corn": 1.7, "pepper": 1.5, "tomato": 2.5}
    table4 |= {"cabbage": 1.8, "cotton": 7.7}
    assert {key: crop(key).ece_threshold_ds_m for key in crop_keys()} == table4


def test_a_bad_salt_threshold_names_the_file_crop_and_key(tmp_path: Path) -> None:
    from models.crops import CropDataError, load_crops

    good = (Path(__file__).resolve().parents[2] / "models/crops/data/crops.toml").read_text()
    path = tmp_path / "crops.toml"
    path.write_text(good.replace("ece_threshold_ds_m = 2.5", "ece_threshold_ds_m = -1"))
    with pytest.raises(CropDataError, match=r"crops\.toml: tomato\.ece_threshold_ds_m: -1 outside"):
        load_crops(path)
    path.write_text(good.replace("ece_threshold_ds_m = 2.5", 'ece_threshold_ds_m = "2.5"'))
    with pytest.raises(CropDataError, match=r"tomato\.ece_threshold_ds_m: '2\.5' is not a finite"):
        load_crops(path)
    # a library without the key loads: the crop's tolerance is not known
    path.write_text(good.replace("ece_threshold_ds_m = 2.5", ""))
    assert load_crops(path)["tomato"].ece_threshold_ds_m is None
