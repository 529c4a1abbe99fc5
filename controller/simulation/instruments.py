"""The instruments the agronomy reads (weather station, soil probes), without Modbus.

The agronomy fidelity (:mod:`controller.simulation.fidelity`) lets the daemon's own poller
read these: each instrument is a :class:`drivers.sim.device.VirtualDevice` of the site's
profile, its points set by the same functions the simulated field uses
(:func:`drivers.sim.field.publish_station`, :func:`drivers.sim.field.probe_pct`), and read
through :class:`LoopbackBus`, a :class:`drivers.bus.Bus` whose transaction reads the device's
registers in memory instead of over a socket. Decoding, ranges and qualities are then the
bus's own, so the store gets exactly the rows the poller writes in production.

The devices are :class:`MemoryDevice`: a season sets and reads its instruments at every stop
(thousands of times), from one thread and never with a fault, so their registers are a plain
dict — the same words :class:`VirtualDevice` would hold, without its lock, lease timers and
fault table on every access.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import field_wiring
from drivers.bus import Bus
from drivers.codec import ReadBlock, decode, encode
from drivers.profile import Profile, Table
from drivers.sim.device import VirtualDevice
from drivers.sim.faults import ActiveFault, Fault
from drivers.sim.field import (
    probe_offsets,
    probe_pct,
    publish_station,
    put,
    soil_temperature_c,
)
from drivers.sim.weathergen import WeatherSeries

__all__ = ["Instruments", "LoopbackBus", "MemoryDevice"]


class MemoryDevice(VirtualDevice):
    """A :class:`VirtualDevice` that is only set and read, from one thread, without faults.

    Its points start as a :class:`VirtualDevice`'s do; :meth:`set` encodes into a dict of
    words and :meth:`read` answers from it (holes inside the map as zeros where the profile
    allows read gaps); a read the base class would refuse (too long, an unmapped address) is
    left to it, so it answers ILLEGAL_VALUE or ILLEGAL_ADDRESS as the device does. Faults and
    writes are refused: nothing writes to an instrument the agronomy only reads.
    """

    def __init__(
        self,
        name: str,
        unit: int,
        profile: Profile,
        clock: Callable[[], float],
        *,
        seed: int | str | None = None,
    ) -> None:
        super().__init__(name, unit, profile, clock, seed=seed)
        self._regs: dict[tuple[Table, int], int] = {}
        self._spans: dict[Table, tuple[int, int]] = {}
        for pt in profile.points:
            words = super().read(pt.table, pt.address, pt.width)
            for i, word in enumerate(words):
                self._regs[(pt.table, pt.address + i)] = word
            lo, hi = self._spans.get(pt.table, (pt.address, pt.end))
            self._spans[pt.table] = (min(lo, pt.address), max(hi, pt.end))

    def set(self, point: str, value: float) -> None:
        """Set ``point`` to ``value`` in engineering units (``KeyError``: unknown point;
        ``DecodeError``: the value does not fit the point's type)."""
        pt = self.profile.point(point)
        for i, word in enumerate(encode(pt, value)):
            self._regs[(pt.table, pt.address + i)] = word

    def get(self, point: str) -> float:
        pt = self.profile.point(point)
        return decode(pt, [self._regs[(pt.table, pt.address + i)] for i in range(pt.width)])

    def read(self, table: Table, address: int, count: int) -> list[int]:
        limit = self.profile.max_read_registers * (16 if table.is_bit else 1)
        regs = self._regs
        words = [regs.get((table, a)) for a in range(address, address + count)]
        if None not in words and count <= limit:
            return cast(list[int], words)
        lo, hi = self._spans.get(table, (0, 0))
        gaps = self.profile.read_gap > 0 and lo <= address and address + count <= hi
        if count > limit or not gaps:
            return super().read(table, address, count)  # raises the device's answer
        return [0 if w is None else w for w in words]

    def status(self) -> dict[str, Any]:
        return {
            **super().status(),
            "values": {pt.name: self.get(pt.name) for pt in self.profile.points},
        }

    def write(self, table: Table, address: int, values: Sequence[int]) -> None:
        raise ValueError(f"{self.name}: an in-memory instrument is only read, not written")

    def inject(self, fault: Fault) -> ActiveFault:
        raise ValueError(f"{self.name}: an in-memory instrument takes no faults ({fault.kind})")


class LoopbackBus(Bus):
    """A bus whose devices are :class:`VirtualDevice` objects in this process."""

    def __init__(
        self,
        site: SiteConfig,
        bus: str,
        devices: Mapping[str, MemoryDevice],
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
            n: MemoryDevice(n, _unit(site, n), site.profiles[n], monotonic, seed=f"{seed}:{n}")
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
