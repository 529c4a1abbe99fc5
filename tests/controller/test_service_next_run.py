"""The zone's next run through the real daemon service carries its decision's reason codes
and values, for a page to say why in its language; the sentence stays the record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.store import Store
from tests.helpers.said import said_in_english
from tests.helpers.site import DEMO_SITE, on_free_ports

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 1, 18, 0, tzinfo=TZ)  # z4's calendar event of June 1


def test_a_calendar_zones_next_run_says_its_decision_by_codes(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    site = load_site(path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
        daemon.time_trust.confirm("test")
        daemon.plan()
        nxt = DaemonService(daemon).zone("z4").next_run
        assert nxt is not None
        assert nxt.reason_codes == ["calendar_irrigate", "calendar_window_short"]
        assert nxt.reason_values["today"] == "2026-06-01"
        coded = {"reasons": nxt.reason_codes, "reason_values": nxt.reason_values}
        assert nxt.reason == f"z4: {said_in_english(coded)}"  # the codes say the record
