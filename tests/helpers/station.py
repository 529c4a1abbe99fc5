"""Synthetic station and probe readings for the demo site's agronomy, hour by hour (local
time UTC+8, the demo's Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import math

from controller.store import Store
from drivers.reading import Quality, Reading

TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, no DST


def local(date: dt.date, hour: float) -> dt.datetime:
    """``hour`` hours after local midnight of ``date``."""
    return dt.datetime.combine(date, dt.time(0), tzinfo=TZ) + dt.timedelta(hours=hour)


def temperature(hour: int, tmin_c: float = 12.0, tmax_c: float = 28.0) -> float:
    """``tmin_c`` at 03:00, ``tmax_c`` at 15:00 local (default 12 and 28 °C)."""
    mean, swing = (tmax_c + tmin_c) / 2.0, (tmax_c - tmin_c) / 2.0
    return mean - swing * math.cos(2 * math.pi * (hour - 3) / 24)


def weather_day(
    store: Store,
    date: dt.date,
    station: str = "wx1",
    *,
    tmin_c: float = 12.0,
    tmax_c: float = 28.0,
) -> None:
    """One reading per point per hour at hh:00 local: a dry, calm-ish summer day, air from
    ``tmin_c`` at 03:00 to ``tmax_c`` at 15:00 (°C; default 12 and 28), RH 80 % at 12 °C
    falling 30 % per 16 °C warmer (50 % at 28 °C), wind 2 m/s, the rain counter still."""
    readings = []
    for h in range(24):
        t = temperature(h, tmin_c, tmax_c)
        for point, value, unit in (
            ("air_temperature", t, "°C"),
            ("humidity", 80.0 - 30.0 * (t - 12.0) / 16.0, "%"),
            ("wind_speed", 2.0, "m/s"),
            ("rain", 100.0, "mm"),
        ):
            readings.append(Reading(station, point, value, unit, Quality.OK, local(date, h)))
    store.add_readings(readings)
    store.flush()


def probe_day(store: Store, date: dt.date, theta_pct: dict[str, float]) -> None:
    """Each probe (device name → θ %) read every two hours of ``date``."""
    store.add_readings(
        Reading(device, "moisture", theta, "%", Quality.OK, local(date, h))
        for device, theta in theta_pct.items()
        for h in range(0, 24, 2)
    )
    store.flush()
