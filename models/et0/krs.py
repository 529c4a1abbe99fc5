"""The Hargreaves radiation coefficient krs calibrated from a regional station's sunshine.

A station without a pyranometer takes Rs from its temperature range (FAO-56 eq. 50),

    Rs = krs √(Tmax − Tmin) Ra                                              (eq. 50)

with krs 0.16 for interior and 0.19 for coastal locations: an empirical coefficient that FAO-56
(ch. 3, "Solar radiation data derived from air temperature differences") gives for where no
radiation data of the region exist. Where the regional meteorological station records sunshine
hours, its Rs from them (eq. 35, Angström with as 0.25 and bs 0.50) is the better estimate,
and krs can be made to agree with it over the months the site computes ET0 for:

    krs = Σ_m d_m Rs,35(m) / Σ_m d_m √(Tmax,m − Tmin,m) Ra(m)

summed over the chosen calendar months m (d_m days; Ra and N on the month's 15th, eq. 21 and
34; n the month's sunshine hours / d_m). Temperatures in °C, sunshine in hours a month,
radiation in MJ m⁻² d⁻¹; krs in °C⁻⁰·⁵.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence

from models.errors import ModelInputError

from . import equations as eq

__all__ = ["krs_from_sunshine"]

_YEAR = 2001  # a common year: the month's length and its 15th's day of year


def krs_from_sunshine(
    tmax_c: Sequence[float],
    tmin_c: Sequence[float],
    sunshine_h: Sequence[float],
    lat_deg: float,
    months: Sequence[int] = tuple(range(1, 13)),
    *,
    a_s: float = 0.25,
    b_s: float = 0.50,
) -> float:
    """krs (FAO-56 eq. 50) agreeing with eq. 35 on twelve monthly normals (January first):
    mean Tmax and Tmin (°C) and sunshine hours of each month, at ``lat_deg`` (°), over
    ``months`` (1-12). :class:`~models.errors.ModelInputError` names a normal outside its
    range."""
    for name, values in (("tmax_c", tmax_c), ("tmin_c", tmin_c), ("sunshine_h", sunshine_h)):
        if len(values) != 12 or not all(math.isfinite(v) for v in values):
            raise ModelInputError(f"{name}: twelve finite monthly normals, January first")
    if not abs(lat_deg) <= 90.0:
        raise ModelInputError(f"lat_deg = {lat_deg!r} is outside -90..90")
    if not months or any(m not in range(1, 13) for m in months):
        raise ModelInputError(f"months = {list(months)!r}: calendar months 1-12")
    phi = math.radians(lat_deg)
    rs_sum = eq50_sum = 0.0
    for m in months:
        days = calendar.monthrange(_YEAR, m)[1]
        j = dt.date(_YEAR, m, 15).timetuple().tm_yday
        ra = eq.ra_daily(phi, j)  # eq. 21
        n_max = eq.daylight_hours(eq.sunset_hour_angle(phi, eq.solar_declination(j)))  # eq. 34
        n = sunshine_h[m - 1] / days
        spread = tmax_c[m - 1] - tmin_c[m - 1]
        if not 0.0 <= n <= n_max or spread <= 0.0:
            raise ModelInputError(
                f"month {m}: sunshine {n:.1f} h/d of {n_max:.1f} possible, "
                f"Tmax − Tmin {spread:.1f} °C"
            )
        rs_sum += days * eq.rs_angstrom(n, n_max, ra, a_s, b_s)  # eq. 35
        eq50_sum += days * math.sqrt(spread) * ra  # eq. 50 without krs
    return rs_sum / eq50_sum
