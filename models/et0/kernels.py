"""numba kernels: reference ET over (station × time) arrays.

Each kernel has a plain-Python twin in :mod:`models.et0.reference` (one element at a time, no
hoisting) and tests hold the two equal. The kernels exploit the structure of the grid:

* per station (once): P (eq. 7), γ (eq. 8), sin/cos/tan φ, the eq. 47 wind factor and the
  eq. 37 Rso factor;
* per time step (once, shared by all stations): dr (eq. 23), δ (eq. 24) and, hourly, Sc
  (eqs. 32, 33); daily, per distinct day of year, so a multi-year series computes them once;
* daily, per (station, distinct day of year): Ra (eq. 21) and N (eq. 34);
* per element: everything else. ``prange`` runs stations in parallel; within a station time
  runs in order, which the ASCE night-time cloudiness carry-over needs.

An optional input is either a (station, time) array with NaN where not measured or an array
of shape (0, 0) meaning "not measured anywhere" (no allocation needed).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import codes as c
from . import equations as eq
from .checks import daily_ok, daily_problem, hourly_problem

__all__ = ["DAILY_EXPLAIN", "HOURLY_EXPLAIN", "daily_kernel", "hourly_kernel"]

#: Intermediates written by ``daily_kernel`` when ``explain`` (last axis of ``x``), with units.
DAILY_EXPLAIN: tuple[str, ...] = (
    "P_kpa",
    "gamma_kpa_c",
    "Delta_kpa_c",
    "es_kpa",
    "ea_kpa",
    "Ra_mj_m2",
    "N_h",
    "Rs_mj_m2",
    "Rso_mj_m2",
    "Rns_mj_m2",
    "Rnl_mj_m2",
    "Rn_mj_m2",
    "G_mj_m2",
    "u2_m_s",
)
#: Intermediates written by ``hourly_kernel`` when ``explain``.
HOURLY_EXPLAIN: tuple[str, ...] = (
    "P_kpa",
    "gamma_kpa_c",
    "Delta_kpa_c",
    "es_kpa",
    "ea_kpa",
    "omega_rad",
    "Ra_mj_m2",
    "Rs_mj_m2",
    "Rso_mj_m2",
    "fcd",
    "Rns_mj_m2",
    "Rnl_mj_m2",
    "Rn_mj_m2",
    "G_mj_m2",
    "u2_m_s",
    "Cd",
)

_SIN_BETA_LOW = math.sin(0.3)  # ASCE-EWRI (2005) p. 35: fcd only from sun angles β > 0.3 rad


@njit(cache=True, inline="always")
def _at(a: np.ndarray, s: int, t: int) -> float:
    """a[s, t], or NaN when the input is absent (shape (0, 0))."""
    if a.shape[0] == 0:
        return math.nan
    return a[s, t]


# Divisions are the slowest arithmetic left in the loop; these forms of eqs. 11, 13 and 6 share
# denominators. They equal the paper's forms to rounding (the references use the paper's).
@njit(cache=True, inline="always")
def _e0_pair(Tx: float, Tn: float) -> tuple[float, float]:
    """e°(Tmax), e°(Tmin) [kPa] (eq. 11) with one division."""
    a = Tx + 237.3
    b = Tn + 237.3
    inv = 1.0 / (a * b)
    return 0.6108 * math.exp(17.27 * Tx * b * inv), 0.6108 * math.exp(17.27 * Tn * a * inv)


@njit(cache=True, inline="always")
def _delta(T: float, coef: float) -> float:
    """Δ [kPa °C⁻¹] (eq. 13) with one division."""
    inv = 1.0 / (T + 237.3)
    return coef * math.exp(17.27 * T * inv) * inv * inv


@njit(cache=True, inline="always")
def _pm(
    Delta: float,
    Rn: float,
    G: float,
    gamma: float,
    T: float,
    u2: float,
    es: float,
    ea: float,
    Cn: float,
    Cd: float,
) -> float:
    """Penman-Monteith (eq. 6 / 53) over a common denominator: one division."""
    TK = T + 273.0
    return (0.408 * Delta * (Rn - G) * TK + gamma * Cn * u2 * (es - ea)) / (
        (Delta + gamma * (1.0 + Cd * u2)) * TK
    )


@njit(cache=True)
def _ea_daily(
    ea_in: float,
    tdew: float,
    rh_max: float,
    rh_min: float,
    rh_mean: float,
    e0max: float,
    e0min: float,
) -> tuple[float, int]:
    """ea [kPa] and its ``ea_source`` code, best available data first (FAO-56 ch. 3)."""
    if not math.isnan(ea_in):
        return ea_in, c.EA_MEASURED
    if not math.isnan(tdew):
        return eq.saturation_vapour_pressure(tdew), c.EA_TDEW  # eq. 14
    if not math.isnan(rh_max):
        if not math.isnan(rh_min):
            return 0.5 * (e0min * rh_max + e0max * rh_min) / 100.0, c.EA_RH_MAX_MIN  # eq. 17
        return e0min * rh_max / 100.0, c.EA_RH_MAX  # eq. 18
    if not math.isnan(rh_mean):
        return rh_mean / 100.0 * 0.5 * (e0max + e0min), c.EA_RH_MEAN  # eq. 19
    return e0min, c.EA_TMIN  # eq. 48


@njit(cache=True, parallel=True)
def daily_kernel(
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
    """Daily Penman-Monteith (FAO-56 eq. 6 / ASCE-EWRI eq. 1) with FAO-56 missing-data rules.

    Inputs (S stations × T days, °C, %, kPa, m s⁻¹ at ``wind_z`` m, MJ m⁻² d⁻¹, h): ``tmax``,
    ``tmin`` required; the others optional. Per station: latitude ``phi`` [rad], elevation
    ``z`` [m], anemometer height ``wind_z`` [m], Hargreaves ``krs``. ``doy``: day of year (T,).
    Outputs are written in place; see :mod:`models.et0.codes` for the flag codes.
    """
    n_st, n_t = tmax.shape
    # Ra and N depend only on (latitude, day of year): a series longer than a year repeats
    # days, so number the distinct days once and tabulate Ra, N per station over them.
    slot = np.full(367, -1, dtype=np.int64)
    day = np.empty(n_t, dtype=np.int64)
    n_u = 0
    for t in range(n_t):
        j = int(doy[t])
        if slot[j] < 0:
            slot[j] = n_u
            n_u += 1
        day[t] = slot[j]
    dr = np.empty(n_u)
    sin_d = np.empty(n_u)
    cos_d = np.empty(n_u)
    tan_d = np.empty(n_u)
    for j in range(1, 367):
        u = slot[j]
        if u >= 0:
            dr[u] = eq.inverse_relative_distance(float(j))  # eq. 23
            delta = eq.solar_declination(float(j))  # eq. 24
            sin_d[u] = math.sin(delta)
            cos_d[u] = math.cos(delta)
            tan_d[u] = math.tan(delta)
    ra_k = 24.0 * 60.0 / math.pi * eq.GSC_MJ_M2_MIN
    for s in prange(n_st):
        P = eq.atmospheric_pressure(z[s])  # eq. 7
        gamma = eq.psychrometric_constant(P)  # eq. 8
        sin_p = math.sin(phi[s])
        cos_p = math.cos(phi[s])
        tan_p = math.tan(phi[s])
        u2_per_uz = eq.wind_speed_2m(1.0, wind_z[s])  # eq. 47
        rso_k = 0.75 + 2e-5 * z[s]  # eq. 37
        Ra_day = np.empty(n_u)
        N_day = np.empty(n_u)
        for u in range(n_u):
            # eqs. 21, 25, 34 with the hoisted trigonometry; sin ωs = sqrt(1 − cos² ωs)
            cos_ws = min(1.0, max(-1.0, -tan_p * tan_d[u]))
            ws = math.acos(cos_ws)
            Ra_day[u] = (
                ra_k
                * dr[u]
                * (ws * sin_p * sin_d[u] + cos_p * cos_d[u] * math.sqrt(1.0 - cos_ws * cos_ws))
            )
            N_day[u] = 24.0 / math.pi * ws
        for t in range(n_t):
            Tx = tmax[s, t]
            Tn = tmin[s, t]
            if math.isnan(Tx) or math.isnan(Tn):
                et0[s, t] = math.nan
                et0_src[s, t] = c.ET0_MISSING
                rs_src[s, t] = c.NOT_USED
                ea_src[s, t] = c.NOT_USED
                wind_src[s, t] = c.NOT_USED
                problem[s, t] = c.P_NONE
                continue
            Ra = Ra_day[day[t]]
            N = N_day[day[t]]
            n = _at(sunshine, s, t)
            rs = _at(rs_in, s, t)
            w = _at(uz, s, t)
            ea_m = _at(ea_in, s, t)
            td = _at(tdew, s, t)
            rhx = _at(rh_max, s, t)
            rhn = _at(rh_min, s, t)
            rhm = _at(rh_mean, s, t)
            if daily_ok(Tx, Tn, rhx, rhn, rhm, td, ea_m, w, rs, n, N):
                code = c.P_NONE
            else:
                code = daily_problem(Tx, Tn, rhx, rhn, rhm, td, ea_m, w, rs, n, N)
            problem[s, t] = code
            if code != c.P_NONE:
                et0[s, t] = math.nan
                et0_src[s, t] = c.ET0_INVALID
                rs_src[s, t] = c.NOT_USED
                ea_src[s, t] = c.NOT_USED
                wind_src[s, t] = c.NOT_USED
                continue
            T = 0.5 * (Tx + Tn)
            e0max, e0min = _e0_pair(Tx, Tn)  # eq. 11
            es = 0.5 * (e0max + e0min)  # eq. 12
            ea, ea_code = _ea_daily(ea_m, td, rhx, rhn, rhm, e0max, e0min)
            Rso = rso_k * Ra  # eq. 37
            if not math.isnan(rs):
                rs_code = c.RS_MEASURED
            elif not math.isnan(n):
                rs = eq.rs_angstrom(n, N, Ra, a_s, b_s)  # eq. 35
                rs_code = c.RS_ANGSTROM
            else:
                rs = min(eq.rs_hargreaves(Tx, Tn, Ra, krs[s]), Rso)  # eq. 50, ≤ Rso
                rs_code = c.RS_HARGREAVES
            if math.isnan(w):
                u2 = 2.0
                wind_src[s, t] = c.WIND_DEFAULT
            else:
                u2 = w * u2_per_uz
                wind_src[s, t] = c.WIND_MEASURED
            if hargreaves_fallback and rs_code == c.RS_HARGREAVES and ea_code == c.EA_TMIN:
                et0[s, t] = eq.hargreaves_et0(Tx, Tn, Ra)  # eq. 52
                et0_src[s, t] = c.ET0_HARGREAVES
                rs_src[s, t] = c.NOT_USED
                ea_src[s, t] = c.NOT_USED
                wind_src[s, t] = c.NOT_USED
                continue
            rs_src[s, t] = rs_code
            ea_src[s, t] = ea_code
            Delta = _delta(T, delta_coef)  # eq. 13
            fcd = eq.cloudiness_function(eq.relative_shortwave_radiation(rs, Rso))
            Rns = 0.77 * rs  # eq. 38
            Rnl = eq.net_longwave_radiation_daily(Tx, Tn, ea, fcd, sigma)  # eq. 39
            Rn = Rns - Rnl  # eq. 40
            et0[s, t] = _pm(Delta, Rn, 0.0, gamma, T, u2, es, ea, Cn, Cd)  # eq. 6
            et0_src[s, t] = c.ET0_PENMAN_MONTEITH
            if explain:
                v = x[s, t]
                v[0] = P
                v[1] = gamma
                v[2] = Delta
                v[3] = es
                v[4] = ea
                v[5] = Ra
                v[6] = N
                v[7] = rs
                v[8] = Rso
                v[9] = Rns
                v[10] = Rnl
                v[11] = Rn
                v[12] = 0.0  # eq. 42: G ≈ 0 for a day
                v[13] = u2


@njit(cache=True, parallel=True)
def hourly_kernel(
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
    """Hourly Penman-Monteith (FAO-56 eq. 53 / ASCE-EWRI eq. 1) over stations × periods.

    ``hour`` is the clock time [h] at the *start* of each period of ``t1`` hours, in the time
    zone whose centre is ``lz`` [deg east] (use 0 with UTC times); ``doy`` is the day of year
    in that zone. Periods must be in chronological order. Night (Rn < 0) uses ``Cd_night`` and
    G = ``G_night`` × Rn (FAO-56 eq. 46, ASCE-EWRI eq. 66). When the sun is below β = 0.3 rad
    the cloudiness function fcd is carried from the last period with β > 0.3 at that station
    (``night_carry``, ASCE-EWRI p. 35; ``fcd_initial`` before any such period) or set to 1.
    Hourly data have no FAO-56 estimate for missing Rs or humidity: such periods are missing.
    """
    n_st, n_t = T_in.shape
    dr = np.empty(n_t)
    sin_d = np.empty(n_t)
    cos_d = np.empty(n_t)
    tan_d = np.empty(n_t)
    Sc = np.empty(n_t)
    for t in range(n_t):
        dr[t] = eq.inverse_relative_distance(doy[t])  # eq. 23
        delta = eq.solar_declination(doy[t])  # eq. 24
        sin_d[t] = math.sin(delta)
        cos_d[t] = math.cos(delta)
        tan_d[t] = math.tan(delta)
        Sc[t] = eq.seasonal_correction(doy[t])  # eqs. 32, 33
    ra_k = 12.0 * 60.0 / math.pi * eq.GSC_MJ_M2_MIN
    half = math.pi * t1 / 24.0
    for s in prange(n_st):
        P = eq.atmospheric_pressure(z[s])  # eq. 7
        gamma = eq.psychrometric_constant(P)  # eq. 8
        sin_p = math.sin(phi[s])
        cos_p = math.cos(phi[s])
        tan_p = math.tan(phi[s])
        u2_per_uz = eq.wind_speed_2m(1.0, wind_z[s])  # eq. 47
        rso_k = 0.75 + 2e-5 * z[s]  # eq. 37
        fcd_carried = fcd_initial
        for t in range(n_t):
            T = T_in[s, t]
            r = _at(rh, s, t)
            td = _at(tdew, s, t)
            ea_m = _at(ea_in, s, t)
            w = _at(uz, s, t)
            rs = _at(rs_in, s, t)
            # sun geometry first: the fcd carry-over must see every period, even missing ones
            ws = math.acos(min(1.0, max(-1.0, -tan_p * tan_d[t])))  # eq. 25
            omega = eq.solar_time_angle(hour[t] + 0.5 * t1, lon[s], lz[s], Sc[t])  # eq. 31
            w1 = min(max(omega - half, -ws), ws)  # eq. 29
            w2 = min(max(omega + half, -ws), ws)  # eq. 30
            w1 = min(w1, w2)
            Ra = (
                ra_k
                * dr[t]
                * (  # eq. 28
                    (w2 - w1) * sin_p * sin_d[t] + cos_p * cos_d[t] * (math.sin(w2) - math.sin(w1))
                )
            )
            Rso = rso_k * Ra  # eq. 37
            sin_beta = sin_p * sin_d[t] + cos_p * cos_d[t] * math.cos(omega)
            if sin_beta > _SIN_BETA_LOW:
                if 0.0 <= rs < math.inf:
                    fcd_carried = eq.cloudiness_function(eq.relative_shortwave_radiation(rs, Rso))
                fcd = fcd_carried
            elif night_carry:
                fcd = fcd_carried
            else:
                fcd = 1.0
            code = c.P_NONE if math.isnan(T) else hourly_problem(T, r, td, ea_m, w, rs)
            problem[s, t] = code
            if code != c.P_NONE or math.isnan(T) or math.isnan(rs):
                et0[s, t] = math.nan
                et0_src[s, t] = c.ET0_INVALID if code != c.P_NONE else c.ET0_MISSING
                rs_src[s, t] = c.NOT_USED
                ea_src[s, t] = c.NOT_USED
                wind_src[s, t] = c.NOT_USED
                continue
            e0 = eq.saturation_vapour_pressure(T)  # eq. 11
            if not math.isnan(ea_m):
                ea = ea_m
                ea_code = c.EA_MEASURED
            elif not math.isnan(td):
                ea = eq.saturation_vapour_pressure(td)  # eq. 14
                ea_code = c.EA_TDEW
            elif not math.isnan(r):
                ea = e0 * r / 100.0  # eq. 54
                ea_code = c.EA_RH_MEAN
            else:
                ea = math.nan
                ea_code = c.NOT_USED
            if ea_code == c.NOT_USED:
                et0[s, t] = math.nan
                et0_src[s, t] = c.ET0_MISSING
                rs_src[s, t] = c.NOT_USED
                ea_src[s, t] = c.NOT_USED
                wind_src[s, t] = c.NOT_USED
                continue
            if math.isnan(w):
                u2 = 2.0
                wind_src[s, t] = c.WIND_DEFAULT
            else:
                u2 = w * u2_per_uz
                wind_src[s, t] = c.WIND_MEASURED
            rs_src[s, t] = c.RS_MEASURED
            ea_src[s, t] = ea_code
            Delta = _delta(T, delta_coef)  # eq. 13
            Rns = 0.77 * rs  # eq. 38
            Rnl = eq.net_longwave_radiation_hourly(T, ea, fcd, sigma)  # eq. 39 per hour
            Rn = Rns - Rnl  # eq. 40
            if Rn < 0.0:
                G = G_night * Rn  # eq. 46
                Cd = Cd_night
            else:
                G = G_day * Rn  # eq. 45
                Cd = Cd_day
            et0[s, t] = _pm(Delta, Rn, G, gamma, T, u2, e0, ea, Cn, Cd)  # eq. 53
            et0_src[s, t] = c.ET0_PENMAN_MONTEITH
            if explain:
                v = x[s, t]
                v[0] = P
                v[1] = gamma
                v[2] = Delta
                v[3] = e0
                v[4] = ea
                v[5] = omega
                v[6] = Ra
                v[7] = rs
                v[8] = Rso
                v[9] = fcd
                v[10] = Rns
                v[11] = Rnl
                v[12] = Rn
                v[13] = G
                v[14] = u2
                v[15] = Cd
