"""Synthetic station weather and a seeded water balance in a real store, for planning tests
(the same shapes as tests/controller/test_agronomy.py uses). The weather is
:func:`tests.helpers.station.weather_day`'s, passed on here with its ``local`` and ``TZ``.

The fixtures ``clock`` (a virtual clock at local midnight of :data:`DAY1`) and ``store`` (a
real store on it) are :func:`day1_clock` and :func:`day1_store`: a module imports those
functions (``# noqa: F401``), under names other than the fixtures', so a test's ``clock``
argument redefines no import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from controller.agronomy.drydown import DryDownState
from controller.agronomy.jobs import Agronomy, CoverOf
from controller.clock import VirtualClock
from controller.config.site import SiteConfig
from controller.daemon.service import DaemonService
from controller.store import Store, WaterBalanceDay
from models.crops import crop, root_depth_m
from models.soils import SoilProfile, texture
from tests.helpers.station import TZ, local, weather_day

__all__ = [
    "DAY1",
    "TZ",
    "day1_clock",
    "day1_store",
    "local",
    "planned",
    "seed_balance",
    "weather_day",
]

DAY1 = dt.date(2026, 6, 1)


@pytest.fixture(name="clock")
def day1_clock() -> VirtualClock:
    """A virtual clock at local midnight (UTC+8) of :data:`DAY1`."""
    return VirtualClock(local(DAY1, 0))


@pytest.fixture(name="store")
def day1_store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    """A real SQLite store in the test's folder on ``clock``, closed after the test."""
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    yield s
    s.close()


def seed_balance(
    store: Store,
    site: SiteConfig,
    zone: str,
    date: dt.date,
    fraction_of_taw: float,
    raw_fraction: float = 0.55,
    method: str = "seeded",
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
            method=method,
        )
    )
    return taw


@contextmanager
def planned(
    site: SiteConfig, db: Path, today: dt.date, cover: CoverOf | None = None
) -> Iterator[Store]:
    """A store at ``db`` (SQLite) in which ``Agronomy.plan_all`` planned ``site`` at 18:00
    (UTC+8) of ``today``, after three closed days of the station's synthetic weather; closed
    when the block ends."""
    clock = VirtualClock(local(today, 18))
    store = Store(f"sqlite:///{db}", clock=clock)
    try:
        agro = Agronomy(site, store, clock, cover=cover)
        for back in (3, 2, 1):
            weather_day(store, today - dt.timedelta(days=back))
            agro.close_day(today - dt.timedelta(days=back))
        agro.plan_all(local(today, 18))
        yield store
    finally:
        store.close()


def hold_under_way(service: DaemonService, day: dt.date, zone: str = "z1") -> None:
    """The zone's requested calibration dry-down holding since ``day`` (its refill made the
    day before, as the planner starts one), and the site planned again."""
    states = service.d.agronomy.planning.drydowns
    asked = states.get(zone)
    assert asked is not None
    states.put(DryDownState(zone, asked.fraction, "holding", asked.requested_at, day.isoformat()))
    service.d.plan()
