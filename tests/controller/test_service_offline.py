"""A device offline now is in the site's status through the real daemon service, with when
its last good reading was, the poller's view (``device_offline`` raised, no good reading
since), until it answers again; the open alarms are not changed by it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.store import Store
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE, on_free_ports
from web.api.models import SitePublic

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 7, 10, 9, 0, tzinfo=TZ)


def test_an_offline_station_is_in_the_status_until_it_answers(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    site = load_site(path)
    assert site.weather is not None
    station = site.weather.station
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
        service = DaemonService(daemon)
        good = Reading(station, "air_temperature", 24.0, "°C", Quality.OK, NOW)
        silent = Reading(station, "air_temperature", None, "°C", Quality.COMM_ERROR, NOW)
        daemon.poller._track(station, [good])
        clock.advance(60)
        daemon.poller._track(station, [silent])
        assert service.status().offline_devices == {}  # not yet stale_after_s
        clock.advance(site.safety.stale_after_s)
        daemon.poller._track(station, [silent])
        status = service.status()
        assert status.offline_devices == {station: NOW}  # its last good reading
        assert (status.state, status.open_alarms) == ("running", 0)  # a warning: not latched
        public = SitePublic.model_validate(status, from_attributes=True).model_dump(mode="json")
        assert list(public["offline_devices"]) == [station]
        daemon.poller._track(station, [good])
        assert service.status().offline_devices == {}
