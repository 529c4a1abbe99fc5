"""The poller's alarms: a device that stops answering, a point that reads implausibly.

The bus owner is replaced at the FieldIO seam by a scripted one; the store is real SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.device_events import DEVICE_EVENTS, device_event
from controller.runtime.live import LiveState
from controller.runtime.poller import Poller
from controller.store import Store
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


class ScriptedBus:
    """Answers ``read_points`` with the qualities set in ``script`` (moisture, temperature)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.moisture: tuple[Quality, float] = (Quality.OK, 21.0)
        self.answering = True

    def read_points(self, device: str) -> tuple[list[Reading], None]:
        now = self.clock.now()
        if not self.answering:
            return [
                Reading(device, p, None, u, Quality.COMM_ERROR, now, detail="timeout")
                for p, u in (("moisture", "%"), ("temperature", "°C"))
            ], None
        quality, decoded = self.moisture
        ok = quality is Quality.OK
        return [
            Reading(
                device,
                "moisture",
                decoded if ok else None,
                "%",
                quality,
                now,
                decoded=decoded,
                detail="" if ok else f"{decoded} outside 0–100",
            ),
            Reading(device, "temperature", 18.0, "°C", Quality.OK, now, decoded=18.0),
        ], None


class ScriptedFieldIO:
    def __init__(self, bus: ScriptedBus) -> None:
        self.bus = bus

    def bus_of(self, device: str) -> ScriptedBus:
        return self.bus


@pytest.fixture
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    yield s
    s.close()


@pytest.fixture
def rig(site: SiteConfig, store: Store, clock: VirtualClock) -> tuple[Poller, ScriptedBus]:
    bus = ScriptedBus(clock)
    poller = Poller(site, ScriptedFieldIO(bus), LiveState(), store, clock)  # type: ignore[arg-type]
    return poller, bus


def poll_for(poller: Poller, clock: VirtualClock, seconds: int, every_s: int = 60) -> None:
    for _ in range(seconds // every_s):
        clock.advance(every_s)
        poller.poll_device("probe1a")


def codes(store: Store) -> list[str]:
    return [e.code for e in store.events()]


def test_implausible_point_raises_one_latched_alarm_after_the_limit_then_clears(
    rig: tuple[Poller, ScriptedBus], store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    poller, bus = rig
    limit_s = int(site.safety.stale_after_s)
    bus.moisture = (Quality.OUT_OF_RANGE, 131.0)  # drifted past the probe's range
    poll_for(poller, clock, limit_s - 60)
    assert "sensor_fault" not in codes(store)  # not yet: one bad minute is not a fault
    poll_for(poller, clock, 3 * limit_s)
    alarms = store.open_alarms()
    assert [(a.code, a.source) for a in alarms] == [("sensor_fault", "probe1a.moisture")]
    assert "out of range" in alarms[0].message and "131" in alarms[0].message
    assert alarms[0].severity == "warning"
    assert poller.sensor_faults() == {"probe1a.moisture"} and poller.offline() == set()
    bus.moisture = (Quality.OK, 22.0)
    poll_for(poller, clock, 60)
    assert codes(store).count("sensor_ok") == 1 and poller.sensor_faults() == set()
    bus.moisture = (Quality.UNDECODABLE, 6553.5)  # a new episode is a new alarm
    poll_for(poller, clock, 2 * limit_s)
    assert codes(store).count("sensor_fault") == 2


def test_a_silent_device_is_offline_not_a_sensor_fault(
    rig: tuple[Poller, ScriptedBus], store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    poller, bus = rig
    poll_for(poller, clock, 60)
    bus.answering = False
    poll_for(poller, clock, 2 * int(site.safety.stale_after_s))
    assert codes(store) == ["device_offline"] and poller.offline() == {"probe1a"}
    assert store.open_alarms() == []  # offline is a warning event; the probe's zone runs on
    bus.answering = True
    poll_for(poller, clock, 60)
    assert codes(store) == ["device_offline", "device_online"]


def test_bad_minutes_between_good_readings_never_add_up(
    rig: tuple[Poller, ScriptedBus], store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    poller, bus = rig
    limit_s = int(site.safety.stale_after_s)
    for _ in range(10):  # a noisy probe: out of range, then fine, again and again
        bus.moisture = (Quality.OUT_OF_RANGE, 101.0)
        poll_for(poller, clock, limit_s - 60)
        bus.moisture = (Quality.OK, 99.0)
        poll_for(poller, clock, 60)
    assert "sensor_fault" not in codes(store)


def test_a_clock_step_is_no_outage_and_hides_none(
    rig: tuple[Poller, ScriptedBus], store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    poller, bus = rig
    poll_for(poller, clock, 60)
    bus.answering = False
    poll_for(poller, clock, 60)
    clock.step(3 * 3600)  # NTP steps forward: one missed poll is not three hours offline
    poll_for(poller, clock, 60)
    assert "device_offline" not in codes(store)
    clock.step(-6 * 3600)  # and a step back does not postpone a real outage
    poll_for(poller, clock, int(site.safety.stale_after_s))
    assert codes(store) == ["device_offline"]


def test_every_device_event_message_is_read_back_as_its_code(
    rig: tuple[Poller, ScriptedBus], store: Store, clock: VirtualClock, site: SiteConfig
) -> None:
    poller, bus = rig
    limit_s = int(site.safety.stale_after_s)
    bus.moisture = (Quality.OUT_OF_RANGE, 131.0)
    poll_for(poller, clock, 2 * limit_s)
    bus.moisture = (Quality.OK, 22.0)
    poll_for(poller, clock, 60)
    bus.answering = False
    poll_for(poller, clock, 2 * limit_s)
    bus.answering = True
    poll_for(poller, clock, 60)
    events = store.events()
    assert sorted(e.code for e in events) == sorted(DEVICE_EVENTS)
    # a page says each from its code (controller.runtime.device_events)
    assert [device_event(e.message).code for e in events] == [e.code for e in events], [
        e.message for e in events
    ]
