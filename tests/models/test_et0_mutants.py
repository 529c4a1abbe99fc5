"""FAO-56 chapter 3 equations one at a time, at and on either side of each bound.

Expected values are worked by hand from the equation (or printed in an FAO-56 example, checked
to the digits printed: ± half a unit of the last printed decimal), never read from the code's
output. They complement ``test_et0_examples.py``, which checks the whole chain.
"""

from __future__ import annotations

import math

import pytest

from models.et0 import equations as eq

PRINTED = 0.005  # half a unit of the second decimal, as FAO-56 prints these examples


def test_actual_vapour_pressure_example5_eqs_17_18_19() -> None:
    # FAO-56 Example 5: Tmin 18 °C, Tmax 25 °C, RHmax 82 %, RHmin 54 %; e°(18) 2.064 kPa,
    # e°(25) 3.168 kPa (Table 2.3)
    assert eq.ea_from_rh_max_min(25.0, 18.0, 82.0, 54.0) == pytest.approx(1.70, abs=PRINTED)
    assert eq.ea_from_rh_max(18.0, 82.0) == pytest.approx(1.69, abs=PRINTED)  # 2.064 × 0.82
    # eq. 19 with RHmean 68 %: 0.68 × (2.064 + 3.168) / 2
    assert eq.ea_from_rh_mean(25.0, 18.0, 68.0) == pytest.approx(1.78, abs=PRINTED)


def test_vapour_pressure_from_dew_point_and_tmin_eqs_14_48() -> None:
    # e°(17) = 0.6108 exp(17.27 × 17 / 254.3) = 1.938 kPa (Table 2.3); eq. 48 takes Tdew = Tmin
    assert eq.ea_from_tdew(17.0) == pytest.approx(1.938, abs=0.0005)
    assert eq.ea_from_tmin(18.0) == pytest.approx(2.064, abs=0.0005)
    assert eq.ea_hourly_from_rh(18.0, 50.0) == pytest.approx(1.032, abs=0.0005)  # eq. 54


def test_soil_heat_flux_monthly_example13_eqs_43_44() -> None:
    # FAO-56 Example 13: March 14.1 °C, April 16.1 °C, May 18.8 °C
    assert eq.soil_heat_flux_monthly(14.1, 18.8) == pytest.approx(0.33, abs=PRINTED)
    assert eq.soil_heat_flux_monthly_prev(16.1, 14.1) == pytest.approx(0.28, abs=PRINTED)


def test_soil_heat_flux_hourly_day_and_night_eqs_45_46() -> None:
    assert eq.soil_heat_flux_hourly(2.0) == pytest.approx(0.2)  # day: 0.1 Rn
    assert eq.soil_heat_flux_hourly(0.5) == pytest.approx(0.05)  # day, Rn under 1
    assert eq.soil_heat_flux_hourly(-1.0) == pytest.approx(-0.5)  # night: 0.5 Rn
    assert eq.soil_heat_flux_hourly(-0.01) == pytest.approx(-0.005)  # night, just below 0
    assert eq.soil_heat_flux_hourly(0.0) == 0.0


def test_clear_sky_radiation_default_angstrom_eq_36() -> None:
    assert eq.rso_angstrom(40.0) == pytest.approx(30.0)  # (0.25 + 0.50) × 40
    assert eq.rso_angstrom(40.0, 0.2, 0.6) == pytest.approx(32.0)


@pytest.mark.parametrize(
    ("rs", "rso", "expected"),
    [
        (5.0, 0.0, 1.0),  # sun down all period: Rso = 0
        (0.25, 0.5, 0.5),  # Rso under 1 MJ m⁻² is still a ratio
        (2.0, 10.0, 0.3),  # below the 0.3 floor
        (3.0, 10.0, 0.3),  # at the floor
        (3.1, 10.0, 0.31),  # just above it
        (10.0, 10.0, 1.0),  # at the ceiling
        (15.0, 10.0, 1.0),  # above it: Rs/Rso ≤ 1.0 (eq. 39)
    ],
)
def test_relative_shortwave_radiation_limits(rs: float, rso: float, expected: float) -> None:
    assert eq.relative_shortwave_radiation(rs, rso) == pytest.approx(expected)


def test_net_longwave_hourly_at_300_kelvin() -> None:
    # T = 26.84 °C is 300 K: σ T⁴ = 4.903e-9 / 24 × 8.1e9 = 1.6547625; (0.34 − 0.14 √1) = 0.20
    assert eq.net_longwave_radiation_hourly(26.84, 1.0, 1.0) == pytest.approx(0.3309525, rel=1e-6)


def test_penman_monteith_default_daily_constants_eq_6() -> None:
    # Δ 0.2, Rn − G 10, γ 0.066, T + 273 = 300, u2 2, es − ea 1, Cn 900, Cd 0.34:
    # (0.408 × 0.2 × 10 + 0.066 × 900 / 300 × 2 × 1) / (0.2 + 0.066 × (1 + 0.68))
    expected = (0.816 + 0.396) / 0.31088
    assert eq.penman_monteith(0.2, 11.0, 1.0, 0.066, 27.0, 2.0, 2.5, 1.5) == pytest.approx(
        expected, rel=1e-9
    )


def test_period_hour_angles_for_a_two_hour_period_eqs_29_30() -> None:
    # t1 = 2 h: ω ± π t1 / 24 = ± π / 12 around solar noon
    omega1, omega2 = eq.period_hour_angles(0.0, 2.0, math.pi / 2.0)
    assert omega1 == pytest.approx(-math.pi / 12.0)
    assert omega2 == pytest.approx(math.pi / 12.0)


def test_solar_time_angle_longitude_and_zone_eq_31() -> None:
    # 12:00 at 15° E on UTC: solar time 13:00, one hour past noon
    assert eq.solar_time_angle(12.0, 15.0, 0.0, 0.0) == pytest.approx(math.pi / 12.0)
    # 12:00 local clock at the centre of UTC+2 (30° E): solar noon
    assert eq.solar_time_angle(12.0, 30.0, 30.0, 0.0) == pytest.approx(0.0, abs=1e-12)
    # 22:00 UTC at 45° E is 01:00 solar time: 13 h after noon, wrapped to 11 h before it
    assert eq.solar_time_angle(22.0, 45.0, 0.0, 0.0) == pytest.approx(-11.0 * math.pi / 12.0)


def test_sunset_hour_angle_polar_night_and_day_eq_25() -> None:
    phi = math.radians(80.0)
    # −tan 80° tan(∓0.409) = ±2.46: clipped to ±1, so ωs = 0 (polar night) or π (polar day)
    assert eq.sunset_hour_angle(phi, -0.409) == 0.0
    assert eq.sunset_hour_angle(phi, 0.409) == pytest.approx(math.pi)


def test_wind_speed_2m_eq_47() -> None:
    assert eq.wind_speed_2m(3.0, 2.0) == 3.0  # measured at 2 m: u2 itself, not × 1.0002
    # 4.87 / ln(67.8 × 3 − 5.42) = 4.87 / ln(197.98) = 0.920924
    assert eq.wind_speed_2m(1.0, 3.0) == pytest.approx(0.920924, rel=1e-6)
    # FAO-56 Example 14: 3.2 m/s at 10 m; 4.87 / ln(672.58) = 0.747951
    assert eq.wind_speed_2m(3.2, 10.0) == pytest.approx(2.4, abs=0.05)
    assert eq.wind_speed_2m(1.0, 10.0) == pytest.approx(0.747951, rel=1e-6)
