"""Clock faults against the production daemon on the simulated demo field, and their figures.

:class:`ClockBox` is the daemon on a :class:`controller.clock.VirtualClock` that the fault
moves (boot at 1970, a stale saved time, NTP steps), with a
:class:`controller.runtime.timetrust.TimeTrust` whose synchronisation probe the fault sets;
the devices are pymodbus servers on loopback, the store SQLite. :func:`clock_faults` tries
each fault on a fresh box and counts::

    python -m hil_tests.clock_faults
    {"faults_tried": 7, "faults_alarmed": 7, "unsafe_water_events": 0}

An unsafe water event is water the fault caused: a run started by an untrusted clock, a
planned slot watered twice, a run whose length followed the wall clock, or water left on
with a dead flow meter after a step back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from controller.agronomy.fertplan import FertRun
from controller.agronomy.jobs import PlannedRun
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.runtime.timetrust import TimeTrust
from controller.simulation.harness import Simulation
from controller.store import RunSource, RunState, Severity, Store
from drivers.bus import Bus
from tests.helpers.rig import FAST_POLL
from tests.helpers.servedports import served_field
from tests.helpers.site import DEMO_SITE, on_free_ports

__all__ = ["ALARM_CODES", "ClockBox", "box_site", "clock_box", "clock_faults", "local"]

TZ = dt.timezone(dt.timedelta(hours=8))  # the demo site's Asia/Shanghai, no DST
#: What counts as the box saying so: the alarm, a step, a skipped slot.
ALARM_CODES = ("clock_untrusted", "clock_step", "planned_run_skipped")


def local(y: int, m: int, d: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time of the demo site (UTC+8), as aware UTC."""
    return dt.datetime(y, m, d, hour, minute, tzinfo=TZ).astimezone(dt.UTC)


def box_site(workdir: Path) -> SiteConfig:
    """The demo site on free ports, sown in 2027 (after the release floor)."""
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    path = workdir / "site.toml"
    path.write_text(text.replace("planting_date = 2026-", "planting_date = 2027-"), "utf-8")
    return load_site(path)


class ClockBox:
    """The daemon, its virtual clock and field; :meth:`run` steps them a second at a time."""

    def __init__(
        self, site: SiteConfig, sim: Simulation, workdir: Path, start: dt.datetime
    ) -> None:
        self.clock = VirtualClock(start)
        self.sim = sim
        self.store = Store(f"sqlite:///{workdir / 'qanat.db'}", clock=self.clock)
        self.synced = False
        self.trust = TimeTrust(
            self.clock, self.store, synchronised=lambda: self.synced, boot="boot-1"
        )
        buses = {
            b.name: Bus(b.settings(), site.devices_on(b.name), now=self.clock.now)
            for b in site.buses
        }
        self.daemon = Daemon(
            site, self.store, self.clock, fieldio=FieldIO(site, buses), time_trust=self.trust
        )
        self.service = DaemonService(self.daemon)

    def run(self, seconds: int) -> None:
        """Let ``seconds`` pass: field, fast polls, the control tick; the trust check every 10 s."""
        for _ in range(seconds):
            self.clock.advance(1)
            self.sim.field.step(1.0)
            for device, names in FAST_POLL.items():
                readings, _ = self.daemon.fieldio.bus_of(device).read_points(device, names)
                self.daemon.live.update(readings)
            self.daemon.control_tick()
            if int(self.clock.monotonic()) % 10 == 0:
                self.daemon.check_time()

    def queue(self, *runs: PlannedRun) -> None:
        """Runs as the planner queues them (a seam: the planner's choice is not under test)."""
        with self.daemon._queue_lock:
            self.daemon._queue = sorted(
                [*self.daemon._queue, *(FertRun(r) for r in runs)], key=lambda fr: fr.run.start
            )

    def planned(self, zone: str, start: dt.datetime, minutes: float) -> PlannedRun:
        d = self.store.record_decision(zone, "et", "irrigate", "fault", {}, planned_start=start)
        assert d.id is not None
        return PlannedRun(zone, start, minutes, 1.0, d.id, RunSource.PLAN)

    def alarms(self) -> list[str]:
        return [e.message for e in self.store.open_alarms() if e.code == "clock_untrusted"]

    def skips(self) -> list[str]:
        return [e.message for e in self.store.events() if e.code == "planned_run_skipped"]

    def said_so(self) -> bool:
        return any(e.code in ALARM_CODES for e in self.store.events())

    def close(self) -> None:
        self.daemon.stop()
        self.daemon.fieldio.close()
        self.store.close()


