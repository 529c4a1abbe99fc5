"""Types and constants the water balance (:mod:`controller.agronomy.jobs`) and the planner
(:mod:`controller.agronomy.planning`) share: errors, a day's ET0, forecast days, planned runs, the
irrigation windows, the zone's crop and soil, and the notes a decision is explained with."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from controller.agronomy.weather import DailyWeather
from controller.errors import ControllerError
from controller.store import RunSource
from models.crops import Crop
from models.errors import ModelError
from models.soils import SoilProfile
from models.waterbalance import ZoneSetup

__all__ = [
    "CATCH_UP_DAYS",
    "DATA_ERRORS",
    "DAY",
    "HORIZON_DAYS",
    "NOW_CONDITIONS_H",
    "PROBE_POINT",
    "RECENT_DAYS",
    "REFILL_TARGET_FRACTION",
    "SLOT_MIN",
    "AgronomyError",
    "ET0Day",
    "ForecastDay",
    "Notes",
    "PlannedRun",
    "WeatherUnavailable",
    "ZoneModel",
    "in_windows",
    "nan_if_none",
    "parse_window",
]

RECENT_DAYS = 3
HORIZON_DAYS = 7
NOW_CONDITIONS_H = 3
REFILL_TARGET_FRACTION = 0.15
PROBE_POINT = "moisture"  # volumetric water content, %, on every soil-probe profile
CATCH_UP_DAYS = 14  # close_day fills at most this many missing days before the one asked
SLOT_MIN = 60
DAY = dt.timedelta(days=1)


class AgronomyError(ControllerError):
    """An agronomic job cannot compute something from the data it has.

    ::

        AgronomyError
        └── WeatherUnavailable   no usable station weather and nothing recent to estimate from
    """


class WeatherUnavailable(AgronomyError):
    """No measured weather for the day, and (for estimates) no recent ET0 either."""


# Every failure a job turns into an event instead of an exception out of the daemon's job
# (ModelError is the root of every models/ error: water balance, soils, crops, ET0, planner).
DATA_ERRORS = (AgronomyError, ModelError)


@dataclass(frozen=True)
class ET0Day:
    """Reference ET of one local day (mm) and how it was obtained (``procedure``, in words)."""

    date: dt.date
    et0_mm: float
    procedure: str
    estimated: bool
    weather: DailyWeather | None = None


@dataclass(frozen=True)
class ForecastDay:
    """One forecast day (local date): reference ET (mm), rain (mm), optionally the minimum
    temperature (°C) and wind (m/s) for the frost and wind limits."""

    date: dt.date
    et0_mm: float
    rain_mm: float
    tmin_c: float | None = None
    wind_m_s: float | None = None


@dataclass(frozen=True)
class PlannedRun:
    """A run for the sequencer: zone, start (aware UTC), minutes, gross depth (mm), the decision
    that explains it and the run source."""

    zone: str
    start: dt.datetime
    duration_min: float
    depth_mm: float
    decision_id: int
    source: RunSource


def parse_window(text: str) -> tuple[int, int]:
    """ "20:00-08:00" → (1200, 480) minutes of the day; an end ≤ start wraps past midnight."""
    first, _, second = text.partition("-")
    return _minute(first), _minute(second)


def _minute(hhmm: str) -> int:
    h, _, m = hhmm.partition(":")
    return int(h) * 60 + int(m)


def in_windows(minute: int, windows: Sequence[tuple[int, int]]) -> bool:
    for start, end in windows:
        inside = start <= minute < end if start < end else minute >= start or minute < end
        if inside:
            return True
    return False


def nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


@dataclass(frozen=True)
class ZoneModel:
    crop: Crop
    soil: SoilProfile
    setup: ZoneSetup


@dataclass
class Notes:
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.items.append(text)

    def __str__(self) -> str:
        return "; ".join(self.items)
