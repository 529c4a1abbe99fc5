"""Daily and hourly reference ET for (station × time) arrays: validation, then the kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numba
import numpy as np
from numpy.typing import ArrayLike

from ..errors import ModelInputError
from .kernels import DAILY_EXPLAIN, HOURLY_EXPLAIN, daily_kernel, hourly_kernel
from .methods import daily_method, hourly_method
from .result import ET0Result

__all__ = ["NIGHT_FCD", "STATION_RULES", "daily", "hourly", "station_problem"]

#: Night-time (β < 0.3 rad) cloudiness function procedures for hourly ET.
NIGHT_FCD = {
    "carry": "fcd of the last period with sun angle > 0.3 rad (ASCE-EWRI 2005 p. 35)",
    "one": "fcd = 1 whenever the sun angle is below 0.3 rad (RefET software convention)",
}
_ABSENT = np.empty((0, 0))
# numba's Dispatcher.__call__ signature is not the kernel's; call the kernels untyped
_daily_kernel: Callable[..., None] = daily_kernel
_hourly_kernel: Callable[..., None] = hourly_kernel
# Stations are handed to threads in chunks of this many as threads free up, so one thread
# slowed by other work on the machine does not hold back the whole call.
_CHUNK_STATIONS = 16
OnInvalid = Literal["raise", "flag"]


def _wind_height_ok(h: np.ndarray) -> Any:
    return (h > 0.1) & (h < 1000.0)  # eq. 47 needs ln(67.8 z − 5.42) > 0


#: The station's scalars: argument name -> (test on a float64 array, the rule it states).
#: NaN and ±inf fail every test.
STATION_RULES: dict[str, tuple[Callable[[np.ndarray], Any], str]] = {
    "lat_deg": (lambda v: abs(v) <= 90.0, "latitude outside -90..90"),
    "lon_deg": (lambda v: abs(v) <= 180.0, "longitude outside -180..180"),
    "elev_m": (lambda v: (v > -500.0) & (v < 9000.0), "elevation outside -500..9000 m"),
    "wind_height_m": (_wind_height_ok, "anemometer height outside 0.1..1000 m"),
    "tz_meridian_deg": (lambda v: abs(v) <= 225.0, "time-zone meridian outside -225..225"),
    "krs": (lambda v: (v > 0.0) & (v < 1.0), "krs outside 0..1"),
}


def station_problem(name: str, value: float) -> str | None:
    """The rule of :data:`STATION_RULES` ``value`` breaks as ``name``, or None: what a
    command checks its options with before computing, in the functions' own terms."""
    ok, rule = STATION_RULES[name]
    return None if bool(ok(np.asarray([value], dtype=np.float64))[0]) else rule


def _grid(name: str, a: ArrayLike | None, shape: tuple[int, int] | None) -> np.ndarray:
    """A float64 C-contiguous (station, time) array; 1-D means one station; None → absent."""
    if a is None:
        return _ABSENT
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or (shape is not None and arr.shape != shape):
        want = "(station, time)" if shape is None else str(shape)
        raise ModelInputError(f"{name}: shape {arr.shape}, expected {want}", element=name)
    return arr


def _per_station(name: str, a: ArrayLike, n_st: int) -> np.ndarray:
    """``a`` broadcast to the ``n_st`` stations, each checked by its :data:`STATION_RULES`;
    :class:`ModelInputError` names the first station that breaks it, with its value."""
    ok, rule = STATION_RULES[name]
    arr = np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), (n_st,)))
    bad = np.flatnonzero(~ok(arr))
    if bad.size:
        i = int(bad[0])
        value = float(arr[i])  # 98.0, not numpy's np.float64(98.0)
        raise ModelInputError(f"{name}[station {i}] = {value!r}: {rule}", element=name, index=(i,))
    return arr


def _doy(a: ArrayLike, n_t: int) -> np.ndarray:
    doy = np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), (n_t,)))
    bad = np.flatnonzero(~((doy >= 1) & (doy <= 366) & (doy == np.floor(doy))))
    if bad.size:
        i = int(bad[0])
        raise ModelInputError(
            f"doy[{i}] = {float(doy[i])!r}: not a whole day in 1..366", element="doy", index=(i,)
        )
    return doy


