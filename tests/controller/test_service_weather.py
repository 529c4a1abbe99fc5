"""The status's weather through the real daemon service: today's rain is the rise of the
station's rain counter since local midnight, not the counter itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.store import Store
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE, on_free_ports

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 7, 5, 11, 30, tzinfo=TZ)


def _service(tmp_path: Path, counter: list[tuple[dt.datetime, float]]) -> DaemonService:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    site = load_site(path)
    assert site.weather is not None
    station = site.weather.station
    clock = VirtualClock(NOW)
    store = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    readings = [Reading(station, "rain", mm, "mm", Quality.OK, t) for t, mm in counter]
    store.add_readings(readings)
    store.flush()
    daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
    daemon.live.update(readings[-1:])
    return DaemonService(daemon)


def test_rain_today_is_the_counters_rise_since_midnight(tmp_path: Path) -> None:
    counter = [
        (dt.datetime(2026, 7, 4, 23, 45, tzinfo=TZ), 100.0),  # the base: the last before midnight
        (dt.datetime(2026, 7, 5, 0, 30, tzinfo=TZ), 100.5),
        (dt.datetime(2026, 7, 5, 6, 0, tzinfo=TZ), 102.0),
        (dt.datetime(2026, 7, 5, 11, 29, tzinfo=TZ), 103.5),
    ]
    weather = _service(tmp_path, counter).status().weather
    assert weather["rain"] == pytest.approx(103.5)  # the counter, as the station says it
    assert weather["rain_today_mm"] == pytest.approx(3.5)


def test_no_reading_today_is_no_figure(tmp_path: Path) -> None:
    counter = [(dt.datetime(2026, 7, 4, 22, 30, tzinfo=TZ), 100.0)]
    weather = _service(tmp_path, counter).status().weather
    assert weather["rain_today_mm"] is None
