"""A sequencer + supervisor rig on the simulated demo devices, stepped one virtual second
at a time (the real bus owners, outputs and store)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from controller.clock import VirtualClock
from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import Supervisor
from controller.runtime.sequencer import Sequencer
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.bus import Bus
from tests.helpers.servedports import served_field

__all__ = ["FAST_POLL", "RIG_START", "SLOW_POLL", "RecordingOutputs", "Rig", "rig_on"]

RIG_START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_R = TypeVar("_R", bound="Rig")

# The points the sequencer and supervisor use, read every second (tanks every 5 s).
FAST_POLL = {
    "flow1": ("flow_rate", "total", "total_fraction"),
    "press1": ("line_pressure",),
    "ec1": ("ec",),
    "ph1": ("ph",),
    "doser1": ("dosed_volume",),
}
SLOW_POLL = {"tank_n": ("level",), "tank_k": ("level",)}


class RecordingOutputs(Outputs):
    """The real outputs, remembering the order of successful switches."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.log: list[tuple[str, str]] = []

    def on(self, role: str) -> None:
        already = self.is_on(role)
        super().on(role)
        if not already:
            self.log.append(("on", role))

    def off(self, role: str) -> None:
        was = self.is_on(role)
        super().off(role)
        if was:
            self.log.append(("off", role))


class Rig:
    def __init__(self, site: SiteConfig, sim: Simulation, store: Store, clock: VirtualClock):
        self.site, self.sim, self.store, self.clock = site, sim, store, clock
        buses = {
            b.name: Bus(b.settings(), site.devices_on(b.name), now=clock.now) for b in site.buses
        }
        self.fieldio = FieldIO(site, buses)
        self.live = LiveState()
        self.outputs = RecordingOutputs(site, self.fieldio, clock)
        self.supervisor = Supervisor(site, self.outputs, self.live, store, self.fieldio, clock)
        self.sequencer = Sequencer(
            site, self.outputs, self.live, store, self.fieldio, clock, self.supervisor
        )
        self.supervisor.attach(self.sequencer)
        self.extra_poll: dict[str, tuple[str, ...]] = {}  # more points read every second
        self.poll(FAST_POLL | SLOW_POLL)

    def poll(self, points: dict[str, tuple[str, ...]]) -> None:
        for device, names in points.items():
            readings, _ = self.fieldio.bus_of(device).read_points(device, names)
            self.live.update(readings)

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.clock.advance(1)
            self.sim.step(1.0)
            slow = int(self.clock.monotonic()) % 5 == 0
            self.poll((FAST_POLL | SLOW_POLL if slow else FAST_POLL) | self.extra_poll)
            self.sequencer.tick()
            self.supervisor.check()

    def coil(self, point: str) -> bool:
        return bool(self.sim.devices["relay1"].get(point))

    def all_coils_off(self) -> bool:
        return not any(self.coil(f"ch{i}") for i in range(1, 9))

    def alarm_codes(self) -> list[str]:
        return [e.code for e in self.store.open_alarms()]


def rig_on(
    site: SiteConfig,
    tmp_path: Path,
    factory: Callable[[SiteConfig, Simulation, Store, VirtualClock], _R] = Rig,  # type: ignore[assignment]
) -> Iterator[_R]:
    """A rig (``factory``: :class:`Rig` or a subclass) on ``site``'s simulated devices with a
    store in ``tmp_path``, from :data:`RIG_START`; everything off and closed afterwards. For a
    fixture: ``yield from rig_on(site, tmp_path)``.

    The devices are served on ports the system picks as they bind; the rig's ``site`` is
    ``site`` moved onto them (written beside the store)."""
    clock = VirtualClock(RIG_START)
    with served_field(site, tmp_path / "rig-site.toml", step_s=3600) as (site, sim):
        store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        rig = factory(site, sim, store, clock)
        try:
            yield rig
        finally:
            rig.outputs.all_off()
            rig.fieldio.close()
            store.close()