def _outputs(shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    et0 = np.empty(shape)
    return (et0, *(np.empty(shape, dtype=np.uint8) for _ in range(5)))


def _finish(
    outs: tuple[np.ndarray, ...],
    method: str,
    night: str | None,
    names: tuple[str, ...],
    x: np.ndarray,
    explain: bool,
    on_invalid: OnInvalid,
) -> ET0Result:
    et0, rs_src, ea_src, wind_src, et0_src, problem = outs
    inter = {n: x[..., i] for i, n in enumerate(names)} if explain else {}
    result = ET0Result(et0, et0_src, rs_src, ea_src, wind_src, problem, method, night, inter)
    if on_invalid == "raise" and problem.any():
        found = result.problems()
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ModelInputError(f"{first}{more}", element=first.element, index=first.index)
    return result


def daily(
    *,
    tmax: ArrayLike,
    tmin: ArrayLike,
    doy: ArrayLike,
    lat_deg: ArrayLike,
    elev_m: ArrayLike,
    rh_max: ArrayLike | None = None,
    rh_min: ArrayLike | None = None,
    rh_mean: ArrayLike | None = None,
    tdew: ArrayLike | None = None,
    ea: ArrayLike | None = None,
    wind: ArrayLike | None = None,
    wind_height_m: ArrayLike = 2.0,
    rs: ArrayLike | None = None,
    sunshine: ArrayLike | None = None,
    method: str = "fao56",
    crop: str = "short",
    krs: ArrayLike = 0.16,
    angstrom_as: float = 0.25,
    angstrom_bs: float = 0.50,
    hargreaves_fallback: bool = False,
    on_invalid: OnInvalid = "raise",
    explain: bool = False,
) -> ET0Result:
    """Daily reference ET [mm d⁻¹] for stations × days.

    Weather arrays are (station, day) — or (day,) for one station — in °C (``tmax``, ``tmin``,
    ``tdew``), % (``rh_*``), kPa (``ea``), m s⁻¹ at ``wind_height_m`` (``wind``),
    MJ m⁻² d⁻¹ (``rs``) and hours (``sunshine``); NaN or ``None`` is "not measured". ``doy``
    is (day,). ``lat_deg``, ``elev_m``, ``wind_height_m``, ``krs`` are scalars or (station,).

    Missing data follow FAO-56 ch. 3: ea from ea, dew point, RHmax+RHmin, RHmax, RHmean, or Tmin
    (eq. 48); Rs measured, from sunshine (eq. 35) or from the temperature range with ``krs``
    (eq. 50: 0.16 interior, 0.19 coastal); wind 2 m/s by default. With
    ``hargreaves_fallback``, days with neither radiation nor humidity data get Hargreaves ET0
    (eq. 52) instead. The result's flag arrays say which procedure made every value.

    Physically impossible inputs raise :class:`~models.errors.ModelInputError` naming the
    element and index (``on_invalid="raise"``), or are returned as NaN flagged ``invalid``
    with the reason in ``problem`` (``on_invalid="flag"``).
    """
    m = daily_method(method, crop)
    tx = _grid("tmax", tmax, None)
    shape = (tx.shape[0], tx.shape[1])
    grids = [
        _grid(n, a, shape)
        for n, a in (
            ("tmin", tmin),
            ("rh_max", rh_max),
            ("rh_min", rh_min),
            ("rh_mean", rh_mean),
            ("tdew", tdew),
            ("ea", ea),
            ("wind", wind),
            ("rs", rs),
            ("sunshine", sunshine),
        )
    ]
    n_st, n_t = shape
    phi = np.radians(_per_station("lat_deg", lat_deg, n_st))
    z = _per_station("elev_m", elev_m, n_st)
    zw = _per_station("wind_height_m", wind_height_m, n_st)
    k = _per_station("krs", krs, n_st)
    outs = _outputs(shape)
    x = np.empty((n_st, n_t, len(DAILY_EXPLAIN)) if explain else (0, 0, len(DAILY_EXPLAIN)))
    with numba.parallel_chunksize(_CHUNK_STATIONS):
        _daily_kernel(
            tx,
            *grids,
            phi,
            z,
            zw,
            k,
            _doy(doy, n_t),
            m.Cn,
            m.Cd_day,
            m.sigma,
            m.delta_coef,
            hargreaves_fallback,
            angstrom_as,
            angstrom_bs,
            *outs,
            explain,
            x,
        )
    return _finish(outs, m.name, None, DAILY_EXPLAIN, x, explain, on_invalid)


def hourly(
    *,
    t: ArrayLike,
    doy: ArrayLike,
    hour: ArrayLike,
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    elev_m: ArrayLike,
    tz_meridian_deg: ArrayLike = 0.0,
    rh: ArrayLike | None = None,
    tdew: ArrayLike | None = None,
    ea: ArrayLike | None = None,
    wind: ArrayLike | None = None,
    wind_height_m: ArrayLike = 2.0,
    rs: ArrayLike | None = None,
    period_h: float = 1.0,
    method: str = "asce",
    crop: str = "short",
    night_fcd: str = "carry",
    fcd_initial: float = 1.0,
    on_invalid: OnInvalid = "raise",
    explain: bool = False,
) -> ET0Result:
    """Hourly (or shorter-period) reference ET [mm per period] for stations × periods.

    ``t`` [°C], ``rh`` [%], ``tdew`` [°C], ``ea`` [kPa], ``wind`` [m s⁻¹ at
    ``wind_height_m``], ``rs`` [MJ m⁻² per period] are (station, period) or (period,). Periods
    are in chronological order; ``hour`` [h] is the clock time at the *start* of each period
    and ``doy`` its day of year, both in the time zone centred on ``tz_meridian_deg`` (degrees
    east, 15 × UTC offset; 0 when ``hour``/``doy`` are UTC). Longitudes are degrees east.

    ``method`` 'fao56' is FAO-56 eq. 53 (Cd 0.34); 'asce' is the ASCE-EWRI 2005 standardized
    equation (Cd 0.24/0.96 short, 0.25/1.7 tall, day/night by Rn < 0). ``night_fcd`` picks the
    night-time cloudiness procedure (:data:`NIGHT_FCD`), named in the result; ``fcd_initial``
    is used at night before the first period with the sun above 0.3 rad. ea comes from ea, dew
    point or RH (eq. 54); Rs must be measured. See :func:`daily` for ``on_invalid``.
    """
    m = hourly_method(method, crop)
    if night_fcd not in NIGHT_FCD:
        raise ModelInputError(
            f"night_fcd {night_fcd!r}: one of {tuple(NIGHT_FCD)}", element="night_fcd"
        )
    if not (0.0 < period_h <= 6.0) or not (0.05 <= fcd_initial <= 1.0):
        raise ModelInputError("period_h must be in (0, 6] h and fcd_initial in [0.05, 1]")
    T = _grid("t", t, None)
    shape = (T.shape[0], T.shape[1])
    grids = [
        _grid(n, a, shape)
        for n, a in (("rh", rh), ("tdew", tdew), ("ea", ea), ("wind", wind), ("rs", rs))
    ]
    n_st, n_t = shape
    phi = np.radians(_per_station("lat_deg", lat_deg, n_st))
    lon = _per_station("lon_deg", lon_deg, n_st)
    z = _per_station("elev_m", elev_m, n_st)
    zw = _per_station("wind_height_m", wind_height_m, n_st)
    lz = _per_station("tz_meridian_deg", tz_meridian_deg, n_st)
    hr = np.ascontiguousarray(np.broadcast_to(np.asarray(hour, dtype=np.float64), (n_t,)))
    if not np.all((hr >= 0.0) & (hr < 24.0)):
        raise ModelInputError("hour: clock time outside 0..24 h", element="hour")
    outs = _outputs(shape)
    x = np.empty((n_st, n_t, len(HOURLY_EXPLAIN)) if explain else (0, 0, len(HOURLY_EXPLAIN)))
    with numba.parallel_chunksize(_CHUNK_STATIONS):
        _hourly_kernel(
            T,
            *grids,
            phi,
            lon,
            z,
            zw,
            lz,
            _doy(doy, n_t),
            hr,
            float(period_h),
            m.Cn,
            m.Cd_day,
            m.Cd_night,
            m.G_day,
            m.G_night,
            m.sigma,
            m.delta_coef,
            night_fcd == "carry",
            float(fcd_initial),
            *outs,
            explain,
            x,
        )
    return _finish(outs, m.name, night_fcd, HOURLY_EXPLAIN, x, explain, on_invalid)
