"""A clog in the simulated field, through the daemon: its runs, its stored readings, its flow
job, and a ``zone_clog`` alarm in the store (real Modbus on loopback, a virtual clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.simulation.harness import Simulation
from drivers.sim import send_control
from tests.helpers.daemons import virtual_daemon_on
from tests.helpers.site import quick_site

RUN_MIN = 2.5
FAST = ("flow1", "press1")  # what the daemon's supervisor and metering read every second


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Daemon, Simulation, VirtualClock]]:
    site = quick_site(tmp_path)
    text = site.path.read_text(encoding="utf-8") + "\n[learning.flow]\nmin_runs = 3\n"
    site.path.write_text(text, encoding="utf-8")
    clock = VirtualClock(dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC))
    for daemon, sim in virtual_daemon_on(load_site(site.path), tmp_path, clock, step_s=None):
        yield daemon, sim, clock


def water(daemon: Daemon, sim: Simulation, clock: VirtualClock, zone: str) -> None:
    """One manual run of ``zone``, the field, polls and control tick stepped each second,
    then the daemon's flow job (as the scheduler calls it after the run)."""
    daemon.sequencer.start(zone, RUN_MIN, "manual")
    for _ in range(int(RUN_MIN * 60) + 10):
        clock.advance(1)
        sim.field.step(1.0)
        for device in FAST:
            daemon.poller.poll_device(device)
        daemon.control_tick()
    daemon.flush_store()
    assert daemon.sequencer.active() == []
    clock.advance(1800)
    job = next(j for j in daemon.jobs() if j.name == "flow_signatures")
    assert job.kind == "task" and job.every_s is not None
    job.func()


def test_a_clog_injected_in_the_field_raises_zone_clog(
    rig: tuple[Daemon, Simulation, VirtualClock],
) -> None:
    daemon, sim, clock = rig
    for _ in range(3):
        water(daemon, sim, clock, "z1")
    status = daemon.flow_learning.status("z1")
    assert status.learned and status.normal_m3h == pytest.approx(100, rel=0.05)
    send_control(
        "127.0.0.1", sim.control.port, {"op": "line", "zone": "z1", "kind": "clog", "fraction": 0.2}
    )
    water(daemon, sim, clock, "z1")
    water(daemon, sim, clock, "z1")
    alarms = [e for e in daemon.store.open_alarms() if e.code == "zone_clog"]
    assert [(e.source, e.severity) for e in alarms] == [("z1", "warning")]
    assert alarms[0].message.startswith("zone z1: flow 20 % below its normal")
    assert not any(e.code in ("burst", "dry_run", "zone_leak") for e in daemon.store.events())
