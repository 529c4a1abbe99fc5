"""Weather-station readings rolled up into hours and local days for the agronomic models.

Only readings of quality ``ok`` count. Raw readings are used where the store still has
them; hours whose raw rows retention has folded away come from the hourly table.

Conventions (the demo station, a SenseCAP ONE S1000, sets them):

* Points: ``air_temperature`` °C, ``humidity`` %, ``wind_speed`` m/s (mean over the
  device's window), ``rain`` mm as a *cumulative counter*, and ``solar_radiation`` W/m² if the
  station has a pyranometer (the S1000 has not: ET0 then takes Rs from the temperature range,
  FAO-56 eq. 50).
* Wind is measured at :data:`WIND_HEIGHT_M` = 2 m (the demo site mounts its sensors at 2 m);
  :func:`models.et0.daily` converts other heights by eq. 47 if this is ever changed.
* Rain is the sum of the counter's positive increments between consecutive good readings, so
  rain that fell while the station was not read is counted once it answers again. A drop of
  the counter is a reset (overflow, power cycle): it is ignored, and the rain between the last
  reading before the reset and the reset itself is lost. The last good reading of the hour
  before the period is the base of the first increment.
* Coverage: a quantity is known for a day only if at least :data:`MIN_HOURS` of its 24 hours
  have a good reading; otherwise it is *missing* and named in :attr:`DailyWeather.missing`
  (never a number made up from a few hours).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from controller.store import Store

__all__ = [
    "AIR_TEMPERATURE",
    "HUMIDITY",
    "MIN_HOURS",
    "RAIN",
    "SOLAR_RADIATION",
    "WIND_HEIGHT_M",
    "WIND_SPEED",
    "DailyWeather",
    "HourStats",
    "counter_increase",
    "daily_weather",
    "day_bounds",
    "hourly_stats",
    "rain_between",
]

AIR_TEMPERATURE = "air_temperature"
HUMIDITY = "humidity"
WIND_SPEED = "wind_speed"
RAIN = "rain"
SOLAR_RADIATION = "solar_radiation"
WIND_HEIGHT_M = 2.0
MIN_HOURS = 18
_HOUR = dt.timedelta(hours=1)
_W_M2_HOUR_TO_MJ_M2 = 3600.0 / 1e6  # 1 W/m² for one hour = 0.0036 MJ/m²


@dataclass(frozen=True, slots=True)
class HourStats:
    """Good readings of one point in one hour (UTC start): count, min, mean, max, and the first
    and last value (for counters; from the hourly table they are min and max)."""

    hour: dt.datetime
    count: int
    min: float
    mean: float
    max: float
    first: float
    last: float


def _floor_hour(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def hourly_stats(
    store: Store, device: str, point: str, start: dt.datetime, end: dt.datetime
) -> list[HourStats]:
    """Per-hour statistics of the good readings of one point with ``start <= time < end``.

    Hours without raw rows are filled from the downsampled table (older data after retention).
    """
    values: dict[dt.datetime, list[float]] = {}
    hour_end = start  # the rows come in time order: a new hour starts at or after hour_end
    current: list[float] = []
    for time, value in store.good_values(device, point, start, end):
        if time >= hour_end:
            hour = _floor_hour(time)
            hour_end = hour + _HOUR
            current = values.setdefault(hour, [])
        current.append(value)
    hours = {
        h: HourStats(h, len(v), min(v), sum(v) / len(v), max(v), v[0], v[-1])
        for h, v in values.items()
    }
    for agg in store.hourly_readings(device, point, start, end):
        h = _floor_hour(agg.hour)
        if h in hours or agg.count == 0 or agg.mean is None:
            continue
        lo = agg.min if agg.min is not None else agg.mean
        hi = agg.max if agg.max is not None else agg.mean
        hours[h] = HourStats(h, agg.count, lo, agg.mean, hi, lo, hi)
    return [hours[h] for h in sorted(hours)]


def counter_increase(values: Iterable[float]) -> float:
    """Sum of the positive steps of a cumulative counter; drops (resets) are ignored."""
    total = 0.0
    previous: float | None = None
    for v in values:
        if previous is not None and v > previous:
            total += v - previous
        previous = v
    return total


def rain_between(
    store: Store, device: str, start: dt.datetime, end: dt.datetime
) -> tuple[float, int]:
    """Rain (mm) from the counter over ``[start, end)`` and the hours with a good reading.

    The last good reading in the hour before ``start`` is the base of the first increment.
    """
    before = hourly_stats(store, device, RAIN, start - _HOUR, start)
    hours = hourly_stats(store, device, RAIN, start, end)
    series: list[float] = [before[-1].last] if before else []
    for h in hours:
        series += [h.first, h.last]
    return counter_increase(series), len(hours)


def day_bounds(date: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """UTC start and end of a local calendar day (23 or 25 h long across a DST change)."""
    start = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True)
class DailyWeather:
    """One local day of station weather; ``None`` = not measured well enough (see ``missing``).

    ``tmax_c``/``tmin_c`` °C, ``rh_max_pct``/``rh_min_pct``/``rh_mean_pct`` %, ``wind_2m_m_s``
    mean wind at 2 m in m/s, ``rain_mm`` mm, ``rs_mj_m2`` MJ m⁻² d⁻¹. ``hours`` counts the hours
    with good readings per point; ``missing`` names the quantities below :data:`MIN_HOURS`.
    """

    date: dt.date
    station: str
    tmax_c: float | None
    tmin_c: float | None
    rh_max_pct: float | None
    rh_min_pct: float | None
    rh_mean_pct: float | None
    wind_2m_m_s: float | None
    rain_mm: float | None
    rs_mj_m2: float | None
    hours: dict[str, int] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def describe_missing(self) -> str:
        """ "rain (6 of 24 h), solar_radiation (0 of 24 h)" or "" when nothing is missing."""
        return ", ".join(f"{m} ({self.hours.get(m, 0)} of 24 h)" for m in self.missing)


def daily_weather(
    store: Store,
    station: str,
    date: dt.date,
    tz: ZoneInfo,
    *,
    has_radiation: bool = False,
    min_hours: int = MIN_HOURS,
) -> DailyWeather:
    """Aggregate a station's good readings over one local day (see the module docstring).

    ``has_radiation``: the station's profile has a ``solar_radiation`` point; without one,
    radiation is simply not measured (not "missing").
    """
    start, end = day_bounds(date, tz)
    stats = {
        p: hourly_stats(store, station, p, start, end)
        for p in (AIR_TEMPERATURE, HUMIDITY, WIND_SPEED)
        + ((SOLAR_RADIATION,) if has_radiation else ())
    }
    rain_mm, rain_hours = rain_between(store, station, start, end)
    hours = {p: len(h) for p, h in stats.items()} | {RAIN: rain_hours}
    covered = {p for p, n in hours.items() if n >= min_hours}
    t, rh = stats[AIR_TEMPERATURE], stats[HUMIDITY]
    wind = stats[WIND_SPEED]
    rs: float | None = None
    if SOLAR_RADIATION in covered:
        # mean irradiance over the covered hours × the day's length
        mean_w_m2 = sum(h.mean for h in stats[SOLAR_RADIATION]) / len(stats[SOLAR_RADIATION])
        rs = mean_w_m2 * _W_M2_HOUR_TO_MJ_M2 * (end - start).total_seconds() / 3600.0
    t_ok, rh_ok = AIR_TEMPERATURE in covered, HUMIDITY in covered
    return DailyWeather(
        date=date,
        station=station,
        tmax_c=max(h.max for h in t) if t_ok else None,
        tmin_c=min(h.min for h in t) if t_ok else None,
        rh_max_pct=min(max(h.max for h in rh), 100.0) if rh_ok else None,
        rh_min_pct=min(h.min for h in rh) if rh_ok else None,
        rh_mean_pct=sum(h.mean for h in rh) / len(rh) if rh_ok else None,
        wind_2m_m_s=sum(h.mean for h in wind) / len(wind) if WIND_SPEED in covered else None,
        rain_mm=rain_mm if RAIN in covered else None,
        rs_mj_m2=rs,
        hours=hours,
        missing=tuple(sorted(p for p in hours if p not in covered)),
    )