@contextmanager
def clock_box(start: dt.datetime, *, synced: bool, started: bool = True) -> Iterator[ClockBox]:
    """A fresh :class:`ClockBox` on its own simulated field in a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with served_field(box_site(workdir), step_s=3600) as (site, sim):
            box = ClockBox(site, sim, workdir, start)
            box.synced = synced
            try:
                if started:
                    box.daemon.start(schedule=False)
                yield box
            finally:
                box.close()


# -- the faults: each returns (alarmed, unsafe water events) ----------------------------------


def _untrusted_waters(box: ClockBox) -> int:
    """Try to water by every path; the water that got through."""
    box.daemon.plan()
    box.queue(box.planned("z1", box.clock.now() + dt.timedelta(seconds=2), 2))
    with suppress(ControlRefused):  # refused is right; what counts is the water
        box.service.start_zone("z2", 2, actor="fault")
    box.run(5)
    return len(box.store.runs())


def boot_at_1970() -> tuple[bool, int]:
    with clock_box(dt.datetime(1970, 1, 1, 0, 0, 30, tzinfo=dt.UTC), synced=True) as box:
        return bool(box.alarms()), _untrusted_waters(box)


def stale_saved_time() -> tuple[bool, int]:
    saved = local(2027, 6, 1, 1, 0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        site = box_site(workdir)
        clock = VirtualClock(saved + dt.timedelta(days=30))
        with Store(f"sqlite:///{workdir / 'qanat.db'}", clock=clock) as store:
            store.raise_event(Severity.INFO, "shutdown", "site", "last record before the reboot")
        with served_field(site, step_s=3600) as (site, sim):
            box = ClockBox(site, sim, workdir, saved)  # came back at the saved time
            box.synced = True
            try:
                box.daemon.start(schedule=False)
                return bool(box.alarms()), _untrusted_waters(box)
            finally:
                box.close()


def not_synchronised() -> tuple[bool, int]:
    with clock_box(local(2027, 6, 1, 1, 0), synced=False) as box:
        return bool(box.alarms()), _untrusted_waters(box)


def step_back_in_the_night() -> tuple[bool, int]:
    with clock_box(local(2027, 6, 2, 1, 58), synced=True) as box:
        box.queue(box.planned("z1", local(2027, 6, 2, 2, 0), 2))
        box.run(300)
        box.clock.step(-3600)
        box.queue(box.planned("z1", box.clock.now() + dt.timedelta(seconds=30), 2))
        box.run(200)
        return box.said_so(), max(0, len(box.store.runs("z1")) - 1)


def step_forward_over_a_start() -> tuple[bool, int]:
    with clock_box(local(2027, 6, 2, 1, 0), synced=True) as box:
        box.run(10)
        box.queue(
            box.planned("z1", local(2027, 6, 2, 2, 0), 240),
            box.planned("z1", local(2027, 6, 2, 3, 30), 60),
            box.planned("z2", local(2027, 6, 2, 2, 0), 30),  # its whole slot jumped over
        )
        box.clock.step(3 * 3600)
        box.run(20)
        z1, z2 = box.store.runs("z1"), box.store.runs("z2")
        return box.said_so(), max(0, len(z1) - 1) + len(z2)


def step_during_a_run() -> tuple[bool, int]:
    with clock_box(local(2027, 6, 2, 1, 59), synced=True) as box:
        box.queue(box.planned("z3", box.clock.now() + dt.timedelta(seconds=1), 2))
        box.run(30)
        box.clock.step(3600)
        box.run(60)
        early = 0 if box.daemon.sequencer.active() else 1
        box.clock.step(-7200)
        box.run(40)  # 130 s in all: past its 120 s
        runs = box.store.runs("z3")
        ok = len(runs) == 1 and runs[0].state == RunState.DONE
        return box.said_so(), early + (0 if ok else 1)


def step_back_then_the_flow_meter_dies() -> tuple[bool, int]:
    """Water on with a meter that no longer answers is the unsafe event the supervisor stops."""
    with clock_box(local(2027, 6, 2, 1, 59), synced=True) as box:
        box.queue(box.planned("z3", box.clock.now() + dt.timedelta(seconds=1), 30))
        box.run(20)
        box.clock.step(-3600)
        box.daemon.check_time()
        for _ in range(int(box.daemon.site.safety.stale_after_s) + 5):  # no more polls
            box.clock.advance(1)
            box.sim.field.step(1.0)
            box.daemon.control_tick()
        return box.said_so(), 1 if box.daemon.sequencer.active() else 0


FAULTS: dict[str, Callable[[], tuple[bool, int]]] = {
    "boot_at_1970": boot_at_1970,
    "stale_saved_time": stale_saved_time,
    "not_synchronised": not_synchronised,
    "step_back_1h_in_the_night": step_back_in_the_night,
    "step_forward_3h_over_a_start": step_forward_over_a_start,
    "step_during_a_run": step_during_a_run,
    "step_back_then_the_flow_meter_dies": step_back_then_the_flow_meter_dies,
}


def clock_faults() -> dict[str, int]:
    """Every clock fault on a fresh box: how many tried, alarmed, and the unsafe water."""
    alarmed = unsafe = 0
    for fault in FAULTS.values():
        said, water = fault()
        alarmed += said
        unsafe += water
    return {"faults_tried": len(FAULTS), "faults_alarmed": alarmed, "unsafe_water_events": unsafe}


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.CRITICAL)
    print(json.dumps(clock_faults()))
