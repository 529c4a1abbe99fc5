"""Synthetic station weather and a seeded water balance in a real store, for planning tests
(the same shapes as tests/controller/test_agronomy.py uses)."""

from __future__ import annotations

import datetime as dt
import math

from controller.config.site import SiteConfig
from controller.store import Store, WaterBalanceDay
from drivers.reading import Quality, Reading
from models.crops import crop, root_depth_m
from models.soils import SoilProfile, texture

__all__ = ["DAY1", "TZ", "local", "seed_balance", "weather_day"]

TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, no DST
DAY1 = dt.date(2026, 6, 1)


def local(date: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(0), tzinfo=TZ) + dt.timedelta(hours=hour)


def _temperature(hour: int, tmin_c: float = 12.0, tmax_c: float = 28.0) -> float:
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
    """One reading per point per hour at hh:00 local, no rain; air from ``tmin_c`` at 03:00
    to ``tmax_c`` at 15:00 (°C)."""
    readings = []
    for h in range(24):
        t = local(date, h)
        air = _temperature(h, tmin_c, tmax_c)
        rh = 80.0 - 30.0 * (air - 12.0) / 16.0
        for point, value, unit in (
            ("air_temperature", air, "°C"),
            ("humidity", rh, "%"),
            ("wind_speed", 2.0, "m/s"),
            ("rain", 100.0, "mm"),
        ):
            readings.append(Reading(station, point, value, unit, Quality.OK, t))
    store.add_readings(readings)
    store.flush()


def seed_balance(
    store: Store,
    site: SiteConfig,
    zone: str,
    date: dt.date,
    fraction_of_taw: float,
    raw_fraction: float = 0.55,
) -> float:
    """A stored balance day of ``zone`` ending at ``fraction_of_taw`` depleted, RAW at
    ``raw_fraction`` of TAW; its TAW (mm)."""
    z = next(z for z in site.zones if z.name == zone)
    c = crop(z.crop)
    soil = SoilProfile.uniform(texture(z.soil), c.root_depth_max_m)
    taw = soil.taw_mm(root_depth_m(c, (date - z.planting_date).days))
    store.add_water_balance(
        WaterBalanceDay(
            zone=zone,
            date=date,
            et0_mm=5,
            kc=1,
            etc_mm=5,
            eta_mm=5,
            rain_mm=0,
            effective_rain_mm=0,
            irrigation_mm=0,
            dr_start_mm=0,
            dr_end_mm=fraction_of_taw * taw,
            taw_mm=taw,
            raw_mm=raw_fraction * taw,
            ks=1,
            method="seeded",
        )
    )
    return taw
