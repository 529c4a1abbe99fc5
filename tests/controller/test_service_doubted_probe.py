"""A probe the controller doubts is said as doubted by the zone's status, through the real
daemon service: the plausibility rules' quarantine (what the balance and the planner leave
out) and the poller's implausible readings, the same probes, until the alarm is acknowledged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.store import Store
from controller.store.tables import Severity
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE, on_free_ports
from web.api.models import ZonePublic

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 7, 10, 9, 0, tzinfo=TZ)


def _daemon(tmp_path: Path, store: Store, clock: VirtualClock) -> Daemon:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    site = load_site(path)
    daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
    daemon.live.update([Reading("probe2a", "moisture", 21.0, "%", Quality.OK, NOW)])
    return daemon


def test_a_quarantined_probe_is_doubted_until_acknowledged(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        service = DaemonService(_daemon(tmp_path, store, clock))
        assert service.zone("z2").doubted == {}
        alarm = store.raise_event(
            Severity.ALARM, "probe_flatline", "probe2a", "probe2a.moisture: flat", latched=True
        )
        zone = service.zone("z2")
        doubt = zone.doubted["0.2"]
        assert (doubt.device, doubt.code, doubt.alarm_id) == ("probe2a", "probe_flatline", alarm.id)
        assert doubt.since == alarm.time
        assert zone.moisture_pct["0.2"] is not None  # the value stays, said as doubted
        assert "0.4" not in zone.doubted and service.zone("z1").doubted == {}
        public = ZonePublic.model_validate(zone, from_attributes=True).model_dump(mode="json")
        assert public["doubted"]["0.2"]["code"] == "probe_flatline"
        assert public["doubted"]["0.2"]["alarm_id"] == alarm.id
        assert alarm.id is not None
        store.ack_event(alarm.id, "tian")
        assert service.zone("z2").doubted == {}


def test_an_implausible_probe_is_doubted_while_its_fault_lasts(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        daemon = _daemon(tmp_path, store, clock)
        bad = Reading("probe2a", "moisture", None, "%", Quality.OUT_OF_RANGE, NOW, decoded=140.0)
        daemon.poller._track("probe2a", [bad])
        clock.advance(daemon.site.safety.stale_after_s)
        daemon.poller._track("probe2a", [bad])  # implausible for stale_after_s: sensor_fault
        doubt = DaemonService(daemon).zone("z2").doubted["0.2"]
        assert (doubt.device, doubt.code, doubt.alarm_id) == ("probe2a", "sensor_fault", None)
