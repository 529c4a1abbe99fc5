"""The season truth behind the simulated field: weather generator, layered soil, publishing."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.paths import bundled
from drivers.sim.soilphysics import (
    CropTruth,
    DayTotals,
    SoilColumn,
    SoilTruth,
    solar_day_fraction,
    step_zone,
)
from drivers.sim.weathergen import ClimateNormals, WeatherGenerator, WeatherSeries

SCENARIO = bundled("controller.simulation", "scenarios/zhangye-seed-corn.toml")
LOAM = SoilTruth(theta_fc=0.28, theta_wp=0.12, theta_sat=0.45)


def _normals() -> ClimateNormals:
    return ClimateNormals.from_mapping(tomllib.loads(SCENARIO.read_text())["climate"])


def test_generator_is_seeded_and_returns_the_normals_on_average() -> None:
    normals = _normals()
    a = WeatherGenerator(normals, seed=3).generate(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    b = WeatherGenerator(normals, seed=3).generate(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert a.day(dt.date(2026, 7, 1)) == b.day(dt.date(2026, 7, 1))
    rain, july_tmax = [], []
    for seed in range(20):
        series = WeatherGenerator(normals, seed=seed).generate(
            dt.date(2026, 1, 1), dt.date(2026, 12, 31)
        )
        rain.append(sum(d.rain_mm for d in series.days(series.first, series.last)))
        july = series.days(dt.date(2026, 7, 1), dt.date(2026, 7, 31))
        july_tmax.append(sum(d.tmax_c for d in july) / 31)
    assert sum(rain) / 20 == pytest.approx(sum(normals.rain_mm), rel=0.15)  # ~130 mm a year
    assert sum(july_tmax) / 20 == pytest.approx(28.8, abs=1.0)


def test_hourly_shape_peaks_in_the_afternoon_and_rain_adds_up() -> None:
    series = WeatherGenerator(_normals(), seed=1).generate(
        dt.date(2026, 6, 1), dt.date(2026, 6, 30)
    )
    day = next(d for d in series.days(series.first, series.last) if d.rain_mm > 0)
    temps = [series.hour(day.date, h).t_c for h in range(24)]
    assert max(temps) == pytest.approx(series.hour(day.date, 15).t_c)
    assert series.rain_between(day.date, 0, 24) == pytest.approx(day.rain_mm)
    assert all(0 <= series.hour(day.date, h).rh_pct <= 100 for h in range(24))


def test_weather_csv_names_the_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text(
        "date,tmax_c,tmin_c,rh_mean_pct,u2_m_s,sunshine_h,rain_mm\n"
        "2026-06-01,28,14,50,1.8,10,0\n2026-06-02,x,14,50,1.8,10,0\n"
    )
    with pytest.raises(ValueError, match=r"w.csv:3"):
        WeatherSeries.from_csv(path)


def test_weather_csv_names_each_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("date,tmax_c,tmin_c,rh_mean_pct,u2_m_s\n2026-06-01,28,14,50,1.8\n")
    with pytest.raises(ValueError, match=r"w.csv: no sunshine_h column, no rain_mm column$"):
        WeatherSeries.from_csv(path)


def test_normals_need_twelve_months() -> None:
    table = tomllib.loads(SCENARIO.read_text())["climate"] | {"rain_mm": [1.0] * 11}
    with pytest.raises(ValueError, match=r"climate\.rain_mm"):
        ClimateNormals.from_mapping(table)


def test_solar_fraction_integrates_to_one_day() -> None:
    assert solar_day_fraction(0, 24) == pytest.approx(1.0)
    assert solar_day_fraction(0, 12) == pytest.approx(0.5)
    assert solar_day_fraction(20, 24) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    water=st.lists(st.floats(0, 60), min_size=1, max_size=30),
    et0=st.floats(0, 9),
    zr=st.floats(0.2, 1.0),
)
def test_soil_water_balance_closes_and_stays_in_bounds(
    water: list[float], et0: float, zr: float
) -> None:
    column = SoilColumn(LOAM, initial_fraction=0.7)
    crop = CropTruth(dt.date(2026, 4, 20), kc=(1.0,), root_depth_m=(zr,), p=(0.55,))
    start_mm = sum(t * th * 1000 for t, th in zip(column.thickness_m, column.theta, strict=True))
    totals = DayTotals(dt.date(2026, 6, 1))
    for i, mm in enumerate(water):
        h0 = 24 * i / len(water)
        step_zone(
            column,
            crop,
            totals,
            et0_day_mm=et0,
            h0=h0,
            h1=24 * (i + 1) / len(water),
            water_mm=mm,
            rain_mm=0.0,
        )
        assert all(LOAM.theta_wp - 1e-9 <= th <= LOAM.theta_sat + 1e-9 for th in column.theta)
        assert 0.0 <= totals.dr_end_mm <= column.taw_mm(zr) + 1e-9
    end_mm = sum(t * th * 1000 for t, th in zip(column.thickness_m, column.theta, strict=True))
    inflow = totals.irrigation_mm
    outflow = totals.eta_mm + totals.drainage_mm + totals.runoff_mm
    assert end_mm - start_mm == pytest.approx(inflow - outflow, abs=1e-6)  # nothing made or lost
    assert totals.eta_mm <= totals.etc_mm + 1e-9


def test_dry_soil_stresses_the_crop_by_eq_84() -> None:
    column = SoilColumn(LOAM, initial_fraction=0.2)  # Dr = 0.8 TAW > RAW
    zr, p = 1.0, 0.55
    ks = column.ks(zr, p)
    taw = column.taw_mm(zr)
    assert ks == pytest.approx((taw - column.dr_mm(zr)) / ((1 - p) * taw))
    totals = DayTotals(dt.date(2026, 7, 1))
    crop = CropTruth(dt.date(2026, 4, 20), kc=(1.0,), root_depth_m=(zr,), p=(p,))
    step_zone(column, crop, totals, et0_day_mm=6.0, h0=0, h1=24, water_mm=0, rain_mm=0)
    assert totals.stressed and totals.ks_min < 1
    assert math.isclose(totals.etc_mm, 6.0)


def test_refused_soil_names_the_problem() -> None:
    with pytest.raises(ValueError, match="theta_wp < theta_fc"):
        SoilTruth(theta_fc=0.1, theta_wp=0.2, theta_sat=0.4)
