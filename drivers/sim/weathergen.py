"""Stochastic daily and hourly weather for the simulated field, from monthly normals or a CSV.

The simulated weather station publishes what this generator says, and the season driver
computes the *true* reference ET from the same daily values, so the daemon's ET0 (from the
station's hourly readings) can be compared with the truth it tries to measure.

Daily generator (seeded, one year at a time, deterministic for a seed):

* wet or dry day: a two-state Markov chain per month; the number of wet days in a month is
  ``1 + 0.25 × rain_mm`` (capped at 60 % of the days), persistence P(wet | wet) = π + 0.3 (1 − π)
  with π the wet-day probability, P(wet | dry) chosen so that π is the stationary probability;
* rain on a wet day: exponential with the mean that returns the month's normal (mm);
* temperatures: the normals interpolated between mid-months, plus a shared AR(1) anomaly
  (φ = 0.7, σ = 2.5 °C); a wet day is 3 °C cooler by day and 1 °C warmer at night than a dry
  one (offsets weighted so the month keeps its normal);
* humidity (mean %, 15 points higher on wet days), wind (m/s at 2 m, log-normal, σ 0.3) and
  sunshine (h, 40 % of a dry day's on wet days, the month's total kept, ≤ 14 h).

Hourly values (``hour(day, h)``): temperature on a cosine from Tmin at 06:00 to Tmax at 15:00
and back; vapour pressure constant over the day, so humidity follows temperature; wind peaks
at 14:00; rain falls evenly from 14:00 to 18:00; solar radiation on a half-sine from 06:00 to
18:00 scaled by the sunshine fraction.

A CSV (``date,tmax_c,tmin_c,rh_mean_pct,u2_m_s,sunshine_h,rain_mm``) replaces the generator
day by day; the hourly shapes are the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ClimateNormals", "WeatherDay", "WeatherGenerator", "WeatherHour", "WeatherSeries"]

_MONTH_KEYS = ("tmax_c", "tmin_c", "rh_pct", "u2_m_s", "sunshine_h", "rain_mm")
_CSV_COLUMNS = ("date", "tmax_c", "tmin_c", "rh_mean_pct", "u2_m_s", "sunshine_h", "rain_mm")
AR_PHI = 0.7
T_ANOMALY_SD_C = 2.5
WET_PERSISTENCE = 0.3
RAIN_START_H, RAIN_END_H = 14, 18
T_MIN_HOUR, T_MAX_HOUR = 6.0, 15.0
CLEAR_SKY_PEAK_W_M2 = 950.0
WET_TMAX_DROP_C, WET_TMIN_RISE_C, WET_RH_RISE_PCT, WET_SUN_FACTOR = 3.0, 1.0, 15.0, 0.4


def _sat_vp_kpa(t_c: float) -> float:
    """Saturation vapour pressure e°(T), kPa (FAO-56 eq. 11)."""
    return 0.6108 * math.exp(17.27 * t_c / (t_c + 237.3))


@dataclass(frozen=True, slots=True)
class ClimateNormals:
    """Monthly means, January first: °C, %, m/s at 2 m, hours of sunshine and mm of rain
    per *month* (sunshine and rain are monthly totals)."""

    tmax_c: tuple[float, ...]
    tmin_c: tuple[float, ...]
    rh_pct: tuple[float, ...]
    u2_m_s: tuple[float, ...]
    sunshine_h: tuple[float, ...]
    rain_mm: tuple[float, ...]

    def __post_init__(self) -> None:
        for key in _MONTH_KEYS:
            values = getattr(self, key)
            if len(values) != 12:
                raise ValueError(f"climate.{key}: need 12 monthly values, got {len(values)}")
            if any(not math.isfinite(v) for v in values):
                raise ValueError(f"climate.{key}: values must be finite")
        for key in ("u2_m_s", "sunshine_h", "rain_mm"):
            if any(v < 0 for v in getattr(self, key)):
                raise ValueError(f"climate.{key}: values must be >= 0")
        for i, (hi, lo) in enumerate(zip(self.tmax_c, self.tmin_c, strict=True)):
            if hi < lo:
                raise ValueError(f"climate.tmax_c[{i}]: below tmin_c ({hi} < {lo})")

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> ClimateNormals:
        """From a scenario's ``[climate]`` table; ValueError naming the missing key."""
        missing = [k for k in _MONTH_KEYS if k not in table]
        if missing:
            raise ValueError(f"climate: missing {', '.join(missing)}")
        return cls(**{k: tuple(float(v) for v in table[k]) for k in _MONTH_KEYS})


