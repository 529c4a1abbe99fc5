"""FAO-56 chapter 3 equations, one scalar function each (plain Python, ``math`` only).

Names follow Allen et al. (1998), *Crop evapotranspiration*, FAO Irrigation and Drainage Paper
56 ("FAO-56"); the equation number is in each docstring. ASCE-EWRI (2005) uses the same
equations with a few rounded constants; where it differs the constant is a parameter.

These functions are the readable definition of the method. They use only arithmetic and
``math`` and stay plain Python functions: :mod:`models.et0.reference` calls them as such, while
``register_jitable`` (applied to each at the end of the module, not as a decorator, so that
mutation testing reaches their bodies) lets the numba kernels in :mod:`models.et0.kernels`
compile the very same code inline.

Units: temperature °C, pressure kPa, radiation MJ m⁻² per period (day or hour), angles in
radians, wind m s⁻¹, time in hours, elevation m.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

__all__ = [
    "DELTA_COEF_ASCE",
    "DELTA_COEF_FAO56",
    "GSC_MJ_M2_MIN",
    "SIGMA_DAY_ASCE",
    "SIGMA_DAY_FAO56",
    "SIGMA_HOUR_ASCE",
    "SIGMA_HOUR_FAO56",
    "atmospheric_pressure",
    "cloudiness_function",
    "daylight_hours",
    "ea_from_rh_max",
    "ea_from_rh_max_min",
    "ea_from_rh_mean",
    "ea_from_tdew",
    "ea_from_tmin",
    "ea_hourly_from_rh",
    "hargreaves_et0",
    "inverse_relative_distance",
    "mean_saturation_vapour_pressure",
    "net_longwave_radiation_daily",
    "net_longwave_radiation_hourly",
    "net_radiation",
    "net_shortwave_radiation",
    "penman_monteith",
    "period_hour_angles",
    "psychrometric_constant",
    "ra_daily",
    "ra_hourly",
    "relative_shortwave_radiation",
    "rs_angstrom",
    "rs_hargreaves",
    "rso_angstrom",
    "rso_elevation",
    "saturation_vapour_pressure",
    "seasonal_correction",
    "slope_saturation_vapour_pressure",
    "soil_heat_flux_hourly",
    "soil_heat_flux_monthly",
    "soil_heat_flux_monthly_prev",
    "solar_declination",
    "solar_time_angle",
    "sunset_hour_angle",
    "wind_speed_2m",
]

#: Solar constant Gsc [MJ m⁻² min⁻¹] (FAO-56 eq. 21); ASCE's 4.92 MJ m⁻² h⁻¹ is the same value.
GSC_MJ_M2_MIN = 0.0820
#: Stefan-Boltzmann constant per day [MJ K⁻⁴ m⁻² d⁻¹] (FAO-56 eq. 39).
SIGMA_DAY_FAO56 = 4.903e-9
#: ... per hour, FAO-56 eq. 39 divided by 24 [MJ K⁻⁴ m⁻² h⁻¹] (FAO-56 p. 74).
SIGMA_HOUR_FAO56 = 4.903e-9 / 24.0
#: ASCE-EWRI (2005) eq. 17 and eq. 44 round the constant differently.
SIGMA_DAY_ASCE = 4.901e-9
SIGMA_HOUR_ASCE = 2.042e-10
#: Numerator of Δ: 4098 × 0.6108 (FAO-56 eq. 13) and ASCE-EWRI (2005) eq. 5's 2503.
DELTA_COEF_FAO56 = 4098.0 * 0.6108
DELTA_COEF_ASCE = 2503.0


def atmospheric_pressure(z: float) -> float:
    """P [kPa] at elevation ``z`` [m] above sea level (FAO-56 eq. 7)."""
    return 101.3 * ((293.0 - 0.0065 * z) / 293.0) ** 5.26


def psychrometric_constant(P: float) -> float:
    """γ [kPa °C⁻¹] from atmospheric pressure ``P`` [kPa] (FAO-56 eq. 8)."""
    return 0.665e-3 * P


def saturation_vapour_pressure(T: float) -> float:
    """e°(T) [kPa] at air temperature ``T`` [°C] (FAO-56 eq. 11)."""
    return 0.6108 * math.exp(17.27 * T / (T + 237.3))


def mean_saturation_vapour_pressure(Tmax: float, Tmin: float) -> float:
    """es [kPa], mean of e°(Tmax) and e°(Tmin) [°C] (FAO-56 eq. 12)."""
    return 0.5 * (saturation_vapour_pressure(Tmax) + saturation_vapour_pressure(Tmin))


def slope_saturation_vapour_pressure(T: float, coef: float = DELTA_COEF_FAO56) -> float:
    """Δ [kPa °C⁻¹] at mean air temperature ``T`` [°C] (FAO-56 eq. 13).

    ``coef`` is 4098 × 0.6108 in FAO-56 and 2503 in ASCE-EWRI (2005) eq. 5.
    """
    d = T + 237.3
    return coef * math.exp(17.27 * T / d) / (d * d)


def ea_from_tdew(Tdew: float) -> float:
    """ea [kPa] from dew point ``Tdew`` [°C] (FAO-56 eq. 14)."""
    return saturation_vapour_pressure(Tdew)


def ea_from_rh_max_min(Tmax: float, Tmin: float, RHmax: float, RHmin: float) -> float:
    """ea [kPa] from RHmax and RHmin [%] (FAO-56 eq. 17)."""
    return 0.5 * (
        saturation_vapour_pressure(Tmin) * RHmax / 100.0
        + saturation_vapour_pressure(Tmax) * RHmin / 100.0
    )


def ea_from_rh_max(Tmin: float, RHmax: float) -> float:
    """ea [kPa] from RHmax [%] alone, when RHmin is unreliable (FAO-56 eq. 18)."""
    return saturation_vapour_pressure(Tmin) * RHmax / 100.0


def ea_from_rh_mean(Tmax: float, Tmin: float, RHmean: float) -> float:
    """ea [kPa] from mean relative humidity RHmean [%] (FAO-56 eq. 19)."""
    return RHmean / 100.0 * mean_saturation_vapour_pressure(Tmax, Tmin)


def ea_from_tmin(Tmin: float) -> float:
    """ea [kPa] with no humidity data: Tdew ≈ Tmin (FAO-56 eq. 48)."""
    return saturation_vapour_pressure(Tmin)


def ea_hourly_from_rh(T: float, RH: float) -> float:
    """ea [kPa] for an hour from its mean temperature [°C] and mean RH [%] (FAO-56 eq. 54)."""
    return saturation_vapour_pressure(T) * RH / 100.0


def inverse_relative_distance(J: float) -> float:
    """dr [-], inverse relative distance Earth-Sun on day of year ``J`` (FAO-56 eq. 23)."""
    return 1.0 + 0.033 * math.cos(2.0 * math.pi / 365.0 * J)


def solar_declination(J: float) -> float:
    """δ [rad] on day of year ``J`` (FAO-56 eq. 24)."""
    return 0.409 * math.sin(2.0 * math.pi / 365.0 * J - 1.39)


def sunset_hour_angle(phi: float, delta: float) -> float:
    """ωs [rad] at latitude ``phi`` [rad] (FAO-56 eq. 25).

    The argument of arccos is clipped to [-1, 1] so polar day (ωs = π) and polar night (ωs = 0)
    are defined.
    """
    x = -math.tan(phi) * math.tan(delta)
    return math.acos(min(1.0, max(-1.0, x)))


def ra_daily(phi: float, J: float) -> float:
    """Ra [MJ m⁻² d⁻¹], daily extraterrestrial radiation (FAO-56 eq. 21)."""
    dr = inverse_relative_distance(J)
    delta = solar_declination(J)
    omega_s = sunset_hour_angle(phi, delta)
    return (
        24.0
        * 60.0
        / math.pi
        * GSC_MJ_M2_MIN
        * dr
        * (
            omega_s * math.sin(phi) * math.sin(delta)
            + math.cos(phi) * math.cos(delta) * math.sin(omega_s)
        )
    )


def daylight_hours(omega_s: float) -> float:
    """N [h], maximum possible sunshine duration (FAO-56 eq. 34)."""
    return 24.0 / math.pi * omega_s


def seasonal_correction(J: float) -> float:
    """Sc [h], seasonal correction for solar time (FAO-56 eqs. 32, 33)."""
    b = 2.0 * math.pi * (J - 81.0) / 364.0
    return 0.1645 * math.sin(2.0 * b) - 0.1255 * math.cos(b) - 0.025 * math.sin(b)


def solar_time_angle(t: float, lon_deg_east: float, lz_deg_east: float, Sc: float) -> float:
    """ω [rad], solar time angle at the midpoint ``t`` [h, standard clock time] (FAO-56 eq. 31).

    FAO-56 writes ``0.06667 (Lz − Lm)`` with longitudes in degrees *west* of Greenwich; with
    degrees *east* that is ``(lon − lz) / 15``. ``lz`` is the centre of the time zone
    (15° × UTC offset in hours; 0 when ``t`` is UTC). The angle is wrapped into [-π, π) so
    UTC clock times anywhere on Earth work.
    """
    omega = math.pi / 12.0 * ((t + (lon_deg_east - lz_deg_east) / 15.0 + Sc) - 12.0)
    return (omega + math.pi) % (2.0 * math.pi) - math.pi


def period_hour_angles(omega: float, t1: float, omega_s: float) -> tuple[float, float]:
    """ω1, ω2 [rad] at the start and end of a ``t1``-hour period centred on ω (FAO-56 eqs. 29,
    30), clipped to [-ωs, ωs] with ω1 ≤ ω2 (ASCE-EWRI 2005 eqs. 56, 57)."""
    omega1 = min(max(omega - math.pi * t1 / 24.0, -omega_s), omega_s)
    omega2 = min(max(omega + math.pi * t1 / 24.0, -omega_s), omega_s)
    return min(omega1, omega2), omega2


def ra_hourly(
    phi: float, J: float, t: float, lon_deg_east: float, lz_deg_east: float, t1: float = 1.0
) -> float:
    """Ra [MJ m⁻² per period] for a period of ``t1`` hours centred on ``t`` (FAO-56 eqs. 28-30).

    ω1 and ω2 (eqs. 29, 30) are clipped to [-ωs, ωs] (ASCE-EWRI 2005 eq. 56) so Ra is zero
    when the sun is down and partial at sunrise and sunset.
    """
    dr = inverse_relative_distance(J)
    delta = solar_declination(J)
    omega_s = sunset_hour_angle(phi, delta)
    omega = solar_time_angle(t, lon_deg_east, lz_deg_east, seasonal_correction(J))
    omega1, omega2 = period_hour_angles(omega, t1, omega_s)
    return (
        12.0
        * 60.0
        / math.pi
        * GSC_MJ_M2_MIN
        * dr
        * (
            (omega2 - omega1) * math.sin(phi) * math.sin(delta)
            + math.cos(phi) * math.cos(delta) * (math.sin(omega2) - math.sin(omega1))
        )
    )


def rso_angstrom(Ra: float, a_s: float = 0.25, b_s: float = 0.50) -> float:
    """Rso [MJ m⁻² per period] with calibrated Angstrom values (FAO-56 eq. 36)."""
    return (a_s + b_s) * Ra


def rso_elevation(Ra: float, z: float) -> float:
    """Rso [MJ m⁻² per period] from station elevation ``z`` [m] (FAO-56 eq. 37)."""
    return (0.75 + 2e-5 * z) * Ra


def rs_angstrom(n: float, N: float, Ra: float, a_s: float = 0.25, b_s: float = 0.50) -> float:
    """Rs [MJ m⁻² d⁻¹] from sunshine ``n`` [h] and daylength ``N`` [h] (FAO-56 eq. 35)."""
    return (a_s + b_s * n / N) * Ra


def rs_hargreaves(Tmax: float, Tmin: float, Ra: float, krs: float) -> float:
    """Rs [MJ m⁻² d⁻¹] from the temperature range (FAO-56 eq. 50).

    ``krs`` [°C⁻⁰·⁵] is 0.16 for interior and 0.19 for coastal locations.
    """
    return krs * math.sqrt(Tmax - Tmin) * Ra


def net_shortwave_radiation(Rs: float, albedo: float = 0.23) -> float:
    """Rns [MJ m⁻² per period] (FAO-56 eq. 38); albedo 0.23 for the grass reference."""
    return (1.0 - albedo) * Rs


def relative_shortwave_radiation(Rs: float, Rso: float) -> float:
    """Rs/Rso [-] limited to [0.3, 1.0] (FAO-56 eq. 39 note; ASCE-EWRI 2005 eq. 18).

    FAO-56 states only the upper limit; the lower one (ASCE) keeps the cloudiness function
    positive for very dark measured days. With Rso = 0 (sun down all period) it is 1.
    """
    if Rso <= 0.0:
        return 1.0
    return min(1.0, max(0.3, Rs / Rso))


def cloudiness_function(Rs_Rso: float) -> float:
    """fcd = 1.35 Rs/Rso − 0.35 [-] (FAO-56 eq. 39; ASCE-EWRI 2005 eq. 18)."""
    return 1.35 * Rs_Rso - 0.35


def net_longwave_radiation_daily(
    Tmax: float, Tmin: float, ea: float, fcd: float, sigma: float = SIGMA_DAY_FAO56
) -> float:
    """Rnl [MJ m⁻² d⁻¹] (FAO-56 eq. 39) given the cloudiness function ``fcd``."""
    # K⁴ by multiplication: the same value as ** 4 to rounding, several times faster compiled
    TmaxK2 = (Tmax + 273.16) * (Tmax + 273.16)
    TminK2 = (Tmin + 273.16) * (Tmin + 273.16)
    TmaxK4 = TmaxK2 * TmaxK2
    TminK4 = TminK2 * TminK2
    return sigma * 0.5 * (TmaxK4 + TminK4) * (0.34 - 0.14 * math.sqrt(ea)) * fcd


def net_longwave_radiation_hourly(
    T: float, ea: float, fcd: float, sigma: float = SIGMA_HOUR_FAO56
) -> float:
    """Rnl [MJ m⁻² h⁻¹] for an hour with mean temperature ``T`` [°C] (FAO-56 eq. 39, p. 74)."""
    TK2 = (T + 273.16) * (T + 273.16)
    return sigma * TK2 * TK2 * (0.34 - 0.14 * math.sqrt(ea)) * fcd


def net_radiation(Rns: float, Rnl: float) -> float:
    """Rn = Rns − Rnl [MJ m⁻² per period] (FAO-56 eq. 40)."""
    return Rns - Rnl


def soil_heat_flux_monthly(T_prev: float, T_next: float) -> float:
    """G [MJ m⁻² d⁻¹] for a month from the previous and next monthly means [°C] (FAO-56 eq. 43).

    For a day (or ten days) FAO-56 eq. 42 gives G ≈ 0.
    """
    return 0.07 * (T_next - T_prev)


def soil_heat_flux_monthly_prev(T_month: float, T_prev: float) -> float:
    """G [MJ m⁻² d⁻¹] for a month when the next month is unknown (FAO-56 eq. 44)."""
    return 0.14 * (T_month - T_prev)


def soil_heat_flux_hourly(
    Rn: float, day_fraction: float = 0.1, night_fraction: float = 0.5
) -> float:
    """G [MJ m⁻² h⁻¹] for an hour: 0.1 Rn by day, 0.5 Rn at night (FAO-56 eqs. 45, 46).

    Night is Rn < 0 (ASCE-EWRI 2005 p. 44); ASCE's tall reference uses 0.04 and 0.2.
    """
    return (night_fraction if Rn < 0.0 else day_fraction) * Rn


def wind_speed_2m(uz: float, z: float) -> float:
    """u2 [m s⁻¹] from wind ``uz`` measured ``z`` m above ground (FAO-56 eq. 47).

    Wind measured at 2 m *is* u2: the rounded coefficients of eq. 47 would scale it by 1.0002.
    """
    if z == 2.0:
        return uz
    return uz * 4.87 / math.log(67.8 * z - 5.42)


def penman_monteith(
    Delta: float,
    Rn: float,
    G: float,
    gamma: float,
    T: float,
    u2: float,
    es: float,
    ea: float,
    Cn: float = 900.0,
    Cd: float = 0.34,
) -> float:
    """Reference ET [mm per period] (FAO-56 eqs. 6 and 53; ASCE-EWRI 2005 eq. 1).

    ``Cn``/``Cd`` are 900/0.34 for FAO-56 daily grass, 37/0.34 for FAO-56 hourly; ASCE uses
    900/0.34 (ETo) and 1600/0.38 (ETr) daily, 37 and 66 hourly with day/night ``Cd``.
    """
    return (0.408 * Delta * (Rn - G) + gamma * Cn / (T + 273.0) * u2 * (es - ea)) / (
        Delta + gamma * (1.0 + Cd * u2)
    )


def hargreaves_et0(Tmax: float, Tmin: float, Ra: float) -> float:
    """ET0 [mm d⁻¹] by Hargreaves (FAO-56 eq. 52), Ra in MJ m⁻² d⁻¹ (× 0.408 to mm d⁻¹)."""
    Tmean = 0.5 * (Tmax + Tmin)
    return 0.0023 * (Tmean + 17.8) * math.sqrt(Tmax - Tmin) * 0.408 * Ra


# Every equation above, registered for numba by call rather than by decorator: the function
# stays the same object (register_jitable returns it), and mutmut mutates only undecorated
# functions (scripts/mutation.py).
for _name in __all__:
    _equation = globals()[_name]
    if callable(_equation):
        register_jitable(_equation)
