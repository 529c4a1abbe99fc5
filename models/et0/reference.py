"""Plain-Python references of the numba kernels, one element at a time.

Same arguments and outputs as :func:`models.et0.kernels.daily_kernel` and
:func:`~models.et0.kernels.hourly_kernel`, but written the way FAO-56 reads: every element
recomputes P, γ, Ra, … from the composite functions of :mod:`models.et0.equations`, without
hoisting or parallelism. Slow; used by tests to hold the kernels to the method.
"""

from __future__ import annotations

import math

import numpy as np

from . import codes as c
from . import equations as eq
from .checks import daily_problem, hourly_problem

__all__ = ["daily_reference", "hourly_reference"]


def _at(a: np.ndarray, s: int, t: int) -> float:
    return math.nan if a.shape[0] == 0 else float(a[s, t])


def _not_used(outs: tuple[np.ndarray, ...], s: int, t: int) -> None:
    for o in outs:
        o[s, t] = c.NOT_USED


def daily_reference(
    tmax: np.ndarray,
    tmin: np.ndarray,
    rh_max: np.ndarray,
    rh_min: np.ndarray,
    rh_mean: np.ndarray,
    tdew: np.ndarray,
    ea_in: np.ndarray,
    uz: np.ndarray,
    rs_in: np.ndarray,
    sunshine: np.ndarray,
    phi: np.ndarray,
    z: np.ndarray,
    wind_z: np.ndarray,
    krs: np.ndarray,
    doy: np.ndarray,
    Cn: float,
    Cd: float,
    sigma: float,
    delta_coef: float,
    hargreaves_fallback: bool,
    a_s: float,
    b_s: float,
    et0: np.ndarray,
    rs_src: np.ndarray,
    ea_src: np.ndarray,
    wind_src: np.ndarray,
    et0_src: np.ndarray,
    problem: np.ndarray,
    explain: bool,
    x: np.ndarray,
) -> None:
    """Reference of :func:`models.et0.kernels.daily_kernel` (same contract)."""
    n_st, n_t = tmax.shape
    for s in range(n_st):
        for t in range(n_t):
            Tx, Tn = float(tmax[s, t]), float(tmin[s, t])
            srcs = (rs_src, ea_src, wind_src)
            problem[s, t] = c.P_NONE
            et0[s, t] = math.nan
            if math.isnan(Tx) or math.isnan(Tn):
                et0_src[s, t] = c.ET0_MISSING
                _not_used(srcs, s, t)
                continue
            J = float(doy[t])
            Ra = eq.ra_daily(float(phi[s]), J)  # eq. 21
            N = eq.daylight_hours(eq.sunset_hour_angle(float(phi[s]), eq.solar_declination(J)))
            n, rs, w = _at(sunshine, s, t), _at(rs_in, s, t), _at(uz, s, t)
            ea_m, td = _at(ea_in, s, t), _at(tdew, s, t)
            rhx, rhn, rhm = _at(rh_max, s, t), _at(rh_min, s, t), _at(rh_mean, s, t)
            code = daily_problem(Tx, Tn, rhx, rhn, rhm, td, ea_m, w, rs, n, N)
            if code != c.P_NONE:
                problem[s, t] = code
                et0_src[s, t] = c.ET0_INVALID
                _not_used(srcs, s, t)
                continue
            if not math.isnan(ea_m):
                ea, ea_code = ea_m, c.EA_MEASURED
            elif not math.isnan(td):
                ea, ea_code = eq.ea_from_tdew(td), c.EA_TDEW
            elif not math.isnan(rhx) and not math.isnan(rhn):
                ea, ea_code = eq.ea_from_rh_max_min(Tx, Tn, rhx, rhn), c.EA_RH_MAX_MIN
            elif not math.isnan(rhx):
                ea, ea_code = eq.ea_from_rh_max(Tn, rhx), c.EA_RH_MAX
            elif not math.isnan(rhm):
                ea, ea_code = eq.ea_from_rh_mean(Tx, Tn, rhm), c.EA_RH_MEAN
            else:
                ea, ea_code = eq.ea_from_tmin(Tn), c.EA_TMIN
            z_s = float(z[s])
            Rso = eq.rso_elevation(Ra, z_s)
            if not math.isnan(rs):
                rs_code = c.RS_MEASURED
            elif not math.isnan(n):
                rs, rs_code = eq.rs_angstrom(n, N, Ra, a_s, b_s), c.RS_ANGSTROM
            else:
                rs = min(eq.rs_hargreaves(Tx, Tn, Ra, float(krs[s])), Rso)
                rs_code = c.RS_HARGREAVES
            if hargreaves_fallback and rs_code == c.RS_HARGREAVES and ea_code == c.EA_TMIN:
                et0[s, t] = eq.hargreaves_et0(Tx, Tn, Ra)
                et0_src[s, t] = c.ET0_HARGREAVES
                _not_used(srcs, s, t)
                continue
            if math.isnan(w):
                u2, wind_src[s, t] = 2.0, c.WIND_DEFAULT
            else:
                u2, wind_src[s, t] = eq.wind_speed_2m(w, float(wind_z[s])), c.WIND_MEASURED
            rs_src[s, t], ea_src[s, t] = rs_code, ea_code
            P = eq.atmospheric_pressure(z_s)
            gamma = eq.psychrometric_constant(P)
            T = 0.5 * (Tx + Tn)
            Delta = eq.slope_saturation_vapour_pressure(T, delta_coef)
            es = eq.mean_saturation_vapour_pressure(Tx, Tn)
            fcd = eq.cloudiness_function(eq.relative_shortwave_radiation(rs, Rso))
            Rns = eq.net_shortwave_radiation(rs)
            Rnl = eq.net_longwave_radiation_daily(Tx, Tn, ea, fcd, sigma)
            Rn = eq.net_radiation(Rns, Rnl)
            et0[s, t] = eq.penman_monteith(Delta, Rn, 0.0, gamma, T, u2, es, ea, Cn, Cd)
            et0_src[s, t] = c.ET0_PENMAN_MONTEITH
            if explain:
                x[s, t, :] = (P, gamma, Delta, es, ea, Ra, N, rs, Rso, Rns, Rnl, Rn, 0.0, u2)


