"""Physical plausibility of one element's inputs; the first problem found as a code.

NaN means "not measured" and is never a problem here (the missing-data procedures handle it);
an infinite or physically impossible value is. Codes are in :mod:`models.et0.codes`. Plain
Python functions that the numba kernels also compile (``register_jitable``).
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

from . import codes as c

__all__ = ["daily_ok", "daily_problem", "hourly_problem"]

T_LOW_C = -90.0
T_HIGH_C = 70.0


@register_jitable
def _bad_temperature(T: float) -> bool:
    return not (T_LOW_C <= T <= T_HIGH_C)  # also true for NaN and ±inf


@register_jitable
def _bad_rh(RH: float) -> bool:
    return not math.isnan(RH) and not (0.0 <= RH <= 100.0)


@register_jitable
def _bad_non_negative(x: float) -> bool:
    return not math.isnan(x) and not (0.0 <= x < math.inf)


@register_jitable
def daily_problem(
    tmax: float,
    tmin: float,
    rh_max: float,
    rh_min: float,
    rh_mean: float,
    tdew: float,
    ea: float,
    uz: float,
    rs: float,
    n: float,
    N: float,
) -> int:
    """Problem code for one day (0 = none); Tmax/Tmin must be present (not NaN)."""
    if _bad_temperature(tmax):
        return c.P_TMAX_RANGE
    if _bad_temperature(tmin):
        return c.P_TMIN_RANGE
    if tmin > tmax:
        return c.P_TMIN_ABOVE_TMAX
    if _bad_rh(rh_max):
        return c.P_RH_MAX_RANGE
    if _bad_rh(rh_min):
        return c.P_RH_MIN_RANGE
    if rh_min > rh_max:  # False when either is NaN
        return c.P_RH_MIN_ABOVE_RH_MAX
    if _bad_rh(rh_mean):
        return c.P_RH_MEAN_RANGE
    if not math.isnan(tdew) and not (T_LOW_C <= tdew <= tmax):
        return c.P_TDEW_RANGE
    if not math.isnan(ea) and not (0.0 < ea < math.inf):
        return c.P_EA_RANGE
    if _bad_non_negative(uz):
        return c.P_WIND_RANGE
    if _bad_non_negative(rs):
        return c.P_RS_RANGE
    if not math.isnan(n) and not (0.0 <= n <= N):
        return c.P_SUNSHINE_RANGE
    return c.P_NONE


@register_jitable
def daily_ok(
    tmax: float,
    tmin: float,
    rh_max: float,
    rh_min: float,
    rh_mean: float,
    tdew: float,
    ea: float,
    uz: float,
    rs: float,
    n: float,
    N: float,
) -> bool:
    """True when :func:`daily_problem` would return 0 (Tmax/Tmin not NaN): the kernels' fast path.

    One branch-free expression: every comparison with NaN is false, so absent inputs pass
    and ±inf fail, exactly as in :func:`daily_problem`.
    """
    bad = (
        (tmax < T_LOW_C)
        | (tmax > T_HIGH_C)
        | (tmin < T_LOW_C)
        | (tmin > tmax)
        | (rh_max < 0.0)
        | (rh_max > 100.0)
        | (rh_min < 0.0)
        | (rh_min > 100.0)
        | (rh_min > rh_max)
        | (rh_mean < 0.0)
        | (rh_mean > 100.0)
        | (tdew < T_LOW_C)
        | (tdew > tmax)
        | (ea <= 0.0)
        | (ea == math.inf)
        | (uz < 0.0)
        | (uz == math.inf)
        | (rs < 0.0)
        | (rs == math.inf)
        | (n < 0.0)
        | (n > N)
    )
    return not bad


@register_jitable
def hourly_problem(T: float, rh: float, tdew: float, ea: float, uz: float, rs: float) -> int:
    """Problem code for one hour (0 = none); T must be present (not NaN)."""
    if _bad_temperature(T):
        return c.P_T_RANGE
    if _bad_rh(rh):
        return c.P_RH_RANGE
    if not math.isnan(tdew) and not (T_LOW_C <= tdew <= T):
        return c.P_TDEW_RANGE
    if not math.isnan(ea) and not (0.0 < ea < math.inf):
        return c.P_EA_RANGE
    if _bad_non_negative(uz):
        return c.P_WIND_RANGE
    if _bad_non_negative(rs):
        return c.P_RS_RANGE
    return c.P_NONE
