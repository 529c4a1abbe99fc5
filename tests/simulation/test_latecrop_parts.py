"""The late crop's ETc error taken apart into ET0, soil evaporation and transpiration."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from controller.simulation.referee.aquacrop import DayState
from controller.simulation.referee.latecrop import BalanceDay
from controller.simulation.referee.latecrop_parts import ZoneDay, main, report

SOWN = dt.date(2026, 4, 20)


def _truth(dap: int, **values: float) -> DayState:
    blank: dict[str, Any] = {f.name: 0.0 for f in dataclasses.fields(DayState)}
    blank |= {"date": SOWN + dt.timedelta(days=dap), "dap": dap, "theta": (), "harvested": False}
    blank["soil_water_mm"] = ()
    return DayState(**(blank | values))


def _day(
    stage: str, dap: int, kc: float, et0: float, notes: str, ks: float, **truth: float
) -> ZoneDay:
    return ZoneDay(stage, dap, BalanceDay(kc, kc * et0, notes, et0), _truth(dap, **truth), ks)


def test_the_mid_season_bias_is_et0_evaporation_and_transpiration() -> None:
    # seed corn: Kc mid 1.20, Kcb mid 1.15, mulch factor 0.85: evaporation share 0.0425
    warm = _day("mid", 90, 0.95, 5.0, "", 1.0, et0_mm=4.8, tr_mm=4.4, es_mm=0.1, canopy_cover=0.87)
    lines = report([warm], lag_days=10)
    # bias 4.75 - 4.5; ET0 0.95 * 0.2; Es 0.0425 * 4.8 - 0.1; Tr the rest
    assert "mid: 1 zone-days, |error| 0.250, bias +0.250 = ET0 +0.190 + Es +0.104" in lines[0]
    assert "Tr -0.044" in lines[0] and "balance ET0 / referee ET0 1.042" in lines[0]
    assert "AquaCrop Tr/ET0 0.917 at cover 0.870; balance Kcb 1.068" in lines[1]
    assert lines[2] == "mid: |balance's cold coefficient − referee's| 0.000"


def test_cool_days_compare_the_cold_coefficients_and_the_crop_day_its_lag() -> None:
    cool = _day("mid", 100, 0.8, 4.0, "cool day: transpiration × 0.80", 0.9, et0_mm=4.0, tr_mm=3.0)
    developing = _day(
        "development",
        55,
        0.5,
        5.0,
        "FAO-56 development day 13 (crop day 43.0, 55 d after planting)",
        1.0,
        et0_mm=5.0,
        tr_mm=2.5,
        es_mm=0.5,
        canopy_cover=0.4,
    )
    lines = report([cool, developing], lag_days=10)
    assert lines[0].startswith("development: 1 zone-days, |error| 0.500, bias -0.500 = ET0 +0.000")
    assert "Es" not in lines[0]  # the evaporation share is mid-season's only
    assert not any("warm zone-days" in line for line in lines)
    assert "mid: |balance's cold coefficient − referee's| 0.100" in lines
    assert lines[-1] == (
        "days 50-59: crop day − the truth's -2.00 d; balance Kc 0.500, AquaCrop (Tr + Es)/ET0 "
        "0.600 at cover 0.400"
    )


def test_a_krs_the_site_would_refuse_stops_before_any_season(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--krs", "0.3"])
    assert exit_.value.code == 2
    assert "--krs 0.3: outside 0.10 to 0.25" in capsys.readouterr().err
