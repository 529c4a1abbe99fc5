"""krs of FAO-56 eq. 50 calibrated on a regional station's sunshine normals (eq. 35)."""

from __future__ import annotations

import calendar
import datetime as dt
import math

import pytest

from models.errors import ModelInputError
from models.et0 import equations as eq
from models.et0.krs import krs_from_sunshine

LAT = 38.93  # Zhangye
TMAX = [-2.0, 3.5, 10.5, 18.5, 24.0, 27.5, 28.8, 27.5, 22.5, 15.0, 6.0, -0.5]
TMIN = [-16.4, -12.0, -5.0, 2.0, 8.0, 12.5, 14.5, 13.5, 7.5, 0.0, -8.0, -14.0]


def _sunshine_for(krs: float) -> list[float]:
    """Monthly sunshine hours whose eq. 35 Rs is eq. 50's with ``krs`` on the 15th."""
    phi = math.radians(LAT)
    out = []
    for m in range(1, 13):
        j = dt.date(2001, m, 15).timetuple().tm_yday
        ra = eq.ra_daily(phi, j)
        n_max = eq.daylight_hours(eq.sunset_hour_angle(phi, eq.solar_declination(j)))
        rs = krs * math.sqrt(TMAX[m - 1] - TMIN[m - 1]) * ra
        n = (rs / ra - 0.25) / 0.50 * n_max  # eq. 35 solved for n
        out.append(n * calendar.monthrange(2001, m)[1])
    return out


@pytest.mark.parametrize("krs", [0.13, 0.15, 0.16])
def test_sunshine_that_eq50_already_matches_gives_its_krs_back(krs: float) -> None:
    sunshine = _sunshine_for(krs)
    assert krs_from_sunshine(TMAX, TMIN, sunshine, LAT) == pytest.approx(krs, rel=1e-9)
    assert krs_from_sunshine(TMAX, TMIN, sunshine, LAT, range(4, 10)) == pytest.approx(
        krs, rel=1e-9
    )


def test_more_sunshine_a_higher_krs_and_only_the_months_asked_count() -> None:
    base = _sunshine_for(0.16)
    sunnier_june = [h * 1.1 if m == 5 else h for m, h in enumerate(base)]
    assert krs_from_sunshine(TMAX, TMIN, sunnier_june, LAT, [6]) > 0.16
    assert krs_from_sunshine(TMAX, TMIN, sunnier_june, LAT, [7, 8]) == pytest.approx(0.16)


def test_normals_outside_their_range_are_named() -> None:
    with pytest.raises(ModelInputError, match="sunshine_h"):
        krs_from_sunshine(TMAX, TMIN, [200.0] * 11, LAT)
    with pytest.raises(ModelInputError, match="month 6"):
        krs_from_sunshine(TMAX, TMIN, [200.0] * 5 + [600.0] + [200.0] * 6, LAT)
    with pytest.raises(ModelInputError, match="months"):
        krs_from_sunshine(TMAX, TMIN, [200.0] * 12, LAT, [13])