def hourly_reference(
    T_in: np.ndarray,
    rh: np.ndarray,
    tdew: np.ndarray,
    ea_in: np.ndarray,
    uz: np.ndarray,
    rs_in: np.ndarray,
    phi: np.ndarray,
    lon: np.ndarray,
    z: np.ndarray,
    wind_z: np.ndarray,
    lz: np.ndarray,
    doy: np.ndarray,
    hour: np.ndarray,
    t1: float,
    Cn: float,
    Cd_day: float,
    Cd_night: float,
    G_day: float,
    G_night: float,
    sigma: float,
    delta_coef: float,
    night_carry: bool,
    fcd_initial: float,
    et0: np.ndarray,
    rs_src: np.ndarray,
    ea_src: np.ndarray,
    wind_src: np.ndarray,
    et0_src: np.ndarray,
    problem: np.ndarray,
    explain: bool,
    x: np.ndarray,
) -> None:
    """Reference of :func:`models.et0.kernels.hourly_kernel` (same contract)."""
    n_st, n_t = T_in.shape
    for s in range(n_st):
        fcd_carried = fcd_initial
        ph, lo, lzs, z_s = float(phi[s]), float(lon[s]), float(lz[s]), float(z[s])
        for t in range(n_t):
            J, t_mid = float(doy[t]), float(hour[t]) + 0.5 * t1
            T, r, td = float(T_in[s, t]), _at(rh, s, t), _at(tdew, s, t)
            ea_m, w, rs = _at(ea_in, s, t), _at(uz, s, t), _at(rs_in, s, t)
            Ra = eq.ra_hourly(ph, J, t_mid, lo, lzs, t1)  # eqs. 28-33
            Rso = eq.rso_elevation(Ra, z_s)
            omega = eq.solar_time_angle(t_mid, lo, lzs, eq.seasonal_correction(J))
            delta = eq.solar_declination(J)
            beta = math.asin(
                math.sin(ph) * math.sin(delta) + math.cos(ph) * math.cos(delta) * math.cos(omega)
            )
            if beta > 0.3:
                if 0.0 <= rs < math.inf:
                    fcd_carried = eq.cloudiness_function(eq.relative_shortwave_radiation(rs, Rso))
                fcd = fcd_carried
            else:
                fcd = fcd_carried if night_carry else 1.0
            srcs = (rs_src, ea_src, wind_src)
            et0[s, t] = math.nan
            code = c.P_NONE if math.isnan(T) else hourly_problem(T, r, td, ea_m, w, rs)
            problem[s, t] = code
            if code != c.P_NONE:
                et0_src[s, t] = c.ET0_INVALID
                _not_used(srcs, s, t)
                continue
            if not math.isnan(ea_m):
                ea, ea_code = ea_m, c.EA_MEASURED
            elif not math.isnan(td):
                ea, ea_code = eq.ea_from_tdew(td), c.EA_TDEW
            elif not math.isnan(r):
                ea, ea_code = eq.ea_hourly_from_rh(T, r), c.EA_RH_MEAN
            else:
                ea, ea_code = math.nan, c.NOT_USED
            if math.isnan(T) or math.isnan(rs) or ea_code == c.NOT_USED:
                et0_src[s, t] = c.ET0_MISSING
                _not_used(srcs, s, t)
                continue
            if math.isnan(w):
                u2, wind_src[s, t] = 2.0, c.WIND_DEFAULT
            else:
                u2, wind_src[s, t] = eq.wind_speed_2m(w, float(wind_z[s])), c.WIND_MEASURED
            rs_src[s, t], ea_src[s, t] = c.RS_MEASURED, ea_code
            P = eq.atmospheric_pressure(z_s)
            gamma = eq.psychrometric_constant(P)
            Delta = eq.slope_saturation_vapour_pressure(T, delta_coef)
            es = eq.saturation_vapour_pressure(T)
            Rns = eq.net_shortwave_radiation(rs)
            Rnl = eq.net_longwave_radiation_hourly(T, ea, fcd, sigma)
            Rn = eq.net_radiation(Rns, Rnl)
            G = eq.soil_heat_flux_hourly(Rn, G_day, G_night)  # eqs. 45, 46
            Cd = Cd_night if Rn < 0.0 else Cd_day
            et0[s, t] = eq.penman_monteith(Delta, Rn, G, gamma, T, u2, es, ea, Cn, Cd)
            et0_src[s, t] = c.ET0_PENMAN_MONTEITH
            if explain:
                x[s, t, :] = (
                    P,
                    gamma,
                    Delta,
                    es,
                    ea,
                    omega,
                    Ra,
                    rs,
                    Rso,
                    fcd,
                    Rns,
                    Rnl,
                    Rn,
                    G,
                    u2,
                    Cd,
                )
