"""The instruments the agronomy reads (weather station, soil probes), without Modbus.

The agronomy fidelity (:mod:`controller.simulation.fidelity`) lets the daemon's own poller
read these: each instrument is a :class:`drivers.sim.device.VirtualDevice` of the site's
profile, its points set by the same functions the simulated field uses
(:func:`drivers.sim.field.publish_station`, :func:`drivers.sim.field.probe_pct`), and read
through :class:`LoopbackBus`, a :class:`drivers.bus.Bus` whose transaction reads the device's
registers in memory instead of over a socket. Decoding, ranges and qualities are then the
bus's own, so the store gets exactly the rows the poller writes in production.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping

from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import field_wiring
from drivers.bus import Bus
from drivers.codec import ReadBlock
from drivers.sim.device import VirtualDevice
from drivers.sim.field import (
    probe_offsets,
    probe_pct,
    publish_station,
    put,
    soil_temperature_c,
)
from drivers.sim.weathergen import WeatherSeries

__all__ = ["Instruments", "LoopbackBus"]


class LoopbackBus(Bus):
    """A bus whose devices are :class:`VirtualDevice` objects in this process."""

    def __init__(
        self,
        site: SiteConfig,
        bus: str,
        devices: Mapping[str, VirtualDevice],
        *,
        now: Callable[[], dt.datetime],
        monotonic: Callable[[], float],
    ) -> None:
        b = next(b for b in site.buses if b.name == bus)
        super().__init__(b.settings(), site.devices_on(bus), now=now, monotonic=monotonic)
        self.virtual = devices

    def read_block(self, device: str, block: ReadBlock) -> list[int]:
        return self.virtual[device].read(block.table, block.start, block.count)


class Instruments:
    """The station and the zones' probes of a site, set from a weather series and a truth.

    ``seed`` draws each probe's calibration offset as the simulated field does (same seed,
    same offsets); reading noise comes from the same generator afterwards.
    """

    def __init__(
        self,
        site: SiteConfig,
        now: Callable[[], dt.datetime],
        monotonic: Callable[[], float],
        seed: int,
    ) -> None:
        self.site = site
        self.tz = site.site.tz
        wiring = field_wiring(site)
        self._rng = random.Random(seed)
        self.offsets = probe_offsets(wiring, self._rng)
        self.station = site.weather.station if site.weather else None
        self.probes = {z.name: [(p.device, p.depth_m) for p in z.probes] for z in site.zones}
        names = [self.station] if self.station else []
        names += [d for probes in self.probes.values() for d, _ in probes]
        self.devices = {
            n: VirtualDevice(n, _unit(site, n), site.profiles[n], monotonic, seed=f"{seed}:{n}")
            for n in names
        }
        self.fieldio = FieldIO(
            site,
            {
                b.name: LoopbackBus(site, b.name, self.devices, now=now, monotonic=monotonic)
                for b in site.buses
            },
        )

    def set_station(self, weather: WeatherSeries, local: dt.datetime, rain_total_mm: float) -> None:
        """The station's points at naive local time ``local``; ``rain_total_mm`` its counter."""
        if self.station is not None:
            publish_station(self.devices[self.station], weather, local, rain_total_mm, self._rng)

    def set_probes(self, zone: str, theta_at: Callable[[float], float], hour: float) -> None:
        """A zone's probes from the true θ (fraction) at their depths, at local ``hour``."""
        for device, depth in self.probes[zone]:
            dev = self.devices[device]
            put(dev, "moisture", probe_pct(theta_at(depth), self.offsets[device], self._rng))
            put(dev, "temperature", soil_temperature_c(hour), optional=True)

    def close(self) -> None:
        self.fieldio.close()


def _unit(site: SiteConfig, name: str) -> int:
    return next(d.unit for d in site.devices if d.name == name)
