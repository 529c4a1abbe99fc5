"""The daemon service's probe views through the real daemon: the zone card and the chart show
a calibrated probe's θ, the samples and calibrations come from the store, the raw stays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import UnknownName
from controller.daemon.service import DaemonService
from controller.learning.calibration import SampleRefused
from controller.runtime.fieldio import FieldIO
from controller.store import Severity, Store
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE, on_free_ports

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 7, 5, 11, 30, tzinfo=TZ)


@pytest.fixture
def service(tmp_path: Path) -> DaemonService:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    site = load_site(path)
    clock = VirtualClock(NOW)
    store = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    readings = [
        Reading("probe1a", "moisture", 30.0, "%", Quality.OK, NOW - dt.timedelta(minutes=m))
        for m in (50, 20, 1)
    ]
    store.add_readings(readings)
    store.flush()
    daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
    daemon.live.update(readings[-1:])
    return DaemonService(daemon)


def test_zone_card_and_chart_show_the_calibrated_theta(service: DaemonService) -> None:
    assert service.zone("z1").moisture_pct["0.2"] == pytest.approx(30.0)
    sample = service.add_probe_sample("probe1a", 24.0, "gravimetric", None, None, "", "li")
    assert sample.raw_pct == pytest.approx(30.0) and sample.raw_source == "live"
    assert service.zone("z1").moisture_pct["0.2"] == pytest.approx(24.0)
    assert [v for _, v in service.moisture_history("z1", days=1)["0.2"]] == pytest.approx(
        [24.0, 24.0, 24.0]
    )
    (cal, *_) = service.probe_calibrations()
    assert (cal.probe, cal.zone, cal.n_samples) == ("probe1a", "z1", 1)
    assert cal.offset_pct == pytest.approx(-6.0) and cal.se_pct == pytest.approx(1.5)
    assert [s.theta_pct for s in service.probe_samples("probe1a")] == [24.0]
    raw = service.d.store.good_values("probe1a", "moisture", NOW - dt.timedelta(hours=1), NOW)
    assert {v for _, v in raw} == {30.0}


def test_an_unknown_probe_or_a_bad_sample_is_refused(service: DaemonService) -> None:
    with pytest.raises(UnknownName):
        service.add_probe_sample("pump1", 24.0, "gravimetric", None, 20.0, "", "li")
    with pytest.raises(UnknownName):
        service.probe_samples("pump1")
    with pytest.raises(SampleRefused) as err:
        service.add_probe_sample("probe1a", 24.0, "tdr", None, 20.0, "", "li")
    assert err.value.field == "method"


def test_a_sample_taken_now_takes_the_live_value_of_a_probe_not_yet_committed(
    service: DaemonService,
) -> None:
    """probe2a was read (live) but its reading still waits in memory for the next commit."""
    service.d.live.update([Reading("probe2a", "moisture", 21.0, "%", Quality.OK, NOW)])
    sample = service.add_probe_sample("probe2a", 26.0, "gravimetric", None, None, "", "li")
    assert (sample.raw_pct, sample.raw_source) == (21.0, "live")
    # probe2b has never been read: refused, its time in the site's local time
    with pytest.raises(SampleRefused) as err:
        service.add_probe_sample("probe2b", 26.0, "gravimetric", None, None, "", "li")
    assert err.value.field == "raw_pct" and "at 2026-07-05 11:30 (site time)" in str(err.value)


def test_a_sample_taken_now_takes_the_live_value_over_an_older_stored_one(
    service: DaemonService,
) -> None:
    """Right after a run wets the probe, its new reading waits in memory: the live value."""
    wet = Reading("probe1a", "moisture", 36.0, "%", Quality.OK, NOW)
    service.d.store.idle_flush_s = 600.0
    service.d.store.add_readings([wet])
    service.d.live.update([wet])
    sample = service.add_probe_sample("probe1a", 31.0, "gravimetric", None, None, "", "li")
    assert (sample.raw_pct, sample.raw_source) == (36.0, "live")


def test_a_probe_the_plausibility_rules_quarantined_is_refused_naming_it(
    service: DaemonService,
) -> None:
    store = service.d.store
    store.raise_event(Severity.ALARM, "probe_flatline", "probe1a", "flat", latched=True)
    with pytest.raises(SampleRefused) as err:
        service.add_probe_sample("probe1a", 24.0, "gravimetric", None, None, "", "li")
    assert err.value.field == "raw_pct"
    assert "probe 'probe1a' is doubted by the controller now (open alarm probe_flatline)" in str(
        err.value
    )
    assert store.probe_samples() == []
    service.d.live.update([Reading("probe1b", "moisture", 28.0, "%", Quality.OK, NOW)])
    assert service.add_probe_sample("probe1b", 24.0, "gravimetric", None, None, "", "li").id