@dataclass(frozen=True, slots=True)
class WeatherDay:
    """One day's weather: °C, mean relative humidity %, wind m/s at 2 m, sunshine h, rain mm."""

    date: dt.date
    tmax_c: float
    tmin_c: float
    rh_mean_pct: float
    u2_m_s: float
    sunshine_h: float
    rain_mm: float

    @property
    def ea_kpa(self) -> float:
        """Actual vapour pressure, kPa: mean RH × mean e° (FAO-56 eq. 19 with RHmean)."""
        es = (_sat_vp_kpa(self.tmax_c) + _sat_vp_kpa(self.tmin_c)) / 2
        return self.rh_mean_pct / 100.0 * es


@dataclass(frozen=True, slots=True)
class WeatherHour:
    """The station's view at one instant: °C, %, m/s, W/m², and rain (mm) per hour."""

    t_c: float
    rh_pct: float
    wind_m_s: float
    solar_w_m2: float
    rain_mm_h: float


class WeatherSeries:
    """Daily weather by date (from the generator or a CSV) and its hourly shape."""

    def __init__(self, days: Sequence[WeatherDay]) -> None:
        if not days:
            raise ValueError("weather: no days")
        self._days = {d.date: d for d in days}
        self.first, self.last = min(self._days), max(self._days)

    def day(self, date: dt.date) -> WeatherDay:
        try:
            return self._days[date]
        except KeyError:
            raise KeyError(f"weather: no day {date} (series {self.first}..{self.last})") from None

    def days(self, start: dt.date, end: dt.date) -> list[WeatherDay]:
        """Days ``start`` … ``end`` inclusive."""
        return [self.day(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]

    def hour(self, date: dt.date, hour: float) -> WeatherHour:
        """The weather at local ``hour`` (0–24, fractional) of ``date``."""
        d = self.day(date)
        nxt = self._days.get(date + dt.timedelta(days=1), d)
        prv = self._days.get(date - dt.timedelta(days=1), d)
        t = _temperature(hour, prv, d, nxt)
        rh = min(100.0, 100.0 * d.ea_kpa / _sat_vp_kpa(t))
        wind = max(0.0, d.u2_m_s * (1 + 0.4 * math.sin(2 * math.pi * (hour - 8) / 24)))
        day_frac = max(0.0, math.sin(math.pi * (hour - 6) / 12))
        cloud = 0.35 + 0.65 * min(1.0, d.sunshine_h / 12.0)
        rain = d.rain_mm / (RAIN_END_H - RAIN_START_H) if RAIN_START_H <= hour < RAIN_END_H else 0
        return WeatherHour(t, rh, wind, CLEAR_SKY_PEAK_W_M2 * day_frac * cloud, rain)

    def rain_between(self, date: dt.date, h0: float, h1: float) -> float:
        """Rain (mm) falling on ``date`` between local hours ``h0`` ≤ ``h1`` (0–24)."""
        lo, hi = max(h0, RAIN_START_H), min(h1, RAIN_END_H)
        if hi <= lo:
            return 0.0
        return self.day(date).rain_mm * (hi - lo) / (RAIN_END_H - RAIN_START_H)

    @classmethod
    def from_csv(cls, path: Path) -> WeatherSeries:
        """Daily rows; ValueError naming the file, row and column of a bad value."""
        days = []
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in _CSV_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: " + ", ".join(f"no {c} column" for c in missing))
            for row_no, row in enumerate(reader, start=2):
                try:
                    days.append(WeatherDay(
                        dt.date.fromisoformat(row["date"]),
                        *(float(row[c]) for c in _CSV_COLUMNS[1:]),
                    ))  # fmt: skip
                except ValueError as exc:
                    raise ValueError(f"{path}:{row_no}: {exc}") from exc
        return cls(days)


def _temperature(hour: float, prv: WeatherDay, d: WeatherDay, nxt: WeatherDay) -> float:
    """Cosine from Tmin (06:00) up to Tmax (15:00), then down to the next day's Tmin."""
    if hour < T_MIN_HOUR:  # falling from yesterday's Tmax towards today's Tmin
        x = (hour + 24 - T_MAX_HOUR) / (24 - T_MAX_HOUR + T_MIN_HOUR)
        return d.tmin_c + (prv.tmax_c - d.tmin_c) * (1 + math.cos(math.pi * x)) / 2
    if hour < T_MAX_HOUR:
        x = (hour - T_MIN_HOUR) / (T_MAX_HOUR - T_MIN_HOUR)
        return d.tmin_c + (d.tmax_c - d.tmin_c) * (1 - math.cos(math.pi * x)) / 2
    x = (hour - T_MAX_HOUR) / (24 - T_MAX_HOUR + T_MIN_HOUR)
    return nxt.tmin_c + (d.tmax_c - nxt.tmin_c) * (1 + math.cos(math.pi * x)) / 2


class WeatherGenerator:
    """Daily weather from monthly normals; ``generate(start, end)`` is seeded and repeatable."""

    def __init__(self, normals: ClimateNormals, seed: int = 0) -> None:
        self.normals = normals
        self.seed = seed

    def _normal(self, key: str, date: dt.date) -> float:
        """A monthly mean interpolated between mid-months (the 15th), cyclic over the year."""
        values = getattr(self.normals, key)
        m = date.month - 1
        mid = dt.date(date.year, date.month, 15)
        other = m + (1 if date >= mid else -1)
        days_apart = 30.4
        w = abs((date - mid).days) / days_apart
        return float(values[m] * (1 - w) + values[other % 12] * w)

    def generate(self, start: dt.date, end: dt.date) -> WeatherSeries:
        """Every day from ``start`` to ``end`` inclusive."""
        rng = random.Random(self.seed)
        n = self.normals
        days: list[WeatherDay] = []
        wet = False
        anomaly = 0.0
        date = start
        while date <= end:
            m = date.month - 1
            month_days = _days_in_month(date)
            n_wet = min(1 + 0.25 * n.rain_mm[m], 0.6 * month_days) if n.rain_mm[m] > 0 else 0
            pi = n_wet / month_days
            p_ww = pi + WET_PERSISTENCE * (1 - pi)
            p_wd = pi * (1 - p_ww) / (1 - pi) if pi < 1 else 1.0
            wet = rng.random() < (p_ww if wet else p_wd)
            rain = rng.expovariate(1 / (n.rain_mm[m] / n_wet)) if wet and n_wet else 0.0
            anomaly = AR_PHI * anomaly + rng.gauss(0, T_ANOMALY_SD_C * math.sqrt(1 - AR_PHI**2))
            # Wet days are cooler by day and milder at night, dry ones the other way, so that
            # the month still averages its normals.
            w = (1.0 if wet else 0.0) - pi
            tmax = self._normal("tmax_c", date) + anomaly - WET_TMAX_DROP_C * w
            tmin = self._normal("tmin_c", date) + anomaly + WET_TMIN_RISE_C * w
            tmin = min(tmin, tmax - 2.0)
            rh = self._normal("rh_pct", date) + WET_RH_RISE_PCT * w + rng.gauss(0, 5)
            u2 = self._normal("u2_m_s", date) * math.exp(rng.gauss(-0.045, 0.3))
            dry_sun = (1 - WET_SUN_FACTOR * pi) / (1 - pi) if pi < 1 else 1.0
            sun = (
                self._normal("sunshine_h", date) / month_days * (WET_SUN_FACTOR if wet else dry_sun)
            )
            days.append(WeatherDay(
                date, tmax, tmin, min(max(rh, 10.0), 98.0), max(u2, 0.3),
                min(max(sun, 0.0), 14.0), rain,
            ))  # fmt: skip
            date += dt.timedelta(days=1)
        return WeatherSeries(days)


def _days_in_month(date: dt.date) -> int:
    first_next = (date.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (first_next - date.replace(day=1)).days
