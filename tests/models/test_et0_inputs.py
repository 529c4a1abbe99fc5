"""Missing data take the FAO-56 procedure named in the flags; impossible data never pass."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import et0
from models.errors import ModelInputError
from models.et0 import codes

NAN = math.nan
DAY = {"doy": [200], "lat_deg": 38.93, "elev_m": 1482.0}


def one_day(**weather: float) -> et0.ET0Result:
    base = {"tmax": 30.0, "tmin": 15.0}
    base.update(weather)
    return et0.daily(**{k: [v] for k, v in base.items()}, **DAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weather", "ea_code"),
    [
        ({"ea": 1.2, "tdew": 10.0, "rh_max": 80.0, "rh_min": 30.0}, codes.EA_MEASURED),
        ({"tdew": 10.0, "rh_max": 80.0, "rh_min": 30.0}, codes.EA_TDEW),
        ({"rh_max": 80.0, "rh_min": 30.0, "rh_mean": 50.0}, codes.EA_RH_MAX_MIN),
        ({"rh_max": 80.0, "rh_min": NAN, "rh_mean": 50.0}, codes.EA_RH_MAX),
        ({"rh_mean": 50.0}, codes.EA_RH_MEAN),
        ({}, codes.EA_TMIN),
    ],
)
def test_humidity_procedure_in_fao56_order(weather: dict[str, float], ea_code: int) -> None:
    r = one_day(**weather)
    assert int(r.ea_source[0, 0]) == ea_code
    assert np.isfinite(r.et0_mm[0, 0])


@pytest.mark.parametrize(
    ("weather", "rs_code"),
    [
        ({"rs": 25.0, "sunshine": 5.0}, codes.RS_MEASURED),
        ({"sunshine": 5.0}, codes.RS_ANGSTROM),
        ({"rs": NAN, "sunshine": NAN}, codes.RS_HARGREAVES),
    ],
)
def test_radiation_procedure(weather: dict[str, float], rs_code: int) -> None:
    assert int(one_day(**weather).rs_source[0, 0]) == rs_code


def test_coastal_krs_gives_more_radiation() -> None:
    kw = {"tmax": [30.0], "tmin": [15.0], **DAY}
    interior = et0.daily(**kw, krs=0.16, explain=True)  # type: ignore[arg-type]
    coastal = et0.daily(**kw, krs=0.19, explain=True)  # type: ignore[arg-type]
    assert coastal.intermediates["Rs_mj_m2"][0, 0] > interior.intermediates["Rs_mj_m2"][0, 0]


def test_default_wind_is_2_m_s() -> None:
    r = et0.daily(tmax=[30.0], tmin=[15.0], explain=True, **DAY)  # type: ignore[arg-type]
    assert codes.WIND_NAMES[int(r.wind_source[0, 0])] == "default-2m-s"
    assert r.intermediates["u2_m_s"][0, 0] == 2.0


def test_missing_temperature_is_flagged_missing_not_computed() -> None:
    r = et0.daily(tmax=[30.0, NAN], tmin=[15.0, 14.0], **{**DAY, "doy": [200, 201]})
    assert np.isnan(r.et0_mm[0, 1])
    assert codes.ET0_NAMES[int(r.et0_source[0, 1])] == "missing"
    assert int(r.rs_source[0, 1]) == codes.NOT_USED


@pytest.mark.parametrize(
    ("weather", "element"),
    [
        ({"rh_max": 104.0}, "rh_max"),
        ({"rh_min": -1.0}, "rh_min"),
        ({"rh_max": 40.0, "rh_min": 60.0}, "rh_min"),
        ({"rh_mean": 101.0}, "rh_mean"),
        ({"tmin": 31.0}, "tmin"),
        ({"tmax": math.inf}, "tmax"),
        ({"rs": -0.5}, "rs"),
        ({"wind": -1.0}, "wind"),
        ({"sunshine": 20.0}, "sunshine"),
        ({"tdew": 35.0}, "tdew"),
        ({"ea": 0.0}, "ea"),
    ],
)
def test_impossible_daily_input_names_the_element(weather: dict[str, float], element: str) -> None:
    with pytest.raises(ModelInputError) as info:
        one_day(**weather)
    assert info.value.element == element
    assert info.value.index == (0, 0)
    assert element in str(info.value)


def test_flag_mode_marks_only_the_bad_element() -> None:
    r = et0.daily(
        tmax=[30.0, 30.0, 30.0],
        tmin=[15.0, 35.0, 15.0],
        rh_max=[80, 80, 120],
        doy=[1, 2, 3],
        lat_deg=38.93,
        elev_m=1482.0,
        on_invalid="flag",
    )
    assert np.isfinite(r.et0_mm[0, 0]) and np.isnan(r.et0_mm[0, 1:]).all()
    assert [str(p) for p in r.problems()] == [
        "tmin[station 0, time 1]: Tmin above Tmax",
        "rh_max[station 0, time 2]: relative humidity outside 0..100 %",
    ]
    assert (r.et0_source[0, 1:] == codes.ET0_INVALID).all()


def test_impossible_hourly_input_names_the_element() -> None:
    kw = {"doy": [200], "hour": [12], "lat_deg": 38.93, "lon_deg": 100.43, "elev_m": 1482.0}
    with pytest.raises(ModelInputError, match=r"^rh\[station 0, time 0\]") as info:
        et0.hourly(t=[25.0], rh=[130.0], rs=[2.0], **kw)  # type: ignore[arg-type]
    assert info.value.element == "rh"
    r = et0.hourly(t=[25.0], rh=[50.0], **kw)  # type: ignore[arg-type]
    assert codes.ET0_NAMES[int(r.et0_source[0, 0])] == "missing"  # no Rs: no hourly estimate


@pytest.mark.parametrize(
    ("kwargs", "element"),
    [
        ({"lat_deg": 95.0}, "lat_deg"),
        ({"wind_height_m": 0.0}, "wind_height_m"),
        ({"doy": [400]}, "doy"),
        ({"crop": "tall"}, "crop"),
        ({"method": "penman"}, "method"),
    ],
)
def test_bad_station_or_method_arguments(kwargs: dict[str, object], element: str) -> None:
    args: dict[str, object] = {"tmax": [30.0], "tmin": [15.0], **DAY, **kwargs}
    with pytest.raises(ModelInputError) as info:
        et0.daily(**args)  # type: ignore[arg-type]
    assert info.value.element == element


@settings(max_examples=60, deadline=None)
@given(
    tmin=st.floats(-30, 35),
    dt=st.floats(0, 25),
    rh_min=st.floats(0, 100),
    drh=st.floats(0, 100),
    wind=st.floats(0, 15),
    rs_frac=st.floats(0.05, 1.0),
    doy=st.integers(1, 366),
    lat=st.floats(-60, 60),
    elev=st.floats(-100, 4500),
)
def test_valid_inputs_give_finite_plausible_et0(
    tmin: float,
    dt: float,
    rh_min: float,
    drh: float,
    wind: float,
    rs_frac: float,
    doy: int,
    lat: float,
    elev: float,
) -> None:
    """Any physically valid day gives a finite ET0 below 60 mm, flagged Penman-Monteith.

    The domain reaches 60 °C with 0 % RH and 15 m/s wind at 4,500 m, where tall-reference
    ETr is ~47 mm (it is 25 mm at 23 °C, RH 0, 15 m/s, sea level): the bound catches blow-ups
    and sign errors, not climate.
    """
    ra = et0.equations.ra_daily(math.radians(lat), doy)
    r = et0.daily(
        tmax=[tmin + dt],
        tmin=[tmin],
        rh_min=[rh_min],
        rh_max=[min(100.0, rh_min + drh)],
        wind=[wind],
        rs=[rs_frac * 0.75 * ra],
        doy=[doy],
        lat_deg=lat,
        elev_m=elev,
        method="asce",
        crop="tall",
    )
    value = float(r.et0_mm[0, 0])
    assert math.isfinite(value) and -3.0 < value < 60.0
    assert int(r.et0_source[0, 0]) == codes.ET0_PENMAN_MONTEITH
